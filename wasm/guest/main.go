// Command guest is jwtgate's policy plugin: the core compiled to a WASI
// reactor module (GOOS=wasip1 GOARCH=wasm, -buildmode=c-shared) that a host
// such as package host drives through the ABI written down in ../ABI.md.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o build/jwtgate.wasm ./wasm/guest
//
// The exports and imports live in abi_wasip1.go; engine.go holds the logic,
// which also compiles natively so that `go vet ./...` checks it.
package main

// main is not run: a reactor module is initialised by _initialize and then
// called through its exports.
func main() {}
