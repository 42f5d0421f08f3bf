package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core"
)

// exampleSecret is the HMAC key of the examples' issuer (a real one comes
// from a key file or the environment, never from source).
const exampleSecret = "0123456789abcdef0123456789abcdef"

// A verifier of one integration, and the decisions it gives a good token,
// an expired one and a replayed one-time token.
func ExampleNewVerifier() {
	policy, err := core.ParsePolicy("policy.yaml", []byte(`integrations:
  - name: app
    tenant: acme
    issuer: https://issuer.example
    audiences: [api]
    algorithms: [HS256]
    keys: [{secret: "`+exampleSecret+`"}]
    one_time_use: true
`), core.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := core.NewVerifier(policy, core.Config{Replay: core.NewMemoryReplayStore(1000)})
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Unix(1700000100, 0)
	tok := exampleToken(map[string]any{
		"iss": "https://issuer.example", "aud": "api", "sub": "alice",
		"jti": "t-1", "iat": 1700000000, "exp": 1700003600,
	})

	d := v.Verify(context.Background(), core.Request{Token: tok, Now: now})
	fmt.Println(d.Valid, d.Tenant, d.Integration, d.Subject)

	d = v.Verify(context.Background(), core.Request{Token: tok, Now: now})
	fmt.Println(d.Valid, d.Code, d.Message)

	d = v.Verify(context.Background(), core.Request{Token: tok, Now: now.Add(2 * time.Hour)})
	fmt.Println(d.Valid, d.Code, d.Message)
	// Output:
	// true acme app alice
	// false token_replayed Token has already been used
	// false token_expired Token expired
}

// exampleToken signs claims with exampleSecret, as the issuer would.
func exampleToken(claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(exampleSecret)},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		panic(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		panic(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return tok
}
