//go:build wasip1

package proxywasm

import (
	"runtime"
	"unsafe"
)

// ---- The imports: host functions of the ABI (module "env"). ----

//go:wasmimport env proxy_log
func proxyLog(level uint32, msg unsafe.Pointer, size uint32) uint32

//go:wasmimport env proxy_get_header_map_value
func proxyGetHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_get_header_map_pairs
func proxyGetHeaderMapPairs(mapType uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_add_header_map_value
func proxyAddHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32, value unsafe.Pointer, valueSize uint32) uint32

//go:wasmimport env proxy_replace_header_map_value
func proxyReplaceHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32, value unsafe.Pointer, valueSize uint32) uint32

//go:wasmimport env proxy_remove_header_map_value
func proxyRemoveHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32) uint32

//go:wasmimport env proxy_send_local_response
func proxySendLocalResponse(status uint32, details unsafe.Pointer, detailsSize uint32, body unsafe.Pointer, bodySize uint32, headers unsafe.Pointer, headersSize uint32, grpcStatus int32) uint32

//go:wasmimport env proxy_get_buffer_bytes
func proxyGetBufferBytes(bufferType uint32, start uint32, maxSize uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_set_tick_period_milliseconds
func proxySetTickPeriodMilliseconds(period uint32) uint32

//go:wasmimport env proxy_http_call
func proxyHttpCall(upstream unsafe.Pointer, upstreamSize uint32, headers unsafe.Pointer, headersSize uint32, body unsafe.Pointer, bodySize uint32, trailers unsafe.Pointer, trailersSize uint32, timeout uint32, retCallID unsafe.Pointer) uint32

//go:wasmimport env proxy_get_shared_data
func proxyGetSharedData(key unsafe.Pointer, keySize uint32, retData unsafe.Pointer, retSize unsafe.Pointer, retCas unsafe.Pointer) uint32

//go:wasmimport env proxy_set_shared_data
func proxySetSharedData(key unsafe.Pointer, keySize uint32, value unsafe.Pointer, valueSize uint32, cas uint32) uint32

//go:wasmimport env proxy_get_property
func proxyGetProperty(path unsafe.Pointer, pathSize uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_set_effective_context
func proxySetEffectiveContext(contextID uint32) uint32

//go:wasmimport env proxy_continue_stream
func proxyContinueStream(streamType uint32) uint32

func sp(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }
func bp(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// returned copies out what the host returned through (retData, retSize).
func returned(st uint32, ptr, size uint32) ([]byte, error) {
	b := takeAlloc(ptr, size)
	if st != 0 {
		return nil, Status(st)
	}
	return append([]byte(nil), b...), nil
}

func log(level LogLevel, msg string) {
	proxyLog(uint32(level), sp(msg), uint32(len(msg)))
	runtime.KeepAlive(msg)
}

func getMapValue(mapType uint32, key string) (string, error) {
	var ptr, size uint32
	st := proxyGetHeaderMapValue(mapType, sp(key), uint32(len(key)), unsafe.Pointer(&ptr), unsafe.Pointer(&size))
	runtime.KeepAlive(key)
	b, err := returned(st, ptr, size)
	return string(b), err
}

func getMapPairs(mapType uint32) ([][2]string, error) {
	var ptr, size uint32
	st := proxyGetHeaderMapPairs(mapType, unsafe.Pointer(&ptr), unsafe.Pointer(&size))
	b, err := returned(st, ptr, size)
	if err != nil {
		return nil, err
	}
	return DeserializeMap(b)
}

func addMapValue(mapType uint32, key, value string) error {
	st := proxyAddHeaderMapValue(mapType, sp(key), uint32(len(key)), sp(value), uint32(len(value)))
	runtime.KeepAlive(key)
	runtime.KeepAlive(value)
	return statusErr(st)
}

func replaceMapValue(mapType uint32, key, value string) error {
	st := proxyReplaceHeaderMapValue(mapType, sp(key), uint32(len(key)), sp(value), uint32(len(value)))
	runtime.KeepAlive(key)
	runtime.KeepAlive(value)
	return statusErr(st)
}

func removeMapValue(mapType uint32, key string) error {
	st := proxyRemoveHeaderMapValue(mapType, sp(key), uint32(len(key)))
	runtime.KeepAlive(key)
	return statusErr(st)
}

func sendLocalResponse(status uint32, details string, body []byte, headers [][2]string, grpcStatus int32) error {
	hs := SerializeMap(headers)
	st := proxySendLocalResponse(status, sp(details), uint32(len(details)), bp(body), uint32(len(body)), bp(hs), uint32(len(hs)), grpcStatus)
	runtime.KeepAlive(details)
	runtime.KeepAlive(body)
	runtime.KeepAlive(hs)
	return statusErr(st)
}

func getBuffer(bufferType uint32, start, maxSize int) ([]byte, error) {
	var ptr, size uint32
	st := proxyGetBufferBytes(bufferType, uint32(start), uint32(maxSize), unsafe.Pointer(&ptr), unsafe.Pointer(&size))
	return returned(st, ptr, size)
}

func setTickPeriod(ms uint32) error { return statusErr(proxySetTickPeriodMilliseconds(ms)) }

func httpCall(upstream string, headers [][2]string, body []byte, trailers [][2]string, timeoutMs uint32) (uint32, error) {
	hs, ts := SerializeMap(headers), SerializeMap(trailers)
	var id uint32
	st := proxyHttpCall(sp(upstream), uint32(len(upstream)), bp(hs), uint32(len(hs)), bp(body), uint32(len(body)), bp(ts), uint32(len(ts)), timeoutMs, unsafe.Pointer(&id))
	runtime.KeepAlive(upstream)
	runtime.KeepAlive(hs)
	runtime.KeepAlive(body)
	runtime.KeepAlive(ts)
	return id, statusErr(st)
}

func getSharedData(key string) ([]byte, uint32, error) {
	var ptr, size, cas uint32
	st := proxyGetSharedData(sp(key), uint32(len(key)), unsafe.Pointer(&ptr), unsafe.Pointer(&size), unsafe.Pointer(&cas))
	runtime.KeepAlive(key)
	b, err := returned(st, ptr, size)
	return b, cas, err
}

func setSharedData(key string, value []byte, cas uint32) error {
	st := proxySetSharedData(sp(key), uint32(len(key)), bp(value), uint32(len(value)), cas)
	runtime.KeepAlive(key)
	runtime.KeepAlive(value)
	return statusErr(st)
}

func getProperty(path []byte) ([]byte, error) {
	var ptr, size uint32
	st := proxyGetProperty(bp(path), uint32(len(path)), unsafe.Pointer(&ptr), unsafe.Pointer(&size))
	runtime.KeepAlive(path)
	return returned(st, ptr, size)
}

func setEffectiveContext(id uint32) error { return statusErr(proxySetEffectiveContext(id)) }

func continueStream(streamType uint32) error { return statusErr(proxyContinueStream(streamType)) }
