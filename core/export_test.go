package core

import "testing"

// SigDiff exposes the lean-versus-go-jose signature comparison to the
// external tests, which alone may import internal/testcorpus (it imports
// core).
func SigDiff(t testing.TB, v *Verifier, tok string) bool { return sigDiffVerifier(t, v, tok) }
