package proxywasm

import (
	"encoding/binary"
	"errors"
)

// SerializeMap encodes header pairs as the ABI's serialized map: the
// number of pairs, each pair's key and value sizes, then each key and value
// followed by a NUL.
func SerializeMap(pairs [][2]string) []byte {
	size := 4
	for _, p := range pairs {
		size += 8 + len(p[0]) + len(p[1]) + 2
	}
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b, uint32(len(pairs)))
	off := 4
	for _, p := range pairs {
		binary.LittleEndian.PutUint32(b[off:], uint32(len(p[0])))
		binary.LittleEndian.PutUint32(b[off+4:], uint32(len(p[1])))
		off += 8
	}
	for _, p := range pairs {
		off += copy(b[off:], p[0]) + 1
		off += copy(b[off:], p[1]) + 1
	}
	return b
}

// DeserializeMap decodes a serialized map. An empty input, or a single
// zero byte, is the empty map.
func DeserializeMap(b []byte) ([][2]string, error) {
	if len(b) == 0 || (len(b) == 1 && b[0] == 0) {
		return nil, nil
	}
	bad := errors.New("proxy-wasm: malformed serialized map")
	if len(b) < 4 {
		return nil, bad
	}
	n := uint64(binary.LittleEndian.Uint32(b))
	if 4+8*n > uint64(len(b)) {
		return nil, bad
	}
	out := make([][2]string, n)
	data := 4 + 8*n
	for i := uint64(0); i < n; i++ {
		ks := uint64(binary.LittleEndian.Uint32(b[4+8*i:]))
		vs := uint64(binary.LittleEndian.Uint32(b[8+8*i:]))
		if data+ks+1+vs+1 > uint64(len(b)) {
			return nil, bad
		}
		out[i][0] = string(b[data : data+ks])
		data += ks + 1
		out[i][1] = string(b[data : data+vs])
		data += vs + 1
	}
	return out, nil
}
