// Package proxywasm is jwtgate's small guest layer for the proxy-wasm ABI
// v0.2.1 (https://github.com/proxy-wasm/spec, abi-versions/v0.2.1), for
// modules built with the standard Go toolchain (GOOS=wasip1 GOARCH=wasm
// -buildmode=c-shared).
//
// It implements only what the jwtgate filter uses, and mirrors the names
// and shapes of the proxy-wasm Go SDK (github.com/proxy-wasm/proxy-wasm-go-sdk:
// SetVMContext, VMContext/PluginContext/HttpContext, GetHttpRequestHeaders,
// SendHttpResponse, DispatchHttpCall, GetSharedData/SetSharedData, …) so
// that the filter could move to the SDK by changing its imports.
//
// The exports (abi_wasip1.go): proxy_abi_version_0_2_1,
// proxy_on_memory_allocate, proxy_on_context_create, proxy_on_vm_start,
// proxy_on_configure, proxy_on_tick, proxy_on_request_headers,
// proxy_on_http_call_response, proxy_on_done, proxy_on_log and
// proxy_on_delete. The host functions it imports (hostcalls_wasip1.go):
// proxy_log, proxy_get_header_map_value, proxy_get_header_map_pairs,
// proxy_add_header_map_value, proxy_replace_header_map_value,
// proxy_remove_header_map_value, proxy_send_local_response,
// proxy_get_buffer_bytes, proxy_set_tick_period_milliseconds,
// proxy_http_call, proxy_get_shared_data, proxy_set_shared_data,
// proxy_get_property, proxy_set_effective_context and
// proxy_continue_stream. Everything else a proxy-wasm module may export is
// absent, which the ABI allows: the host skips callbacks a module lacks.
//
// Memory: the host returns data (a header value, the plugin configuration, a
// shared-data value) by calling proxy_on_memory_allocate and writing into
// the buffer it got. The layer keeps every such buffer referenced until the
// host call that asked for it has returned and its bytes have been copied,
// so the garbage collector cannot reclaim it in between.
//
// Outside wasip1 the host functions are stubs returning ErrorStatusUnimplemented,
// so that packages using this one compile natively (for go vet and tests of
// portable code).
package proxywasm
