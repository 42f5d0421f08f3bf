package core

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// The tests of this file and attacks_test.go drive Verifier.Verify through
// policies built from small YAML fragments. Their helpers carry a "vt"
// prefix so that they cannot collide with helpers of the package's other
// test files.

const (
	vtIssA = "https://a.example"
	vtIssB = "https://b.example"
	// vtSecret is long enough for HS256, HS384 and HS512 alike.
	vtSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	// vtOtherSecret is another secret of the same length.
	vtOtherSecret = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

var (
	vtKeysOnce sync.Once
	ec384Key   *ecdsa.PrivateKey // ES384 signing key
	ec521Key   *ecdsa.PrivateKey // ES512 signing key
	ecKey2     *ecdsa.PrivateKey // a second P-256 key (the attacker's, or a wrong key)
	encECKey   *ecdsa.PrivateKey // P-256 ECDH-ES decryption key
)

// vtKeys generates, once, the keys beyond the fixed ones: EC P-384 and P-521
// signing keys, a second P-256 key and an ECDH-ES decryption key. RSA keys
// are the fixed ones (rsaKey signs, rsaKey2 is the wrong/attacker key
// for signatures and the RSA-OAEP decryption key).
func vtKeys(t testing.TB) {
	vtKeysOnce.Do(func() {
		var err error
		for _, k := range []struct {
			dst   **ecdsa.PrivateKey
			curve elliptic.Curve
		}{{&ec384Key, elliptic.P384()}, {&ec521Key, elliptic.P521()}, {&ecKey2, elliptic.P256()}, {&encECKey, elliptic.P256()}} {
			if *k.dst, err = ecdsa.GenerateKey(k.curve, rand.Reader); err != nil {
				panic(err)
			}
		}
	})
}

// vtIntegration is one integration of a test policy. Keys and Extra are
// YAML written in flow style, one entry or field per string.
type vtIntegration struct {
	Name, Issuer string
	Algs         string   // such as "RS256, PS256"
	Keys         []string // such as `{secret: "…", kid: k1}`
	Extra        []string // integration fields, such as "one_time_use: true"
}

func (in vtIntegration) yaml() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  - name: %s\n    issuer: %s\n    algorithms: [%s]\n    keys:\n", in.Name, in.Issuer, in.Algs)
	for _, k := range in.Keys {
		fmt.Fprintf(&b, "      - %s\n", k)
	}
	for _, e := range in.Extra {
		fmt.Fprintf(&b, "    %s\n", e)
	}
	return b.String()
}

func vtPolicy(ints ...vtIntegration) string {
	var b strings.Builder
	b.WriteString("integrations:\n")
	for _, in := range ints {
		b.WriteString(in.yaml())
	}
	return b.String()
}

// vtVerifier builds a verifier for the integrations, with its own memory
// replay store.
func vtVerifier(t testing.TB, ints ...vtIntegration) *Verifier {
	t.Helper()
	return mustVerifier(t, vtPolicy(ints...))
}

// vtJWK renders one key as an inline jwks key entry (private keys included
// as such, for decryption keys).
func vtJWK(t testing.TB, key any, kid, alg string) string {
	return "{jwks: " + publicJWKS(t, jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg}) + "}"
}

func vtSecretKey(secret, kid, alg string) string {
	s := "{secret: " + strconv.Quote(secret)
	if kid != "" {
		s += ", kid: " + strconv.Quote(kid)
	}
	if alg != "" {
		s += ", algorithm: " + alg
	}
	return s + "}"
}

// vtWant is the expected outcome of one verification. A zero Code means
// the token must be valid.
type vtWant struct {
	Code   Code
	Reason string // a substring of the decision's Reason
	Step   string // the name of the trace's last (failing) step
}

func vtValid() vtWant { return vtWant{} }

func vtReject(code Code, step, reason string) vtWant {
	return vtWant{Code: code, Step: step, Reason: reason}
}

// vtCheck asserts a decision against w, and the invariants every decision
// keeps: a rejection carries a taxonomy code, its fixed message and a
// reason, and (with explain) ends its trace with the failing step; no
// decision comes from a recovered panic.
func vtCheck(t testing.TB, d *Decision, w vtWant) {
	t.Helper()
	require.NotNil(t, d, "Verify returned nil")
	if n := len(d.Trace); n > 0 {
		require.NotEqual(t, "internal", d.Trace[n-1].Name, "a panic was recovered: %s", d.Reason)
	}
	if w.Code == "" {
		require.Truef(t, d.Valid, "want a valid token, got %s: %s", d.Code, d.Reason)
		require.Empty(t, d.Code)
		require.Empty(t, d.Message)
		require.Empty(t, d.Reason)
		if n := len(d.Trace); n > 0 {
			require.Equal(t, Step{Name: "decision", Outcome: OutcomePass, Detail: d.Trace[n-1].Detail}, d.Trace[n-1])
		}
		return
	}
	require.Falsef(t, d.Valid, "want %s (%s), got a valid token", w.Code, w.Reason)
	require.Equalf(t, w.Code, d.Code, "reason: %s", d.Reason)
	require.Contains(t, Codes(), d.Code)
	require.Equal(t, d.Code.Message(), d.Message)
	require.NotEmpty(t, d.Reason)
	if w.Reason != "" {
		require.Contains(t, d.Reason, w.Reason)
	}
	require.NotEmpty(t, d.Trace, "explain was requested")
	last := d.Trace[len(d.Trace)-1]
	require.Equal(t, OutcomeFail, last.Outcome, "the trace ends with the failing step")
	require.Equal(t, d.Reason, last.Detail, "the failing step carries the reason")
	if w.Step != "" {
		require.Equalf(t, w.Step, last.Name, "reason: %s", d.Reason)
	}
}

// vtCase is one row of a table: a token, when to verify it, and the outcome.
type vtCase struct {
	name  string
	token string
	now   time.Time // testNow when zero
	want  vtWant
}

func vtRun(t *testing.T, v *Verifier, cases []vtCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := c.now
			if now.IsZero() {
				now = testNow
			}
			vtCheck(t, verifyAt(v, c.token, now), c.want)
		})
	}
}

// vtB64 is base64url without padding.
func vtB64(b []byte) string { return jwttest.B64(b) }

// vtEncrypt makes a compact JWE of plaintext for the recipient key.
func vtEncrypt(t testing.TB, alg jose.KeyAlgorithm, enc jose.ContentEncryption, key any, plaintext []byte, opts *jose.EncrypterOptions, p2c int) string {
	t.Helper()
	return jwttest.EncryptJOSE(t, alg, enc, key, plaintext, opts, p2c)
}

func vtJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func unix(tm time.Time) int64 { return tm.Unix() }

// ---------------------------------------------------------------------------
// 1. Signature algorithms and key binding.

func TestVerifyEverySignatureAlgorithm(t *testing.T) {
	vtKeys(t)
	type algCase struct {
		alg      jose.SignatureAlgorithm
		key      string // the configured key
		signer   any    // the right private key
		wrong    any    // another key of the same kind
		otherAlg jose.SignatureAlgorithm
		otherKey any // a key for otherAlg, of the same family where one exists
	}
	rsaPub := vtJWK(t, rsaKey.Public(), "", "")
	cases := []algCase{
		{jose.HS256, vtSecretKey(vtSecret, "", ""), []byte(vtSecret), []byte(vtOtherSecret), jose.HS384, []byte(vtSecret)},
		{jose.HS384, vtSecretKey(vtSecret, "", ""), []byte(vtSecret), []byte(vtOtherSecret), jose.HS512, []byte(vtSecret)},
		{jose.HS512, vtSecretKey(vtSecret, "", ""), []byte(vtSecret), []byte(vtOtherSecret), jose.HS256, []byte(vtSecret)},
		{jose.RS256, rsaPub, rsaKey, rsaKey2, jose.RS384, rsaKey},
		{jose.RS384, rsaPub, rsaKey, rsaKey2, jose.RS512, rsaKey},
		{jose.RS512, rsaPub, rsaKey, rsaKey2, jose.RS256, rsaKey},
		{jose.PS256, rsaPub, rsaKey, rsaKey2, jose.RS256, rsaKey},
		{jose.PS384, rsaPub, rsaKey, rsaKey2, jose.PS512, rsaKey},
		{jose.PS512, rsaPub, rsaKey, rsaKey2, jose.PS256, rsaKey},
		{jose.ES256, vtJWK(t, ecKey.Public(), "", ""), ecKey, ecKey2, jose.ES384, ec384Key},
		{jose.ES384, vtJWK(t, ec384Key.Public(), "", ""), ec384Key, ecKey2, jose.ES512, ec521Key},
		{jose.ES512, vtJWK(t, ec521Key.Public(), "", ""), ec521Key, ecKey2, jose.ES256, ecKey},
		{jose.EdDSA, vtJWK(t, edKey.Public(), "", ""), edKey, nil, jose.ES256, ecKey},
	}
	for _, c := range cases {
		t.Run(string(c.alg), func(t *testing.T) {
			v := vtVerifier(t, vtIntegration{Name: "a", Issuer: vtIssA, Algs: string(c.alg), Keys: []string{c.key}})
			good := sign(t, c.alg, c.signer, "", claims(vtIssA, nil), nil)
			rows := []vtCase{
				{name: "right key", token: good, want: vtValid()},
				// The allowed set is enforced: a token of another algorithm
				// is refused even when signed by the right kind of key.
				{name: "alg not allowed", token: sign(t, c.otherAlg, c.otherKey, "", claims(vtIssA, nil), nil),
					want: vtReject(CodeInvalidToken, "algorithm", "is not allowed")},
			}
			if c.wrong != nil {
				wrongSigner := c.wrong
				if c.alg == jose.ES384 || c.alg == jose.ES512 {
					// A wrong key on the right curve.
					k, err := ecdsa.GenerateKey(c.signer.(*ecdsa.PrivateKey).Curve, rand.Reader)
					require.NoError(t, err)
					wrongSigner = k
				}
				rows = append(rows, vtCase{name: "wrong key", token: sign(t, c.alg, wrongSigner, "", claims(vtIssA, nil), nil),
					want: vtReject(CodeInvalidToken, "signature", "does not verify")})
			} else {
				_, other, err := ed25519.GenerateKey(rand.Reader)
				require.NoError(t, err)
				rows = append(rows, vtCase{name: "wrong key", token: sign(t, c.alg, other, "", claims(vtIssA, nil), nil),
					want: vtReject(CodeInvalidToken, "signature", "does not verify")})
			}
			vtRun(t, v, rows)
			d := verifyAt(v, good, testNow)
			require.Equal(t, "a", d.Integration)
			require.Equal(t, "user-123", d.Subject)
			require.Equal(t, []string{"authonomy"}, d.Audience)
			require.Equal(t, testNow.Add(time.Hour).Unix(), d.ExpiresAt)
		})
	}
}

