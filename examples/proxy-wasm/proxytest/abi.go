package proxytest

import (
	"context"
	"encoding/binary"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/jwtgate/jwtgate/examples/proxy-wasm/internal/proxywasm"
)

// ABI types used by the host functions.
const (
	mapRequestHeaders      = 0
	mapCallResponseHeaders = 6
	mapCallResponseTrailer = 7

	bufferCallResponseBody = 4
	bufferVMConfiguration  = 6
	bufferPluginConfig     = 7

	statusInvalidMemory = 6
)

type hostFunc func(ctx context.Context, vm *VM, mem api.Memory, p []uint32) uint32

// instantiateEnv defines the proxy-wasm host functions (module "env").
func (h *Host) instantiateEnv(ctx context.Context) error {
	b := h.rt.NewHostModuleBuilder("env")
	def := func(name string, n int, fn hostFunc) {
		params := make([]api.ValueType, n)
		for i := range params {
			params[i] = api.ValueTypeI32
		}
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			vm, _ := ctx.Value(vmKey{}).(*VM)
			p := make([]uint32, n)
			for i := range p {
				p[i] = api.DecodeU32(stack[i])
			}
			if vm == nil {
				stack[0] = StatusBadArgument
				return
			}
			stack[0] = uint64(fn(ctx, vm, m.Memory(), p))
		}), params, []api.ValueType{api.ValueTypeI32}).Export(name)
	}
	def("proxy_log", 3, hostLog)
	def("proxy_get_header_map_value", 5, hostGetHeaderMapValue)
	def("proxy_get_header_map_pairs", 3, hostGetHeaderMapPairs)
	def("proxy_add_header_map_value", 5, hostAddHeaderMapValue)
	def("proxy_replace_header_map_value", 5, hostReplaceHeaderMapValue)
	def("proxy_remove_header_map_value", 3, hostRemoveHeaderMapValue)
	def("proxy_send_local_response", 8, hostSendLocalResponse)
	def("proxy_get_buffer_bytes", 5, hostGetBufferBytes)
	def("proxy_set_tick_period_milliseconds", 1, hostSetTickPeriod)
	def("proxy_http_call", 10, hostHTTPCall)
	def("proxy_get_shared_data", 5, hostGetSharedData)
	def("proxy_set_shared_data", 5, hostSetSharedData)
	def("proxy_get_property", 4, func(context.Context, *VM, api.Memory, []uint32) uint32 { return StatusNotFound })
	def("proxy_set_effective_context", 1, hostSetEffectiveContext)
	def("proxy_continue_stream", 1, hostContinueStream)
	_, err := b.Instantiate(ctx)
	return err
}

func read(mem api.Memory, ptr, n uint32) (string, bool) {
	if n == 0 {
		return "", true
	}
	b, ok := mem.Read(ptr, n)
	return string(b), ok
}

// give copies data into the guest: a buffer from proxy_on_memory_allocate,
// whose address and size go to retPtr and retSize.
func (vm *VM) give(ctx context.Context, mem api.Memory, data []byte, retPtr, retSize uint32) uint32 {
	var ptr uint32
	if len(data) > 0 {
		var st [1]uint64
		st[0] = api.EncodeU32(uint32(len(data)))
		if err := vm.fMalloc.CallWithStack(ctx, st[:]); err != nil {
			return statusInvalidMemory
		}
		ptr = api.DecodeU32(st[0])
		if ptr == 0 || !mem.Write(ptr, data) {
			return statusInvalidMemory
		}
	}
	if !mem.WriteUint32Le(retPtr, ptr) || !mem.WriteUint32Le(retSize, uint32(len(data))) {
		return statusInvalidMemory
	}
	return StatusOK
}

func hostLog(_ context.Context, vm *VM, mem api.Memory, p []uint32) uint32 {
	msg, ok := read(mem, p[1], p[2])
	if !ok {
		return statusInvalidMemory
	}
	vm.logMu.Lock()
	vm.logs = append(vm.logs, LogLine{Level: int32(p[0]), Message: msg})
	vm.logMu.Unlock()
	return StatusOK
}

