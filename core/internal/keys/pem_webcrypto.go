//go:build jwtgate_webcrypto

package keys

import "errors"

// ParsePEM reads no PEM in this build (the browser module's), which links
// no crypto/x509: its policies are bundles, whose keys are JWKs, and
// core.ParseBundle refuses a PEM key before it gets here.
func ParsePEM([]byte) ([]any, error) {
	return nil, errors.New("this build of jwtgate reads no PEM keys; use a JWK")
}
