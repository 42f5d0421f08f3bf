//go:build wasip1 && jwtgate_faults

package main

import (
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"github.com/jwtgate/jwtgate/wasm/abi"
)

// The fault-injection build (-tags jwtgate_faults) misbehaves on request so
// that the host's sandbox limits can be tested with a real Go guest. It is
// never the shipped module.

var (
	hoard [][]byte
	sink  byte
)

func init() {
	faultHook = func(token string) {
		switch strings.TrimPrefix(token, "fault:") {
		case "loop":
			// Said first, so that a test can cancel the call once it runs.
			hostLog(abi.LevelInfo, "fault: looping")
			for {
			}
		case "alloc":
			for {
				b := make([]byte, 1<<20)
				b[0] = 1
				hoard = append(hoard, b)
			}
		case "panic":
			panic("injected fault")
		case "trap":
			// A load beyond linear memory: a WebAssembly trap, not a Go panic.
			var x byte
			p := unsafe.Pointer(&x)
			sink = *(*byte)(unsafe.Add(p, 0xFFFFFF00-int(uintptr(p))))
		case "keyset-long-url":
			// A call past the ABI's bounds: the host must refuse it, and
			// the panic reports what it answered.
			buf := make([]byte, abi.MaxMessageBytes)
			r := keySetGet(strings.Repeat("u", abi.MaxURLBytes+1), "", buf)
			n, _ := abi.FailureLen(r)
			panic(fmt.Sprintf("keyset_get answered %d: %s", r, buf[:min(n, len(buf))]))
		case "exit":
			// An unrecoverable runtime failure: the Go runtime exits.
			var m map[string]int
			go func() { m["x"] = 1 }()
			for {
				runtime.Gosched()
			}
		}
	}
}