// A key is bound to one family: an RSA key configured for RS256 never
// verifies a PS256 token, an HS256 secret never an HS512 one, and so on,
// even when the integration allows the other algorithm for other keys.
func TestVerifyKeyFamilyBinding(t *testing.T) {
	vtKeys(t)
	v := vtVerifier(t,
		vtIntegration{Name: "rsa", Issuer: vtIssA, Algs: "RS256, PS256, ES256, ES384", Keys: []string{
			"{jwks: " + publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), Algorithm: "RS256"}) + "}",
			vtJWK(t, ecKey.Public(), "", ""),
		}},
		vtIntegration{Name: "hmac", Issuer: vtIssB, Algs: "HS256, HS512", Keys: []string{
			vtSecretKey(vtSecret, "", "HS256"),
		}},
	)
	vtRun(t, v, []vtCase{
		{name: "RS256 with the RS256 key", token: sign(t, jose.RS256, rsaKey, "", claims(vtIssA, nil), nil), want: vtValid()},
		{name: "PS256 with the RS256 key", token: sign(t, jose.PS256, rsaKey, "", claims(vtIssA, nil), nil),
			want: vtReject(CodeInvalidToken, "keys", "verifies PS256")},
		{name: "ES256 with the P-256 key", token: sign(t, jose.ES256, ecKey, "", claims(vtIssA, nil), nil), want: vtValid()},
		{name: "ES384 with only a P-256 key", token: sign(t, jose.ES384, ec384Key, "", claims(vtIssA, nil), nil),
			want: vtReject(CodeInvalidToken, "keys", "verifies ES384")},
		{name: "HS256 with the HS256 secret", token: sign(t, jose.HS256, []byte(vtSecret), "", claims(vtIssB, nil), nil), want: vtValid()},
		{name: "HS512 with the HS256 secret", token: sign(t, jose.HS512, []byte(vtSecret), "", claims(vtIssB, nil), nil),
			want: vtReject(CodeInvalidToken, "keys", "verifies HS512")},
	})

	// A policy that lets one RSA key serve two families is refused at load.
	_, err := ParsePolicy("t.yaml", []byte(vtPolicy(vtIntegration{Name: "x", Issuer: vtIssA, Algs: "RS256, PS256",
		Keys: []string{vtJWK(t, rsaKey.Public(), "", "")}})), LoadOptions{})
	require.ErrorContains(t, err, "two algorithm families")
}

// ---------------------------------------------------------------------------
// 2. kid selection.

func TestVerifyKeyIDSelection(t *testing.T) {
	vtKeys(t)
	store := NewMemoryReplayStore(0)
	named := vtIntegration{Name: "named", Issuer: vtIssA, Algs: "RS256", Keys: []string{
		vtJWK(t, rsaKey2.Public(), "k1", ""),
		vtJWK(t, rsaKey.Public(), "k2", ""),
	}, Extra: []string{"one_time_use: true"}}
	p := mustPolicy(t, vtPolicy(named))
	v, err := NewVerifier(p, Config{Replay: store})
	require.NoError(t, err)

	c := func(jti string) map[string]any { return claims(vtIssA, map[string]any{"jti": jti}) }
	cases := []vtCase{
		{name: "right kid k1", token: sign(t, jose.RS256, rsaKey2, "k1", c("1"), nil), want: vtValid()},
		{name: "right kid k2", token: sign(t, jose.RS256, rsaKey, "k2", c("2"), nil), want: vtValid()},
		{name: "no kid, second key verifies", token: sign(t, jose.RS256, rsaKey, "", c("3"), nil), want: vtValid()},
		{name: "no kid, first key verifies", token: sign(t, jose.RS256, rsaKey2, "", c("4"), nil), want: vtValid()},
		{name: "kid of the other key", token: sign(t, jose.RS256, rsaKey, "k1", c("5"), nil),
			want: vtReject(CodeInvalidToken, "signature", "does not verify with any of 1 candidate")},
		{name: "unknown kid", token: sign(t, jose.RS256, rsaKey, "k3", c("6"), nil),
			want: vtReject(CodeInvalidToken, "keys", `kid "k3"`)},
	}
	vtRun(t, v, cases)
	require.Equal(t, 4, store.Len(), "only the valid tokens used their jti")

	for _, kid := range []string{"../../etc/passwd", "/dev/null", "' OR 1=1 --", `k1"}`, "k1\x00", "k1/../k2", "file:///etc/passwd", strings.Repeat("A", 300)} {
		t.Run("kid trick "+strconv.QuoteToASCII(kid[:min(len(kid), 20)]), func(t *testing.T) {
			tok := sign(t, jose.RS256, rsaKey, kid, c("trick"), nil)
			d := verifyAt(v, tok, testNow)
			step := "keys"
			if len(kid) > maxKeyIDLen {
				step = "header"
			}
			vtCheck(t, d, vtReject(CodeInvalidToken, step, ""))
			// No side effects: no claims were trusted, no jti was used.
			require.Nil(t, d.Claims)
			require.Empty(t, d.Subject)
			require.Equal(t, 4, store.Len())
		})
	}

	// With a kid no key has, keys configured without a kid are tried.
	v2 := vtVerifier(t, vtIntegration{Name: "mixed", Issuer: vtIssA, Algs: "RS256", Keys: []string{
		vtJWK(t, rsaKey2.Public(), "k1", ""),
		vtJWK(t, rsaKey.Public(), "", ""),
	}})
	vtRun(t, v2, []vtCase{
		{name: "unknown kid falls back to unnamed key", token: sign(t, jose.RS256, rsaKey, "rotated", claims(vtIssA, nil), nil), want: vtValid()},
		{name: "unknown kid does not reach named keys", token: sign(t, jose.RS256, rsaKey2, "rotated", claims(vtIssA, nil), nil),
			want: vtReject(CodeInvalidToken, "signature", "")},
		{name: "kid k1 does not reach unnamed keys", token: sign(t, jose.RS256, rsaKey, "k1", claims(vtIssA, nil), nil),
			want: vtReject(CodeInvalidToken, "signature", "")},
	})
}

// A jwks_url key set is asked for with the configured URL only, whatever
// the token's kid says.
func TestVerifyKeyIDNeverBecomesAURL(t *testing.T) {
	vtKeys(t)
	src := &vtKeySource{sets: map[string]string{"https://keys.example/jwks": publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "k1"})}}
	p := mustPolicy(t, vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "RS256", Keys: []string{"{jwks_url: https://keys.example/jwks}"}}))
	v, err := NewVerifier(p, Config{Keys: src})
	require.NoError(t, err)
	vtCheck(t, verifyAt(v, sign(t, jose.RS256, rsaKey, "k1", claims(vtIssA, nil), nil), testNow), vtValid())
	for _, kid := range []string{"https://evil.example/jwks", "../../etc/passwd"} {
		vtCheck(t, verifyAt(v, sign(t, jose.RS256, rsaKey, kid, claims(vtIssA, nil), nil), testNow), vtReject(CodeInvalidToken, "keys", ""))
	}
	for _, u := range src.urls() {
		require.Equal(t, "https://keys.example/jwks", u)
	}
}

// vtKeySource is a KeySource serving fixed sets and recording what it is
// asked for.
type vtKeySource struct {
	mu    sync.Mutex
	sets  map[string]string
	asked []string
}

func (s *vtKeySource) KeySet(_ context.Context, url, _ string) (*KeySet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, url)
	doc, ok := s.sets[url]
	if !ok {
		return nil, errors.New("not found")
	}
	return ParseKeySet([]byte(doc))
}

func (s *vtKeySource) urls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.asked...)
}

// ---------------------------------------------------------------------------
// 3. JWE.

const (
	vtKW128 = "kw128-secret-16b"                 // 16 bytes
	vtKW192 = "kw192-secret-24-bytes-ab"         // 24 bytes
	vtKW256 = "kw256-secret-32-bytes-abcdefghij" // 32 bytes
	vtDir   = "dir-cek-32-bytes-abcdefghijklmno" // 32 bytes
	vtPBES2 = "correct horse battery staple"
)

func vtDecryptionKeys(t testing.TB) string {
	return "decryption_keys: [" + strings.Join([]string{
		vtJWK(t, rsaKey2, "", ""),
		vtJWK(t, encECKey, "", ""),
		vtSecretKey(vtKW128, "", "A128KW"),
		vtSecretKey(vtKW192, "", "A192KW"),
		vtSecretKey(vtKW256, "", "A256KW"),
		vtSecretKey(vtDir, "", "dir"),
	}, ", ") + "]"
}

