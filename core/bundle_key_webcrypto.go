//go:build jwtgate_webcrypto

package core

import "errors"

// bundleKey: the browser module's build (which links neither crypto/x509,
// go-jose, yaml.v3 nor encoding/json's encoder) builds no bundles, it
// loads them; native builds write each key entry as a JWK set
// (bundle_key.go).
func bundleKey(m map[string]any) (map[string]any, error) {
	if m["pem"] == nil && m["secret"] == nil && m["jwks"] == nil {
		return nil, nil
	}
	return nil, errors.New("this build of jwtgate builds no bundles")
}
