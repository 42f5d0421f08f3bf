package core

import (
	"fmt"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// The bound on decryptions holds for the token, not per integration: a
// JWE without an iss header is tried against every integration with
// decryption keys, and the eighth try is the last, whichever integration
// holds the key.
func TestJWEKeyTriesBoundAcrossIntegrations(t *testing.T) {
	vtKeys(t)
	wrong := func(n int, tag string) []string {
		var out []string
		for i := range n {
			out = append(out, vtSecretKey(fmt.Sprintf("wrong-%s-%d%s", tag, i, strings.Repeat("x", 16))[:16], "", "A128KW"))
		}
		return out
	}
	verifier := func(wrongInB int) *Verifier {
		a := vtIntegration{Name: "a", Issuer: vtIssA, Algs: "RS256", Keys: []string{vtJWK(t, rsaKey.Public(), "", "")},
			Extra: []string{"decryption_keys: [" + strings.Join(wrong(maxKeyTries-3, "a"), ", ") + "]"}}
		bKeys := append(wrong(wrongInB, "b"), vtSecretKey(vtKW128, "", "A128KW"))
		b := vtIntegration{Name: "b", Issuer: vtIssB, Algs: "RS256", Keys: []string{vtJWK(t, rsaKey.Public(), "", "")},
			Extra: []string{"decryption_keys: [" + strings.Join(bKeys, ", ") + "]"}}
		return vtVerifier(t, a, b)
	}
	inner := sign(t, jose.RS256, rsaKey, "", claims(vtIssB, nil), nil)
	tok := vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(inner), (&jose.EncrypterOptions{}).WithContentType("JWT"), 0)

	// a's keys take maxKeyTries-3 tries; b's right key after 2 wrong ones
	// is the last try allowed, after 3 it is one too many.
	vtRun(t, verifier(2), []vtCase{{name: "right key at the last try", token: tok, want: vtValid()}})
	vtRun(t, verifier(3), []vtCase{{name: "right key past the bound", token: tok,
		want: vtReject(CodeInvalidToken, "decryption", `does not decrypt with the keys of integration "b"`)}})
}
