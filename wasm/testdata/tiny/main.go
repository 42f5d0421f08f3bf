// Command tiny is the smallest wasm module: wasm.Build tests build it.
package main

func main() {}
