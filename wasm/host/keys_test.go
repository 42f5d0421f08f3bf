package host

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
	"github.com/jwtgate/jwtgate/jwks"
	"github.com/jwtgate/jwtgate/wasm/abi"
)

// jwksServer serves the corpus RSA key at /jwks (with padding keys at
// /big, so that the set is larger than the guest's first buffer) and
// fails at /down, on loopback.
func jwksServer(t *testing.T) *httptest.Server {
	k := jwttest.Keys().RSA
	key := func(kid string) string {
		return fmt.Sprintf(`{"kty":"RSA","kid":%q,"alg":"RS256","use":"sig","n":%q,"e":%q}`, kid,
			base64.RawURLEncoding.EncodeToString(k.N.Bytes()), base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()))
	}
	var padding []string
	for i := range 60 {
		padding = append(padding, key(fmt.Sprintf("pad-%d", i)))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"keys":[%s]}`, key("rs-1"))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"keys":[%s,%s]}`, strings.Join(padding, ","), key("rs-1"))
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestKeySetsDifferential: a policy of jwks_url key sets gives the same
// decisions natively and in the plugin, each with a key fetcher of its
// own on the same server: valid tokens, an unknown kid, a set that cannot
// be fetched, a set larger than the guest's first buffer, and no key
// source at all.
func TestKeySetsDifferential(t *testing.T) {
	srv := jwksServer(t)
	policy := []byte(`integrations:
  - {name: up, issuer: https://up.example, algorithms: [RS256], keys: [{jwks_url: "` + srv.URL + `/jwks"}]}
  - {name: big, issuer: https://big.example, algorithms: [RS256], keys: [{jwks_url: "` + srv.URL + `/big"}]}
  - {name: down, issuer: https://down.example, algorithms: [RS256], keys: [{jwks_url: "` + srv.URL + `/down"}]}
  - name: mixed
    issuer: https://mixed.example
    algorithms: [RS256, HS256]
    keys: [{jwks_url: "` + srv.URL + `/down"}, {secret: "` + testcorpus.HSSecret + `"}]
`)
	p, err := core.ParsePolicy("policy", policy, core.LoadOptions{})
	require.NoError(t, err)
	fetcher := func() core.KeySource { return jwks.New(jwks.Options{URLs: p.JWKSURLs()}) }
	rs := jwttest.Keys().RSA
	sign := func(iss, kid string) string {
		return jwttest.Sign("RS256", rs, map[string]any{"kid": kid}, testcorpus.Claims(iss, nil))
	}
	tokens := map[string]string{
		"up/valid":      sign("https://up.example", "rs-1"),
		"up/no-kid":     jwttest.Sign("RS256", rs, nil, testcorpus.Claims("https://up.example", nil)),
		"up/other-kid":  sign("https://up.example", "rs-9"),
		"big/valid":     sign("https://big.example", "rs-1"),
		"down/valid":    sign("https://down.example", "rs-1"),
		"mixed/hs":      jwttest.Sign("HS256", []byte(testcorpus.HSSecret), nil, testcorpus.Claims("https://mixed.example", nil)),
		"mixed/rs":      sign("https://mixed.example", "rs-1"),
		"up/tampered":   sign("https://up.example", "rs-1") + "x",
		"unknown/valid": sign("https://unknown.example", "rs-1"),
	}
	module := guestModule(t)
	for _, src := range []struct {
		name string
		keys func() core.KeySource
	}{{"fetcher", fetcher}, {"no-key-source", func() core.KeySource { return nil }}} {
		t.Run(src.name, func(t *testing.T) {
			native, err := core.NewVerifier(p, core.Config{Keys: src.keys()})
			require.NoError(t, err)
			h := mustLoad(t, module, policy, Options{Keys: src.keys(), PoolSize: 2})
			valid := 0
			for name, tok := range tokens {
				for _, explain := range []bool{false, true} {
					req := core.Request{Token: tok, Now: testcorpus.Now, Explain: explain}
					want := native.Verify(context.Background(), req)
					got, err := h.Call(context.Background(), req)
					require.NoError(t, err, name)
					assert.Equal(t, string(want.JSON()), string(got), name)
					if want.Valid {
						valid++
					}
				}
			}
			if src.name == "fetcher" {
				assert.Equal(t, 8, valid, "up, big, mixed/hs and mixed/rs are valid, with and without explain")
				d := native.Verify(context.Background(), core.Request{Token: tokens["down/valid"], Now: testcorpus.Now})
				assert.Equal(t, core.CodeKeysUnavailable, d.Code, d.Reason)
			}
		})
	}
}

// countingKeys counts the calls of a key source.
type countingKeys struct {
	core.KeySource
	calls int
}

func (c *countingKeys) KeySet(ctx context.Context, url, kid string) (*core.KeySet, error) {
	c.calls++
	return c.KeySource.KeySet(ctx, url, kid)
}

// TestKeySetsCapability: the host offers key sets only with a key source,
// and the guest calls it once per token that needs it.
func TestKeySetsCapability(t *testing.T) {
	srv := jwksServer(t)
	policy := []byte(`integrations:
  - {name: up, issuer: https://up.example, algorithms: [RS256], keys: [{jwks_url: "` + srv.URL + `/jwks"}]}
`)
	keys := &countingKeys{KeySource: jwks.New(jwks.Options{URLs: []string{srv.URL + "/jwks"}})}
	h := mustLoad(t, guestModule(t), policy, Options{Keys: keys, PoolSize: 1})
	assert.Equal(t, abi.CapKeySets|abi.CapSignatures, h.offered())
	tok := jwttest.Sign("RS256", jwttest.Keys().RSA, map[string]any{"kid": "rs-1"}, testcorpus.Claims("https://up.example", nil))
	for range 3 {
		d := h.Verify(context.Background(), core.Request{Token: tok, Now: testcorpus.Now})
		require.True(t, d.Valid, d.Reason)
	}
	assert.Equal(t, 3, keys.calls)
	none := mustLoad(t, guestModule(t), policy, Options{PoolSize: 1, GuestSignatures: true})
	assert.Zero(t, none.offered())
}
