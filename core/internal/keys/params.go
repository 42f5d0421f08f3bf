package keys

import (
	"encoding/hex"
	"math/bits"
)

// Checks of public key parameters on their bytes, without math/big or the
// curves' arithmetic: what the build that leaves signatures to WebCrypto
// (jwtgate_webcrypto, the browser module) checks at load, so that it
// refuses exactly the keys the native reader refuses. Each is held to the
// standard library's answer by params_test.go.

// rsaModulusBits is the bit length of a big-endian unsigned integer, as
// big.Int's BitLen of it.
func rsaModulusBits(n []byte) int {
	n = trimZeros(n)
	if len(n) == 0 {
		return 0
	}
	return 8*(len(n)-1) + bits.Len8(n[0])
}

// rsaExponent is the public exponent e (big-endian) as an int, and false
// when it is below 2 or above what an int64 holds: the native reader's
// "bad e".
func rsaExponent(e []byte) (int, bool) {
	e = trimZeros(e)
	if len(e) > 8 || len(e) == 8 && e[0]&0x80 != 0 {
		return 0, false
	}
	var v uint64
	for _, b := range e {
		v = v<<8 | uint64(b)
	}
	if v < 2 || v > uint64(int(^uint(0)>>1)) {
		return 0, false
	}
	return int(v), true
}

func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// nistCurve is a short Weierstrass curve y² = x³ − 3x + b over GF(p).
type nistCurve struct {
	name string
	size int // bytes of a coordinate
	p, b []uint64
}

var nistCurves = []nistCurve{
	newNISTCurve("P-256", 32, "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
		"5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b"),
	newNISTCurve("P-384", 48, "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
		"b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef"),
	newNISTCurve("P-521", 66, "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		"0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00"),
}

func newNISTCurve(name string, size int, p, b string) nistCurve {
	pb, _ := hex.DecodeString(p)
	bb, _ := hex.DecodeString(b)
	return nistCurve{name: name, size: size, p: limbs(pb, size), b: limbs(bb, size)}
}

// curveByName is the curve of a JWK's crv, or nil.
func curveByName(crv string) *nistCurve {
	for i := range nistCurves {
		if nistCurves[i].name == crv {
			return &nistCurves[i]
		}
	}
	return nil
}

// onCurve reports what crypto/elliptic's IsOnCurve reports for the point
// of these big-endian coordinates, each exactly c.size bytes: false for
// (0, 0), for a coordinate not below p, and for a point off the curve.
func (c *nistCurve) onCurve(xb, yb []byte) bool {
	x, y := limbs(xb, c.size), limbs(yb, c.size)
	if isZero(x) && isZero(y) || cmpLimbs(x, c.p) >= 0 || cmpLimbs(y, c.p) >= 0 {
		return false
	}
	rhs := c.mulMod(c.mulMod(x, x), x)
	for range 3 {
		rhs = c.subMod(rhs, x)
	}
	rhs = c.addMod(rhs, c.b)
	return cmpLimbs(c.mulMod(y, y), rhs) == 0
}

// limbs reads a big-endian integer of at most size bytes into
// little-endian 64-bit limbs, as many as size needs.
func limbs(be []byte, size int) []uint64 {
	out := make([]uint64, (size+7)/8)
	for i, b := range be {
		bit := 8 * (len(be) - 1 - i)
		out[bit/64] |= uint64(b) << (bit % 64)
	}
	return out
}

func isZero(a []uint64) bool {
	for _, w := range a {
		if w != 0 {
			return false
		}
	}
	return true
}

// cmpLimbs compares a and b, of the same length.
func cmpLimbs(a, b []uint64) int {
	for i := len(a) - 1; i >= 0; i-- {
		switch {
		case a[i] < b[i]:
			return -1
		case a[i] > b[i]:
			return 1
		}
	}
	return 0
}

// subLimbs sets a = a − b (same length) and returns the borrow.
func subLimbs(a, b []uint64) uint64 {
	var borrow uint64
	for i := range a {
		a[i], borrow = bits.Sub64(a[i], b[i], borrow)
	}
	return borrow
}

// addMod is a + b mod p, for a and b below p.
func (c *nistCurve) addMod(a, b []uint64) []uint64 {
	r := make([]uint64, len(a)+1)
	var carry uint64
	for i := range a {
		r[i], carry = bits.Add64(a[i], b[i], carry)
	}
	r[len(a)] = carry
	return c.reduce(r)
}

// subMod is a − b mod p, for a and b below p.
func (c *nistCurve) subMod(a, b []uint64) []uint64 {
	r := append([]uint64{}, a...)
	if subLimbs(r, b) != 0 {
		var carry uint64
		for i := range r {
			r[i], carry = bits.Add64(r[i], c.p[i], carry)
		}
	}
	return r
}

// mulMod is a·b mod p.
func (c *nistCurve) mulMod(a, b []uint64) []uint64 {
	prod := make([]uint64, 2*len(a))
	for i, ai := range a {
		var carry uint64
		for j, bj := range b {
			hi, lo := bits.Mul64(ai, bj)
			var cc uint64
			lo, cc = bits.Add64(lo, prod[i+j], 0)
			hi += cc
			lo, cc = bits.Add64(lo, carry, 0)
			hi += cc
			prod[i+j], carry = lo, hi
		}
		prod[i+len(b)] = carry
	}
	return c.reduce(prod)
}

// reduce is a mod p, one bit at a time from the top: slow, but it runs a
// few times per key at load, never per token.
func (c *nistCurve) reduce(a []uint64) []uint64 {
	n := len(c.p)
	r := make([]uint64, n+1)
	p := append(append([]uint64{}, c.p...), 0)
	for i := 64*len(a) - 1; i >= 0; i-- {
		for j := n; j > 0; j-- {
			r[j] = r[j]<<1 | r[j-1]>>63
		}
		r[0] = r[0]<<1 | a[i/64]>>(i%64)&1
		if cmpLimbs(r, p) >= 0 {
			subLimbs(r, p)
		}
	}
	return r[:n]
}

// ed25519SmallOrder lists the encodings of y (big-endian, the sign bit
// cleared) of Ed25519's points of small order: 0, 1, p − 1, the y of the
// points of order 8 and p minus it, and the non-canonical p and p + 1
// (which are 0 and 1).
var ed25519SmallOrder = func() [][]byte {
	var out [][]byte
	for _, h := range []string{
		"00", "01",
		"7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffec",
		"05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826",
		"7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7",
		"7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed",
		"7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffee",
	} {
		b, _ := hex.DecodeString(h)
		out = append(out, trimZeros(b))
	}
	return out
}()

// smallOrderEd25519 is lowOrderEd25519 on the bytes: x is the 32-byte
// little-endian encoding of y with x's sign in its top bit.
func smallOrderEd25519(x []byte) bool {
	be := make([]byte, len(x))
	for i, b := range x {
		be[len(x)-1-i] = b
	}
	be[0] &= 0x7f
	y := trimZeros(be)
	for _, s := range ed25519SmallOrder {
		if string(y) == string(s) {
			return true
		}
	}
	return false
}
