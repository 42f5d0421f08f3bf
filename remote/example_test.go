package remote_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/remote"
)

// A validation endpoint vouches for a token, and the core judges the
// claims it vouched for as it judges a verified token's: here the endpoint
// names a subject the token's own claims lack.
func ExampleValidator() {
	tok := unsignedLooking(`{"iss":"https://okto.example","exp":1700003600}`)
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+tok {
			http.Error(w, "unknown token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"user_id": 4711, "groups": ["staff"]}`)
	}))
	defer endpoint.Close()

	v := &remote.Validator{URL: endpoint.URL + "/verify", SubjectField: "user_id", Timeout: 2 * time.Second}
	_, err := v.Validate(context.Background(), "another-token")
	fmt.Println(errors.Is(err, remote.ErrRejected))

	res, err := v.Validate(context.Background(), tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Subject)

	policy, err := core.ParsePolicy("policy.yaml", []byte(`integrations:
  - name: okto
    issuer: https://okto.example
    algorithms: [HS256]
    keys: [{secret: "0123456789abcdef0123456789abcdef"}]
    subject_claim: user_id
    require_groups: {any: [staff]}
`), core.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	verifier, err := core.NewVerifier(policy, core.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	answer, err := json.Marshal(res.Claims)
	if err != nil {
		fmt.Println(err)
		return
	}
	d := verifier.VerifyVouched(context.Background(),
		core.Request{Token: tok, Now: time.Unix(1700000000, 0), Integration: "okto"},
		core.Vouched{Subject: res.Subject, Claims: answer})
	fmt.Println(d.Valid, d.Subject, d.Groups)
	// Output:
	// true
	// 4711
	// true 4711 [staff]
}

// A group resolver answers for a subject whose token carries no groups.
func ExampleGroupResolver() {
	resolver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer system-token" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		groups, ok := map[string][]string{"alice": {"admins", "staff"}}[r.URL.Query().Get("subject")]
		if !ok {
			groups = []string{}
		}
		json.NewEncoder(w).Encode(map[string]any{"groups": groups})
	}))
	defer resolver.Close()

	g := &remote.GroupResolver{URL: resolver.URL + "/groups", SystemToken: "system-token"}
	for _, subject := range []string{"alice", "bob"} {
		groups, err := g.Groups(context.Background(), subject)
		fmt.Println(subject, groups, err)
	}
	_, err := (&remote.GroupResolver{URL: resolver.URL + "/groups"}).Groups(context.Background(), "alice")
	fmt.Println(err != nil)
	// Output:
	// alice [admins staff] <nil>
	// bob [] <nil>
	// true
}

// unsignedLooking returns a compact JWS of payload whose signature only
// the endpoint judges (this one knows the token itself).
func unsignedLooking(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte("sig"))
}