func TestVerifyJWEMatrix(t *testing.T) {
	vtKeys(t)
	v := vtVerifier(t, vtIntegration{Name: "enc", Issuer: vtIssA, Algs: "RS256", Keys: []string{vtJWK(t, rsaKey.Public(), "", "")},
		Extra: []string{vtDecryptionKeys(t)}})
	jwt := (&jose.EncrypterOptions{}).WithContentType("JWT")
	inner := sign(t, jose.RS256, rsaKey, "", claims(vtIssA, nil), nil)
	matrix := []struct {
		alg jose.KeyAlgorithm
		enc jose.ContentEncryption
		key any
	}{
		{jose.RSA_OAEP, jose.A128GCM, rsaKey2.Public()},
		{jose.RSA_OAEP_256, jose.A256GCM, rsaKey2.Public()},
		{jose.RSA_OAEP_256, jose.A256CBC_HS512, rsaKey2.Public()},
		{jose.ECDH_ES, jose.A192GCM, encECKey.Public()},
		{jose.ECDH_ES, jose.A128CBC_HS256, encECKey.Public()},
		{jose.ECDH_ES_A128KW, jose.A128CBC_HS256, encECKey.Public()},
		{jose.ECDH_ES_A192KW, jose.A192CBC_HS384, encECKey.Public()},
		{jose.ECDH_ES_A256KW, jose.A256CBC_HS512, encECKey.Public()},
		{jose.A128KW, jose.A128GCM, []byte(vtKW128)},
		{jose.A192KW, jose.A192CBC_HS384, []byte(vtKW192)},
		{jose.A256KW, jose.A256GCM, []byte(vtKW256)},
		{jose.DIRECT, jose.A256GCM, []byte(vtDir)},
		{jose.DIRECT, jose.A128CBC_HS256, []byte(vtDir)},
	}
	var rows []vtCase
	for _, m := range matrix {
		name := string(m.alg) + "/" + string(m.enc)
		rows = append(rows, vtCase{name: name + " nested JWT", token: vtEncrypt(t, m.alg, m.enc, m.key, []byte(inner), jwt, 0), want: vtValid()})
	}
	// Failures around a working JWE.
	tampered := []byte(inner)
	tampered[len(tampered)-3] ^= 1
	wrongInner := sign(t, jose.RS256, rsaKey2, "", claims(vtIssA, nil), nil)
	rows = append(rows,
		vtCase{name: "unsigned claims refused", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), vtJSON(t, claims(vtIssA, nil)), nil, 0),
			want: vtReject(CodeInvalidToken, "signature", "allow_unsigned")},
		vtCase{name: "wrong KW key", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte("another-16-bytes"), []byte(inner), jwt, 0),
			want: vtReject(CodeInvalidToken, "decryption", "does not decrypt")},
		vtCase{name: "wrong RSA key", token: vtEncrypt(t, jose.RSA_OAEP, jose.A128GCM, rsaKey.Public(), []byte(inner), jwt, 0),
			want: vtReject(CodeInvalidToken, "decryption", "does not decrypt")},
		vtCase{name: "nested badly signed", token: vtEncrypt(t, jose.A256KW, jose.A256GCM, []byte(vtKW256), []byte(wrongInner), jwt, 0),
			want: vtReject(CodeInvalidToken, "signature", "does not verify")},
		vtCase{name: "nested not a JWT", token: vtEncrypt(t, jose.A256KW, jose.A256GCM, []byte(vtKW256), []byte("hello"), nil, 0),
			want: vtReject(CodeInvalidToken, "decryption", "neither claims nor")},
		vtCase{name: "RSA1_5 refused", token: vtEncrypt(t, jose.RSA1_5, jose.A128GCM, rsaKey2.Public(), []byte(inner), jwt, 0),
			want: vtReject(CodeInvalidToken, "algorithm", `"RSA1_5" is not accepted`)},
		vtCase{name: "PBES2 refused when not allowed", token: vtEncrypt(t, jose.PBES2_HS256_A128KW, jose.A128GCM, []byte(vtPBES2), []byte(inner), jwt, 1000),
			want: vtReject(CodeInvalidToken, "algorithm", "does not accept JWE PBES2")},
		vtCase{name: "compression refused when not allowed", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(inner), &jose.EncrypterOptions{Compression: jose.DEFLATE}, 0),
			want: vtReject(CodeInvalidToken, "decryption", "does not allow compression")},
	)
	vtRun(t, v, rows)
	d := verifyAt(v, rows[0].token, testNow)
	require.Equal(t, "enc", d.Integration)
	require.Equal(t, "user-123", d.Subject)
	require.Equal(t, "decryption", d.Trace[1].Name, "trace: %+v", d.Trace)
}

func TestVerifyJWEOptions(t *testing.T) {
	vtKeys(t)
	inner := sign(t, jose.RS256, rsaKey, "", claims(vtIssA, nil), nil)
	jwt := (&jose.EncrypterOptions{}).WithContentType("JWT")
	base := func(extra ...string) vtIntegration {
		return vtIntegration{Name: "enc", Issuer: vtIssA, Algs: "RS256", Keys: []string{vtJWK(t, rsaKey.Public(), "", "")}, Extra: extra}
	}
	kw := "decryption_keys: [" + vtSecretKey(vtKW128, "", "A128KW") + "]"

	t.Run("allow_unsigned", func(t *testing.T) {
		v := vtVerifier(t, base(kw, "encryption: {allow_unsigned: true}"))
		plain := vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), vtJSON(t, claims(vtIssA, nil)), nil, 0)
		vtRun(t, v, []vtCase{
			{name: "unsigned claims accepted", token: plain, want: vtValid()},
			{name: "signed nested still accepted", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(inner), jwt, 0), want: vtValid()},
			{name: "unsigned claims of another issuer", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), vtJSON(t, claims(vtIssB, nil)), nil, 0),
				want: vtReject(CodeConfigurationNotFound, "issuer", "")},
			{name: "unsigned claims expired", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), vtJSON(t, claims(vtIssA, map[string]any{"exp": unix(testNow.Add(-time.Hour))})), nil, 0),
				want: vtReject(CodeTokenExpired, "exp", "")},
		})
		d := verifyAt(v, plain, testNow)
		require.Equal(t, "user-123", d.Subject)
	})

	t.Run("compression", func(t *testing.T) {
		v := vtVerifier(t, base(kw, "encryption: {allow_compression: true, allow_unsigned: true}"))
		zip := &jose.EncrypterOptions{Compression: jose.DEFLATE}
		// A decompression bomb: 5 MB of zeros inside a claim deflate to a
		// few kilobytes.
		bomb := vtJSON(t, claims(vtIssA, map[string]any{"pad": strings.Repeat("0", 5<<20)}))
		bombTok := vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), bomb, zip, 0)
		require.Less(t, len(bombTok), DefaultMaxTokenBytes, "the bomb fits the token size limit")
		// Plain zeros, not even JSON.
		zeroTok := vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), make([]byte, 5<<20), zip, 0)
		require.Less(t, len(zeroTok), DefaultMaxTokenBytes)
		// Just over the plaintext limit, and within go-jose's own limit.
		over := vtJSON(t, claims(vtIssA, map[string]any{"pad": strings.Repeat("0", DefaultMaxPlaintextBytes)}))
		vtRun(t, v, []vtCase{
			{name: "compressed nested JWT", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(inner), zip, 0), want: vtValid()},
			{name: "compressed claims", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), vtJSON(t, claims(vtIssA, nil)), zip, 0), want: vtValid()},
			{name: "bomb of JSON", token: bombTok, want: vtReject(CodeInvalidToken, "decryption", "")},
			{name: "bomb of zeros", token: zeroTok, want: vtReject(CodeInvalidToken, "decryption", "")},
			{name: "plaintext over max_plaintext_bytes", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), over, zip, 0),
				want: vtReject(CodeInvalidToken, "decryption", "the limit is 65536")},
		})
	})

	t.Run("pbes2", func(t *testing.T) {
		v := vtVerifier(t, base("decryption_keys: ["+vtSecretKey(vtPBES2, "", "PBES2-HS256+A128KW")+"]",
			"encryption: {allow_pbes2: true, max_pbes2_count: 5000}"))
		good := vtEncrypt(t, jose.PBES2_HS256_A128KW, jose.A128GCM, []byte(vtPBES2), []byte(inner), jwt, 1000)
		withP2C := func(p2c any) string {
			parts := strings.Split(good, ".")
			hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(hdr, &m))
			if p2c == nil {
				delete(m, "p2c")
			} else {
				m["p2c"] = p2c
			}
			parts[0] = vtB64(vtJSON(t, m))
			return strings.Join(parts, ".")
		}
		vtRun(t, v, []vtCase{
			{name: "p2c 1000", token: good, want: vtValid()},
			{name: "p2c over max_pbes2_count", token: vtEncrypt(t, jose.PBES2_HS256_A128KW, jose.A128GCM, []byte(vtPBES2), []byte(inner), jwt, 6000),
				want: vtReject(CodeInvalidToken, "decryption", "PBES2 count 6000 is outside 1..5000")},
			{name: "p2c ten million", token: withP2C(10_000_000), want: vtReject(CodeInvalidToken, "decryption", "PBES2 count 1e+07 is outside")},
			{name: "p2c huge float", token: withP2C(1e300), want: vtReject(CodeInvalidToken, "decryption", "is outside")},
			{name: "p2c zero", token: withP2C(0), want: vtReject(CodeInvalidToken, "decryption", "is outside")},
			{name: "p2c negative", token: withP2C(-1), want: vtReject(CodeInvalidToken, "decryption", "is outside")},
			{name: "p2c missing", token: withP2C(nil), want: vtReject(CodeInvalidToken, "decryption", "is outside")},
			{name: "p2c string", token: withP2C("1000"), want: vtReject(CodeInvalidToken, "header", "p2c must be a number")},
		})
	})

	t.Run("nested token of another integration", func(t *testing.T) {
		v := vtVerifier(t,
			base(kw),
			vtIntegration{Name: "other", Issuer: vtIssB, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}},
		)
		foreign := sign(t, jose.HS256, []byte(vtSecret), "", claims(vtIssB, nil), nil)
		vtRun(t, v, []vtCase{
			{name: "B's token as itself", token: foreign, want: vtValid()},
			{name: "B's token inside A's JWE", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(foreign), jwt, 0),
				want: vtReject(CodeInvalidToken, "issuer", `integration "enc" decrypted it`)},
			{name: "A's token inside A's JWE", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(inner), jwt, 0), want: vtValid()},
		})
	})

	t.Run("no integration decrypts", func(t *testing.T) {
		v := vtVerifier(t, base())
		vtRun(t, v, []vtCase{
			{name: "JWE to a policy without decryption keys", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(inner), jwt, 0),
				want: vtReject(CodeConfigurationNotFound, "decryption", "")},
		})
	})

	t.Run("content algorithm not allowed", func(t *testing.T) {
		v := vtVerifier(t, base(kw, "encryption: {content_algorithms: [A256GCM]}"))
		vtRun(t, v, []vtCase{
			{name: "A128GCM", token: vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(inner), jwt, 0),
				want: vtReject(CodeInvalidToken, "algorithm", "does not accept JWE A128KW with A128GCM")},
			{name: "A256GCM", token: vtEncrypt(t, jose.A128KW, jose.A256GCM, []byte(vtKW128), []byte(inner), jwt, 0), want: vtValid()},
		})
	})
}

