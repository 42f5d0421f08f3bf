//go:build jwtgate_webcrypto

package joseid

import (
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// TestNamesAreGoJoses: the tagged build's constants have go-jose's values.
func TestNamesAreGoJoses(t *testing.T) {
	for _, c := range []struct{ own, jose string }{
		{string(HS256), string(jose.HS256)},
		{string(HS384), string(jose.HS384)},
		{string(HS512), string(jose.HS512)},
		{string(RS256), string(jose.RS256)},
		{string(RS384), string(jose.RS384)},
		{string(RS512), string(jose.RS512)},
		{string(PS256), string(jose.PS256)},
		{string(PS384), string(jose.PS384)},
		{string(PS512), string(jose.PS512)},
		{string(ES256), string(jose.ES256)},
		{string(ES384), string(jose.ES384)},
		{string(ES512), string(jose.ES512)},
		{string(EdDSA), string(jose.EdDSA)},
		{string(RSA1_5), string(jose.RSA1_5)},
		{string(RSA_OAEP), string(jose.RSA_OAEP)},
		{string(RSA_OAEP_256), string(jose.RSA_OAEP_256)},
		{string(ECDH_ES), string(jose.ECDH_ES)},
		{string(ECDH_ES_A128KW), string(jose.ECDH_ES_A128KW)},
		{string(ECDH_ES_A192KW), string(jose.ECDH_ES_A192KW)},
		{string(ECDH_ES_A256KW), string(jose.ECDH_ES_A256KW)},
		{string(A128KW), string(jose.A128KW)},
		{string(A192KW), string(jose.A192KW)},
		{string(A256KW), string(jose.A256KW)},
		{string(DIRECT), string(jose.DIRECT)},
		{string(PBES2_HS256_A128KW), string(jose.PBES2_HS256_A128KW)},
		{string(PBES2_HS384_A192KW), string(jose.PBES2_HS384_A192KW)},
		{string(PBES2_HS512_A256KW), string(jose.PBES2_HS512_A256KW)},
		{string(A128CBC_HS256), string(jose.A128CBC_HS256)},
		{string(A192CBC_HS384), string(jose.A192CBC_HS384)},
		{string(A256CBC_HS512), string(jose.A256CBC_HS512)},
		{string(A128GCM), string(jose.A128GCM)},
		{string(A192GCM), string(jose.A192GCM)},
		{string(A256GCM), string(jose.A256GCM)},
	} {
		if c.own != c.jose {
			t.Errorf("%q, go-jose says %q", c.own, c.jose)
		}
	}
}
