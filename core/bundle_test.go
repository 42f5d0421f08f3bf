package core_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// bundleSource is a policy with every kind of key source, YAML anchors, a
// duration in another spelling and a service section.
func bundleSource(t *testing.T) ([]byte, core.LoadOptions) {
	k := jwttest.Keys()
	der, err := x509.MarshalPKIXPublicKey(&k.RSA.PublicKey)
	require.NoError(t, err)
	files := map[string]string{
		"rs.pem":    string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		"hs.secret": strings.Repeat("f", 32) + "\n",
	}
	opts := core.LoadOptions{
		ReadFile: func(name string) ([]byte, error) {
			if b, ok := files[name]; ok {
				return []byte(b), nil
			}
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		},
		LookupEnv: func(name string) (string, bool) { return strings.Repeat("e", 32), name == "HS_SECRET" },
	}
	doc := `
integrations:
  - name: rs
    issuer: https://rs.example
    algorithms: [RS256]
    audiences: &aud [authonomy]
    clock_skew: &skew 90000ms
    keys: [{pem_file: rs.pem, kid: rs-1}]
  - name: hs-file
    issuer: https://hs-file.example
    algorithms: [HS256]
    max_age: 1h
    keys: [{secret_file: hs.secret}]
  - name: hs-env
    issuer: https://hs-env.example
    algorithms: [HS256]
    audiences: *aud
    clock_skew: *skew
    keys: [{secret_env: HS_SECRET, kid: e1, algorithm: HS256}]
service:
  admin_token: do-not-ship
`
	return []byte(doc), opts
}

// bundleTokens are tokens of every integration of bundleSource, valid and
// not, at several instants.
func bundleTokens() []core.Request {
	k := jwttest.Keys()
	claims := func(iss string, _ map[string]any) map[string]any {
		return testcorpus.Claims(iss, map[string]any{"aud": "authonomy", "iat": testcorpus.Now.Unix() - 60})
	}
	toks := []string{
		jwttest.Sign("RS256", k.RSA, map[string]any{"kid": "rs-1"}, claims("https://rs.example", nil)),
		jwttest.Sign("RS256", k.RSA, map[string]any{"kid": "other"}, claims("https://rs.example", nil)),
		jwttest.Sign("HS256", []byte(strings.Repeat("f", 32)), nil, claims("https://hs-file.example", nil)),
		jwttest.Sign("HS256", []byte(strings.Repeat("x", 32)), nil, claims("https://hs-file.example", nil)),
		jwttest.Sign("HS256", []byte(strings.Repeat("e", 32)), map[string]any{"kid": "e1"}, claims("https://hs-env.example", nil)),
		jwttest.Sign("HS384", []byte(strings.Repeat("e", 48)), map[string]any{"kid": "e1"}, claims("https://hs-env.example", nil)),
	}
	var out []core.Request
	for _, tok := range toks {
		for _, d := range []int64{0, 80, 100, 3600 + 100} { // inside, within skew, past it
			out = append(out, core.Request{Token: tok, Now: testcorpus.Now.Add(timeSeconds(d)), Explain: d == 0})
		}
	}
	return out
}