// ---------------------------------------------------------------------------
// 4. Claims.

func vtHS(t testing.TB, c map[string]any) string {
	return sign(t, jose.HS256, []byte(vtSecret), "", c, nil)
}

func TestVerifyClaimsTimeIssuerAudience(t *testing.T) {
	v := vtVerifier(t, vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
		Extra: []string{"audiences: [authonomy, reports]", "clock_skew: 60s"}})
	c := func(extra map[string]any) string { return vtHS(t, claims(vtIssA, extra)) }
	at := func(d time.Duration) int64 { return testNow.Add(d).Unix() }
	vtRun(t, v, []vtCase{
		{name: "valid", token: c(nil), want: vtValid()},
		// iss: exact match.
		{name: "iss trailing slash", token: c(map[string]any{"iss": vtIssA + "/"}), want: vtReject(CodeConfigurationNotFound, "issuer", "")},
		{name: "iss upper case", token: c(map[string]any{"iss": strings.ToUpper(vtIssA)}), want: vtReject(CodeConfigurationNotFound, "issuer", "")},
		{name: "iss with space", token: c(map[string]any{"iss": vtIssA + " "}), want: vtReject(CodeConfigurationNotFound, "issuer", "")},
		{name: "iss missing", token: c(map[string]any{"iss": nil}), want: vtReject(CodeConfigurationNotFound, "issuer", "no iss")},
		{name: "iss unknown", token: c(map[string]any{"iss": "https://unknown.example"}), want: vtReject(CodeConfigurationNotFound, "issuer", "")},
		{name: "iss not a string", token: c(map[string]any{"iss": 42}), want: vtReject(CodeInvalidToken, "issuer", "")},
		{name: "iss array", token: c(map[string]any{"iss": []string{vtIssA}}), want: vtReject(CodeInvalidToken, "issuer", "")},
		// aud.
		{name: "aud string", token: c(map[string]any{"aud": "reports"}), want: vtValid()},
		{name: "aud array", token: c(map[string]any{"aud": []string{"x", "authonomy"}}), want: vtValid()},
		{name: "aud mismatch string", token: c(map[string]any{"aud": "other"}), want: vtReject(CodeInvalidToken, "aud", "does not include")},
		{name: "aud mismatch array", token: c(map[string]any{"aud": []string{"x", "y"}}), want: vtReject(CodeInvalidToken, "aud", "")},
		{name: "aud empty array", token: c(map[string]any{"aud": []string{}}), want: vtReject(CodeInvalidToken, "aud", "")},
		{name: "aud case differs", token: c(map[string]any{"aud": "Authonomy"}), want: vtReject(CodeInvalidToken, "aud", "")},
		{name: "aud missing", token: c(map[string]any{"aud": nil}), want: vtReject(CodeRequiredClaimsFailed, "aud", "no aud")},
		{name: "aud number", token: c(map[string]any{"aud": 1}), want: vtReject(CodeInvalidToken, "aud", "")},
		{name: "aud mixed array", token: c(map[string]any{"aud": []any{"authonomy", 1}}), want: vtReject(CodeInvalidToken, "aud", "")},
		// exp.
		{name: "exp within skew", token: c(map[string]any{"exp": at(-59 * time.Second)}), want: vtValid()},
		{name: "exp beyond skew", token: c(map[string]any{"exp": at(-61 * time.Second)}), want: vtReject(CodeTokenExpired, "exp", "expired")},
		{name: "exp long past", token: c(map[string]any{"exp": at(-48 * time.Hour)}), want: vtReject(CodeTokenExpired, "exp", "")},
		{name: "exp fractional", token: c(map[string]any{"exp": float64(at(time.Hour)) + 0.5}), want: vtValid()},
		{name: "exp as string", token: c(map[string]any{"exp": "tomorrow"}), want: vtReject(CodeInvalidToken, "exp", "exp must be a number")},
		{name: "exp as numeric string", token: c(map[string]any{"exp": strconv.FormatInt(at(time.Hour), 10)}), want: vtReject(CodeInvalidToken, "exp", "")},
		{name: "exp null", token: c(map[string]any{"exp": json.RawMessage("null")}), want: vtReject(CodeInvalidToken, "exp", "")},
		{name: "exp missing", token: c(map[string]any{"exp": nil}), want: vtReject(CodeRequiredClaimsFailed, "exp", "no exp")},
		{name: "exp huge", token: c(map[string]any{"exp": 1e300}), want: vtValid()},
		{name: "exp negative", token: c(map[string]any{"exp": -1}), want: vtReject(CodeTokenExpired, "exp", "")},
		// nbf.
		{name: "nbf past", token: c(map[string]any{"nbf": at(-time.Hour)}), want: vtValid()},
		{name: "nbf future within skew", token: c(map[string]any{"nbf": at(59 * time.Second)}), want: vtValid()},
		{name: "nbf future beyond skew", token: c(map[string]any{"nbf": at(61 * time.Second)}), want: vtReject(CodeTokenNotYetValid, "nbf", "not valid yet: valid in 1m1s")},
		{name: "nbf string", token: c(map[string]any{"nbf": "now"}), want: vtReject(CodeInvalidToken, "nbf", "")},
		// iat.
		{name: "iat future within skew", token: c(map[string]any{"iat": at(59 * time.Second)}), want: vtValid()},
		{name: "iat future beyond skew", token: c(map[string]any{"iat": at(2 * time.Minute)}), want: vtReject(CodeTokenNotYetValid, "iat", "in the future")},
		{name: "iat missing", token: c(map[string]any{"iat": nil}), want: vtValid()},
		{name: "iat bool", token: c(map[string]any{"iat": true}), want: vtReject(CodeInvalidToken, "iat", "")},
		// Several problems: the first in the documented order wins.
		{name: "expired and wrong aud", token: c(map[string]any{"exp": at(-time.Hour), "aud": "x"}), want: vtReject(CodeTokenExpired, "exp", "")},
	})

	// The boundary of the skew, to the nanosecond.
	exp := testNow.Add(-time.Hour)
	tok := c(map[string]any{"exp": exp.Unix(), "iat": exp.Add(-time.Hour).Unix()})
	vtCheck(t, verifyAt(v, tok, exp.Add(60*time.Second)), vtValid())
	vtCheck(t, verifyAt(v, tok, exp.Add(60*time.Second+time.Millisecond)), vtReject(CodeTokenExpired, "exp", ""))
	// The request must carry a time.
	vtCheck(t, verifyAt(v, tok, time.Time{}), vtReject(CodeInvalidToken, "time", "no current time"))
}

func TestVerifyMaxAge(t *testing.T) {
	v := vtVerifier(t, vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
		Extra: []string{"max_age: 5m", "clock_skew: 30s"}})
	c := func(extra map[string]any) string { return vtHS(t, claims(vtIssA, extra)) }
	at := func(d time.Duration) int64 { return testNow.Add(d).Unix() }
	vtRun(t, v, []vtCase{
		{name: "fresh with exp", token: c(nil), want: vtValid()},
		{name: "fresh without exp", token: c(map[string]any{"exp": nil, "iat": at(-4 * time.Minute)}), want: vtValid()},
		{name: "older than max_age within skew", token: c(map[string]any{"exp": nil, "iat": at(-5*time.Minute - 20*time.Second)}), want: vtValid()},
		{name: "older than max_age", token: c(map[string]any{"exp": nil, "iat": at(-10 * time.Minute)}), want: vtReject(CodeTokenExpired, "max_age", "older than max_age")},
		{name: "older than max_age though exp is ahead", token: c(map[string]any{"iat": at(-10 * time.Minute)}), want: vtReject(CodeTokenExpired, "max_age", "")},
		{name: "no iat", token: c(map[string]any{"iat": nil}), want: vtReject(CodeRequiredClaimsFailed, "max_age", "no iat")},
		{name: "no iat no exp", token: c(map[string]any{"iat": nil, "exp": nil}), want: vtReject(CodeRequiredClaimsFailed, "max_age", "no iat")},
		{name: "exp past", token: c(map[string]any{"exp": at(-time.Minute)}), want: vtReject(CodeTokenExpired, "exp", "")},
	})
}

