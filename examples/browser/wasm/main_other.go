//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main says how to build the module: the engine is built natively only to
// be tested.
func main() {
	fmt.Fprintln(os.Stderr, "build this command with GOOS=js GOARCH=wasm and load it with jwtgate.js (see docs/browser.md)")
	os.Exit(2)
}