// A bundle decides exactly as its source: the same decision JSON for
// tokens of every key source, loaded with no files and no environment.
func TestBundleDecidesAsItsSource(t *testing.T) {
	src, opts := bundleSource(t)
	bundle, err := core.BuildBundle("p.yaml", src, opts)
	require.NoError(t, err)
	orig, err := core.ParsePolicy("p.yaml", src, opts)
	require.NoError(t, err)
	loaded, err := core.ParsePolicy("p.json", bundle, core.LoadOptions{})
	require.NoError(t, err, "%s", bundle)
	vo, err := core.NewVerifier(orig, core.Config{})
	require.NoError(t, err)
	vb, err := core.NewVerifier(loaded, core.Config{})
	require.NoError(t, err)
	valid := 0
	for _, req := range bundleTokens() {
		want := vo.Verify(context.Background(), req)
		require.Equal(t, string(want.JSON()), string(vb.Verify(context.Background(), req).JSON()))
		if want.Valid {
			valid++
		}
	}
	require.GreaterOrEqual(t, valid, 6, "the comparison covers accepted tokens of every integration")
	// The corpus policy too (inline keys of every algorithm, redirects,
	// headers, requirements).
	corpus, err := core.BuildBundle("corpus.yaml", testcorpus.Policy(), core.LoadOptions{})
	require.NoError(t, err)
	cp, err := core.ParsePolicy("corpus.json", corpus, core.LoadOptions{})
	require.NoError(t, err)
	cv, err := core.NewVerifier(cp, core.Config{Replay: core.NewMemoryReplayStore(0)})
	require.NoError(t, err)
	for _, g := range testcorpus.Groups(testcorpus.Cases()) {
		if string(g.Policy) != string(testcorpus.Policy()) {
			continue
		}
		p, err := core.ParsePolicy("corpus.yaml", g.Policy, core.LoadOptions{})
		require.NoError(t, err)
		v, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		require.NoError(t, err)
		for _, c := range g.Cases {
			require.Equal(t, string(v.Verify(context.Background(), c.Request()).JSON()), string(cv.Verify(context.Background(), c.Request()).JSON()), c.Name)
		}
	}
}

// A bundle is canonical: JSON with every key a JWK, no file, environment,
// PEM, secret or service field left, durations in Go's spelling; building
// it again from itself gives the same bytes.
func TestBundleIsCanonical(t *testing.T) {
	src, opts := bundleSource(t)
	bundle, err := core.BuildBundle("p.yaml", src, opts)
	require.NoError(t, err)
	require.True(t, json.Valid(bundle))
	for _, gone := range []string{"pem_file", "secret_file", "secret_env", `"secret"`, `"pem"`, "service", "do-not-ship", "90000ms", "*aud"} {
		require.NotContains(t, string(bundle), gone)
	}
	require.Contains(t, string(bundle), `"clock_skew": "1m30s"`)
	require.Contains(t, string(bundle), `"kty": "oct"`)
	again, err := core.BuildBundle("p.json", bundle, core.LoadOptions{})
	require.NoError(t, err)
	require.Equal(t, string(bundle), string(again), "a bundle is its own bundle")
}

// A bundle changed after it was built is refused at load, naming the
// bundle; a bundle of another format too.
func TestBundleTamperRefused(t *testing.T) {
	src, opts := bundleSource(t)
	bundle, err := core.BuildBundle("p.yaml", src, opts)
	require.NoError(t, err)
	for name, edit := range map[string]func(string) string{
		"issuer":  func(s string) string { return strings.Replace(s, "https://rs.example", "https://evil.example", 1) },
		"format":  func(s string) string { return strings.Replace(s, `"format": 1`, `"format": 2`, 1) },
		"no hash": func(s string) string { return strings.Replace(s, `"sha256"`, `"sha512"`, 1) },
	} {
		_, err := core.ParsePolicy("p.json", []byte(edit(string(bundle))), core.LoadOptions{})
		var list core.PolicyErrors
		require.ErrorAs(t, err, &list, name)
		require.Equal(t, "bundle", list[0].Field, "%s: %v", name, err)
	}
	// Formatting is not content: the same bundle compacted still loads.
	var v any
	require.NoError(t, json.Unmarshal(bundle, &v))
	compact, err := json.Marshal(v)
	require.NoError(t, err)
	_, err = core.ParsePolicy("p.json", compact, core.LoadOptions{})
	require.NoError(t, err)
}

// A policy the core refuses gets no bundle, with the core's errors.
func TestBundleOfRefusedPolicy(t *testing.T) {
	_, err := core.BuildBundle("p.yaml", []byte("integrations:\n  - name: a\n    keys: [{secret_file: missing}]\n"), core.LoadOptions{})
	var list core.PolicyErrors
	require.ErrorAs(t, err, &list)
}

func timeSeconds(n int64) time.Duration { return time.Duration(n) * time.Second }