func TestVerifyRequiredClaims(t *testing.T) {
	v := vtVerifier(t, vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
		Extra: []string{"required_claims: [email, {name: s, type: string}, {name: n, type: number}, {name: i, type: integer}, " +
			"{name: b, type: boolean}, {name: a, type: array}, {name: o, type: object}, {name: sa, type: string_array}]"}})
	good := map[string]any{"email": "a@b.c", "s": "x", "n": 1.5, "i": 3, "b": false, "a": []any{1, "x"}, "o": map[string]any{}, "sa": []string{}}
	c := func(name string, val any) string {
		extra := map[string]any{}
		for k, v := range good {
			extra[k] = v
		}
		extra[name] = val
		return vtHS(t, claims(vtIssA, extra))
	}
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	vtRun(t, v, []vtCase{
		{name: "all present", token: c("email", "a@b.c"), want: vtValid()},
		{name: "email any type", token: c("email", 7), want: vtValid()},
		{name: "email missing", token: c("email", nil), want: vtReject(CodeRequiredClaimsFailed, "required_claims", `"email" is missing`)},
		{name: "email null", token: c("email", raw("null")), want: vtReject(CodeRequiredClaimsFailed, "required_claims", `"email" is missing`)},
		{name: "string given number", token: c("s", 1), want: vtReject(CodeRequiredClaimsFailed, "required_claims", `"s" must be string`)},
		{name: "string empty", token: c("s", ""), want: vtValid()},
		{name: "number given string", token: c("n", "1"), want: vtReject(CodeRequiredClaimsFailed, "required_claims", `"n" must be number`)},
		{name: "number integer", token: c("n", 2), want: vtValid()},
		{name: "integer 1.5", token: c("i", 1.5), want: vtReject(CodeRequiredClaimsFailed, "required_claims", `"i" must be integer`)},
		{name: "integer 2.0", token: c("i", raw("2.0")), want: vtReject(CodeRequiredClaimsFailed, "required_claims", "")},
		{name: "integer 1e3", token: c("i", raw("1e3")), want: vtReject(CodeRequiredClaimsFailed, "required_claims", "")},
		{name: "integer negative", token: c("i", -7), want: vtValid()},
		{name: "integer string", token: c("i", "3"), want: vtReject(CodeRequiredClaimsFailed, "required_claims", "")},
		{name: "boolean given string", token: c("b", "true"), want: vtReject(CodeRequiredClaimsFailed, "required_claims", `"b" must be boolean`)},
		{name: "boolean given 0", token: c("b", 0), want: vtReject(CodeRequiredClaimsFailed, "required_claims", "")},
		{name: "array given object", token: c("a", map[string]any{}), want: vtReject(CodeRequiredClaimsFailed, "required_claims", `"a" must be array`)},
		{name: "array empty", token: c("a", []any{}), want: vtValid()},
		{name: "object given array", token: c("o", []any{}), want: vtReject(CodeRequiredClaimsFailed, "required_claims", `"o" must be object`)},
		{name: "string_array mixed", token: c("sa", []any{"x", 1}), want: vtReject(CodeRequiredClaimsFailed, "required_claims", `"sa" must be string_array`)},
		{name: "string_array given string", token: c("sa", "x"), want: vtReject(CodeRequiredClaimsFailed, "required_claims", "")},
		{name: "string_array of strings", token: c("sa", []string{"x", "y"}), want: vtValid()},
	})
}

func TestVerifySubjectClaim(t *testing.T) {
	v := vtVerifier(t,
		vtIntegration{Name: "default", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}},
		vtIntegration{Name: "okto", Issuer: vtIssB, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}, Extra: []string{"subject_claim: user_id"}},
	)
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	cases := []struct {
		name    string
		iss     string
		extra   map[string]any
		subject string
		want    vtWant
	}{
		{"sub", vtIssA, nil, "user-123", vtValid()},
		{"sub missing", vtIssA, map[string]any{"sub": nil}, "", vtReject(CodeRequiredClaimsFailed, "subject", `"sub" is missing`)},
		{"sub empty", vtIssA, map[string]any{"sub": ""}, "", vtReject(CodeRequiredClaimsFailed, "subject", "empty")},
		{"sub null", vtIssA, map[string]any{"sub": raw("null")}, "", vtReject(CodeInvalidToken, "sub", "sub must be a string, found null")},
		{"sub number", vtIssA, map[string]any{"sub": 123}, "", vtReject(CodeInvalidToken, "sub", "sub must be a string")},
		{"sub object", vtIssA, map[string]any{"sub": map[string]any{}}, "", vtReject(CodeInvalidToken, "sub", "")},
		{"okto user_id string", vtIssB, map[string]any{"sub": nil, "user_id": "u-1"}, "u-1", vtValid()},
		{"okto user_id number", vtIssB, map[string]any{"sub": nil, "user_id": 12345}, "12345", vtValid()},
		{"okto user_id big number", vtIssB, map[string]any{"sub": nil, "user_id": raw("9007199254740993")}, "9007199254740993", vtValid()},
		{"okto user_id wins over sub", vtIssB, map[string]any{"user_id": "u-2"}, "u-2", vtValid()},
		{"okto user_id missing", vtIssB, nil, "", vtReject(CodeRequiredClaimsFailed, "subject", `"user_id" is missing`)},
		{"okto user_id bool", vtIssB, map[string]any{"user_id": true}, "", vtReject(CodeRequiredClaimsFailed, "subject", "must be a string")},
		{"okto user_id array", vtIssB, map[string]any{"user_id": []string{"u"}}, "", vtReject(CodeRequiredClaimsFailed, "subject", "")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := verifyAt(v, vtHS(t, claims(c.iss, c.extra)), testNow)
			vtCheck(t, d, c.want)
			if c.want.Code == "" {
				require.Equal(t, c.subject, d.Subject)
			}
		})
	}
}

// groups, roles and permissions are extracted as given. A present empty
// list is an empty non-nil list, kept in the JSON as []; an absent claim is
// nil and absent from the JSON (the Acadio rule).
func TestVerifyGroupsRolesPermissions(t *testing.T) {
	v := vtVerifier(t,
		vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}},
		vtIntegration{Name: "b", Issuer: vtIssB, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
			Extra: []string{"groups_claim: teams", "roles_claim: https://b.example/roles", "permissions_claim: scopes"}},
	)
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	cases := []struct {
		name         string
		iss          string
		extra        map[string]any
		groups       []string
		roles, perms []string
		want         vtWant
	}{
		{name: "absent", iss: vtIssA, want: vtValid()},
		{name: "empty groups", iss: vtIssA, extra: map[string]any{"groups": []string{}}, groups: []string{}, want: vtValid()},
		{name: "null groups", iss: vtIssA, extra: map[string]any{"groups": raw("null")}, want: vtValid()},
		{name: "all three", iss: vtIssA, extra: map[string]any{"groups": []string{"g1", "g2"}, "roles": []string{"admin"}, "permissions": []string{"users:read"}},
			groups: []string{"g1", "g2"}, roles: []string{"admin"}, perms: []string{"users:read"}, want: vtValid()},
		{name: "empty roles and permissions", iss: vtIssA, extra: map[string]any{"roles": []string{}, "permissions": []string{}},
			roles: []string{}, perms: []string{}, want: vtValid()},
		{name: "groups as string", iss: vtIssA, extra: map[string]any{"groups": "g1"}, want: vtReject(CodeRequiredClaimsFailed, "groups", "array of strings")},
		{name: "roles with a number", iss: vtIssA, extra: map[string]any{"roles": []any{"a", 1}}, want: vtReject(CodeRequiredClaimsFailed, "roles", "")},
		{name: "permissions object", iss: vtIssA, extra: map[string]any{"permissions": map[string]any{}}, want: vtReject(CodeRequiredClaimsFailed, "permissions", "")},
		{name: "renamed claims", iss: vtIssB, extra: map[string]any{"groups": []string{"ignored"}, "teams": []string{"t"}, "https://b.example/roles": []string{}, "scopes": []string{"a:b"}},
			groups: []string{"t"}, roles: []string{}, perms: []string{"a:b"}, want: vtValid()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := verifyAt(v, vtHS(t, claims(c.iss, c.extra)), testNow)
			vtCheck(t, d, c.want)
			if c.want.Code != "" {
				return
			}
			var js map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(d.JSON(), &js))
			for _, f := range []struct {
				name string
				got  []string
				want []string
			}{{"groups", d.Groups, c.groups}, {"roles", d.Roles, c.roles}, {"permissions", d.Permissions, c.perms}} {
				if f.want == nil {
					assert.Nil(t, f.got, f.name)
					assert.NotContains(t, js, f.name)
					continue
				}
				require.NotNil(t, f.got, f.name)
				assert.Equal(t, f.want, f.got, f.name)
				assert.JSONEq(t, string(vtJSON(t, f.want)), string(js[f.name]), f.name)
			}
		})
	}
	// The JSON literally carries "groups":[] for an empty list.
	d := verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"groups": []string{}})), testNow)
	require.Contains(t, string(d.JSON()), `"groups":[]`)
	d = verifyAt(v, vtHS(t, claims(vtIssA, nil)), testNow)
	require.NotContains(t, string(d.JSON()), `"groups"`)
}

// ---------------------------------------------------------------------------
// 5. One-time jti.

// vtReplay wraps a MemoryReplayStore, recording what it is asked, or fails
// when err is set.
type vtReplay struct {
	mu       sync.Mutex
	mem      *MemoryReplayStore
	err      error
	ids      []string
	expiries []time.Time
}

func (s *vtReplay) Claim(ctx context.Context, id string, expiry, now time.Time) (bool, error) {
	s.mu.Lock()
	s.ids = append(s.ids, id)
	s.expiries = append(s.expiries, expiry)
	s.mu.Unlock()
	if s.err != nil {
		return false, s.err
	}
	return s.mem.Claim(ctx, id, expiry, now)
}

