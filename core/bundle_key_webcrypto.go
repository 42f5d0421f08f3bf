//go:build jwtgate_webcrypto

package core

import "errors"

// bundleKey keeps a jwks entry as BuildBundle writes it natively
// (bundle_key.go); the browser module's build writes no PEM key or secret
// as a JWK (it links neither crypto/x509 nor go-jose), and builds no
// bundle anyway: it loads them.
func bundleKey(m map[string]any) (map[string]any, error) {
	switch {
	case m["pem"] != nil, m["secret"] != nil:
		return nil, errors.New("this build of jwtgate writes no PEM key or secret as a JWK")
	case m["jwks"] != nil:
		return jwksObject(m)
	}
	return nil, nil
}
