//go:build wasip1

package proxywasm

import "unsafe"

// ---- The exports: the callbacks the host calls. ----

//go:wasmexport proxy_abi_version_0_2_1
func proxyABIVersion0_2_1() {}

// allocs keeps the buffers handed to the host by proxy_on_memory_allocate
// alive, by address, until the host call that asked for them has been read
// (see takeAlloc).
var allocs = map[uint32][]byte{}

//go:wasmexport proxy_on_memory_allocate
func proxyOnMemoryAllocate(size uint32) uint32 {
	b := make([]byte, max(size, 1))
	p := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	allocs[p] = b
	return p
}

// takeAlloc returns the first n bytes of the buffer the host allocated at
// ptr (nil for ptr 0 or n 0) and forgets every pending allocation: each
// host call returns at most one buffer, and its bytes are copied out before
// the next call.
func takeAlloc(ptr, n uint32) []byte {
	b, ok := allocs[ptr]
	clear(allocs)
	if !ok || n == 0 || int(n) > len(b) {
		return nil
	}
	return b[:n:n]
}

//go:wasmexport proxy_on_context_create
func proxyOnContextCreate(contextID, parentID uint32) { onContextCreate(contextID, parentID) }

//go:wasmexport proxy_on_vm_start
func proxyOnVMStart(_, size uint32) uint32 { return b2u(onVMStart(size)) }

//go:wasmexport proxy_on_configure
func proxyOnConfigure(contextID, size uint32) uint32 { return b2u(onConfigure(contextID, size)) }

//go:wasmexport proxy_on_tick
func proxyOnTick(contextID uint32) { onTick(contextID) }

//go:wasmexport proxy_on_request_headers
func proxyOnRequestHeaders(contextID, numHeaders, endOfStream uint32) uint32 {
	return uint32(onRequestHeaders(contextID, numHeaders, endOfStream != 0))
}

//go:wasmexport proxy_on_http_call_response
func proxyOnHttpCallResponse(_, callID, numHeaders, bodySize, numTrailers uint32) {
	onHttpCallResponse(callID, numHeaders, bodySize, numTrailers)
}

//go:wasmexport proxy_on_done
func proxyOnDone(contextID uint32) uint32 { return b2u(onDone(contextID)) }

//go:wasmexport proxy_on_log
func proxyOnLog(uint32) {}

//go:wasmexport proxy_on_delete
func proxyOnDelete(contextID uint32) { onDelete(contextID) }

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