func TestVerifyOneTimeUse(t *testing.T) {
	store := &vtReplay{mem: NewMemoryReplayStore(0)}
	p := mustPolicy(t, vtPolicy(
		vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
			Extra: []string{"one_time_use: true", "require_roles: {any: [user]}", "clock_skew: 60s"}},
		vtIntegration{Name: "b", Issuer: vtIssB, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
			Extra: []string{"one_time_use: true", "max_age: 10m"}},
	))
	v, err := NewVerifier(p, Config{Replay: store})
	require.NoError(t, err)
	_, err = NewVerifier(p, Config{})
	require.ErrorContains(t, err, "no replay store")

	user := map[string]any{"roles": []string{"user"}}
	tokA := vtHS(t, claims(vtIssA, map[string]any{"jti": "j-1", "roles": []string{"user"}}))
	tokA2 := vtHS(t, claims(vtIssA, map[string]any{"jti": "j-1", "roles": []string{"user"}, "other": 1}))
	tokB := vtHS(t, claims(vtIssB, map[string]any{"jti": "j-1"}))
	denied := vtHS(t, claims(vtIssA, map[string]any{"jti": "j-2"}))
	expired := vtHS(t, claims(vtIssA, map[string]any{"jti": "j-3", "roles": []string{"user"}, "exp": unix(testNow.Add(-time.Hour))}))
	withJTI := func(jti any) string {
		return vtHS(t, claims(vtIssA, map[string]any{"jti": jti, "roles": user["roles"]}))
	}
	vtRun(t, v, []vtCase{
		{name: "first use", token: tokA, want: vtValid()},
		{name: "second use", token: tokA, want: vtReject(CodeTokenReplayed, "jti", `jti "j-1" was already used`)},
		{name: "another token, same jti", token: tokA2, want: vtReject(CodeTokenReplayed, "jti", "")},
		{name: "same jti, other integration", token: tokB, want: vtValid()},
		{name: "other integration, second use", token: tokB, want: vtReject(CodeTokenReplayed, "jti", "")},
		{name: "denied keeps its jti", token: denied, want: vtReject(CodePermissionDenied, "roles", "")},
		{name: "denied again is still denied, not replayed", token: denied, want: vtReject(CodePermissionDenied, "roles", "")},
		{name: "expired keeps its jti", token: expired, want: vtReject(CodeTokenExpired, "exp", "")},
		{name: "missing jti", token: withJTI(nil), want: vtReject(CodeRequiredClaimsFailed, "jti", "no jti")},
		{name: "empty jti", token: withJTI(""), want: vtReject(CodeRequiredClaimsFailed, "jti", "")},
		{name: "numeric jti", token: withJTI(7), want: vtReject(CodeInvalidToken, "jti", "jti must be a string")},
		{name: "huge jti", token: withJTI(strings.Repeat("j", 300)), want: vtReject(CodeRequiredClaimsFailed, "jti", "")},
	})
	// Only the valid tokens reached the store.
	require.Equal(t, []string{"a\x00j-1", "a\x00j-1", "a\x00j-1", "b\x00j-1", "b\x00j-1"}, store.ids)
	require.Equal(t, 2, store.mem.Len())

	// A denied token, once its roles are right, is fresh: its jti was kept.
	fixed := vtHS(t, claims(vtIssA, map[string]any{"jti": "j-2", "roles": []string{"user"}}))
	vtCheck(t, verifyAt(v, fixed, testNow), vtValid())

	// The entry lives while the token could still be accepted, exp plus
	// the skew, and no longer.
	exp := testNow.Add(time.Hour)
	last := exp.Add(60 * time.Second)
	fresh := vtHS(t, claims(vtIssA, map[string]any{"jti": "j-4", "roles": []string{"user"}, "exp": exp.Unix()}))
	vtCheck(t, verifyAt(v, fresh, testNow), vtValid())
	expiry := store.expiries[len(store.expiries)-1]
	require.False(t, expiry.Before(last), "the entry outlives the last instant the token is accepted (%v < %v)", expiry, last)
	require.True(t, expiry.Before(last.Add(time.Hour)), "the entry does not live much longer than the token (%v)", expiry)
	vtCheck(t, verifyAt(v, fresh, last.Add(-time.Second)), vtReject(CodeTokenReplayed, "jti", ""))
	vtCheck(t, verifyAt(v, fresh, last), vtReject(CodeTokenReplayed, "jti", ""))
	vtCheck(t, verifyAt(v, fresh, last.Add(time.Millisecond)), vtReject(CodeTokenExpired, "exp", ""))
	// After it, the store forgets the ID: the same ID is fresh again.
	ok, err := store.mem.Claim(context.Background(), "a\x00j-4", expiry.Add(time.Hour), expiry.Add(time.Second))
	require.NoError(t, err)
	require.True(t, ok, "the replay entry expired")
	ok, err = store.mem.Claim(context.Background(), "a\x00j-4", expiry.Add(time.Hour), expiry.Add(2*time.Second))
	require.NoError(t, err)
	require.False(t, ok)

	// With max_age, the entry lives until iat + max_age (+ skew) when that
	// comes before exp.
	iat := testNow.Add(-time.Minute)
	tb := vtHS(t, claims(vtIssB, map[string]any{"jti": "j-5", "iat": iat.Unix(), "exp": testNow.Add(24 * time.Hour).Unix()}))
	vtCheck(t, verifyAt(v, tb, testNow), vtValid())
	expiry = store.expiries[len(store.expiries)-1]
	require.False(t, expiry.Before(iat.Add(10*time.Minute+DefaultClockSkew)))
	require.True(t, expiry.Before(testNow.Add(time.Hour)))
	// A token without exp, bounded by max_age.
	tb = vtHS(t, claims(vtIssB, map[string]any{"jti": "j-6", "exp": nil}))
	vtCheck(t, verifyAt(v, tb, testNow), vtValid())
	vtCheck(t, verifyAt(v, tb, testNow.Add(time.Minute)), vtReject(CodeTokenReplayed, "jti", ""))
}

// A one-time token may name any exp ("never" is often 9999999999999, far
// past what a store can hold); the core hands the store an expiry within
// the range every store holds, and the token is still used only once.
func TestVerifyOneTimeUseFarFutureExp(t *testing.T) {
	store := &vtReplay{mem: NewMemoryReplayStore(0)}
	p := mustPolicy(t, vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
		Extra: []string{"one_time_use: true", "clock_skew: 5m"}}))
	v, err := NewVerifier(p, Config{Replay: store})
	require.NoError(t, err)
	last := time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
	for i, exp := range []any{9999999999999, 9.2e12, 1e300, int64(math.MaxInt64)} {
		tok := vtHS(t, claims(vtIssA, map[string]any{"jti": fmt.Sprint("far-", i), "exp": exp}))
		vtCheck(t, verifyAt(v, tok, testNow), vtValid())
		got := store.expiries[len(store.expiries)-1]
		require.Equal(t, last, got, "exp %v", exp)
		vtCheck(t, verifyAt(v, tok, testNow), vtReject(CodeTokenReplayed, "jti", ""))
	}
	require.Equal(t, last, ClampTime(time.Unix(1e15, 0)))
	require.Equal(t, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), ClampTime(time.Unix(-1e15, 0)))
	require.Equal(t, testNow, ClampTime(testNow))
}

// A one_time_use integration without max_age requires exp, even when the
// claim list does not say so.
func TestVerifyOneTimeUseRequiresExp(t *testing.T) {
	v := vtVerifier(t, vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}, Extra: []string{"one_time_use: true"}})
	vtCheck(t, verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"jti": "x", "exp": nil})), testNow), vtReject(CodeRequiredClaimsFailed, "exp", ""))
}

func TestVerifyReplayStoreFailureFailsClosed(t *testing.T) {
	for _, storeErr := range []error{errors.New("connection refused"), ErrReplayStoreFull} {
		t.Run(storeErr.Error(), func(t *testing.T) {
			store := &vtReplay{err: storeErr}
			p := mustPolicy(t, vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}, Extra: []string{"one_time_use: true"}}))
			v, err := NewVerifier(p, Config{Replay: store})
			require.NoError(t, err)
			d := verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"jti": "x"})), testNow)
			vtCheck(t, d, vtReject(CodeInvalidToken, "jti", "replay store failed"))
			require.Len(t, store.ids, 1)
		})
	}
	// A full memory store fails closed too.
	mem := NewMemoryReplayStore(1)
	p := mustPolicy(t, vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}, Extra: []string{"one_time_use: true"}}))
	v, err := NewVerifier(p, Config{Replay: mem})
	require.NoError(t, err)
	vtCheck(t, verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"jti": "1"})), testNow), vtValid())
	vtCheck(t, verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"jti": "2"})), testNow), vtReject(CodeInvalidToken, "jti", "full"))
}

// ---------------------------------------------------------------------------
// 6. Size limits.

func TestVerifySizeLimits(t *testing.T) {
	v := vtVerifier(t,
		vtIntegration{Name: "small", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}, Extra: []string{"max_token_bytes: 512"}},
		vtIntegration{Name: "big", Issuer: vtIssB, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}},
	)
	pad := func(iss string, n int) string {
		return vtHS(t, claims(iss, map[string]any{"pad": strings.Repeat("x", n)}))
	}
	small, over := pad(vtIssA, 10), pad(vtIssA, 400)
	require.Less(t, len(small), 512)
	require.Greater(t, len(over), 512)
	bigOK, bigOver := pad(vtIssB, 11<<10), pad(vtIssB, 13<<10)
	require.Less(t, len(bigOK), DefaultMaxTokenBytes)
	require.Greater(t, len(bigOver), DefaultMaxTokenBytes)
	huge := strings.Repeat("A", 2<<20)
	vtRun(t, v, []vtCase{
		{name: "small under its limit", token: small, want: vtValid()},
		{name: "small over its limit", token: over, want: vtReject(CodeInvalidToken, "size", "integration \"small\" allows 512")},
		{name: "default under the limit", token: bigOK, want: vtValid()},
		{name: "default over the limit", token: bigOver, want: vtReject(CodeInvalidToken, "size", "the limit is 16384")},
		{name: "2 MB", token: huge, want: vtReject(CodeInvalidToken, "size", "")},
		{name: "2 MB JWS shape", token: huge[:1<<20] + "." + huge[:1<<20] + ".sig", want: vtReject(CodeInvalidToken, "size", "")},
		{name: "empty", token: "", want: vtReject(CodeInvalidToken, "size", "empty token")},
	})
}

