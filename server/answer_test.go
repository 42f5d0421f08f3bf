package server

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// answerStrings are the strings whose JSON spelling differs most: HTML
// characters, controls, quotes, invalid UTF-8, U+2028/9, other runes.
var answerStrings = []string{
	"", "john.doe", `a"b\c`, "<script>&amp;</script>", "tab\tnl\nnul\x00\x1f\x7f",
	"bad \xff\xfe utf8 \xe2\x82", "line\u2028para\u2029", "日本語 ü €", "\U0001F600",
}

// The /v1/authz and /v1/verify answers are byte for byte what
// encoding/json wrote for the map and the struct they replace.
func TestAnswersMatchMarshal(t *testing.T) {
	for _, a := range answerStrings {
		for _, b := range answerStrings {
			requireAnswersMatch(t, a, b, []string{a, b})
		}
	}
	requireAnswersMatch(t, "s", "i", []string{})
}

func FuzzAnswers(f *testing.F) {
	for i, s := range answerStrings {
		f.Add(s, answerStrings[len(answerStrings)-1-i], s+"x")
	}
	f.Fuzz(func(t *testing.T, subject, integration, group string) {
		requireAnswersMatch(t, subject, integration, []string{group, subject})
	})
}

func requireAnswersMatch(t *testing.T, subject, integration string, groups []string) {
	t.Helper()
	want, err := json.Marshal(map[string]string{"status": "ok", "subject": subject, "integration": integration})
	require.NoError(t, err)
	require.Equal(t, string(want), string(authzAnswer(subject, integration)))
	v := verifyResponse{Sub: subject, UserID: subject, Tenant: integration + "-t", Groups: groups, Integration: integration}
	want, err = json.Marshal(v)
	require.NoError(t, err)
	require.Equal(t, string(want), string(verifyAnswer(v)))
}
