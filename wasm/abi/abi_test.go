package abi_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/jwtgate/jwtgate/wasm/abi"
)

func TestFailureRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, abi.MaxMessageBytes} {
		r := abi.Failure(n)
		assert.Negative(t, r)
		got, failed := abi.FailureLen(r)
		assert.True(t, failed)
		assert.Equal(t, n, got)
	}
	for _, r := range []int32{abi.ReplayUsed, abi.ReplayFresh, 4096} {
		_, failed := abi.FailureLen(r)
		assert.False(t, failed, r)
	}
	n, failed := abi.FailureLen(-1 << 31)
	assert.True(t, failed)
	assert.Equal(t, 1<<31-1, n, "the most negative result does not overflow")
}

func TestLookup(t *testing.T) {
	f, ok := abi.Export(abi.ExportVerify)
	assert.True(t, ok)
	assert.Equal(t, []abi.ValueType{abi.I32, abi.I32, abi.I32, abi.I32, abi.I64, abi.I32, abi.I32}, f.ParamTypes())
	_, ok = abi.Import("fd_write")
	assert.False(t, ok)
	for _, c := range abi.Capabilities() {
		assert.NotZero(t, c&abi.DefinedCapabilities, c)
	}
}

// The signature of an export, as ABI.md writes it.
func ExampleFunc_Signature() {
	f, _ := abi.Import(abi.ImportKeySet)
	fmt.Println(f.Name, f.Signature())
	// Output: keyset_get (url_ptr i32, url_len i32, kid_ptr i32, kid_len i32, buf_ptr i32, buf_cap i32) -> (result i32)
}

// TestWindowRoundTrip: a window decodes to itself, to the bit; every
// malformed encoding is refused.
func TestWindowRoundTrip(t *testing.T) {
	w := abi.Window{Exp: 1767225600.5, Iat: 1767222000, HasExp: true, HasIat: true, Skew: 30e9, MaxAge: 3600e9}
	b := w.Encode()
	assert.Len(t, b, abi.WindowBytes)
	got, err := abi.DecodeWindow(b)
	assert.NoError(t, err)
	assert.Equal(t, w, got)
	bad := map[string]func([]byte) []byte{
		"short":         func(b []byte) []byte { return b[:40] },
		"unknown flag":  func(b []byte) []byte { b[0] |= 8; return b },
		"reserved":      func(b []byte) []byte { b[4] = 1; return b },
		"nbf sans flag": func(b []byte) []byte { b[23] = 0x40; return b },
		"exp NaN":       func(b []byte) []byte { copy(b[8:], []byte{1, 0, 0, 0, 0, 0, 0xf8, 0x7f}); return b },
		"negative skew": func(b []byte) []byte { b[39] = 0x80; return b },
		"negative age":  func(b []byte) []byte { b[47] = 0xff; return b },
	}
	for name, f := range bad {
		_, err := abi.DecodeWindow(f(w.Encode()))
		assert.Error(t, err, name)
	}
}