// ---------------------------------------------------------------------------
// 7. Permissions, roles, groups.

func TestVerifyRequirements(t *testing.T) {
	key := []string{vtSecretKey(vtSecret, "", "")}
	v := vtVerifier(t,
		vtIntegration{Name: "perms", Issuer: "https://perms.example", Algs: "HS256", Keys: key,
			Extra: []string{"require_permissions: [\"reports:read:team\", \"users:read\"]"}},
		vtIntegration{Name: "roles-any", Issuer: "https://roles-any.example", Algs: "HS256", Keys: key, Extra: []string{"require_roles: {any: [admin, editor]}"}},
		vtIntegration{Name: "roles-all", Issuer: "https://roles-all.example", Algs: "HS256", Keys: key, Extra: []string{"require_roles: {all: [admin, editor]}"}},
		vtIntegration{Name: "groups", Issuer: "https://groups.example", Algs: "HS256", Keys: key, Extra: []string{"require_groups: {all: [staff], any: [eu, us]}"}},
	)
	tok := func(iss, claim string, list []string) string {
		extra := map[string]any{}
		if list != nil {
			extra[claim] = list
		}
		return vtHS(t, claims(iss, extra))
	}
	denied := func(step string) vtWant { return vtReject(CodePermissionDenied, step, "") }
	vtRun(t, v, []vtCase{
		{name: "perms granted", token: tok("https://perms.example", "permissions", []string{"reports:read:team", "users:read"}), want: vtValid()},
		{name: "perms broader scope", token: tok("https://perms.example", "permissions", []string{"reports:read:global", "users:read:own"}), want: vtValid()},
		{name: "perms admin and wildcard", token: tok("https://perms.example", "permissions", []string{"reports:admin", "*:read"}), want: vtValid()},
		{name: "perms narrower scope", token: tok("https://perms.example", "permissions", []string{"reports:read:own", "users:read"}), want: denied("permissions")},
		{name: "perms one missing", token: tok("https://perms.example", "permissions", []string{"reports:read:team"}), want: denied("permissions")},
		{name: "perms targeted grant", token: tok("https://perms.example", "permissions", []string{"reports:read:global:t1", "users:read"}), want: denied("permissions")},
		{name: "perms absent", token: tok("https://perms.example", "permissions", nil), want: denied("permissions")},
		{name: "perms empty", token: tok("https://perms.example", "permissions", []string{}), want: denied("permissions")},
		{name: "perms malformed", token: tok("https://perms.example", "permissions", []string{"reports:read:team ", "users::read", "users:read:*"}), want: denied("permissions")},
		{name: "roles any one", token: tok("https://roles-any.example", "roles", []string{"editor"}), want: vtValid()},
		{name: "roles any none", token: tok("https://roles-any.example", "roles", []string{"viewer"}), want: denied("roles")},
		{name: "roles any case", token: tok("https://roles-any.example", "roles", []string{"Admin"}), want: denied("roles")},
		{name: "roles any absent", token: tok("https://roles-any.example", "roles", nil), want: denied("roles")},
		{name: "roles all", token: tok("https://roles-all.example", "roles", []string{"editor", "x", "admin"}), want: vtValid()},
		{name: "roles all but one", token: tok("https://roles-all.example", "roles", []string{"admin"}), want: denied("roles")},
		{name: "groups all and any", token: tok("https://groups.example", "groups", []string{"staff", "us"}), want: vtValid()},
		{name: "groups any missing", token: tok("https://groups.example", "groups", []string{"staff"}), want: denied("groups")},
		{name: "groups all missing", token: tok("https://groups.example", "groups", []string{"eu"}), want: denied("groups")},
		{name: "groups empty", token: tok("https://groups.example", "groups", []string{}), want: denied("groups")},
	})
}

func TestDecisionAllows(t *testing.T) {
	v := vtVerifier(t,
		vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}},
		vtIntegration{Name: "b", Issuer: vtIssB, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}, Extra: []string{"require_permissions: [\"users:read\"]"}},
	)
	cases := []struct {
		grants []string
		req    string
		want   bool
	}{
		{[]string{"reports:read:team"}, "reports:read:team", true},
		{[]string{"reports:read:tenant"}, "reports:read:team", true},
		{[]string{"reports:read:global"}, "reports:read:team", true},
		{[]string{"reports:read"}, "reports:read:team", true}, // no scope: tenant
		{[]string{"reports:read"}, "reports:read:global", false},
		{[]string{"reports:read:own"}, "reports:read:team", false},
		{[]string{"reports:write:global"}, "reports:read:team", false},
		{[]string{"reports:admin:team"}, "reports:read:team", true},
		{[]string{"reports:admin:own"}, "reports:read:team", false},
		{[]string{"users:admin"}, "reports:read:team", false},
		{[]string{"*:read:global"}, "reports:read:team", true},
		{[]string{"reports:*"}, "reports:read:team", true},
		{[]string{"*:*:global"}, "reports:read:team", true},
		{[]string{"*:*:own"}, "reports:read:team", false},
		{[]string{"reports:read:team:t1"}, "reports:read:team", false},
		{[]string{"reports:read:team:t1"}, "reports:read:team:t1", true},
		{[]string{"reports:read:team:t1"}, "reports:read:team:t2", false},
		{[]string{"reports:read:team"}, "reports:read:team:t2", true},
		{[]string{"Reports:read:team"}, "reports:read:team", false},
		{[]string{"reports:read:team"}, "reports:*:team", false}, // a requirement cannot be a wildcard
		{[]string{"reports:read:team"}, "reports", false},
		{[]string{"re*:read:team"}, "reports:read:team", false},
		{[]string{"bad", "reports:read:team"}, "reports:read:team", true},
		{nil, "reports:read:team", false},
		{[]string{}, "reports:read:team", false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v allows %s", c.grants, c.req), func(t *testing.T) {
			extra := map[string]any{}
			if c.grants != nil {
				extra["permissions"] = c.grants
			}
			d := verifyAt(v, vtHS(t, claims(vtIssA, extra)), testNow)
			vtCheck(t, d, vtValid())
			require.Equal(t, c.want, d.Allows(c.req))
		})
	}
	// A decision whose requirements were checked answers the same.
	d := verifyAt(v, vtHS(t, claims(vtIssB, map[string]any{"permissions": []string{"users:read", "reports:read:team"}})), testNow)
	vtCheck(t, d, vtValid())
	require.True(t, d.Allows("reports:read:own"))
	require.False(t, d.Allows("reports:write:own"))
	// A rejected decision allows nothing, even with the permission in its
	// (authentic but expired) claims.
	d = verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"permissions": []string{"*:*:global"}, "exp": unix(testNow.Add(-time.Hour))})), testNow)
	vtCheck(t, d, vtReject(CodeTokenExpired, "exp", ""))
	require.NotEmpty(t, d.Permissions)
	require.False(t, d.Allows("reports:read:own"))
	d = verifyAt(v, vtHS(t, claims(vtIssB, map[string]any{"permissions": []string{"reports:read:global"}})), testNow)
	vtCheck(t, d, vtReject(CodePermissionDenied, "permissions", "users:read"))
	require.False(t, d.Allows("reports:read:own"))
	var nilDecision *Decision
	require.False(t, nilDecision.Allows("reports:read:own"))
}

// ---------------------------------------------------------------------------
// 8. Redirects.

