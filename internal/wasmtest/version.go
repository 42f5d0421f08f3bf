package wasmtest

// VersionModule is a hand-assembled module whose jwtgate_abi_version
// returns version (and that has nothing else of the ABI): a
// module of another ABI version, for the tests of its refusal.
func VersionModule(version byte) []byte {
	name := "jwtgate_abi_version"
	b := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	b = append(b, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f) // type: () -> i32
	b = append(b, 0x03, 0x02, 0x01, 0x00)                   // function 0 of type 0
	b = append(b, 0x05, 0x03, 0x01, 0x00, 0x01)             // memory, min 1 page
	exports := []byte{0x02, byte(len(name))}
	exports = append(exports, name...)
	exports = append(exports, 0x00, 0x00, 0x06)
	exports = append(exports, "memory"...)
	exports = append(exports, 0x02, 0x00)
	b = append(b, 0x07, byte(len(exports)))
	b = append(b, exports...)
	b = append(b, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, version, 0x0b) // code: i32.const version
	return b
}
