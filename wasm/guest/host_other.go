//go:build !wasip1

package main

// Outside wasip1 the module's imports do not exist; these stand-ins let the
// engine compile natively (for vet and tests of the portable code).

func replayClaim(id string, expSec int64, expNsec int32, nowSec int64, nowNsec int32, msg []byte) int32 {
	return -int32(copy(msg, "no host replay store outside wasm")) - 1
}

func hostLog(level int32, msg string) {}
