//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"syscall/js"
)

// webCrypto is a core.SignatureChecker that hands each signature to the
// page (jwtgate.js's checkSignature: crypto.subtle.verify with the key
// imported once). The browser's native crypto is many times faster than
// the standard library's compiled to WebAssembly, which has no assembly.
// The core still picks the key and the algorithm and judges the rest.
type webCrypto struct{ check js.Value }

// CheckSignature implements core.SignatureChecker. It must run on a
// goroutine that may block (see exportAsync): it waits for a promise.
func (w webCrypto) CheckSignature(alg string, jwk, input, sig []byte) (ok bool, err error) {
	defer func() {
		if p := recover(); p != nil { // the check function threw
			ok, err = false, fmt.Errorf("the signature check failed: %v", p)
		}
	}()
	p := w.check.Invoke(alg, string(jwk), bytesToJS(input), bytesToJS(sig))
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return false, errors.New("the signature check did not return a promise")
	}
	return awaitBool(p)
}

// awaitBool waits for a promise of a boolean; a rejection is an error.
func awaitBool(p js.Value) (bool, error) {
	type result struct {
		ok  bool
		err error
	}
	done := make(chan result, 1)
	resolved := js.FuncOf(func(_ js.Value, a []js.Value) any {
		done <- result{ok: len(a) > 0 && a[0].Type() == js.TypeBoolean && a[0].Bool()}
		return nil
	})
	defer resolved.Release()
	rejected := js.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "rejected"
		if len(a) > 0 {
			msg = js.Global().Get("String").Invoke(a[0]).String()
		}
		done <- result{err: errors.New("the signature check failed: " + msg)}
		return nil
	})
	defer rejected.Release()
	p.Call("then", resolved, rejected)
	r := <-done
	return r.ok, r.err
}

func bytesToJS(b []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}
