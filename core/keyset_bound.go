package core

import (
	"slices"
	"sync"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
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

type bindingKey struct{ url, algs string }

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
func (s *KeySet) bound(url, algs string, allowed []jose.SignatureAlgorithm) *binding {
	k := bindingKey{url, algs}
	s.bind.mu.Lock()
	b := s.bind.m[k]
	s.bind.mu.Unlock()
	if b != nil {
		return b
	}
	ks, skipped := bindFetched(s.keys, allowed, "jwks_url "+url)
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

// fetchedSecretReason is why a fetched set's shared secret is skipped.
const fetchedSecretReason = "a shared secret published at a URL: anyone who can fetch it can mint tokens; never used"

// bindFetched binds the keys of a set fetched from a URL, skipping what
// does not fit (another consumer's keys) and every shared secret: a key
// set at a URL is public, whatever the policy says.
func bindFetched(set []keys.JWK, allowed []jose.SignatureAlgorithm, source string) ([]keys.VerificationKey, []string) {
	ks, skipped, _ := keys.VerificationKeysFromJWKS(set, allowed, source, true)
	ks = slices.DeleteFunc(ks, func(k keys.VerificationKey) bool {
		_, secret := k.Material.([]byte)
		if secret {
			skipped = append(skipped, k.Source+": "+fetchedSecretReason)
		}
		return secret
	})
	return ks, skipped
}
