package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// A token whose payload names its issuer twice routes nowhere, as the core
// reads it: it is not sent to the remote validation endpoint of the issuer
// a lenient reading (the last member) would pick.
func TestDuplicatedIssuerIsNotRouted(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.okto.set(answer(http.StatusOK, `{"user_id":"wallet-user-7"}`))
	payload := `{"iss":"https://elsewhere.example","iss":"` + oktoIssuer + `","user_id":"wallet-user-7","exp":` +
		strconv.FormatInt(e.clock.Now().Unix()+3600, 10) + `}`
	tok := jwttest.SignRaw("HS256", []byte(oktoSecret), `{"alg":"HS256"}`, payload)

	r := e.verify(tok)
	assert.Equal(t, http.StatusUnauthorized, r.status, r.body)
	assert.Equal(t, "invalid_token", r.json["error"])
	assert.Zero(t, e.okto.hits.Load(), "the token went to no validation endpoint")

	// The same claims without the second iss are the endpoint's to judge.
	ok := e.oktoToken(nil)
	r = e.verify(ok)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, int32(1), e.okto.hits.Load())
}

// jwtgate's own tokens are read by the core's hardened JWS path: another
// spelling of a valid signature (non-zero trailing bits, which a lenient
// base64 decoder ignores) is refused, for the access token and the
// session cookie alike.
func TestOwnTokenSignatureSpelling(t *testing.T) {
	e := newEnv(t, envOptions{})
	access := e.oktoAccessToken()
	require.Equal(t, http.StatusOK, e.verify(access).status)

	respelled := respell(t, access)
	r := e.verify(respelled)
	assert.Equal(t, http.StatusUnauthorized, r.status, r.body)
	assert.Equal(t, "invalid_token", r.json["error"])
	r = e.get("/v1/session", "Authorization", "Bearer "+respelled)
	assert.Equal(t, http.StatusUnauthorized, r.status, r.body)

	r = e.get("/auth/jwt?token="+e.acadioToken(nil), "Accept", "application/json")
	require.Equal(t, http.StatusOK, r.status, r.body)
	var cookie *http.Cookie
	for _, c := range r.resp.Cookies() {
		if c.Name == "jwtgate_session" {
			cookie = c
		}
	}
	require.NotNil(t, cookie)
	r = e.get("/v1/session", "Cookie", cookie.Name+"="+cookie.Value)
	require.Equal(t, http.StatusOK, r.status, r.body)
	r = e.get("/v1/session", "Cookie", cookie.Name+"="+respell(t, cookie.Value))
	assert.Equal(t, http.StatusUnauthorized, r.status, r.body)
}

// respell sets the unused low bits of a token's last signature character:
// the same signature bytes to a lenient decoder, another string.
func respell(t *testing.T, tok string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	sig := tok[strings.LastIndexByte(tok, '.')+1:]
	require.NotZero(t, len(sig)%4, "a signature whose last character has unused bits")
	v := strings.IndexByte(alphabet, sig[len(sig)-1])
	out := tok[:len(tok)-1] + string(alphabet[v|1])
	require.NotEqual(t, tok, out)
	a, err := base64.RawURLEncoding.DecodeString(sig)
	require.NoError(t, err)
	b, err := base64.RawURLEncoding.DecodeString(out[strings.LastIndexByte(out, '.')+1:])
	require.NoError(t, err)
	require.Equal(t, a, b, "the same bytes to a lenient decoder")
	return out
}

// recorder is an engine factory whose engines keep every decision they
// give, with its JSON at that moment.
type recorder struct {
	mu   sync.Mutex
	seen []recorded
}

type recorded struct {
	d    *core.Decision
	json string
}

func (rec *recorder) factory(ctx context.Context, file string, data []byte, policy *core.Policy, cfg core.Config) (core.Engine, error) {
	e, err := NativeEngine(ctx, file, data, policy, cfg)
	return recordingEngine{e, rec}, err
}

type recordingEngine struct {
	core.Engine
	rec *recorder
}

