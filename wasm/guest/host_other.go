//go:build !wasip1

package main

import "github.com/jwtgate/jwtgate/wasm/abi"

// Outside wasip1 the module's imports do not exist; these stand-ins let the
// engine compile natively (for vet and tests of the portable code).

func replayClaim(id string, expSec int64, expNsec int32, nowSec int64, nowNsec int32, msg []byte) int32 {
	return abi.Failure(copy(msg, "no host replay store outside wasm"))
}

func keySetGet(url, kid string, buf []byte) int32 {
	return abi.Failure(copy(buf, "no host key source outside wasm"))
}

func hostLog(level abi.Level, msg string) {}

func sigCheck(alg string, jwk, input, sig []byte) int32 { return abi.SigError }
