//go:build !jwtgate_webcrypto

package main

// moduleChecksSignatures: without the tag jwtgate_webcrypto the module
// links the standard library's crypto and checks signatures itself when
// it is given no SignatureChecker (the native tests, engine_test.go).
const moduleChecksSignatures = true
