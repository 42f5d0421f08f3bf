//go:build !jwtgate_webcrypto

package core

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzEmbedJSON: embedJSON, the browser module's marshalJSON, gives
// json.Marshal's bytes (the native marshalJSON) for claims the core did
// not read, valid JSON or not.
func FuzzEmbedJSON(f *testing.F) {
	for _, s := range []string{`{"a": 1}`, ` { "x" : [1, 2, "<&>"] , "y": "\u2028  " } `, `{`, `[]`, `"s"`, `nul`,
		`{"a":"\"}`, "{\"k\":\"\xff\"}", `{"a" :{"b":[ ]}}`, `1e5`, ``} {
		f.Add(s, "sub<1>", true)
	}
	f.Fuzz(func(t *testing.T, claims, subject string, valid bool) {
		if claims == "" {
			return // JSON() embeds no empty claims either way
		}
		d := &Decision{Valid: valid, Code: CodeTokenExpired, Subject: subject, Audience: []string{"a"}, Claims: []byte(claims),
			Groups: []string{}, Headers: map[string]string{"X-A": subject}, Trace: []Step{{Name: "s", Outcome: "pass", Detail: subject}}}
		require.Equal(t, string(d.marshalJSON()), string(d.embedJSON()))
	})
}