func TestVerifyRedirect(t *testing.T) {
	v := vtVerifier(t,
		vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
			Extra: []string{`redirect: {allowed_domains: [app.example.com, "*.example.org"], default: /home}`}},
		vtIntegration{Name: "b", Issuer: vtIssB, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
			Extra: []string{`redirect: {claim: go, allowed_domains: [app.example.com]}`}},
	)
	cases := []struct {
		name         string
		iss          string
		claim, param string
		want         string
	}{
		{name: "no target", iss: vtIssA, want: "/home"},
		{name: "claim exact host", iss: vtIssA, claim: "https://app.example.com/d?x=1", want: "https://app.example.com/d?x=1"},
		{name: "claim host case", iss: vtIssA, claim: "https://APP.example.com/d", want: "https://APP.example.com/d"},
		{name: "claim wildcard subdomain", iss: vtIssA, claim: "https://a.b.example.org/", want: "https://a.b.example.org/"},
		{name: "claim wildcard apex refused", iss: vtIssA, claim: "https://example.org/", want: "/home"},
		{name: "claim relative", iss: vtIssA, claim: "/dashboard?tab=1#x", want: "/dashboard?tab=1#x"},
		{name: "param relative", iss: vtIssA, param: "/settings", want: "/settings"},
		{name: "claim before param", iss: vtIssA, claim: "/from-claim", param: "/from-param", want: "/from-claim"},
		{name: "bad claim, good param", iss: vtIssA, claim: "https://evil.com/", param: "/from-param", want: "/from-param"},
		{name: "other host", iss: vtIssA, claim: "https://evil.com/", want: "/home"},
		{name: "suffix host", iss: vtIssA, claim: "https://evilapp.example.com/", want: "/home"},
		{name: "allowed host as subdomain of evil", iss: vtIssA, claim: "https://app.example.com.evil.com/", want: "/home"},
		{name: "http", iss: vtIssA, claim: "http://app.example.com/", want: "/home"},
		{name: "javascript", iss: vtIssA, claim: "javascript:alert(1)", want: "/home"},
		{name: "JavaScript mixed case", iss: vtIssA, param: "JaVaScRiPt:alert(document.domain)//app.example.com", want: "/home"},
		{name: "data", iss: vtIssA, param: "data:text/html,<script>alert(1)</script>", want: "/home"},
		{name: "protocol relative", iss: vtIssA, claim: "//evil.com/", want: "/home"},
		{name: "protocol relative param", iss: vtIssA, param: "//evil.com", want: "/home"},
		{name: "backslash", iss: vtIssA, param: `/\evil.com`, want: "/home"},
		{name: "backslash in URL", iss: vtIssA, param: `https://app.example.com\@evil.com`, want: "/home"},
		{name: "userinfo", iss: vtIssA, claim: "https://app.example.com@evil.com/", want: "/home"},
		{name: "userinfo with password", iss: vtIssA, claim: "https://app.example.com:x@evil.com/", want: "/home"},
		{name: "encoded slashes", iss: vtIssA, param: "/%2F%2Fevil.com", want: "/home"},
		{name: "dot segments", iss: vtIssA, param: "/a/..//evil.com", want: "/home"},
		{name: "tab", iss: vtIssA, param: "/\t/evil.com", want: "/home"},
		{name: "newline", iss: vtIssA, param: "/ok\r\nSet-Cookie: x=y", want: "/home"},
		{name: "no scheme host", iss: vtIssA, param: "evil.com", want: "/home"},
		{name: "custom claim name", iss: vtIssB, claim: "https://app.example.com/x", want: "https://app.example.com/x"},
		{name: "custom claim refused, no default", iss: vtIssB, claim: "https://evil.com/", want: ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			extra := map[string]any{}
			if c.claim != "" {
				name := "redirect_url"
				if c.iss == vtIssB {
					name = "go"
				}
				extra[name] = c.claim
			}
			d := v.Verify(context.Background(), Request{Token: vtHS(t, claims(c.iss, extra)), Now: testNow, Explain: true, RedirectParam: c.param})
			vtCheck(t, d, vtValid())
			require.Equal(t, c.want, d.Redirect)
		})
	}
	// A rejected token gets no redirect, even an allowed one.
	d := v.Verify(context.Background(), Request{Token: vtHS(t, claims(vtIssA, map[string]any{"exp": unix(testNow.Add(-time.Hour)), "redirect_url": "/x"})),
		Now: testNow, RedirectParam: "/y"})
	require.False(t, d.Valid)
	require.Empty(t, d.Redirect)
	// An integration without a redirect section ignores both.
	v2 := vtVerifier(t, vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}})
	d = v2.Verify(context.Background(), Request{Token: vtHS(t, claims(vtIssA, map[string]any{"redirect_url": "/x"})), Now: testNow, RedirectParam: "/y"})
	vtCheck(t, d, vtValid())
	require.Empty(t, d.Redirect)
}

// ---------------------------------------------------------------------------
// 9. Upstream headers.

func TestVerifyHeaders(t *testing.T) {
	v := vtVerifier(t, vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
		Extra: []string{"headers: {X-User: sub, X-Groups: groups, X-Level: level, X-Meta: meta, X-Flag: flag, X-Mixed: mixed, X-Email: email}"}})
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	cases := []struct {
		name   string
		extra  map[string]any
		want   map[string]string
		code   Code
		reason string // default "control"
	}{
		{name: "strings arrays numbers", extra: map[string]any{"groups": []string{"a", "b", "c"}, "level": 3, "email": "u@example.com"},
			want: map[string]string{"X-User": "user-123", "X-Groups": "a,b,c", "X-Level": "3", "X-Email": "u@example.com"}},
		{name: "empty array", extra: map[string]any{"groups": []string{}}, want: map[string]string{"X-User": "user-123", "X-Groups": ""}},
		{name: "object and booleans as JSON", extra: map[string]any{"meta": raw(`{ "a" : [1, 2] }`), "flag": true, "mixed": raw(`[1, "x"]`), "level": raw("1.50")},
			want: map[string]string{"X-User": "user-123", "X-Meta": `{"a":[1,2]}`, "X-Flag": "true", "X-Mixed": `[1,"x"]`, "X-Level": "1.50"}},
		{name: "null skipped", extra: map[string]any{"email": raw("null")}, want: map[string]string{"X-User": "user-123"}},
		{name: "unicode kept", extra: map[string]any{"email": "zoë@example.com"}, want: map[string]string{"X-User": "user-123", "X-Email": "zoë@example.com"}},
		{name: "newline in a string", extra: map[string]any{"email": "u@example.com\r\nX-Admin: true"}, code: CodeInvalidToken},
		{name: "bare LF", extra: map[string]any{"email": "a\nb"}, code: CodeInvalidToken},
		{name: "NUL", extra: map[string]any{"email": "a\x00b"}, code: CodeInvalidToken},
		{name: "DEL", extra: map[string]any{"email": "a\x7fb"}, code: CodeInvalidToken},
		{name: "newline in an array element", extra: map[string]any{"groups": []string{"a", "b\nX-Admin: 1"}}, code: CodeInvalidToken},
		{name: "escaped newline in an object", extra: map[string]any{"meta": map[string]any{"k": "a\nb"}}, want: map[string]string{"X-User": "user-123", "X-Meta": `{"k":"a\nb"}`}},
		{name: "C1 NEL", extra: map[string]any{"email": "a\u0085b"}, code: CodeInvalidToken, reason: "U+0085"},
		{name: "C1 CSI", extra: map[string]any{"email": "a\u009b31mb"}, code: CodeInvalidToken, reason: "U+009B"},
		{name: "line separator", extra: map[string]any{"email": "a\u2028X-Admin: 1"}, code: CodeInvalidToken, reason: "U+2028"},
		{name: "paragraph separator", extra: map[string]any{"email": "a\u2029b"}, code: CodeInvalidToken, reason: "U+2029"},
		{name: "bidi override", extra: map[string]any{"email": "evil\u202emoc.elpmaxe@u"}, code: CodeInvalidToken, reason: "U+202E"},
		{name: "bidi isolate", extra: map[string]any{"email": "a\u2066b"}, code: CodeInvalidToken, reason: "U+2066"},
		{name: "C1 in an array element", extra: map[string]any{"groups": []string{"a\u0085b"}}, code: CodeInvalidToken, reason: "U+0085"},
		{name: "comma inside a group", extra: map[string]any{"groups": []string{"a,admin"}}, code: CodeInvalidToken, reason: "comma"},
		{name: "padded group", extra: map[string]any{"groups": []string{"a", " admin"}}, code: CodeInvalidToken, reason: "padded"},
		{name: "empty group", extra: map[string]any{"groups": []string{"a", ""}}, code: CodeInvalidToken, reason: "empty"},
		{name: "5 KB value", extra: map[string]any{"email": strings.Repeat("e", 5<<10)}, code: CodeInvalidToken, reason: "the limit is 4096"},
		{name: "4 KB value", extra: map[string]any{"email": strings.Repeat("e", 4<<10)}, want: map[string]string{"X-User": "user-123", "X-Email": strings.Repeat("e", 4<<10)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := verifyAt(v, vtHS(t, claims(vtIssA, c.extra)), testNow)
			if c.code != "" {
				vtCheck(t, d, vtReject(c.code, "headers", cmp.Or(c.reason, "control")))
				return
			}
			vtCheck(t, d, vtValid())
			require.Equal(t, c.want, d.Headers)
		})
	}
}

// A subject names an account; control characters in it would let one token
// name a different account in each system that prints or splits it.
func TestVerifySubjectControlCharacters(t *testing.T) {
	v := mustVerifier(t, `
integrations:
  - name: a
    issuer: https://a.example
    algorithms: [HS256]
    keys: [{secret: "`+hsSecret+`"}]
`)
	for _, sub := range []string{"user\nX-Admin: 1", "user\x00root", "user\x7f", "user\u0085", "user\u2028x", "toor\u202eresu"} {
		d := verifyAt(v, sign(t, "HS256", []byte(hsSecret), "", claims("https://a.example", map[string]any{"sub": sub}), nil), testNow)
		require.False(t, d.Valid, "%q", sub)
		require.Equal(t, CodeRequiredClaimsFailed, d.Code)
		require.Contains(t, d.Reason, "control or formatting character")
	}
	// The subject goes upstream as a header: bounded like one.
	d := verifyAt(v, sign(t, "HS256", []byte(hsSecret), "", claims("https://a.example", map[string]any{"sub": strings.Repeat("u", 4097)}), nil), testNow)
	require.Equal(t, CodeRequiredClaimsFailed, d.Code)
	require.Contains(t, d.Reason, "the limit is 4096")
	d = verifyAt(v, sign(t, "HS256", []byte(hsSecret), "", claims("https://a.example", map[string]any{"sub": "user 1"}), nil), testNow)
	require.True(t, d.Valid, d.Reason)
}

// max_header_value_bytes sets the bound, within limits.
func TestVerifyMaxHeaderValueBytes(t *testing.T) {
	v := vtVerifier(t, vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
		Extra: []string{"headers: {X-Email: email}", "max_header_value_bytes: 100"}})
	vtCheck(t, verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"email": strings.Repeat("e", 100)})), testNow), vtValid())
	vtCheck(t, verifyAt(v, vtHS(t, claims(vtIssA, map[string]any{"email": strings.Repeat("e", 101)})), testNow), vtReject(CodeInvalidToken, "headers", "the limit is 100"))
	for _, bad := range []string{"63", "65537", "-1"} {
		_, err := ParsePolicy("p.yaml", []byte(vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
			Extra: []string{"max_header_value_bytes: " + bad}})), LoadOptions{})
		require.ErrorContains(t, err, "max_header_value_bytes", bad)
	}
}