func (e recordingEngine) Verify(ctx context.Context, req core.Request) *core.Decision {
	d := e.Engine.Verify(ctx, req)
	e.rec.mu.Lock()
	e.rec.seen = append(e.rec.seen, recorded{d, string(d.JSON())})
	e.rec.mu.Unlock()
	return d
}

// unchanged asserts that every decision given is as the core made it.
func (rec *recorder) unchanged(t *testing.T) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.NotEmpty(t, rec.seen)
	for _, r := range rec.seen {
		assert.JSONEq(t, r.json, string(r.d.JSON()), "the server changed a decision")
	}
	rec.seen = nil
}

// The server enriches what a decision says in values of its own: the
// group resolver's groups and the token tester's note reach the answers,
// and the engine's decisions are left as the core made them.
func TestDecisionsAreLeftAsTheCoreMadeThem(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, envOptions{engine: rec.factory})

	tok := mint(t, rsaKey(t, 0), "okera-1", claims(e.clock.Now(), okeraIssuer, map[string]any{"sub": "jane"}))
	r := e.verify(tok)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, []any{"resolved-a", "resolved-b"}, r.json["groups"], "the resolver's groups")
	rec.unchanged(t)

	body, _ := json.Marshal(map[string]string{"token": e.authonomyToken(nil)})
	r = e.post("/v1/integrations/authonomy/test", "application/json", string(body), "Authorization", "Bearer "+adminToken)
	require.Equal(t, http.StatusOK, r.status, r.body)
	trace := r.json["trace"].([]any)
	assert.Equal(t, "token tester: the jti is neither checked against the replay store nor consumed",
		trace[len(trace)-1].(map[string]any)["detail"], "the tester's note ends the trace")
	rec.unchanged(t)
}

// A session repeats the subject its integration accepted, whatever that
// integration's max_header_value_bytes: jwtgate's own integration takes
// the largest.
func TestOwnTokenCarriesALongSubject(t *testing.T) {
	e := newEnv(t, envOptions{noStart: true})
	e.write(strings.Replace(e.testConfig(""), "    max_age: 10m\n", "    max_age: 10m\n    max_header_value_bytes: 16384\n", 1))
	e.srv = e.start(filepath.Join(e.dir, "data"))
	e.url = httptestServer(t, e.srv)
	email := strings.Repeat("s", 4500) + "@school.example"
	r := e.get("/auth/jwt?token="+e.acadioToken(map[string]any{"email": email}), "Accept", "application/json")
	require.Equal(t, http.StatusOK, r.status, r.body)
	var cookie string
	for _, c := range r.resp.Cookies() {
		if c.Name == "jwtgate_session" {
			cookie = c.Value
		}
	}
	require.NotEmpty(t, cookie)
	r = e.get("/v1/session", "Cookie", "jwtgate_session="+cookie)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, email, r.json["subject"])
}

// jwtgate's own tokens end exactly at their exp, as their session does,
// and an instance whose clock is behind the one that issued them (its iat
// in the future) still takes them.
func TestOwnTokenLifetime(t *testing.T) {
	e := newEnv(t, envOptions{})
	access := e.oktoAccessToken()

	behind := newClock()
	behind.Advance(-5 * time.Minute)
	other, err := New(t.Context(), Options{ConfigFile: e.config, DataDir: filepath.Join(e.dir, "data"), StoreDSN: e.storeDS, Now: behind.Now})
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	r := send(t, nil, http.MethodPost, httptestServer(t, other)+"/v1/verify", nil, "Authorization", "Bearer "+access)
	assert.Equal(t, http.StatusOK, r.status, "issued 5 minutes ahead of this instance's clock: %s", r.body)

	e.clock.Advance(15*time.Minute - time.Second)
	require.Equal(t, http.StatusOK, e.verify(access).status, "a second before exp")
	e.clock.Advance(time.Second)
	r = e.verify(access)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "token_expired", r.json["error"], "at exp")
}
