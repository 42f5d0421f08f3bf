package proxywasm

import (
	"fmt"
	"strings"
)

// The public API, named as in the proxy-wasm Go SDK.

// LogTrace … LogCritical write a line to the host's log (proxy_log).
func LogTrace(msg string)    { log(LogLevelTrace, msg) }
func LogDebug(msg string)    { log(LogLevelDebug, msg) }
func LogInfo(msg string)     { log(LogLevelInfo, msg) }
func LogWarn(msg string)     { log(LogLevelWarn, msg) }
func LogError(msg string)    { log(LogLevelError, msg) }
func LogCritical(msg string) { log(LogLevelCritical, msg) }

// LogDebugf … LogErrorf format a log line.
func LogDebugf(format string, args ...any) { log(LogLevelDebug, fmt.Sprintf(format, args...)) }
func LogInfof(format string, args ...any)  { log(LogLevelInfo, fmt.Sprintf(format, args...)) }
func LogWarnf(format string, args ...any)  { log(LogLevelWarn, fmt.Sprintf(format, args...)) }
func LogErrorf(format string, args ...any) { log(LogLevelError, fmt.Sprintf(format, args...)) }

// GetVMConfiguration returns the VM configuration (in OnVMStart).
func GetVMConfiguration() ([]byte, error) {
	return getBuffer(bufferVMConfiguration, 0, 1<<31-1)
}

// GetPluginConfiguration returns the plugin configuration (in OnPluginStart).
func GetPluginConfiguration() ([]byte, error) {
	return getBuffer(bufferPluginConfiguration, 0, 1<<31-1)
}

// SetTickPeriodMilliSeconds asks for OnTick every period ms (0: never).
func SetTickPeriodMilliSeconds(period uint32) error { return setTickPeriod(period) }

// GetHttpRequestHeader returns one request header (names are lower case).
func GetHttpRequestHeader(key string) (string, error) {
	return getMapValue(mapHTTPRequestHeaders, key)
}

// GetHttpRequestHeaders returns every request header, pseudo-headers
// (:method, :path, :authority, …) included, in order.
func GetHttpRequestHeaders() ([][2]string, error) { return getMapPairs(mapHTTPRequestHeaders) }

// AddHttpRequestHeader adds a request header value.
func AddHttpRequestHeader(key, value string) error {
	return addMapValue(mapHTTPRequestHeaders, key, value)
}

// ReplaceHttpRequestHeader sets a request header, replacing every value.
func ReplaceHttpRequestHeader(key, value string) error {
	return replaceMapValue(mapHTTPRequestHeaders, key, value)
}

// RemoveHttpRequestHeader removes every value of a request header.
func RemoveHttpRequestHeader(key string) error { return removeMapValue(mapHTTPRequestHeaders, key) }

// SendHttpResponse answers the current stream with a local response.
func SendHttpResponse(statusCode uint32, headers [][2]string, body []byte, grpcStatus int32) error {
	return sendLocalResponse(statusCode, "", body, headers, grpcStatus)
}

// SendHttpResponseWithDetails is SendHttpResponse with the response code
// details the host records (Envoy's %RESPONSE_CODE_DETAILS%, no spaces).
func SendHttpResponseWithDetails(statusCode uint32, details string, headers [][2]string, body []byte, grpcStatus int32) error {
	return sendLocalResponse(statusCode, details, body, headers, grpcStatus)
}

// ResumeHttpRequest resumes a request paused by ActionPause
// (proxy_continue_stream). Outside the stream's own callback, call
// SetEffectiveContext first.
func ResumeHttpRequest() error { return continueStream(streamHTTPRequest) }

// SetEffectiveContext makes contextID the context that the following host
// calls act on (a paused stream, from a tick or an HTTP call's response).
func SetEffectiveContext(contextID uint32) error { return setEffectiveContext(contextID) }

// DispatchHttpCall sends an HTTP request to the host's cluster upstream.
// headers must include :method, :path and :authority. callback runs in a
// later proxy_on_http_call_response.
func DispatchHttpCall(upstream string, headers [][2]string, body []byte, trailers [][2]string, timeoutMilliseconds uint32, callback HttpCalloutCallback) (uint32, error) {
	id, err := httpCall(upstream, headers, body, trailers, timeoutMilliseconds)
	if err != nil {
		return 0, err
	}
	httpCallbacks[id] = callback
	return id, nil
}

// GetHttpCallResponseHeaders returns the response headers of the call
// being answered (in its callback), :status included.
func GetHttpCallResponseHeaders() ([][2]string, error) {
	return getMapPairs(mapHTTPCallResponseHeaders)
}

// GetHttpCallResponseBody returns up to maxSize bytes of the response
// body of the call being answered, from start.
func GetHttpCallResponseBody(start, maxSize int) ([]byte, error) {
	return getBuffer(bufferHTTPCallResponseBody, start, maxSize)
}

// GetSharedData returns the value of key in the host's shared data (shared
// by every VM of the same vm_id) and its compare-and-swap value.
func GetSharedData(key string) (value []byte, cas uint32, err error) { return getSharedData(key) }

// SetSharedData sets key. With a non-zero cas the write succeeds only if
// the key still has that cas (else ErrorStatusCasMismatch). Note that the
// ABI creates a missing key whatever cas is given.
func SetSharedData(key string, value []byte, cas uint32) error { return setSharedData(key, value, cas) }

// GetProperty returns a host property; path segments are joined with NUL
// as hosts expect ("request", "time").
func GetProperty(path []string) ([]byte, error) {
	return getProperty([]byte(strings.Join(path, "\x00")))
}

// LogCriticalf formats a critical log line.
func LogCriticalf(format string, args ...any) { log(LogLevelCritical, fmt.Sprintf(format, args...)) }
