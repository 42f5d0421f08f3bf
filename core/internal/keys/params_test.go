//go:build !jwtgate_webcrypto

package keys

import (
	"crypto/elliptic"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The byte-level checks of params.go, which the browser module's build
// makes at load, against the standard library's answers, which every
// other build gets.

func TestNISTCurvesAreTheStandardLibrarys(t *testing.T) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		p := c.Params()
		own := curveByName(p.Name)
		require.NotNil(t, own, p.Name)
		assert.Equal(t, limbs(p.P.Bytes(), own.size), own.p, "%s: p", p.Name)
		assert.Equal(t, limbs(p.B.Bytes(), own.size), own.b, "%s: b", p.Name)
		assert.Equal(t, (p.BitSize+7)/8, own.size, "%s: size", p.Name)
	}
	assert.Nil(t, curveByName("P-224"))
}

func TestEd25519SmallOrderList(t *testing.T) {
	one := big.NewInt(1)
	want := []*big.Int{big.NewInt(0), one, new(big.Int).Sub(ed25519P, one), ed25519Ord8,
		new(big.Int).Sub(ed25519P, ed25519Ord8), ed25519P, new(big.Int).Add(ed25519P, one)}
	require.Len(t, ed25519SmallOrder, len(want))
	for i, w := range want {
		assert.Equal(t, w.Bytes(), ed25519SmallOrder[i], "entry %d", i)
	}
}

// onCurveSeeds are points on each curve, their neighbours, and the
// coordinates at and past p: each a (curve, x, y) as FuzzOnCurve takes it.
func onCurveSeeds() [][3][]byte {
	var out [][3][]byte
	for i, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		p := c.Params()
		size := (p.BitSize + 7) / 8
		fill := func(n *big.Int) []byte {
			if n.Sign() < 0 || n.BitLen() > 8*size {
				n = new(big.Int)
			}
			return n.FillBytes(make([]byte, size))
		}
		one := big.NewInt(1)
		for _, k := range []int64{1, 2, 3, 1 << 40} {
			x, y := c.ScalarBaseMult(big.NewInt(k).Bytes())
			for _, pt := range [][2]*big.Int{
				{x, y}, {x, new(big.Int).Add(y, one)}, {x, new(big.Int).Sub(p.P, y)},
				{new(big.Int).Add(x, p.P), y}, {x, new(big.Int).Add(y, p.P)},
			} {
				out = append(out, [3][]byte{{byte(i)}, fill(pt[0]), fill(pt[1])})
			}
		}
		for _, pt := range [][2]*big.Int{
			{new(big.Int), new(big.Int)}, {p.P, p.P}, {new(big.Int), p.B}, {new(big.Int).Sub(p.P, one), one},
			{p.Gx, p.Gy}, {new(big.Int).Lsh(one, uint(8*size)-1), one},
		} {
			out = append(out, [3][]byte{{byte(i)}, fill(pt[0]), fill(pt[1])})
		}
	}
	return out
}

func TestOnCurveSeeds(t *testing.T) {
	on := 0
	for _, s := range onCurveSeeds() {
		if checkOnCurve(t, s[0], s[1], s[2]) {
			on++
		}
	}
	assert.Greater(t, on, 10, "the seeds have too few points on a curve")
}

func FuzzOnCurve(f *testing.F) {
	for _, s := range onCurveSeeds() {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, which, x, y []byte) { checkOnCurve(t, which, x, y) })
}

// checkOnCurve requires onCurve's answer to be IsOnCurve's, for
// coordinates of the curve's size (ecJWK refuses any other).
func checkOnCurve(t *testing.T, which, x, y []byte) bool {
	curves := []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()}
	if len(which) == 0 {
		return false
	}
	c := curves[int(which[0])%len(curves)]
	own := curveByName(c.Params().Name)
	if len(x) != own.size || len(y) != own.size {
		return false
	}
	want := c.IsOnCurve(new(big.Int).SetBytes(x), new(big.Int).SetBytes(y))
	require.Equal(t, want, own.onCurve(x, y), "%s (%x, %x)", c.Params().Name, x, y)
	return want
}

func FuzzSmallOrderEd25519(f *testing.F) {
	for _, s := range ed25519SmallOrder {
		le := make([]byte, 32)
		for i, b := range s {
			le[len(s)-1-i] = b
		}
		f.Add(le)
		hi := append([]byte{}, le...)
		hi[31] |= 0x80
		f.Add(hi)
		near := append([]byte{}, le...)
		near[0] ^= 1
		f.Add(near)
	}
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, x []byte) {
		if len(x) != 32 {
			return
		}
		require.Equal(t, lowOrderEd25519(x), smallOrderEd25519(x), "%x", x)
	})
}

func FuzzRSAParams(f *testing.F) {
	f.Add([]byte{0, 0, 1}, []byte{1, 0, 1})
	f.Add([]byte{}, []byte{})
	f.Add([]byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0}, []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0xff}, []byte{0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1}, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 2})
	f.Add([]byte{1}, []byte{1})
	f.Fuzz(func(t *testing.T, n, e []byte) {
		require.Equal(t, new(big.Int).SetBytes(n).BitLen(), rsaModulusBits(n), "bits of %x", n)
		exp := new(big.Int).SetBytes(e)
		ok := exp.IsInt64() && exp.Int64() >= 2 && exp.Int64() <= int64(int(^uint(0)>>1))
		got, gotOK := rsaExponent(e)
		require.Equal(t, ok, gotOK, "e %x", e)
		if ok {
			require.Equal(t, int(exp.Int64()), got, "e %x", e)
		}
	})
}
