package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/store"
)

// A SQLite store as the verifier's replay store: a one-time token is
// accepted once, by this process or any other sharing the file.
func Example() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "jwtgate.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	const secret = "0123456789abcdef0123456789abcdef"
	policy, err := core.ParsePolicy("policy.yaml", []byte(`integrations:
  - name: app
    issuer: https://issuer.example
    algorithms: [HS256]
    keys: [{secret: "`+secret+`"}]
    one_time_use: true
`), core.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := core.NewVerifier(policy, core.Config{Replay: st})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok := sign(secret, map[string]any{"iss": "https://issuer.example", "sub": "alice", "jti": "link-1", "exp": 1700003600})
	now := time.Unix(1700000000, 0)
	for range 2 {
		if d := v.Verify(ctx, core.Request{Token: tok, Now: now}); d.Valid {
			fmt.Println("accepted:", d.Subject)
		} else {
			fmt.Println("refused:", d.Code)
		}
	}
	// Output:
	// accepted: alice
	// refused: token_replayed
}

// sign is the issuer's side: claims signed with an HMAC secret.
func sign(secret string, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(secret)}, nil)
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
