package browser

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/browsertest"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// artifactsDir is where the screenshots are kept: $JWTGATE_ARTIFACTS, or
// build/artifacts at the top of the repository.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("JWTGATE_ARTIFACTS")
	if dir == "" {
		root, err := filepath.Abs(filepath.Join("..", ".."))
		require.NoError(t, err)
		dir = filepath.Join(root, "build", "artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

type e2eCase struct {
	Name        string  `json:"name"`
	Token       string  `json:"token"`
	Now         float64 `json:"now"`
	Explain     bool    `json:"explain"`
	Redirect    string  `json:"redirect"`
	Integration string  `json:"integration"`
}

type e2eGroup struct {
	Policy string    `json:"policy"`
	Cases  []e2eCase `json:"cases"`
}

// e2eModule is a module the page is tested with. Every module runs the
// corpus; only those with Figures are timed and compressed (figures, not
// checks: the optimised module's only with JWTGATE_FIGURES).
type e2eModule struct {
	Name      string `json:"name"`
	URL       string `json:"url"`
	Path      string `json:"path"`
	Figures   bool   `json:"figures"`
	WebCrypto bool   `json:"webCrypto"` // signatures checked by the page, not the module
	// Passes is how many times the corpus runs through each gate (the
	// decision cache answering the later ones); 0 is once.
	Passes int `json:"passes"`
}

type e2eInput struct {
	BaseURL         string      `json:"baseURL"`
	Chromium        string      `json:"chromium"`
	ChromiumArgs    []string    `json:"chromiumArgs"`
	NodeModules     string      `json:"nodeModules"`
	Screenshot      string      `json:"screenshot"`
	ScreenshotValid string      `json:"screenshotValid"`
	Modules         []e2eModule `json:"modules"`
	LoadRuns        int         `json:"loadRuns"`
	Groups          []e2eGroup  `json:"groups"`
	Page            struct {
		Policy       string  `json:"policy"`
		Now          float64 `json:"now"`
		ExpiredToken string  `json:"expiredToken"`
		ValidToken   string  `json:"validToken"`
	} `json:"page"`
	JWKS struct {
		Policy         string   `json:"policy"`
		RotatingPolicy string   `json:"rotatingPolicy"`
		Tokens         []string `json:"tokens"`
		Now            float64  `json:"now"`
	} `json:"jwks"`
	API struct {
		Policy       string  `json:"policy"`
		FilePolicy   string  `json:"filePolicy"`
		JSONPolicy   string  `json:"jsonPolicy"`
		SecretPolicy string  `json:"secretPolicy"`
		YAMLPolicy   string  `json:"yamlPolicy"`
		Token        string  `json:"token"`
		Now          float64 `json:"now"`
	} `json:"api"`
	Bench struct {
		Policy    string            `json:"policy"`
		Tokens    map[string]string `json:"tokens"`
		Now       float64           `json:"now"`
		MinMillis int               `json:"minMillis"`
		Rounds    int               `json:"rounds"`
	} `json:"bench"`
}

type shownVerdict struct {
	Valid    *bool  `json:"valid"`
	Code     string `json:"code"`
	Headline string `json:"headline"`
	Text     string `json:"text"`
	Error    string `json:"error"`
	Trace    []struct {
		Outcome string `json:"outcome"`
		Icon    string `json:"icon"`
		Step    string `json:"step"`
		Detail  string `json:"detail"`
	} `json:"trace"`
	Claims []string `json:"claims"`
}

type caughtError struct {
	Name          string `json:"name"`
	Message       string `json:"message"`
	IsPolicyError bool   `json:"isPolicyError"`
	Field         string `json:"field"`
}

type e2eOutput struct {
	Decisions map[string][][]string `json:"decisions"`
	Page      struct {
		Ready           bool         `json:"ready"`
		Title           string       `json:"title"`
		Status          string       `json:"status"`
		PolicyPrefilled bool         `json:"policyPrefilled"`
		JSONOpened      bool         `json:"jsonOpened"`
		Expired         shownVerdict `json:"expired"`
		Valid           shownVerdict `json:"valid"`
		Garbage         shownVerdict `json:"garbage"`
		Empty           shownVerdict `json:"empty"`
		BadPolicy       shownVerdict `json:"badPolicy"`
		DemoValid       shownVerdict `json:"demoValid"`
		DemoExpired     shownVerdict `json:"demoExpired"`
		DemoEd          shownVerdict `json:"demoEd"`
	} `json:"page"`
	JWKS struct {
		URLs         []string        `json:"urls"`
		Decisions    []string        `json:"decisions"`
		Object       json.RawMessage `json:"object"`
		Rotated      string          `json:"rotated"`
		RotatedAgain string          `json:"rotatedAgain"`
	} `json:"jwks"`
	API struct {
		FileKey        *caughtError    `json:"fileKey"`
		BadYAML        *caughtError    `json:"badYAML"`
		Secret         *caughtError    `json:"secret"`
		YAML           *caughtError    `json:"yaml"`
		NotString      *caughtError    `json:"notString"`
		TokenNotString *caughtError    `json:"tokenNotString"`
		NowNaN         *caughtError    `json:"nowNaN"`
		NowString      *caughtError    `json:"nowString"`
		NoConstructor  *caughtError    `json:"noConstructor"`
		Closed         *caughtError    `json:"closed"`
		DefaultNow     json.RawMessage `json:"defaultNow"`
		DateNow        json.RawMessage `json:"dateNow"`
		ObjectPolicy   bool            `json:"objectPolicy"`
		// A decision with a crypto.subtle.verify that refuses everything.
		RefusingWebCrypto core.Decision `json:"refusingWebCrypto"`
		// Loads with webCrypto: false, and without crypto.subtle.
		WebCryptoOff *caughtError `json:"webCryptoOff"`
		NoSubtle     *caughtError `json:"noSubtle"`
		SubtleBack   bool         `json:"subtleBack"`
	} `json:"api"`
	Bench map[string]map[string][]struct {
		N         int     `json:"n"`
		Millis    float64 `json:"millis"`
		PerSecond float64 `json:"perSecond"`
	} `json:"bench"`
	Load map[string][]struct {
		Module float64 `json:"module"`
		Loaded float64 `json:"loaded"` // policy load + first verify, runtime running
	} `json:"load"`
	Gzip          map[string]int `json:"gzip"`
	Brotli        map[string]int `json:"brotli"`
	ConsoleErrors []string       `json:"consoleErrors"`
}

// seconds is a time as the Unix seconds the browser API takes; the zero
// time is Go's zero time in Unix seconds, which converts back to it.
func seconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// fakeKeys is the native side of the jwks_url check: the same set and the
// same failure as the browser sees from the test server.
type fakeKeys map[string]string

const missingJWKSError = "fetching the key set failed: HTTP 404 Not Found"

func (f fakeKeys) KeySet(_ context.Context, url, _ string) (*core.KeySet, error) {
	text, ok := f[url]
	if !ok {
		return nil, errors.New(missingJWKSError)
	}
	return core.ParseKeySet([]byte(text))
}

func caseByName(t *testing.T, cases []testcorpus.Case, name string) testcorpus.Case {
	for _, c := range cases {
		if c.Name == name {
			return c
		}
	}
	require.FailNow(t, fmt.Sprintf("the corpus has no case %q", name))
	return testcorpus.Case{}
}

// publicOnly are the load options of the module (wasm/engine.go).
var publicOnly = core.LoadOptions{PublicKeysOnly: true}

func nativeJSON(t *testing.T, policy []byte, cfg core.Config, reqs ...core.Request) []string {
	t.Helper()
	p, err := core.ParseBundle("testcorpus.json", policy, publicOnly)
	require.NoError(t, err)
	v, err := core.NewVerifier(p, cfg)
	require.NoError(t, err)
	var out []string
	for _, r := range reqs {
		out = append(out, string(v.Verify(context.Background(), r).JSON()))
	}
	return out
}

// TestBrowser builds the GOOS=js module, serves the page on loopback and
// drives it in headless Chromium (testdata/e2e.mjs): the page renders and
// explains, the differential corpus gives the native decisions byte for
// byte through jwtgate.js (with and without wasm-opt), jwks_url keys are
// fetched and cached, API misuse throws, and the figures are logged (the
// optimised module's with JWTGATE_FIGURES only: its corpus run is what it
// tests that the plain module does not).
func TestBrowser(t *testing.T) {
	tools := browsertest.Find(t)
	ctx, cancel := browsertest.Context(t)
	defer cancel()

	// Build.
	work := t.TempDir()
	wasmOpt, _ := exec.LookPath("wasm-opt")
	t0 := time.Now()
	site, err := Build(ctx, filepath.Join(work, "site"), BuildOptions{WasmOpt: wasmOpt})
	require.NoError(t, err)
	t.Logf("built the site in %v", time.Since(t0).Round(time.Millisecond))
	// The module checks signatures with WebCrypto only: it links no
	// signature arithmetic (the tag jwtgate_webcrypto).
	mods := []e2eModule{
		{Name: "go", URL: "/" + ModuleFile, Path: site.Module, Figures: true, WebCrypto: true, Passes: 2},
	}
	switch {
	case wasmOpt == "" && os.Getenv("CI") == "true":
		t.Error("wasm-opt not found (apt-get install -y binaryen): CI=true: the optimised module must be tested")
	case wasmOpt == "":
		t.Log("wasm-opt not found (Debian's binaryen): the optimised module is not tested")
	case site.OptError != nil:
		assert.Fail(t, fmt.Sprintf("wasm-opt failed: %v", site.OptError))
	default:
		mods = append(mods, e2eModule{Name: "wasm-opt", URL: "/" + OptModuleFile, Path: site.OptModule, Figures: os.Getenv("JWTGATE_FIGURES") != "", WebCrypto: true})
	}

	// Serve: the site, a blank page for timing loads, and key sets.
	k := jwttest.Keys()
	b64 := base64.RawURLEncoding.EncodeToString
	jwksText := fmt.Sprintf(`{"keys":[{"kty":"RSA","kid":"rs-1","alg":"RS256","use":"sig","n":%q,"e":%q}]}`,
		b64(k.RSA.N.Bytes()), b64(big.NewInt(int64(k.RSA.E)).Bytes()))
	otherJWKS := fmt.Sprintf(`{"keys":[{"kty":"RSA","kid":"rs-0","alg":"RS256","use":"sig","n":%q,"e":"AQAB"}]}`, b64(k.RSAOther.N.Bytes()))
	var jwksHits, missingHits, rotatingHits, hashedHits atomic.Int32
	var hashedCaching atomic.Value
	mux := http.NewServeMux()
	pages := Handler(site)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pages.ServeHTTP(w, r)
		if r.URL.Path == "/"+site.HashedModule {
			hashedHits.Add(1)
			hashedCaching.Store(w.Header().Get("Cache-Control"))
		}
	}))
	mux.HandleFunc("/test/blank.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>blank</title>")
	})
	mux.HandleFunc("/test/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		jwksHits.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		fmt.Fprint(w, jwksText)
	})
	mux.HandleFunc("/test/rotating.json", func(w http.ResponseWriter, r *http.Request) {
		// The first fetch is the set before the issuer rotated to rs-1.
		if rotatingHits.Add(1) == 1 {
			fmt.Fprint(w, otherJWKS)
			return
		}
		fmt.Fprint(w, jwksText)
	})
	mux.HandleFunc("/test/missing.json", func(w http.ResponseWriter, r *http.Request) {
		missingHits.Add(1)
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux) // 127.0.0.1
	defer srv.Close()

	// The input: the corpus of public keys, since the module refuses secrets.
	cases := testcorpus.PublicKeyCases()
	groups := testcorpus.Groups(cases)
	in := e2eInput{
		BaseURL: srv.URL, Chromium: tools.Chromium, ChromiumArgs: browsertest.ChromiumArgs, NodeModules: tools.Modules,
		Modules: mods, LoadRuns: 3,
	}
	art := artifactsDir(t)
	in.Screenshot = filepath.Join(art, "browser.png")
	in.ScreenshotValid = filepath.Join(art, "browser-valid.png")
	bundleOf := map[string][]byte{} // the bundles of the corpus's policies
	for i, g := range groups {
		// The module reads JSON: each group's policy as a bundle.
		b, err := core.BuildBundle("testcorpus.yaml", g.Policy, core.LoadOptions{})
		require.NoError(t, err)
		bundleOf[string(g.Policy)], groups[i].Policy = b, b
		eg := e2eGroup{Policy: string(b)}
		for _, c := range g.Cases {
			require.True(t, utf8.ValidString(c.Token), "case %s: not UTF-8: it cannot be a JavaScript string", c.Name)
			require.True(t, utf8.ValidString(c.RedirectParam), "case %s: not UTF-8: it cannot be a JavaScript string", c.Name)
			require.True(t, utf8.ValidString(c.Integration), "case %s: not UTF-8: it cannot be a JavaScript string", c.Name)
			eg.Cases = append(eg.Cases, e2eCase{Name: c.Name, Token: c.Token, Now: seconds(c.Now), Explain: c.Explain, Redirect: c.RedirectParam, Integration: c.Integration})
		}
		in.Groups = append(in.Groups, eg)
	}
	expired := caseByName(t, cases, "expired/explain")
	valid := caseByName(t, cases, "valid/RS256/explain")
	in.Page.Policy, in.Page.Now = string(bundleOf[string(expired.Policy)]), seconds(expired.Now)
	in.Page.ExpiredToken, in.Page.ValidToken = expired.Token, valid.Token

	jwksURL, missingURL := srv.URL+"/test/jwks.json", srv.URL+"/test/missing.json"
	jwksPolicy := fmt.Sprintf(`{"integrations": [{"name": "remote", "issuer": %q, "algorithms": ["RS256"], "keys": [{"jwks_url": %q}, {"jwks_url": %q}]}]}`, testcorpus.IssRS, jwksURL, missingURL)
	in.JWKS.Policy, in.JWKS.Now = jwksPolicy, seconds(testcorpus.Now)
	rotatingURL := srv.URL + "/test/rotating.json"
	in.JWKS.RotatingPolicy = fmt.Sprintf(`{"integrations": [{"name": "remote", "issuer": %q, "algorithms": ["RS256"], "keys": [{"jwks_url": %q}]}]}`, testcorpus.IssRS, rotatingURL)
	in.JWKS.Tokens = []string{valid.Token, caseByName(t, cases, "valid/RS256-no-kid").Token, caseByName(t, cases, "unknown-kid").Token, caseByName(t, cases, "bad-signature/other-key").Token}

	hsValid := caseByName(t, cases, "valid/HS256")
	in.API.Policy = string(bundleOf[string(hsValid.Policy)])
	in.API.FilePolicy = `{"integrations": [{"name": "f", "issuer": "https://f.example", "algorithms": ["RS256"], "keys": [{"pem_file": "/etc/jwtgate/key.pem"}]}]}`
	in.API.YAMLPolicy = string(testcorpus.PublicKeyPolicy())
	in.API.JSONPolicy = fmt.Sprintf(`{"integrations":[{"name":"hs","issuer":%q,"algorithms":["EdDSA"],"keys":[{"jwks":%s}]}]}`, testcorpus.IssHS, edJWKS(k))
	in.API.SecretPolicy = fmt.Sprintf(`{"integrations": [{"name": "s", "issuer": "https://s.example", "algorithms": ["HS256"], "keys": [{"secret": %q}]}]}`, testcorpus.HSSecret)
	in.API.Token, in.API.Now = hsValid.Token, seconds(hsValid.Now)

	in.Bench.Policy = in.API.Policy
	in.Bench.Tokens = benchTokens(t, cases)
	in.Bench.Now, in.Bench.MinMillis, in.Bench.Rounds = seconds(testcorpus.Now), 1000, 3

	// Run the script (Chromium's profile goes to a fresh temporary
	// user-data dir that playwright makes and removes).
	var out e2eOutput
	require.NoError(t, tools.Run(ctx, t, work, filepath.Join("testdata", "e2e.mjs"), in, &out))

	t.Run("no-console-errors", func(t *testing.T) {
		for _, e := range out.ConsoleErrors {
			assert.Fail(t, fmt.Sprint(e))
		}
	})

	t.Run("corpus", func(t *testing.T) {
		// Native: one verifier (and replay store) per group, without a
		// decision cache, cases in order, as the corpus prescribes; the
		// page does the same with one gate per group, so the one-time cases
		// are compared too, and for the modules run twice, the second pass
		// from the gate's decision cache.
		nativeRuns := func(passes int) [][]string {
			var native [][]string
			for _, g := range groups {
				var reqs []core.Request
				for range max(passes, 1) {
					for _, c := range g.Cases {
						reqs = append(reqs, c.Request())
					}
				}
				native = append(native, nativeJSON(t, g.Policy, core.Config{Replay: core.NewMemoryReplayStore(0)}, reqs...))
			}
			return native
		}
		for _, m := range mods {
			t.Run(m.Name, func(t *testing.T) {
				native := nativeRuns(m.Passes)
				got := out.Decisions[m.Name]
				require.Len(t, got, len(groups), "%d groups decided, want %d", len(got), len(groups))
				n, bad := 0, 0
				for gi, g := range groups {
					require.Len(t, got[gi], len(native[gi]), "group %d: %d decisions, want %d", gi, len(got[gi]), len(native[gi]))
					for ci := range native[gi] {
						c := g.Cases[ci%len(g.Cases)]
						n++
						if got[gi][ci] != native[gi][ci] {
							bad++
							assert.Fail(t, fmt.Sprintf("%s: the browser's decision differs from native\n browser: %s\n  native: %s", c.Name, clip(got[gi][ci]), clip(native[gi][ci])))
						}
					}
				}
				t.Logf("%d corpus cases: %d identical to native, byte for byte", n, n-bad)
			})
		}
	})

	t.Run("page", func(t *testing.T) {
		p := out.Page
		assert.False(t, !p.Ready || !strings.Contains(p.Status, "Verifier ready") || !p.PolicyPrefilled, "the page did not come up: ready=%v status=%q prefilled=%v", p.Ready, p.Status, p.PolicyPrefilled)
		assert.Contains(t, p.Title, "jwtgate", "title %q", p.Title)
		checkVerdict(t, "expired token", p.Expired, false, "token_expired")
		assert.Contains(t, p.Expired.Text, "expired 2 hours ago", "the expired token's verdict is not in words: %q", p.Expired.Text)
		checkChecklist(t, "expired token", p.Expired, "Expiry", "expired 2 hours ago")
		// The checks after the failed one are listed as skipped.
		checkChecklist(t, "expired token", p.Expired, "Audience", "not checked: an earlier check failed")
		assert.True(t, p.JSONOpened, "the decision JSON did not open when its summary was clicked")
		checkVerdict(t, "valid token", p.Valid, true, "")
		checkChecklist(t, "valid token", p.Valid, "Signature", "signed with RS256 by key rs-1 (RSA-2048 public key)")
		checkChecklist(t, "valid token", p.Valid, "Expiry", "expires in 1 hour")
		assert.False(t, !contains(p.Valid.Claims, "sub") || !contains(p.Valid.Claims, "exp"), "the valid token's claims are not shown: %q", p.Valid.Claims)
		checkVerdict(t, "garbage token", p.Garbage, false, "invalid_token")
		assert.Contains(t, p.Garbage.Text, "token has 1 part;", "garbage: %q", p.Garbage.Text)
		assert.Contains(t, p.Empty.Error, "No token", "an empty token shows %+v, want the error \"No token\"", p.Empty)
		assert.False(t, !strings.Contains(p.BadPolicy.Error, "The policy was refused") || !strings.Contains(p.BadPolicy.Error, "policy"), "a broken policy shows %+v, want \"The policy was refused\"", p.BadPolicy)
		checkVerdict(t, "demo valid", p.DemoValid, true, "")
		checkChecklist(t, "demo valid", p.DemoValid, "Signature", "signed with ES256 by key k1")
		checkVerdict(t, "demo expired", p.DemoExpired, false, "token_expired")
		checkChecklist(t, "demo expired", p.DemoExpired, "Expiry", "expired 5 minutes ago")
		checkVerdict(t, "demo EdDSA", p.DemoEd, true, "")
		checkChecklist(t, "demo EdDSA", p.DemoEd, "Signature", "signed with EdDSA by key ed-1")
		// The page loads the module by its content-hashed name, preloaded
		// and fetched once, to be cached for a year.
		assert.EqualValues(t, 1, hashedHits.Load(), "fetches of the page's module %s (preloaded, then compiled from the preload)", site.HashedModule)
		assert.Equal(t, "public, max-age=31536000, immutable", hashedCaching.Load(), "Cache-Control of %s", site.HashedModule)
		t.Logf("screenshots: %s, %s", in.Screenshot, in.ScreenshotValid)
		for _, f := range []string{in.Screenshot, in.ScreenshotValid} {
			fi, err := os.Stat(f)
			if assert.NoError(t, err, "screenshot") {
				assert.GreaterOrEqual(t, fi.Size(), int64(10_000), "screenshot %s", f)
			}
		}
	})

	t.Run("jwks_url", func(t *testing.T) {
		assert.Equal(t, fmt.Sprint([]string{jwksURL, missingURL}), fmt.Sprint(out.JWKS.URLs), "gate.jwksURLs = %q", out.JWKS.URLs)
		var reqs []core.Request
		for _, tok := range in.JWKS.Tokens {
			reqs = append(reqs, core.Request{Token: tok, Now: testcorpus.Now, Explain: true})
		}
		native := nativeJSON(t, []byte(jwksPolicy), core.Config{Keys: fakeKeys{jwksURL: jwksText}}, reqs...)
		require.Len(t, out.JWKS.Decisions, len(native), "%d decisions, want %d", len(out.JWKS.Decisions), len(native))
		for i := range native {
			assert.Equal(t, native[i], out.JWKS.Decisions[i], "token %d: browser and native differ\n browser: %s\n  native: %s", i, clip(out.JWKS.Decisions[i]), clip(native[i]))
		}
		var first core.Decision
		require.NoError(t, json.Unmarshal([]byte(native[0]), &first))
		assert.True(t, first.Valid, "the jwks_url key did not verify the token: %s", clip(native[0]))
		var obj map[string]any
		assert.NoError(t, json.Unmarshal(out.JWKS.Object, &obj), "gate.verify did not resolve to the decision object: %s", out.JWKS.Object)
		assert.Equal(t, true, obj["valid"], "gate.verify did not resolve to the decision object: %s", out.JWKS.Object)
		// Five verifications, one fetch of each URL: the set is cached, and
		// a failed fetch is not retried at once.
		assert.Equal(t, []int32{1, 1}, []int32{jwksHits.Load(), missingHits.Load()}, "fetches of jwks.json and missing.json (cached)")
		// Rotation: the token's kid is missing from the first fetch, so the
		// set is fetched again and the decision is the one native gives
		// with the new set; the next verification uses the cache.
		rotated := nativeJSON(t, []byte(in.JWKS.RotatingPolicy), core.Config{Keys: fakeKeys{rotatingURL: jwksText}},
			core.Request{Token: in.JWKS.Tokens[0], Now: testcorpus.Now, Explain: true})[0]
		assert.False(t, out.JWKS.Rotated != rotated || out.JWKS.RotatedAgain != rotated, "after rotation:\n browser: %s\n   again: %s\n  native: %s", clip(out.JWKS.Rotated), clip(out.JWKS.RotatedAgain), clip(rotated))
		assert.EqualValues(t, 2, rotatingHits.Load(), "rotating.json fetches")
	})

	t.Run("api", func(t *testing.T) {
		a := out.API
		_, nativeErr := core.ParseBundle("files.yaml", []byte(in.API.FilePolicy), publicOnly)
		assert.False(t, a.FileKey == nil || !a.FileKey.IsPolicyError || nativeErr == nil || a.FileKey.Message != nativeErr.Error() || a.FileKey.Field != "keys[0].pem_file", "a file-based key: got %+v, want PolicyError %q", a.FileKey, nativeErr)
		assert.False(t, a.BadYAML == nil || a.BadYAML.Name != "PolicyError", "bad YAML: %+v", a.BadYAML)
		_, nativeErr = core.ParseBundle("secret.yaml", []byte(in.API.SecretPolicy), publicOnly)
		assert.False(t, a.YAML == nil || !a.YAML.IsPolicyError || !strings.Contains(a.YAML.Message, "JSON policies only"), "a YAML policy: got %+v, want a PolicyError saying the module reads JSON", a.YAML)
		assert.False(t, a.Secret == nil || !a.Secret.IsPolicyError || nativeErr == nil || a.Secret.Message != nativeErr.Error() || a.Secret.Field != "keys[0].secret", "a shared secret: got %+v, want PolicyError %q", a.Secret, nativeErr)
		for name, e := range map[string]struct {
			got  *caughtError
			want string
		}{
			"policy 42": {a.NotString, "TypeError"}, "token 42": {a.TokenNotString, "TypeError"},
			"now NaN": {a.NowNaN, "RangeError"}, "now string": {a.NowString, "TypeError"},
			"new JWTGate()": {a.NoConstructor, "TypeError"}, "closed gate": {a.Closed, "Error"},
		} {
			assert.False(t, e.got == nil || e.got.Name != e.want, "%s: got %+v, want a thrown %s", name, e.got, e.want)
		}
		var d map[string]any
		assert.NoError(t, json.Unmarshal(a.DefaultNow, &d), "verify with the default now: %s", a.DefaultNow)
		assert.NotNil(t, d["valid"], "verify with the default now: %s", a.DefaultNow)
		want := nativeJSON(t, []byte(in.API.Policy), core.Config{Replay: core.NewMemoryReplayStore(0)}, core.Request{Token: hsValid.Token, Now: hsValid.Now})[0]
		var w1, w2 any
		json.Unmarshal([]byte(want), &w1)
		json.Unmarshal(a.DateNow, &w2)
		assert.Equal(t, fmt.Sprint(w2), fmt.Sprint(w1), "now as a Date: %s, native %s", a.DateNow, want)
		assert.True(t, a.ObjectPolicy, "a policy given as an object was not loaded")
		assert.False(t, a.RefusingWebCrypto.Valid || a.RefusingWebCrypto.Code != core.CodeInvalidToken, "webCrypto: true did not ask crypto.subtle.verify: %+v", a.RefusingWebCrypto)
		// The module links no signature arithmetic (the tag
		// jwtgate_webcrypto): without WebCrypto it loads no policy.
		for name, e := range map[string]*caughtError{"webCrypto: false": a.WebCryptoOff, "no crypto.subtle": a.NoSubtle} {
			assert.False(t, e == nil || e.Name != "Error" || !strings.Contains(e.Message, "WebCrypto"), "%s: got %+v, want a thrown Error naming WebCrypto", name, e)
		}
		assert.True(t, a.SubtleBack, "crypto.subtle was not restored")
	})

	t.Run("figures", func(t *testing.T) {
		var lines []string
		var timed []e2eModule
		for _, m := range mods {
			if m.Figures {
				timed = append(timed, m)
			}
		}
		for _, m := range timed {
			fi, err := os.Stat(m.Path)
			require.NoError(t, err)
			raw, gz, br := int(fi.Size()), out.Gzip[m.Name], out.Brotli[m.Name]
			lines = append(lines, fmt.Sprintf("module %-8s raw %9d B (%.2f MiB)  gzip -9 %8d B (%.2f MiB)  brotli q11 %8d B (%.2f MiB)",
				m.Name, raw, mib(raw), gz, mib(gz), br, mib(br)))
		}
		for _, m := range timed {
			loads := out.Load[m.Name]
			var ms, pol []float64
			for _, l := range loads {
				ms, pol = append(ms, l.Module), append(pol, l.Loaded)
			}
			lines = append(lines, fmt.Sprintf("load %-9s fetch+compile+start+policy+first verify, cold: median %.0f ms of %v; in a loaded page, policy load + first verify: median %.1f ms",
				m.Name, median(ms), rounded(ms), median(pol)))
		}
		for _, m := range timed {
			for _, alg := range append(benchAlgs, "RS256 repeated") {
				var rates []float64
				for _, b := range out.Bench[m.Name][alg] {
					rates = append(rates, b.PerSecond)
				}
				if !assert.NotEmpty(t, rates, "no %s figures for %s", alg, m.Name) {
					continue
				}
				sort.Float64s(rates)
				lines = append(lines, fmt.Sprintf("chromium %-8s %s: median %5.0f, best %5.0f decisions/s (%d rounds of 1 s, through await gate.verifyJSON)",
					m.Name, alg, median(rates), rates[len(rates)-1], len(rates)))
			}
		}
		// Native, in this process, for scale.
		for _, alg := range benchAlgs {
			if raceEnabled {
				lines = append(lines, "native: not measured under the race detector")
				break
			}
			p, _ := core.ParseBundle("testcorpus.json", []byte(in.Bench.Policy), publicOnly)
			v, _ := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
			req := core.Request{Token: in.Bench.Tokens[alg], Now: testcorpus.Now}
			var rates []float64
			for round := 0; round < 3; round++ {
				n, start := 0, time.Now()
				for time.Since(start) < 500*time.Millisecond {
					d := v.Verify(context.Background(), req)
					require.True(t, d.Valid, "native %s: %s", alg, d.Reason)
					n++
				}
				rates = append(rates, float64(n)/time.Since(start).Seconds())
			}
			sort.Float64s(rates)
			lines = append(lines, fmt.Sprintf("native   (this process) %s: median %5.0f, best %5.0f decisions/s", alg, median(rates), rates[len(rates)-1]))
		}
		t.Log("figures:\n  " + strings.Join(lines, "\n  "))
		if f := os.Getenv("JWTGATE_FIGURES"); f != "" {
			os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
		}
	})
}

