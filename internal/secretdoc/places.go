package secretdoc

import "strconv"

// A place is a member of a key entry that may hold a secret.
type place struct {
	path  string         // such as policy.keys[0].secret
	entry map[string]any // the key entry holding it
	name  string         // the member: secret, pem or jwks
	// always: the member is secret whatever it holds. Otherwise (a
	// verification key's jwks) only a set with a shared or private key is.
	always bool
}

// value returns what the place holds.
func (p place) value() any { return p.entry[p.name] }

// field is a member of a key entry that may be secret.
type field struct {
	name   string
	always bool
}

// keyLists are the policy's key lists and their members that may be
// secret, in the order Redact reports them.
var keyLists = []struct {
	list   string
	fields []field
}{
	{"keys", []field{{"secret", true}, {"jwks", false}}},
	{"decryption_keys", []field{{"secret", true}, {"pem", true}, {"jwks", true}}},
}

// places returns each place of doc that is set (and not null). A policy,
// list or entry of another type than the loader's has none: the loader
// refuses it, and no value of it is a key.
func places(doc map[string]any) []place {
	policy, _ := doc["policy"].(map[string]any)
	var out []place
	for _, kl := range keyLists {
		entries, _ := policy[kl.list].([]any)
		for i, e := range entries {
			entry, _ := e.(map[string]any)
			for _, f := range kl.fields {
				if entry[f.name] == nil {
					continue
				}
				path := "policy." + kl.list + "[" + strconv.Itoa(i) + "]." + f.name
				out = append(out, place{path: path, entry: entry, name: f.name, always: f.always})
			}
		}
	}
	return out
}

// privateMembers are the JWK members of a shared secret (k) or a private
// key (RFC 7518 section 6).
var privateMembers = []string{"k", "d", "p", "q", "dp", "dq", "qi"}

// isSecret reports whether the place's value is a secret.
func (p place) isSecret() bool {
	return p.always || holdsPrivate(p.value())
}

// holdsPrivate reports whether a jwks value holds a private member in any
// object at any depth: a single JWK, a {"keys": […]} set, or anything else
// (erring towards secret, as it is for a value the loader refuses anyway).
// A string is the set's JSON text; one that does not parse is taken as
// secret, for it may be a set with a secret and a typo.
func holdsPrivate(v any) bool {
	if s, ok := v.(string); ok {
		parsed, ok := decode([]byte(s))
		if !ok {
			return true
		}
		v = parsed
	}
	return anyPrivate(v)
}

// anyPrivate walks v for an object with a private member.
func anyPrivate(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for _, m := range privateMembers {
			if _, ok := v[m]; ok {
				return true
			}
		}
		for _, e := range v {
			if anyPrivate(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if anyPrivate(e) {
				return true
			}
		}
	}
	return false
}
