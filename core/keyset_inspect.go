package core

import (
	"slices"
	"strings"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
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
// algorithms would do with set. With none given, each algorithm jwtgate
// verifies that fits the key's type is asked about on its own (an
// integration's list may hold any of them).
func InspectKeySet(set *KeySet, algorithms []string) []KeyInfo {
	var lists [][]jose.SignatureAlgorithm
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
		l := lists
		if l == nil {
			l = algorithmsFor(k)
		}
		out = append(out, inspectKey(k, l))
	}
	return out
}

// algorithmsFor is a list per algorithm of the families k's type serves.
func algorithmsFor(k keys.JWK) [][]jose.SignatureAlgorithm {
	families := map[string][]keys.Family{
		"oct": {keys.FamilyHMAC}, "RSA": {keys.FamilyRSA, keys.FamilyRSAPSS}, "EC": {keys.FamilyECDSA}, "OKP": {keys.FamilyEdDSA},
	}[k.Type]
	var out [][]jose.SignatureAlgorithm
	for _, a := range keys.SignatureAlgorithms {
		if slices.Contains(families, keys.FamilyOf(a)) {
			out = append(out, []jose.SignatureAlgorithm{a})
		}
	}
	return out
}

// inspectKey binds k to each list in turn: the algorithms it verifies,
// or, when none, the reason the first list gave.
func inspectKey(k keys.JWK, lists [][]jose.SignatureAlgorithm) KeyInfo {
	info := KeyInfo{KeyID: k.KeyID, Algorithm: k.Algorithm, Use: k.Use, Size: describeJWK(k), Type: k.Type}
	_, info.Secret = k.Key.([]byte)
	reason := "no algorithm jwtgate verifies fits it"
	if k.Unsupported != "" {
		reason = k.Unsupported
	}
	for i, allowed := range lists {
		bound, skipped := bindFetched([]keys.JWK{k}, allowed, "jwks_url")
		switch {
		case len(bound) == 1:
			for _, a := range bound[0].Algorithms {
				info.Verifies = append(info.Verifies, string(a))
			}
		case len(skipped) == 1 && i == 0:
			_, reason, _ = strings.Cut(skipped[0], ": ") // after "jwks_url key 0"
		}
	}
	if len(info.Verifies) == 0 {
		info.Skipped = reason
	}
	return info
}

// describeJWK names a published key for jwks check: its kind and size.
func describeJWK(k keys.JWK) string {
	switch {
	case k.Key == nil:
		return k.Type + " key"
	case k.Private:
		return strings.Replace(keys.Describe(k.Key), "public key", "private key", 1)
	}
	return keys.Describe(k.Key)
}
