//go:build wasip1

package main

import (
	"runtime"
	"time"
	"unsafe"

	"github.com/jwtgate/jwtgate/wasm/abi"
)

// ---- Imports: everything the module may ask of its host. ----
//
// The directives need literal names; wasm/build_test.go holds the built
// module's imports and exports against package abi.

//go:wasmimport jwtgate_host replay_claim
func hostReplayClaim(idPtr unsafe.Pointer, idLen uint32, expSec int64, expNsec int32, nowSec int64, nowNsec int32, msgPtr unsafe.Pointer, msgCap uint32) int32

//go:wasmimport jwtgate_host log
func hostLogImport(level int32, msgPtr unsafe.Pointer, msgLen uint32)

//go:wasmimport jwtgate_host keyset_get
func hostKeySetImport(urlPtr unsafe.Pointer, urlLen uint32, kidPtr unsafe.Pointer, kidLen uint32, bufPtr unsafe.Pointer, bufCap uint32) int32

//go:wasmimport jwtgate_host sig_check
func hostSigCheckImport(algPtr unsafe.Pointer, algLen uint32, keyPtr unsafe.Pointer, keyLen uint32, inPtr unsafe.Pointer, inLen uint32, sigPtr unsafe.Pointer, sigLen uint32) int32

func sigCheck(alg string, jwk, input, sig []byte) int32 {
	r := hostSigCheckImport(unsafe.Pointer(unsafe.StringData(alg)), uint32(len(alg)), unsafe.Pointer(unsafe.SliceData(jwk)), uint32(len(jwk)),
		unsafe.Pointer(unsafe.SliceData(input)), uint32(len(input)), unsafe.Pointer(unsafe.SliceData(sig)), uint32(len(sig)))
	runtime.KeepAlive(alg)
	runtime.KeepAlive(jwk)
	runtime.KeepAlive(input)
	runtime.KeepAlive(sig)
	return r
}

func keySetGet(url, kid string, buf []byte) int32 {
	r := hostKeySetImport(unsafe.Pointer(unsafe.StringData(url)), uint32(len(url)), unsafe.Pointer(unsafe.StringData(kid)), uint32(len(kid)), unsafe.Pointer(unsafe.SliceData(buf)), uint32(len(buf)))
	runtime.KeepAlive(url)
	runtime.KeepAlive(kid)
	runtime.KeepAlive(buf)
	return r
}

func replayClaim(id string, expSec int64, expNsec int32, nowSec int64, nowNsec int32, msg []byte) int32 {
	r := hostReplayClaim(unsafe.Pointer(unsafe.StringData(id)), uint32(len(id)), expSec, expNsec, nowSec, nowNsec, unsafe.Pointer(unsafe.SliceData(msg)), uint32(len(msg)))
	runtime.KeepAlive(id)
	runtime.KeepAlive(msg)
	return r
}

func hostLog(level abi.Level, msg string) {
	hostLogImport(int32(level), unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
	runtime.KeepAlive(msg)
}

// ---- Buffers: memory the host may write into. ----

// buffers holds every buffer handed to the host by jwtgate_alloc until
// jwtgate_free, so the (non-moving) garbage collector keeps it in place.
// Calls taking a buffer look it up here: the host can only name memory it
// was given.
var buffers = map[uint32][]byte{}

// result is the output of the last load or verify, kept until the next.
var result []byte

func ptrOf(b []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

// buffer returns the first n bytes of the buffer at ptr, or ok=false.
func buffer(ptr, n uint32) ([]byte, bool) {
	b, ok := buffers[ptr]
	if !ok || uint64(n) > uint64(len(b)) {
		return nil, false
	}
	return b[:n], true
}

// ---- Exports. ----

//go:wasmexport jwtgate_abi_version
func exportABIVersion() uint32 { return abi.Version }

//go:wasmexport jwtgate_capabilities
func exportCapabilities(hostCaps uint32) uint32 {
	return uint32(capabilities(abi.Capability(hostCaps)))
}

//go:wasmexport jwtgate_alloc
func exportAlloc(size uint32) uint32 {
	b := make([]byte, max(size, 1))
	p := ptrOf(b)
	buffers[p] = b
	return p
}

//go:wasmexport jwtgate_free
func exportFree(ptr uint32) { delete(buffers, ptr) }

//go:wasmexport jwtgate_result
func exportResult() uint64 {
	if len(result) == 0 {
		return 0
	}
	return uint64(ptrOf(result))<<32 | uint64(len(result))
}

//go:wasmexport jwtgate_window
func exportWindow() uint64 {
	if len(window) == 0 {
		return 0
	}
	return uint64(ptrOf(window))<<32 | uint64(len(window))
}

func setResult(status abi.Status, out []byte) uint32 {
	result = out
	return uint32(status)
}

//go:wasmexport jwtgate_load
func exportLoad(buf, nameLen, policyLen uint32) uint32 {
	total := uint64(nameLen) + uint64(policyLen)
	if total > abi.MaxRequestBytes {
		return setResult(abi.StatusRefused, []byte("jwtgate_load: lengths out of range"))
	}
	b, ok := buffer(buf, uint32(total))
	if !ok {
		return setResult(abi.StatusRefused, []byte("jwtgate_load: the buffer is not one from jwtgate_alloc, or too short"))
	}
	name := string(b[:nameLen])
	policy := append([]byte(nil), b[nameLen:]...)
	return setResult(load(name, policy))
}

//go:wasmexport jwtgate_verify
func exportVerify(buf, tokenLen, redirectLen, integrationLen uint32, nowSec int64, nowNsec uint32, flags uint32) uint32 {
	total := uint64(tokenLen) + uint64(redirectLen) + uint64(integrationLen)
	if total > abi.MaxRequestBytes {
		return setResult(abi.StatusRefused, []byte("jwtgate_verify: lengths out of range"))
	}
	b, ok := buffer(buf, uint32(total))
	if !ok {
		return setResult(abi.StatusRefused, []byte("jwtgate_verify: the buffer is not one from jwtgate_alloc, or too short"))
	}
	token := string(b[:tokenLen])
	redirectParam := string(b[tokenLen : tokenLen+redirectLen])
	integration := string(b[tokenLen+redirectLen:])
	var now time.Time
	if abi.Flag(flags)&abi.FlagZeroNow == 0 {
		now = time.Unix(nowSec, int64(nowNsec)).UTC()
	}
	return setResult(verify(token, redirectParam, integration, now, abi.Flag(flags)))
}
