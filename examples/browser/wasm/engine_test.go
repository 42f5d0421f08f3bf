package main

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
	"github.com/jwtgate/jwtgate/internal/testcorpus"
)

// The engine is the module's logic without syscall/js; these tests run it
// natively. browser_test.go runs it in Chromium.

func TestNowFromSeconds(t *testing.T) {
	for _, want := range []time.Time{
		testcorpus.Now, testcorpus.Now.Add(500 * time.Millisecond), testcorpus.Now.Add(-time.Millisecond),
		time.Unix(0, 0).UTC(), time.Unix(-1, 250_000_000).UTC(),
	} {
		sec := float64(want.Unix()) + float64(want.Nanosecond())/1e9
		got, err := nowFromSeconds(sec)
		if err != nil || !got.Equal(want) {
			t.Errorf("nowFromSeconds(%v) = %v, %v; want %v", sec, got, err, want)
		}
	}
	zero, err := nowFromSeconds(zeroTimeSeconds)
	if err != nil || !zero.IsZero() {
		t.Errorf("nowFromSeconds(zeroTimeSeconds) = %v, %v; want the zero time", zero, err)
	}
	// Date.now()/1000 keeps milliseconds.
	if got, _ := nowFromSeconds(1795780800.123); got.Nanosecond() != 123_000_000 {
		t.Errorf("milliseconds lost: %v", got)
	}
	for _, bad := range []float64{nan(), inf(1), inf(-1), 1e14, -1e14} {
		var ue *usageError
		if _, err := nowFromSeconds(bad); !errors.As(err, &ue) || ue.kind != "RangeError" {
			t.Errorf("nowFromSeconds(%v): %v, want a RangeError", bad, err)
		}
	}
}

func nan() float64         { z := 0.0; return z / z }
func inf(sign int) float64 { z := 0.0; return float64(sign) / z }

func TestEngineCorpus(t *testing.T) {
	e := newEngine()
	for _, g := range testcorpus.Groups(testcorpus.Cases()) {
		r, err := e.load("testcorpus.yaml", string(g.Policy), nil)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := core.ParsePolicy("testcorpus.yaml", g.Policy, core.LoadOptions{})
		v, _ := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		for _, c := range g.Cases {
			now, err := nowFromSeconds(float64(c.Now.Unix()) + float64(c.Now.Nanosecond())/1e9)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.verify(r.Handle, verifyArgs{Token: c.Token, Now: now, Explain: c.Explain, Redirect: c.RedirectParam, Integration: c.Integration})
			if err != nil {
				t.Fatal(err)
			}
			if want := v.Verify(t.Context(), c.Request()).JSON(); string(got) != string(want) {
				t.Errorf("%s:\n got %s\nwant %s", c.Name, got, want)
			}
		}
		e.close(r.Handle)
		if _, err := e.verify(r.Handle, verifyArgs{Token: "x", Now: testcorpus.Now}); err == nil {
			t.Error("verify after close: no error")
		}
	}
}

func TestEngineRefusesFilesAndEnv(t *testing.T) {
	e := newEngine()
	for field, policy := range map[string]string{
		"keys[0].pem_file":    "pem_file: /k.pem",
		"keys[0].jwks_file":   "jwks_file: /k.json",
		"keys[0].secret_file": "secret_file: /s",
		"keys[0].secret_env":  "secret_env: SECRET",
	} {
		text := "integrations:\n  - name: a\n    issuer: https://a.example\n    algorithms: [HS256]\n    keys:\n      - " + policy + "\n"
		_, err := e.load("p.yaml", text, nil)
		var pe *core.PolicyError
		if !errors.As(err, &pe) || pe.Field != field || !strings.Contains(pe.Reason, "here; inline") {
			t.Errorf("%s: %v, want a PolicyError on %s saying to inline it", policy, err, field)
		}
	}
}

func TestEngineKeyProvider(t *testing.T) {
	e := newEngine()
	const url = "https://keys.example/jwks.json"
	text := "integrations:\n  - name: a\n    issuer: " + testcorpus.IssRS + "\n    algorithms: [RS256]\n    keys:\n      - jwks_url: " + url + "\n"
	calls := 0
	var answer string
	var fail error
	r, err := e.load("p.yaml", text, func(u, kid string) (string, error) {
		calls++
		if u != url || kid != "rs-1" {
			t.Errorf("provider(%q, %q)", u, kid)
		}
		return answer, fail
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.JWKSURLs) != 1 || r.JWKSURLs[0] != url {
		t.Fatalf("JWKSURLs = %q", r.JWKSURLs)
	}
	var tok string
	for _, c := range testcorpus.Cases() {
		if c.Name == "valid/RS256" {
			tok = c.Token
		}
	}
	decide := func() string {
		b, err := e.verify(r.Handle, verifyArgs{Token: tok, Now: testcorpus.Now})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	fail = errors.New("fetching the key set failed: HTTP 500")
	if d := decide(); !strings.Contains(d, `"code":"keys_unavailable"`) || !strings.Contains(d, "HTTP 500") {
		t.Errorf("a failing provider: %s", d)
	}
	fail, answer = nil, `{"keys": [}`
	if d := decide(); !strings.Contains(d, `"code":"keys_unavailable"`) || !strings.Contains(d, "does not parse") {
		t.Errorf("an unparsable set: %s", d)
	}
	k := jwttest.Keys()
	answer = `{"keys":[{"kty":"RSA","kid":"rs-1","n":"` + b64(k.RSA.N.Bytes()) + `","e":"AQAB"}]}`
	for i := 0; i < 3; i++ {
		if d := decide(); !strings.HasPrefix(d, `{"valid":true`) {
			t.Fatalf("a good set: %s", d)
		}
	}
	if calls != 5 {
		t.Errorf("provider called %d times, want once per verification (5)", calls)
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