// headerMap returns the map a header call names, in the current context.
func (vm *VM) headerMap(mapType uint32) (*[][2]string, uint32) {
	switch mapType {
	case mapRequestHeaders:
		s, ok := vm.streams[vm.effective]
		if !ok {
			return nil, StatusNotFound
		}
		return &s.Headers, StatusOK
	case mapCallResponseHeaders, mapCallResponseTrailer:
		if vm.callResp == nil {
			return nil, StatusNotFound
		}
		if mapType == mapCallResponseHeaders {
			return &vm.callResp.headers, StatusOK
		}
		return &vm.callResp.trailers, StatusOK
	}
	return nil, StatusBadArgument
}

func hostGetHeaderMapValue(ctx context.Context, vm *VM, mem api.Memory, p []uint32) uint32 {
	m, st := vm.headerMap(p[0])
	if st != StatusOK {
		return st
	}
	key, ok := read(mem, p[1], p[2])
	if !ok {
		return statusInvalidMemory
	}
	for _, kv := range *m {
		if strings.EqualFold(kv[0], key) {
			return vm.give(ctx, mem, []byte(kv[1]), p[3], p[4])
		}
	}
	return StatusNotFound
}

func hostGetHeaderMapPairs(ctx context.Context, vm *VM, mem api.Memory, p []uint32) uint32 {
	m, st := vm.headerMap(p[0])
	if st != StatusOK {
		return st
	}
	return vm.give(ctx, mem, proxywasm.SerializeMap(*m), p[1], p[2])
}

func keyValue(mem api.Memory, p []uint32) (string, string, bool) {
	k, ok1 := read(mem, p[1], p[2])
	v, ok2 := read(mem, p[3], p[4])
	return k, v, ok1 && ok2
}

func hostAddHeaderMapValue(_ context.Context, vm *VM, mem api.Memory, p []uint32) uint32 {
	m, st := vm.headerMap(p[0])
	if st != StatusOK {
		return st
	}
	k, v, ok := keyValue(mem, p)
	if !ok {
		return statusInvalidMemory
	}
	*m = append(*m, [2]string{strings.ToLower(k), v})
	return StatusOK
}

func hostReplaceHeaderMapValue(_ context.Context, vm *VM, mem api.Memory, p []uint32) uint32 {
	m, st := vm.headerMap(p[0])
	if st != StatusOK {
		return st
	}
	k, v, ok := keyValue(mem, p)
	if !ok {
		return statusInvalidMemory
	}
	out := (*m)[:0]
	done := false
	for _, kv := range *m {
		if strings.EqualFold(kv[0], k) {
			if done {
				continue
			}
			kv[1], done = v, true
		}
		out = append(out, kv)
	}
	if !done {
		out = append(out, [2]string{strings.ToLower(k), v})
	}
	*m = out
	return StatusOK
}

func hostRemoveHeaderMapValue(_ context.Context, vm *VM, mem api.Memory, p []uint32) uint32 {
	m, st := vm.headerMap(p[0])
	if st != StatusOK {
		return st
	}
	k, ok := read(mem, p[1], p[2])
	if !ok {
		return statusInvalidMemory
	}
	out := (*m)[:0]
	for _, kv := range *m {
		if !strings.EqualFold(kv[0], k) {
			out = append(out, kv)
		}
	}
	*m = out
	return StatusOK
}

func hostSendLocalResponse(_ context.Context, vm *VM, mem api.Memory, p []uint32) uint32 {
	s, ok := vm.streams[vm.effective]
	if !ok {
		return StatusNotFound
	}
	details, ok1 := read(mem, p[1], p[2])
	body, ok2 := read(mem, p[3], p[4])
	hs, ok3 := read(mem, p[5], p[6])
	if !ok1 || !ok2 || !ok3 {
		return statusInvalidMemory
	}
	headers, err := proxywasm.DeserializeMap([]byte(hs))
	if err != nil {
		return StatusBadArgument
	}
	s.Local = &LocalResponse{Status: p[0], Details: details, Body: []byte(body), Headers: headers, GRPCStatus: int32(p[7])}
	return StatusOK
}

