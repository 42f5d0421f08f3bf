package abi

import (
	"encoding/binary"
	"errors"
	"math"
)

// ExportWindow is the optional export that hands over the time window of
// the last jwtgate_verify's decision (OptionalExports), so that a host can
// cache the decision for as long as a fresh verification would repeat it.
const ExportWindow = "jwtgate_window"

// OptionalExports returns the functions a plugin may export; a host calls
// one only when the module has it, and refuses a module whose export of
// that name has another signature. A new table each call.
func OptionalExports() []Func {
	return []Func{{ExportWindow, nil, []Value{i64("ptr_len")}}}
}

// OptionalExport returns the optional export called name, or false.
func OptionalExport(name string) (Func, bool) { return find(OptionalExports(), name) }

// WindowBytes is the size of an encoded Window.
const WindowBytes = 48

// Bits of a window's flags word: which claims it has.
const (
	WindowHasExp uint32 = 1 << 0
	WindowHasNbf uint32 = 1 << 1
	WindowHasIat uint32 = 1 << 2
	windowBits          = WindowHasExp | WindowHasNbf | WindowHasIat
)

// Window is core.TimeWindow on the wire: the token's exp, nbf and iat as
// the core read them (Unix seconds, float64: the very values its checks
// compare, so that a host's cache answers to the boundary instant as the
// guest would) and the integration's clock skew and max_age in
// nanoseconds. The encoding, little-endian, WindowBytes long:
//
//	offset 0  u32 flags (WindowHas*), 4 u32 reserved (0),
//	8 f64 exp, 16 f64 nbf, 24 f64 iat, 32 i64 skew_ns, 40 i64 max_age_ns
//
// A claim's value is 0 when its flag is clear.
type Window struct {
	Exp, Nbf, Iat          float64
	HasExp, HasNbf, HasIat bool
	Skew, MaxAge           int64
}

// Encode returns the window's WindowBytes bytes.
func (w Window) Encode() []byte {
	b := make([]byte, WindowBytes)
	flags := bit(w.HasExp, WindowHasExp) | bit(w.HasNbf, WindowHasNbf) | bit(w.HasIat, WindowHasIat)
	binary.LittleEndian.PutUint32(b[0:], flags)
	binary.LittleEndian.PutUint64(b[8:], math.Float64bits(w.Exp))
	binary.LittleEndian.PutUint64(b[16:], math.Float64bits(w.Nbf))
	binary.LittleEndian.PutUint64(b[24:], math.Float64bits(w.Iat))
	binary.LittleEndian.PutUint64(b[32:], uint64(w.Skew))
	binary.LittleEndian.PutUint64(b[40:], uint64(w.MaxAge))
	return b
}

// DecodeWindow reads an encoded window. It refuses anything but exactly
// the encoding: another length, unknown flag bits, a non-zero reserved
// word, a claim that is not finite or is set without its flag, a negative
// skew or max_age. A host treats a refused window as none (the decision
// is not cached), never as a guess.
func DecodeWindow(b []byte) (Window, error) {
	if len(b) != WindowBytes {
		return Window{}, errors.New("a window is 48 bytes")
	}
	flags := binary.LittleEndian.Uint32(b[0:])
	if flags&^windowBits != 0 || binary.LittleEndian.Uint32(b[4:]) != 0 {
		return Window{}, errors.New("unknown bits in a window's flags")
	}
	f := func(off int) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b[off:])) }
	w := Window{
		Exp: f(8), Nbf: f(16), Iat: f(24),
		HasExp: flags&WindowHasExp != 0, HasNbf: flags&WindowHasNbf != 0, HasIat: flags&WindowHasIat != 0,
		Skew: int64(binary.LittleEndian.Uint64(b[32:])), MaxAge: int64(binary.LittleEndian.Uint64(b[40:])),
	}
	for _, c := range []struct {
		v   float64
		has bool
	}{{w.Exp, w.HasExp}, {w.Nbf, w.HasNbf}, {w.Iat, w.HasIat}} {
		if math.IsNaN(c.v) || math.IsInf(c.v, 0) || (!c.has && c.v != 0) {
			return Window{}, errors.New("a window's claim is not a finite time, or set without its flag")
		}
	}
	if w.Skew < 0 || w.MaxAge < 0 {
		return Window{}, errors.New("a window's skew and max_age must not be negative")
	}
	return w, nil
}

func bit(set bool, b uint32) uint32 {
	if set {
		return b
	}
	return 0
}
