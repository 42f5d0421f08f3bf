// Package jwttest holds the test helpers that make tokens, written once
// for every package's tests: fixed keys, JWS signing (deterministic, with
// the header and payload under the caller's control, attacks included),
// JWE encryption and claim sets), the benchmarks' tokens and policy
// (BenchCases, shared by the core's and internal/peerbench's benchmarks),
// and the log buffer tests read while a server writes.
//
// It imports no jwtgate package, so that the core's in-package tests can
// use it without an import cycle. Its functions panic on a misuse (a key
// type no algorithm takes): they serve tests and test data only.
package jwttest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"embed"
	"encoding/pem"
	"sync"
)

//go:embed keys/*.pem
var keyFiles embed.FS

// KeySet holds the fixed test keys.
type KeySet struct {
	// RSA and RSAOther are 2048-bit keys; RSAOther is the wrong key, the
	// attacker's.
	RSA, RSAOther *rsa.PrivateKey
	EC            *ecdsa.PrivateKey // P-256
	Ed25519       ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	theKeys  KeySet
)

// Keys returns the fixed test keys (keys/*.pem). They are public test
// data: never use them for anything else. Fixed keys keep the corpus
// deterministic and spare every test binary the RSA key generation.
func Keys() *KeySet {
	keysOnce.Do(func() {
		theKeys = KeySet{
			RSA: load("rsa.pem").(*rsa.PrivateKey), RSAOther: load("rsa-other.pem").(*rsa.PrivateKey),
			EC: load("ec.pem").(*ecdsa.PrivateKey), Ed25519: load("ed25519.pem").(ed25519.PrivateKey),
		}
	})
	return &theKeys
}

func load(name string) any {
	b, err := keyFiles.ReadFile("keys/" + name)
	if err != nil {
		panic(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		panic("jwttest: no PEM block in " + name)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		panic(err)
	}
	return k
}
