package keygen

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerateEveryAlgorithm(t *testing.T) {
	for _, alg := range Algorithms() {
		key, err := Generate(alg, MinRSABits)
		require.NoError(t, err, alg)
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: key}, nil)
		require.NoError(t, err, "%s: the key signs with its algorithm", alg)
		_, err = signer.Sign([]byte("{}"))
		require.NoError(t, err, alg)
		switch k := key.(type) {
		case []byte:
			assert.Len(t, k, hmacBytes[alg], alg)
		case *rsa.PrivateKey:
			assert.Equal(t, MinRSABits, k.N.BitLen(), alg)
		case *ecdsa.PrivateKey, ed25519.PrivateKey:
		default:
			t.Fatalf("%s: unexpected key type %T", alg, key)
		}
	}
}

func TestGenerateRefuses(t *testing.T) {
	_, err := Generate("none", 0)
	require.ErrorIs(t, err, ErrUnsupported)
	assert.Contains(t, err.Error(), `"none"`)
	_, err = Generate("RS256", 1024)
	require.ErrorIs(t, err, ErrRSABits)
	_, err = Generate("PS512", MaxRSABits+1)
	require.ErrorIs(t, err, ErrRSABits)
}

func TestAlgorithmsIsACopy(t *testing.T) {
	a := Algorithms()
	a[0] = "changed"
	assert.Equal(t, "HS256", Algorithms()[0])
}
