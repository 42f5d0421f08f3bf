//go:build !jwtgate_webcrypto

package core

import (
	"encoding/json"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// bundleKey returns a keys entry as {jwks: {keys: [...]}}, or nil for an
// entry kept as it is (jwks_url).
func bundleKey(m map[string]any) (map[string]any, error) {
	kid, _ := m["kid"].(string)
	alg, _ := m["algorithm"].(string)
	var set []jose.JSONWebKey
	switch {
	case m["pem"] != nil:
		pem, _ := m["pem"].(string)
		list, err := keys.ParsePEM([]byte(pem))
		if err != nil {
			return nil, err
		}
		for _, material := range list {
			set = append(set, jose.JSONWebKey{Key: material, KeyID: kid, Algorithm: alg})
		}
	case m["secret"] != nil:
		secret, _ := m["secret"].(string)
		set = []jose.JSONWebKey{{Key: []byte(secret), KeyID: kid, Algorithm: alg}}
	case m["jwks"] != nil:
		return jwksObject(m)
	default:
		return nil, nil
	}
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: set})
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	return map[string]any{"jwks": doc}, nil
}

// jwksObject writes an inline jwks given as a string of JSON as the object
// it holds, keeping the entry's other fields (algorithm).
func jwksObject(m map[string]any) (map[string]any, error) {
	s, ok := m["jwks"].(string)
	if !ok {
		return m, nil
	}
	var doc any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return nil, err
	}
	m["jwks"] = doc
	return m, nil
}
