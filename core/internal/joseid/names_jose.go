//go:build !jwtgate_webcrypto

// Package joseid names the JOSE algorithms the core reads from tokens and
// policies. In every build but the browser module's its types and
// constants are go-jose's own (aliases: the same types, so nothing
// changes); with the tag jwtgate_webcrypto they are declared here, so that
// the browser module, which decrypts nothing and leaves signatures to
// WebCrypto, does not import go-jose, whose imports (crypto/rsa,
// crypto/ecdsa, crypto/x509, ...) would link their arithmetic through
// their package initialisers.
package joseid

import jose "github.com/go-jose/go-jose/v4"

// The types, go-jose's.
type (
	SignatureAlgorithm = jose.SignatureAlgorithm
	KeyAlgorithm       = jose.KeyAlgorithm
	ContentEncryption  = jose.ContentEncryption
)

// The algorithms, go-jose's.
const (
	HS256              = jose.HS256
	HS384              = jose.HS384
	HS512              = jose.HS512
	RS256              = jose.RS256
	RS384              = jose.RS384
	RS512              = jose.RS512
	PS256              = jose.PS256
	PS384              = jose.PS384
	PS512              = jose.PS512
	ES256              = jose.ES256
	ES384              = jose.ES384
	ES512              = jose.ES512
	EdDSA              = jose.EdDSA
	RSA1_5             = jose.RSA1_5
	RSA_OAEP           = jose.RSA_OAEP
	RSA_OAEP_256       = jose.RSA_OAEP_256
	ECDH_ES            = jose.ECDH_ES
	ECDH_ES_A128KW     = jose.ECDH_ES_A128KW
	ECDH_ES_A192KW     = jose.ECDH_ES_A192KW
	ECDH_ES_A256KW     = jose.ECDH_ES_A256KW
	A128KW             = jose.A128KW
	A192KW             = jose.A192KW
	A256KW             = jose.A256KW
	DIRECT             = jose.DIRECT
	PBES2_HS256_A128KW = jose.PBES2_HS256_A128KW
	PBES2_HS384_A192KW = jose.PBES2_HS384_A192KW
	PBES2_HS512_A256KW = jose.PBES2_HS512_A256KW
	A128CBC_HS256      = jose.A128CBC_HS256
	A192CBC_HS384      = jose.A192CBC_HS384
	A256CBC_HS512      = jose.A256CBC_HS512
	A128GCM            = jose.A128GCM
	A192GCM            = jose.A192GCM
	A256GCM            = jose.A256GCM
)
