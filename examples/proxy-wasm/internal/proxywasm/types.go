package proxywasm

import "strconv"

// Action is what a stream callback tells the host to do next.
type Action uint32

const (
	// ActionContinue lets the host carry on with the stream.
	ActionContinue Action = 0
	// ActionPause holds the stream until ResumeHttpRequest or a local response.
	ActionPause Action = 1
)

// LogLevel is a proxy_log_level_t.
type LogLevel int32

const (
	LogLevelTrace LogLevel = iota
	LogLevelDebug
	LogLevelInfo
	LogLevelWarn
	LogLevelError
	LogLevelCritical
)

// Status is a proxy_status_t other than OK, returned as an error.
type Status uint32

// The ABI's status codes.
const (
	ErrorStatusNotFound             Status = 1
	ErrorStatusBadArgument          Status = 2
	ErrorStatusSerializationFailure Status = 3
	ErrorStatusParseFailure         Status = 4
	ErrorStatusInvalidMemoryAccess  Status = 6
	ErrorStatusEmpty                Status = 7
	ErrorStatusCasMismatch          Status = 8
	ErrorStatusInternalFailure      Status = 10
	ErrorStatusUnimplemented        Status = 12
)

func (s Status) Error() string {
	switch s {
	case ErrorStatusNotFound:
		return "proxy-wasm: not found"
	case ErrorStatusBadArgument:
		return "proxy-wasm: bad argument"
	case ErrorStatusSerializationFailure:
		return "proxy-wasm: serialization failure"
	case ErrorStatusParseFailure:
		return "proxy-wasm: parse failure"
	case ErrorStatusInvalidMemoryAccess:
		return "proxy-wasm: invalid memory access"
	case ErrorStatusEmpty:
		return "proxy-wasm: empty"
	case ErrorStatusCasMismatch:
		return "proxy-wasm: compare-and-swap mismatch"
	case ErrorStatusInternalFailure:
		return "proxy-wasm: internal failure"
	case ErrorStatusUnimplemented:
		return "proxy-wasm: unimplemented"
	}
	return "proxy-wasm: status " + strconv.Itoa(int(s))
}

func statusErr(s uint32) error {
	if s == 0 {
		return nil
	}
	return Status(s)
}

// Buffer and map types of the ABI (proxy_buffer_type_t, proxy_map_type_t).
const (
	bufferHTTPCallResponseBody = 4
	bufferVMConfiguration      = 6
	bufferPluginConfiguration  = 7

	mapHTTPRequestHeaders      = 0
	mapHTTPCallResponseHeaders = 6

	streamHTTPRequest = 0
)

// VMContext is the module's context for one VM: the SDK's types.VMContext.
type VMContext interface {
	// OnVMStart is proxy_on_vm_start; the VM configuration can be read
	// with GetVMConfiguration. false refuses the VM.
	OnVMStart(vmConfigurationSize int) bool
	// NewPluginContext makes the context of a plugin (root context).
	NewPluginContext(contextID uint32) PluginContext
}

// PluginContext is one configured plugin: the SDK's types.PluginContext,
// reduced to the callbacks jwtgate uses.
type PluginContext interface {
	// OnPluginStart is proxy_on_configure; the configuration can be read
	// with GetPluginConfiguration. false refuses the configuration.
	OnPluginStart(pluginConfigurationSize int) bool
	// OnPluginDone is proxy_on_done for the plugin; true lets the host
	// delete it.
	OnPluginDone() bool
	// OnTick is proxy_on_tick (see SetTickPeriodMilliSeconds).
	OnTick()
	// NewHttpContext makes the context of one HTTP stream.
	NewHttpContext(contextID uint32) HttpContext
}

// HttpContext is one HTTP request/response: the SDK's types.HttpContext,
// reduced to the callbacks jwtgate uses.
type HttpContext interface {
	// OnHttpRequestHeaders is proxy_on_request_headers.
	OnHttpRequestHeaders(numHeaders int, endOfStream bool) Action
	// OnHttpStreamDone is proxy_on_done for the stream.
	OnHttpStreamDone()
}

// HttpCalloutCallback receives the response of DispatchHttpCall; numHeaders
// is 0 when the call failed (or timed out).
type HttpCalloutCallback func(numHeaders, bodySize, numTrailers int)
