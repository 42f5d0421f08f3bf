package core

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// KeyInfo is what jwtgate makes of one key of a published set.
type KeyInfo struct {
	KeyID, Type, Algorithm, Use string // the JWK's kid, kty, alg and use
	Size                        string // such as "RSA-2048 public key"
	// Verifies are the signature algorithms the key would verify, of
	// those asked about; empty when the key is skipped.
	Verifies []string
	// Skipped says why a jwks_url integration would not use the key.
	Skipped string
	// Secret reports a shared secret (kty oct): published at a URL, it
	// lets anyone who fetches it mint tokens.
	Secret bool
}

// InspectKeySet says, key by key, what a jwks_url integration accepting
// algorithms would do with set. With none given, every algorithm jwtgate
// verifies is asked about one family at a time (an integration lists one
// family for a key without "alg"; a key fitting RS256 and PS256 alike is
// not an error there).
func InspectKeySet(set *KeySet, algorithms []string) []KeyInfo {
	lists := familyLists()
	if len(algorithms) > 0 {
		var allowed []jose.SignatureAlgorithm
		for _, a := range algorithms {
			if alg, ok := keys.ParseSignatureAlgorithm(a); ok {
				allowed = append(allowed, alg)
			}
		}
		lists = [][]jose.SignatureAlgorithm{allowed}
	}
	out := make([]KeyInfo, 0, len(set.keys))
	for _, k := range set.keys {
		out = append(out, inspectKey(k, lists))
	}
	return out
}

// familyLists are jwtgate's algorithms, a list per family.
func familyLists() [][]jose.SignatureAlgorithm {
	var out [][]jose.SignatureAlgorithm
	index := map[keys.Family]int{}
	for _, a := range keys.SignatureAlgorithms {
		f := keys.FamilyOf(a)
		if _, ok := index[f]; !ok {
			index[f] = len(out)
			out = append(out, nil)
		}
		out[index[f]] = append(out[index[f]], a)
	}
	return out
}

// inspectKey binds k to each list in turn: the algorithms it verifies,
// or the reason of the first list that refused it.
func inspectKey(k jose.JSONWebKey, lists [][]jose.SignatureAlgorithm) KeyInfo {
	info := KeyInfo{KeyID: k.KeyID, Algorithm: k.Algorithm, Use: k.Use, Size: keys.Describe(k.Key), Type: ktyOf(k)}
	_, info.Secret = k.Key.([]byte)
	for _, allowed := range lists {
		bound, skipped, _ := keys.VerificationKeysFromJWKS([]jose.JSONWebKey{k}, allowed, "jwks_url", true)
		switch {
		case len(bound) == 1:
			for _, a := range bound[0].Algorithms {
				info.Verifies = append(info.Verifies, string(a))
			}
		case len(skipped) == 1 && info.Skipped == "":
			_, info.Skipped, _ = strings.Cut(skipped[0], ": ") // after "jwks_url key 0"
		}
	}
	if len(info.Verifies) > 0 {
		info.Skipped = ""
	}
	return info
}

// ktyOf is the JWK key type of parsed key material.
func ktyOf(k jose.JSONWebKey) string {
	switch k.Key.(type) {
	case []byte:
		return "oct"
	case *rsa.PublicKey, *rsa.PrivateKey:
		return "RSA"
	case *ecdsa.PublicKey, *ecdsa.PrivateKey:
		return "EC"
	case ed25519.PublicKey, ed25519.PrivateKey:
		return "OKP"
	}
	return "unknown"
}
