package jwks_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/jwks"
)

// A Fetcher is the verifier's key source for the policy's jwks_url: the
// issuer's key set is fetched once, then served from the cache for the
// answer's max-age.
func Example() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	jwk := jose.JSONWebKey{Key: key, KeyID: "k1", Algorithm: "ES256", Use: "sig"}
	var fetches atomic.Int32
	issuer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Cache-Control", "max-age=300")
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk.Public()}})
	}))
	defer issuer.Close()

	policy, err := core.ParsePolicy("policy.yaml", []byte(`integrations:
  - name: app
    issuer: https://issuer.example
    algorithms: [ES256]
    keys: [{jwks_url: "`+issuer.URL+`/jwks"}]
`), core.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	keys := jwks.New(jwks.Options{URLs: policy.JWKSURLs()})
	v, err := core.NewVerifier(policy, core.Config{Keys: keys})
	if err != nil {
		fmt.Println(err)
		return
	}

	tok := sign(jwk, `{"iss":"https://issuer.example","sub":"alice","exp":`+fmt.Sprint(time.Now().Add(time.Hour).Unix())+`}`)
	for range 3 {
		d := v.Verify(context.Background(), core.Request{Token: tok, Now: time.Now()})
		fmt.Println(d.Valid, d.Subject)
	}
	fmt.Println("fetches:", fetches.Load(), keys.Status(issuer.URL+"/jwks"))
	// Output:
	// true alice
	// true alice
	// true alice
	// fetches: 1 ok
}

// sign is the issuer's side: payload signed with the private jwk.
func sign(jwk jose.JSONWebKey, payload string) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jwk},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		panic(err)
	}
	obj, err := signer.Sign([]byte(payload))
	if err != nil {
		panic(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return tok
}
