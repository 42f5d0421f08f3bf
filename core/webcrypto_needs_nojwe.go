//go:build jwtgate_webcrypto && !jwtgate_nojwe

package core

// The tag jwtgate_webcrypto (the browser module: no go-jose, no
// public-key arithmetic) decrypts nothing, so it needs jwtgate_nojwe too:
// the JWE decryption is go-jose's.
var _ = jwtgate_webcrypto_needs_the_tag_jwtgate_nojwe