func hostGetBufferBytes(ctx context.Context, vm *VM, mem api.Memory, p []uint32) uint32 {
	var buf []byte
	switch p[0] {
	case bufferPluginConfig:
		buf = vm.config
	case bufferVMConfiguration:
		buf = vm.h.opts.VMConfiguration
	case bufferCallResponseBody:
		if vm.callResp == nil {
			return StatusNotFound
		}
		buf = vm.callResp.body
	default:
		return StatusNotFound
	}
	start, size := uint64(p[1]), uint64(p[2])
	if start > uint64(len(buf)) {
		return StatusBadArgument
	}
	end := min(start+size, uint64(len(buf)))
	return vm.give(ctx, mem, buf[start:end], p[3], p[4])
}

func hostSetTickPeriod(_ context.Context, vm *VM, _ api.Memory, p []uint32) uint32 {
	vm.tick = time.Duration(p[0]) * time.Millisecond
	return StatusOK
}

func hostHTTPCall(_ context.Context, vm *VM, mem api.Memory, p []uint32) uint32 {
	cluster, ok1 := read(mem, p[0], p[1])
	hs, ok2 := read(mem, p[2], p[3])
	body, ok3 := read(mem, p[4], p[5])
	ts, ok4 := read(mem, p[6], p[7])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return statusInvalidMemory
	}
	headers, err1 := proxywasm.DeserializeMap([]byte(hs))
	trailers, err2 := proxywasm.DeserializeMap([]byte(ts))
	if err1 != nil || err2 != nil {
		return StatusBadArgument
	}
	c := &HTTPCall{Cluster: cluster, Headers: headers, Body: []byte(body), Trailers: trailers, Timeout: time.Duration(p[8]) * time.Millisecond, Context: vm.effective}
	for _, need := range []string{":method", ":path", ":authority"} {
		if c.Header(need) == "" {
			return StatusBadArgument
		}
	}
	vm.nextCall++
	c.ID = vm.nextCall
	vm.calls[c.ID] = c
	var id [4]byte
	binary.LittleEndian.PutUint32(id[:], c.ID)
	if !mem.Write(p[9], id[:]) {
		return statusInvalidMemory
	}
	return StatusOK
}

func hostGetSharedData(ctx context.Context, vm *VM, mem api.Memory, p []uint32) uint32 {
	key, ok := read(mem, p[0], p[1])
	if !ok {
		return statusInvalidMemory
	}
	data, cas, found := vm.h.Shared.Get(key)
	if !found {
		return StatusNotFound
	}
	if st := vm.give(ctx, mem, data, p[2], p[3]); st != StatusOK {
		return st
	}
	if !mem.WriteUint32Le(p[4], cas) {
		return statusInvalidMemory
	}
	return StatusOK
}

func hostSetSharedData(_ context.Context, vm *VM, mem api.Memory, p []uint32) uint32 {
	key, ok1 := read(mem, p[0], p[1])
	value, ok2 := read(mem, p[2], p[3])
	if !ok1 || !ok2 {
		return statusInvalidMemory
	}
	return vm.h.Shared.Set(key, []byte(value), p[4])
}

func hostSetEffectiveContext(_ context.Context, vm *VM, _ api.Memory, p []uint32) uint32 {
	if _, ok := vm.streams[p[0]]; !ok && p[0] != vm.RootID {
		return StatusBadArgument
	}
	vm.effective = p[0]
	return StatusOK
}

func hostContinueStream(_ context.Context, vm *VM, _ api.Memory, p []uint32) uint32 {
	if p[0] != 0 {
		return StatusBadArgument
	}
	s, ok := vm.streams[vm.effective]
	if !ok {
		return StatusNotFound
	}
	s.Resumed = true
	return StatusOK
}
