// Command clicache exists for its test, TestCompileModules, which compiles
// the plugin into the wazero cache entries that jwtgate --engine wasm and
// the CLI's tests read. wazero names its entries by its own version as the
// binary's build information gives it, and only programs and the test
// binaries of main packages carry their dependencies' versions (those the
// main package imports): the tests of library packages read "dev" entries,
// which ../TestCompileModules fills.
package main

import _ "github.com/tetratelabs/wazero" // its version, in the test binary's build information

func main() {}
