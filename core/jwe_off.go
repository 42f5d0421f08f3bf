//go:build jwtgate_nojwe

package core

import (
	"context"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
)

// A build with the tag jwtgate_nojwe decrypts no JWE and reads no
// decryption keys: the browser module's, where a decryption key would be
// public (it refuses them at load anyway, with PublicKeysOnly), so that
// go-jose's JWE code is not linked. Everything before the decryption (the
// JWE's header, its integration, its admission) is the same code as in
// every build, so a JWE gets the same decision as natively from a policy
// without decryption keys; with one it never gets this far (see open).

// open is never reached in this build: no integration has decryption
// keys, so none admits a JWE.
func (v *Verifier) open(context.Context, *run, *Request, *jwe, *integration, *int) (claimsInput, *verdict, bool) {
	return claimsInput{}, fail(CodeInvalidToken, "decryption", "this build of jwtgate decrypts no tokens"), true
}

// addDecryptionKeys refuses every decryption_keys entry.
func (in *integration) addDecryptionKeys(_ *keyConfig, field string, _ LoadOptions, _ []jose.KeyAlgorithm, _ map[jose.KeyAlgorithm]bool) error {
	return fieldErr(field, "this build of jwtgate reads no decryption keys (it decrypts no tokens)")
}
