package jsondiff

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDiff(t *testing.T) {
	a := `{"policy":{"issuer":"https://a","algorithms":["HS256"],"keys":[{"secret":{"fingerprint":"sha256:1"}}],"max_age":"5m"}}`
	b := `{"policy":{"issuer":"https://b","algorithms":["HS256","RS256"],"keys":[{"secret":{"fingerprint":"sha256:2"}}],"audiences":["x"]}}`
	got, err := Diff([]byte(a), []byte(b))
	require.NoError(t, err)
	want := []Change{
		{Path: "policy.algorithms[1]", Op: "add", To: json.RawMessage(`"RS256"`)},
		{Path: "policy.audiences", Op: "add", To: json.RawMessage(`["x"]`)},
		{Path: "policy.issuer", Op: "change", From: json.RawMessage(`"https://a"`), To: json.RawMessage(`"https://b"`)},
		{Path: "policy.keys[0].secret.fingerprint", Op: "change", From: json.RawMessage(`"sha256:1"`), To: json.RawMessage(`"sha256:2"`)},
		{Path: "policy.max_age", Op: "remove", From: json.RawMessage(`"5m"`)},
	}
	require.Equal(t, want, got)
}

func TestDiffWholeDocuments(t *testing.T) {
	got, err := Diff(nil, []byte(`{"a":1}`))
	require.NoError(t, err)
	require.Equal(t, []Change{{Path: "a", Op: "add", To: json.RawMessage(`1`)}}, got)

	got, err = Diff([]byte(`{"a":1.50}`), []byte(`{"a":1.50}`))
	require.NoError(t, err)
	require.Empty(t, got, "the same document has no change")

	got, err = Diff([]byte(`{"a":{"b":1}}`), []byte(`{"a":[1]}`))
	require.NoError(t, err)
	require.Equal(t, []Change{{Path: "a", Op: "change", From: json.RawMessage(`{"b":1}`), To: json.RawMessage(`[1]`)}}, got)

	_, err = Diff([]byte(`{`), nil)
	require.Error(t, err)
}
