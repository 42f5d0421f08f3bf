//go:build jwtgate_webcrypto

package joseid

// The types, as go-jose declares them.
type (
	SignatureAlgorithm string
	KeyAlgorithm       string
	ContentEncryption  string
)

// The algorithms, with go-jose's names and values (names_test.go).
const (
	HS256              = SignatureAlgorithm("HS256")
	HS384              = SignatureAlgorithm("HS384")
	HS512              = SignatureAlgorithm("HS512")
	RS256              = SignatureAlgorithm("RS256")
	RS384              = SignatureAlgorithm("RS384")
	RS512              = SignatureAlgorithm("RS512")
	PS256              = SignatureAlgorithm("PS256")
	PS384              = SignatureAlgorithm("PS384")
	PS512              = SignatureAlgorithm("PS512")
	ES256              = SignatureAlgorithm("ES256")
	ES384              = SignatureAlgorithm("ES384")
	ES512              = SignatureAlgorithm("ES512")
	EdDSA              = SignatureAlgorithm("EdDSA")
	RSA1_5             = KeyAlgorithm("RSA1_5")
	RSA_OAEP           = KeyAlgorithm("RSA-OAEP")
	RSA_OAEP_256       = KeyAlgorithm("RSA-OAEP-256")
	ECDH_ES            = KeyAlgorithm("ECDH-ES")
	ECDH_ES_A128KW     = KeyAlgorithm("ECDH-ES+A128KW")
	ECDH_ES_A192KW     = KeyAlgorithm("ECDH-ES+A192KW")
	ECDH_ES_A256KW     = KeyAlgorithm("ECDH-ES+A256KW")
	A128KW             = KeyAlgorithm("A128KW")
	A192KW             = KeyAlgorithm("A192KW")
	A256KW             = KeyAlgorithm("A256KW")
	DIRECT             = KeyAlgorithm("dir")
	PBES2_HS256_A128KW = KeyAlgorithm("PBES2-HS256+A128KW")
	PBES2_HS384_A192KW = KeyAlgorithm("PBES2-HS384+A192KW")
	PBES2_HS512_A256KW = KeyAlgorithm("PBES2-HS512+A256KW")
	A128CBC_HS256      = ContentEncryption("A128CBC-HS256")
	A192CBC_HS384      = ContentEncryption("A192CBC-HS384")
	A256CBC_HS512      = ContentEncryption("A256CBC-HS512")
	A128GCM            = ContentEncryption("A128GCM")
	A192GCM            = ContentEncryption("A192GCM")
	A256GCM            = ContentEncryption("A256GCM")
)