// benchAlgs are the algorithms timed in the page, one valid corpus token each.
var benchAlgs = []string{"RS256", "ES256", "EdDSA"}

func benchTokens(t *testing.T, cases []testcorpus.Case) map[string]string {
	return map[string]string{
		"RS256": caseByName(t, cases, "valid/RS256").Token,
		"ES256": caseByName(t, cases, "valid/ES256").Token,
		"EdDSA": caseByName(t, cases, "valid/EdDSA").Token,
	}
}

func edJWKS(k *jwttest.KeySet) string {
	x := base64.RawURLEncoding.EncodeToString(k.Ed25519.Public().(ed25519.PublicKey))
	return fmt.Sprintf(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":%q}]}`, x)
}

func checkVerdict(t *testing.T, what string, v shownVerdict, valid bool, code string) {
	t.Helper()
	if !assert.NotNil(t, v.Valid, "%s: no verdict shown (%q)", what, v.Text) {
		return
	}
	assert.False(t, *v.Valid != valid || v.Code != code, "%s: shown valid=%v code=%q, want valid=%v code=%q (%q)", what, *v.Valid, v.Code, valid, code, v.Text)
}

// checkChecklist checks that the trace is shown as a checklist: an icon per
// step (✓ for passed, ✗ for the failed one), a title, and the step named
// with a detail in words.
func checkChecklist(t *testing.T, what string, v shownVerdict, step, detail string) {
	t.Helper()
	if !assert.GreaterOrEqual(t, len(v.Trace), 4, "%s: the trace is not a checklist", what) {
		return
	}
	for _, it := range v.Trace {
		want := map[string]string{"pass": "✓", "fail": "✗", "skip": "–", "info": "ℹ"}[it.Outcome]
		assert.False(t, want == "" || it.Icon != want, "%s: step %q (%s) shows icon %q", what, it.Step, it.Outcome, it.Icon)
	}
	// A refusal ends on the failed step, then the checks that never ran,
	// skipped; an acceptance ends on the decision.
	end := len(v.Trace)
	for end > 1 && v.Trace[end-1].Outcome == "skip" && strings.HasPrefix(v.Trace[end-1].Detail, "not checked") {
		end--
	}
	last := v.Trace[end-1]
	valid := v.Valid != nil && *v.Valid
	assert.False(t, valid != (last.Outcome == "pass" && last.Step == "Decision") || !valid && last.Outcome != "fail" || valid && end != len(v.Trace), "%s: the checklist ends on %+v for valid=%v", what, last, valid)
	for _, it := range v.Trace {
		if it.Step == step && strings.Contains(it.Detail, detail) {
			return
		}
	}
	assert.Fail(t, fmt.Sprintf("%s: no %q step saying %q in %+v", what, step, detail, v.Trace))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

func mib(n int) float64 { return float64(n) / (1 << 20) }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func rounded(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x + 0.5)
	}
	return out
}
