package core

import (
	"slices"
	"sync"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// A key set's keys bound to an integration's algorithms, kept with the
// set: binding (checking each JWK's strength and family, wording where it
// came from) cost more than the signature check, and a set is immutable
// once parsed, so it is done once per set and algorithm list instead of
// once per token.

// maxBindings bounds the bindings a set keeps: one per distinct
// (url, algorithm list) pair that uses it, a handful in any policy.
const maxBindings = 16

type bindingKey struct {
	url, algs  string
	publicOnly bool
}

type binding struct {
	keys    []keys.VerificationKey
	skipped []string
}

type bindings struct {
	mu sync.Mutex
	m  map[bindingKey]*binding
}

// bound returns the set's keys usable by allowed (algs names the list),
// published at url, and what was skipped and why.
func (s *KeySet) bound(url, algs string, allowed []jose.SignatureAlgorithm, publicOnly bool) *binding {
	k := bindingKey{url, algs, publicOnly}
	s.bind.mu.Lock()
	b := s.bind.m[k]
	s.bind.mu.Unlock()
	if b != nil {
		return b
	}
	ks, skipped, _ := keys.VerificationKeysFromJWKS(s.keys, allowed, "jwks_url "+url, true)
	if publicOnly {
		ks = slices.DeleteFunc(ks, func(k keys.VerificationKey) bool {
			_, secret := k.Material.([]byte)
			if secret {
				skipped = append(skipped, k.Source+": a shared secret, refused in a public-key-only policy")
			}
			return secret
		})
	}
	b = &binding{keys: ks, skipped: skipped}
	s.bind.mu.Lock()
	defer s.bind.mu.Unlock()
	if s.bind.m == nil {
		s.bind.m = map[bindingKey]*binding{}
	}
	if len(s.bind.m) < maxBindings {
		s.bind.m[k] = b
	}
	return b
}
