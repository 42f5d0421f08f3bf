// Package testcorpus is the shared differential corpus of jwtgate's targets:
// policies and tokens, valid and of every invalid class (the attack
// catalogue and JWE included), that every build of the core (native, the
// wasm plugin, the proxy-wasm filter and the browser module) must decide
// identically, down to the bytes of the decision JSON.
//
// The corpus is deterministic: the keys are fixed (keys/*.pem, test keys
// made for this corpus and nothing else), signatures are deterministic
// (HMAC, RSA PKCS #1 v1.5, ECDSA per RFC 6979, Ed25519), the JWEs use fixed
// IVs, and every time is relative to the fixed Now. Cases() returns the same
// cases, with the same bytes, on every run and every target. Its tokens
// are made with internal/jwttest, the helpers every package's tests share.
package testcorpus

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// Case is one verification.
//
// Cases that share a Policy must run in order against one verifier (one
// replay store): the replay cases depend on the cases before them. Group
// with Groups.
type Case struct {
	Name          string
	Policy        []byte
	Token         string
	Now           time.Time
	Explain       bool
	RedirectParam string
	Integration   string
	// Want is the expected code, "" for a valid token. The differential
	// tests compare targets with each other; Want keeps the corpus honest
	// (a broken policy would otherwise make every case an identical
	// rejection).
	Want core.Code
}

// Request returns the case as a core request.
func (c *Case) Request() core.Request {
	return core.Request{Token: c.Token, Now: c.Now, Explain: c.Explain, RedirectParam: c.RedirectParam, Integration: c.Integration}
}

// Now is the corpus's fixed current time.
var Now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Secrets of the corpus policy.
const (
	HSSecret   = "corpus-hmac-secret-0123456789abcdefghij"
	EncSecret  = "0123456789abcdef0123456789abcdef" // 32 bytes: A256GCM, alg dir
	OpenSecret = "fedcba9876543210fedcba9876543210"
)

// Issuers of the corpus policy's integrations.
const (
	IssHS      = "https://hs.example"
	IssRS      = "https://rs.example"
	IssES      = "https://es.example"
	IssEd      = "https://ed.example"
	IssPerm    = "https://perm.example"
	IssOnce    = "https://once.example"
	IssJWE     = "https://jwe.example"
	IssJWEOpen = "https://jwe-open.example"
	IssAged    = "https://aged.example"
)

var b64 = base64.RawURLEncoding

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Policy returns the corpus policy, as YAML with inline keys. It is long
// because it is one document, read best whole.
func Policy() []byte { return policy(false) }

// PublicKeyPolicy is the policy of PublicKeyCases: Policy with the shared
// secret's integrations guarded by the corpus's Ed25519 key instead, and
// without the JWE integrations (their keys are secrets too).
func PublicKeyPolicy() []byte { return policy(true) }

func policy(public bool) []byte {
	k := jwttest.Keys()
	rsaJWKS := mustJSON(map[string]any{"keys": []any{map[string]any{
		"kty": "RSA", "kid": "rs-1", "alg": "RS256", "use": "sig",
		"n": b64.EncodeToString(k.RSA.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(k.RSA.E)).Bytes()),
	}}})
	edJWKS := mustJSON(map[string]any{"keys": []any{map[string]any{
		"kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "use": "sig",
		"x": b64.EncodeToString(k.Ed25519.Public().(ed25519.PublicKey)),
	}}})
	ecDER, err := x509.MarshalPKIXPublicKey(&k.EC.PublicKey)
	if err != nil {
		panic(err)
	}
	ecPEM := strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})))
	ecPEM = strings.ReplaceAll(ecPEM, "\n", "\n          ")
	text := `# The jwtgate differential corpus policy (internal/testcorpus).
integrations:
  - name: hs
    tenant: tenant-hs
    issuer: ` + IssHS + `
    audiences: [api]
    algorithms: [HS256]
    keys:
      - secret: "` + HSSecret + `"
    required_claims: [email, {name: tenant_id, type: string}]
    headers: {X-User: sub, X-Email: email, X-Groups: groups, X-Meta: metadata}
    redirect: {allowed_domains: [app.example], default: /home}
  - name: rs
    tenant: tenant-rs
    issuer: ` + IssRS + `
    audiences: [api, other-api]
    algorithms: [RS256]
    keys:
      - jwks: ` + rsaJWKS + `
  - name: es
    issuer: ` + IssES + `
    algorithms: [ES256]
    keys:
      - kid: es-1
        pem: |
          ` + ecPEM + `
  - name: ed
    issuer: ` + IssEd + `
    algorithms: [EdDSA]
    keys:
      - jwks: ` + edJWKS + `
  - name: perm
    issuer: ` + IssPerm + `
    algorithms: [HS256]
    keys:
      - secret: "` + HSSecret + `"
    require_permissions: ["reports:read:tenant"]
    require_roles: {any: [admin, auditor]}
  - name: once
    issuer: ` + IssOnce + `
    algorithms: [HS256]
    keys:
      - secret: "` + HSSecret + `"
    one_time_use: true
  - name: jwe
    issuer: ` + IssJWE + `
    algorithms: [HS256]
    keys:
      - secret: "` + HSSecret + `"
    decryption_keys:
      - {secret: "` + EncSecret + `", kid: enc-1, algorithm: dir}
    encryption: {content_algorithms: [A256GCM]}
  - name: jwe-open
    issuer: ` + IssJWEOpen + `
    algorithms: [HS256]
    keys:
      - secret: "` + HSSecret + `"
    decryption_keys:
      - {secret: "` + OpenSecret + `", kid: open-1, algorithm: dir}
    encryption: {allow_unsigned: true}
  - name: aged
    issuer: ` + IssAged + `
    algorithms: [HS256]
    keys:
      - secret: "` + HSSecret + `"
    max_age: 10m
    clock_skew: 0s
    max_token_bytes: 4096
`
	if public {
		jwe := strings.Index(text, "  - name: jwe\n")
		text = text[:jwe] + text[strings.Index(text, "  - name: aged\n"):]
		text = strings.ReplaceAll(text, "algorithms: [HS256]", "algorithms: [EdDSA]")
		text = strings.ReplaceAll(text, `- secret: "`+HSSecret+`"`, "- jwks: "+edJWKS)
		text = strings.Replace(text, "policy (internal/testcorpus)", "policy (internal/testcorpus), public keys only", 1)
	}
	return []byte(text)
}

// Claims returns typical claims for issuer iss at Now, with extra set on
// top (a nil value deletes a claim).
func Claims(iss string, extra map[string]any) map[string]any {
	c := map[string]any{
		"iss": iss, "sub": "user-123", "aud": "api", "email": "john@example.com",
		"tenant_id": "550e8400-e29b-41d4-a716-446655440000", "name": "John <Doe> & Co",
		"exp": Now.Add(time.Hour).Unix(), "iat": Now.Add(-time.Minute).Unix(),
		"roles": []string{"user"}, "groups": []string{"eng", "ops"},
		"permissions": []string{"users:read", "reports:read:own"},
		"metadata":    map[string]any{"department": "Engineering", "employee_id": "E-1234"},
	}
	return jwttest.Merge(c, extra)
}

// tamper flips one character of a token's signature.
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 3
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

func seg(v any) string { return b64.EncodeToString([]byte(mustJSON(v))) }

// Cases returns the corpus, in the order in which it must run. It is long
// because it is a table, and the order of its rows is part of it.
func Cases() []Case { return cases(false) }

// PublicKeyCases is the corpus for a target that takes public keys only
// (the browser module, core.LoadOptions.PublicKeysOnly): the same cases,
// with the tokens that the shared secret signs in Cases signed with EdDSA
// (the alg of their raw headers too), and without the JWE cases that need
// a decryption key. Case names are those of Cases.
func PublicKeyCases() []Case { return cases(true) }

// cases builds the corpus; public swaps the shared secret for the Ed25519
// key (see PublicKeyCases).
func cases(public bool) []Case {
	k := jwttest.Keys()
	hs := []byte(HSSecret)
	doc := policy(public)
	// sign signs a token of the integrations the shared secret guards.
	sign := func(hdr map[string]any, payload any) string { return jwttest.Sign("HS256", hs, hdr, payload) }
	raw := func(header, payload string) string { return jwttest.SignRaw("HS256", hs, header, payload) }
	if public {
		sign = func(hdr map[string]any, payload any) string { return jwttest.Sign("EdDSA", k.Ed25519, hdr, payload) }
		raw = func(header, payload string) string {
			return jwttest.SignRaw("EdDSA", k.Ed25519, strings.ReplaceAll(header, `"HS256"`, `"EdDSA"`), payload)
		}
	}
	var out []Case
	both := func(name string, want core.Code, tok string, mod ...func(*Case)) {
		for _, explain := range []bool{false, true} {
			c := Case{Name: name, Policy: doc, Token: tok, Now: Now, Explain: explain, Want: want}
			if explain {
				c.Name += "/explain"
			}
			for _, m := range mod {
				m(&c)
			}
			out = append(out, c)
		}
	}
	once := func(name string, want core.Code, tok string, explain bool) {
		out = append(out, Case{Name: name, Policy: doc, Token: tok, Now: Now, Explain: explain, Want: want})
	}
	hsTok := func(extra map[string]any) string { return sign(nil, Claims(IssHS, extra)) }
	const (
		ok       = core.Code("")
		invalid  = core.CodeInvalidToken
		expired  = core.CodeTokenExpired
		notYet   = core.CodeTokenNotYetValid
		replayed = core.CodeTokenReplayed
		noConfig = core.CodeConfigurationNotFound
		claims   = core.CodeRequiredClaimsFailed
		denied   = core.CodePermissionDenied
	)

	// Valid tokens of each algorithm.
	both("valid/HS256", ok, hsTok(nil))
	both("valid/RS256", ok, jwttest.Sign("RS256", k.RSA, map[string]any{"kid": "rs-1"}, Claims(IssRS, nil)))
	both("valid/RS256-no-kid", ok, jwttest.Sign("RS256", k.RSA, nil, Claims(IssRS, map[string]any{"aud": []string{"x", "other-api"}})))
	both("valid/ES256", ok, jwttest.Sign("ES256", k.EC, map[string]any{"kid": "es-1"}, Claims(IssES, nil)))
	both("valid/EdDSA", ok, jwttest.Sign("EdDSA", k.Ed25519, map[string]any{"kid": "ed-1"}, Claims(IssEd, nil)))
	both("valid/permissions", ok, sign(nil, Claims(IssPerm, map[string]any{"roles": []string{"auditor"}, "permissions": []string{"reports:read:global"}})))
	both("valid/redirect-claim", ok, hsTok(map[string]any{"redirect_url": "https://app.example/dashboard?x=1&y=<2>"}))
	both("valid/redirect-param", ok, hsTok(nil), func(c *Case) { c.RedirectParam = "https://sub.app.example/next" })
	both("valid/redirect-refused", ok, hsTok(nil), func(c *Case) { c.RedirectParam = "https://evil.example/" })
	both("valid/integration-pinned", ok, hsTok(nil), func(c *Case) { c.Integration = "hs" })
	both("valid/unicode-claims", ok, hsTok(map[string]any{"sub": "ユーザー", "email": "e\u00e9@example.com", "groups": []string{}}))
	both("sub-line-separator", claims, hsTok(map[string]any{"sub": "ユーザー\u2028"}))
	both("sub-not-a-string", invalid, hsTok(map[string]any{"sub": 1234567890123}))
	both("valid/fractional-times", ok, hsTok(map[string]any{"exp": float64(Now.Unix()) + 0.25, "iat": 1.5e9}))
	both("valid/max-age", ok, sign(nil, Claims(IssAged, map[string]any{"exp": nil, "iat": Now.Add(-5 * time.Minute).Unix()})))
	both("valid/ignored-key-headers", ok, jwttest.Sign("RS256", k.RSA, map[string]any{"kid": "rs-1", "jku": "https://evil.example/jwks", "x5u": "https://evil.example/x5", "jwk": map[string]any{"kty": "RSA", "n": b64.EncodeToString(k.RSAOther.N.Bytes()), "e": "AQAB"}}, Claims(IssRS, nil)))
	big := strings.Repeat("x", 9_000)
	both("valid/large-token", ok, hsTok(map[string]any{"padding": big}))
	// The clock: exp exactly at the edge of the skew, and half a second past it.
	edge := hsTok(map[string]any{"exp": Now.Add(-60 * time.Second).Unix()})
	both("time/at-skew-edge", ok, edge)
	both("time/past-skew-edge", expired, edge, func(c *Case) { c.Now = Now.Add(500 * time.Millisecond) })
	both("time/zero-now", invalid, hsTok(nil), func(c *Case) { c.Now = time.Time{} })

	// Invalid classes.
	both("expired", expired, hsTok(map[string]any{"exp": Now.Add(-2 * time.Hour).Unix()}))
	both("expired/max-age", expired, sign(nil, Claims(IssAged, map[string]any{"exp": nil, "iat": Now.Add(-11 * time.Minute).Unix()})))
	both("not-yet-valid/nbf", notYet, hsTok(map[string]any{"nbf": Now.Add(time.Hour).Unix()}))
	both("not-yet-valid/iat", notYet, hsTok(map[string]any{"iat": Now.Add(time.Hour).Unix()}))
	both("wrong-issuer", noConfig, sign(nil, Claims("https://unknown.example", nil)))
	both("no-issuer", noConfig, hsTok(map[string]any{"iss": nil}))
	both("wrong-integration", noConfig, hsTok(nil), func(c *Case) { c.Integration = "rs" })
	both("wrong-audience", invalid, hsTok(map[string]any{"aud": []string{"other"}}))
	both("missing-audience", claims, hsTok(map[string]any{"aud": nil}))
	both("missing-required-claim", claims, hsTok(map[string]any{"email": nil}))
	both("required-claim-wrong-type", claims, hsTok(map[string]any{"tenant_id": 42}))
	both("missing-exp", claims, hsTok(map[string]any{"exp": nil}))
	both("exp-not-a-number", invalid, hsTok(map[string]any{"exp": "tomorrow"}))
	both("missing-subject", claims, hsTok(map[string]any{"sub": nil}))
	both("groups-not-a-list", claims, hsTok(map[string]any{"groups": "eng"}))
	both("header-control-chars", invalid, hsTok(map[string]any{"email": "a@b.c\r\nX-Admin: 1"}))
	both("permission-denied", denied, sign(nil, Claims(IssPerm, map[string]any{"roles": []string{"admin"}})))
	both("permission-denied/roles", denied, sign(nil, Claims(IssPerm, map[string]any{"permissions": []string{"reports:read:tenant"}})))
	both("bad-signature/HS256", invalid, tamper(hsTok(nil)))
	both("bad-signature/RS256", invalid, tamper(jwttest.Sign("RS256", k.RSA, map[string]any{"kid": "rs-1"}, Claims(IssRS, nil))))
	both("bad-signature/ES256", invalid, tamper(jwttest.Sign("ES256", k.EC, nil, Claims(IssES, nil))))
	both("bad-signature/EdDSA", invalid, tamper(jwttest.Sign("EdDSA", k.Ed25519, nil, Claims(IssEd, nil))))
	both("bad-signature/other-key", invalid, jwttest.Sign("RS256", k.RSAOther, map[string]any{"kid": "rs-1"}, Claims(IssRS, nil)))
	both("bad-signature/tampered-payload", invalid, func() string {
		t := strings.Split(hsTok(nil), ".")
		return t[0] + "." + seg(Claims(IssHS, map[string]any{"sub": "admin"})) + "." + t[2]
	}())
	both("unknown-kid", invalid, jwttest.Sign("RS256", k.RSA, map[string]any{"kid": "rs-2"}, Claims(IssRS, nil)))

	// The attack catalogue.
	both("attack/alg-none", invalid, jwttest.Sign("none", nil, nil, Claims(IssHS, nil)))
	both("attack/alg-none-case", invalid, jwttest.Sign("nOnE", nil, nil, Claims(IssHS, nil)))
	rsaPub, _ := x509.MarshalPKIXPublicKey(&k.RSA.PublicKey)
	both("attack/alg-confusion", invalid, jwttest.Sign("HS256", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPub}), map[string]any{"kid": "rs-1"}, Claims(IssRS, nil)))
	both("attack/alg-downgrade", invalid, sign(nil, Claims(IssRS, nil)))
	both("attack/kid-traversal", invalid, jwttest.Sign("RS256", k.RSA, map[string]any{"kid": "../../../../dev/null"}, Claims(IssRS, nil)))
	both("attack/kid-huge", invalid, jwttest.Sign("RS256", k.RSA, map[string]any{"kid": strings.Repeat("k", 300)}, Claims(IssRS, nil)))
	both("attack/crit", invalid, sign(map[string]any{"crit": []string{"exp"}, "exp": 1}, Claims(IssHS, nil)))
	both("attack/empty-signature", invalid, strings.TrimRight(hsTok(nil), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
	both("attack/deep-json", invalid, sign(nil, []byte(`{"iss":"`+IssHS+`","x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`)))
	both("attack/duplicate-iss", invalid, sign(nil, []byte(`{"iss":"https://unknown.example","iss":"`+IssHS+`","sub":"u","aud":"api","exp":`+fmt.Sprint(Now.Add(time.Hour).Unix())+`}`)))
	both("attack/iss-not-string", invalid, hsTok(map[string]any{"iss": 7}))
	both("attack/huge-exp", ok, hsTok(map[string]any{"exp": 1e300}))
	both("attack/nan-like-exp", invalid, sign(nil, []byte(`{"iss":"`+IssHS+`","exp":NaN}`)))

	// More of the attack catalogue, on raw header and payload JSON.
	exp := fmt.Sprint(Now.Add(time.Hour).Unix())
	payload := mustJSON(Claims(IssHS, nil))
	for _, none := range []string{"None", "NONE", "none "} {
		both("attack/alg-"+strings.TrimSpace(none)+"-variant", invalid, b64.EncodeToString([]byte(`{"alg":"`+none+`"}`))+"."+b64.EncodeToString([]byte(payload))+".")
	}
	both("attack/alg-missing", invalid, raw(`{"typ":"JWT"}`, payload))
	both("attack/alg-empty", invalid, raw(`{"alg":""}`, payload))
	both("attack/alg-lower-case", invalid, raw(`{"alg":"hs256"}`, payload))
	both("attack/alg-not-a-string", invalid, raw(`{"alg":["HS256"]}`, payload))
	both("attack/alg-twice", invalid, raw(`{"alg":"none","alg":"HS256"}`, payload))
	both("attack/alg-escaped-twice", invalid, raw(`{"alg":"HS256","\u0061lg":"HS256"}`, payload))
	both("attack/kid-null", invalid, raw(`{"alg":"HS256","kid":null}`, payload))
	both("attack/crit-empty", invalid, raw(`{"alg":"HS256","crit":[]}`, payload))
	both("attack/b64-false", invalid, raw(`{"alg":"HS256","b64":false,"crit":["b64"]}`, payload))
	both("attack/b64-false-no-crit", invalid, raw(`{"alg":"HS256","b64":false}`, payload))
	attackerJWK := mustJSON(map[string]any{"kty": "RSA", "n": b64.EncodeToString(k.RSAOther.N.Bytes()), "e": "AQAB"})
	both("attack/embedded-jwk-signed-by-it", invalid, jwttest.Sign("RS256", k.RSAOther, map[string]any{"jwk": json.RawMessage(attackerJWK)}, Claims(IssRS, nil)))
	both("attack/embedded-oct-jwk", invalid, raw(`{"alg":"HS256","jwk":{"kty":"oct","k":"`+b64.EncodeToString([]byte("attacker-secret-attacker-secret!!"))+`"}}`, mustJSON(Claims(IssRS, nil))))
	both("attack/jku-signed-by-other-key", invalid, jwttest.Sign("RS256", k.RSAOther, map[string]any{"jku": "https://evil.example/jwks.json", "kid": "rs-1"}, Claims(IssRS, nil)))
	both("attack/alg-confusion-jwk-secret", invalid, jwttest.Sign("HS256", []byte(attackerJWK), nil, Claims(IssRS, nil)))
	both("attack/sub-twice", invalid, raw(`{"alg":"HS256"}`, `{"iss":"`+IssHS+`","sub":"a","sub":"admin","aud":"api","email":"e","tenant_id":"t","exp":`+exp+`}`))
	both("attack/exp-twice", invalid, raw(`{"alg":"HS256"}`, `{"iss":"`+IssHS+`","sub":"a","aud":"api","email":"e","tenant_id":"t","exp":1,"exp":`+exp+`}`))
	both("attack/escaped-duplicate", invalid, raw(`{"alg":"HS256"}`, `{"iss":"`+IssHS+`","sub":"a","s\u0075b":"b","aud":"api","email":"e","tenant_id":"t","exp":`+exp+`}`))
	both("attack/nested-duplicate", invalid, raw(`{"alg":"HS256"}`, `{"iss":"`+IssHS+`","sub":"a","o":{"k":1,"k":2},"aud":"api","email":"e","tenant_id":"t","exp":`+exp+`}`))
	both("attack/raw-nul-in-claim", invalid, raw(`{"alg":"HS256"}`, `{"iss":"`+IssHS+"\",\"sub\":\"a\x00b\",\"exp\":"+exp+`}`))
	both("attack/invalid-utf8", invalid, raw(`{"alg":"HS256"}`, `{"iss":"`+IssHS+"\",\"sub\":\"adm\xffin\",\"exp\":"+exp+`}`))
	both("attack/bom-payload", invalid, raw(`{"alg":"HS256"}`, "\ufeff"+payload))
	both("attack/trailing-garbage", invalid, raw(`{"alg":"HS256"}`, payload+"x"))
	both("attack/trailing-comma", invalid, raw(`{"alg":"HS256"}`, strings.TrimSuffix(payload, "}")+",}"))
	both("attack/header-two-objects", invalid, raw(`{"alg":"HS256"}{}`, payload))
	both("attack/whitespace-in-token", invalid, strings.Replace(hsTok(nil), ".", ". ", 1))
	both("attack/base64-bad-char", invalid, strings.Replace(hsTok(nil), ".", ".!", 1))
	hp := strings.Split(hsTok(nil), ".")
	both("attack/jws-json-serialization", invalid, `{"payload":"`+hp[1]+`","protected":"`+hp[0]+`","signature":"`+hp[2]+`"}`)
	both("attack/jwe-alg-none", invalid, b64.EncodeToString([]byte(`{"alg":"none","enc":"A128GCM"}`))+"....")
	both("attack/jwe-no-enc", invalid, b64.EncodeToString([]byte(`{"alg":"dir"}`))+"....")
	both("attack/jwe-garbage-parts", invalid, b64.EncodeToString([]byte(`{"alg":"dir","enc":"A256GCM"}`))+".!!.!!.!!.!!")
	both("attack/jwe-pbes2-huge-count", invalid, b64.EncodeToString([]byte(`{"alg":"PBES2-HS256+A128KW","enc":"A128GCM","p2c":1e400}`))+".a.b.c.d")
	both("attack/exp-overflow", invalid, raw(`{"alg":"HS256"}`, `{"iss":"`+IssHS+`","exp":1e999}`))
	both("attack/aud-not-strings", invalid, hsTok(map[string]any{"aud": []any{1, "api"}}))

	// Malformed.
	both("malformed/empty", invalid, "")
	both("malformed/one-part", invalid, "not-a-token")
	both("malformed/four-parts", invalid, "a.b.c.d")
	both("malformed/bad-base64", invalid, "a*b.c.d")
	both("malformed/header-not-json", invalid, b64.EncodeToString([]byte("not json"))+"."+seg(Claims(IssHS, nil))+".sig")
	both("malformed/header-array", invalid, b64.EncodeToString([]byte("[1]"))+"."+seg(Claims(IssHS, nil))+".sig")
	both("malformed/padded-base64", invalid, hsTok(nil)+"==")
	both("malformed/payload-not-object", invalid, sign(nil, []byte(`"just a string"`)))
	both("malformed/over-policy-limit", invalid, hsTok(map[string]any{"padding": strings.Repeat("y", 20_000)}))
	both("malformed/over-integration-limit", invalid, sign(nil, Claims(IssAged, map[string]any{"exp": nil, "padding": strings.Repeat("z", 5000)})))
	both("malformed/2MB", invalid, hsTok(map[string]any{"padding": strings.Repeat("p", 2<<20)}))

	// JWE (a public-key-only policy has no decryption keys).
	if !public {
		nested := sign(nil, Claims(IssJWE, nil))
		both("jwe/nested-valid", ok, jwttest.Encrypt(EncSecret, map[string]any{"kid": "enc-1", "cty": "JWT", "iss": IssJWE}, []byte(nested), "nested"))
		both("jwe/nested-valid-unrouted", ok, jwttest.Encrypt(EncSecret, map[string]any{"cty": "JWT"}, []byte(nested), "unrouted"))
		both("jwe/nested-expired", expired, jwttest.Encrypt(EncSecret, map[string]any{"cty": "JWT"}, []byte(sign(nil, Claims(IssJWE, map[string]any{"exp": Now.Add(-time.Hour).Unix()}))), "exp"))
		both("jwe/nested-bad-signature", invalid, jwttest.Encrypt(EncSecret, map[string]any{"cty": "JWT"}, []byte(tamper(nested)), "badsig"))
		both("jwe/nested-other-issuer", invalid, jwttest.Encrypt(EncSecret, map[string]any{"cty": "JWT"}, []byte(hsTok(nil)), "otheriss"))
		both("jwe/unsigned-refused", invalid, jwttest.Encrypt(EncSecret, map[string]any{"iss": IssJWE}, []byte(mustJSON(Claims(IssJWE, nil))), "unsigned"))
		both("jwe/unsigned-allowed", ok, jwttest.Encrypt(OpenSecret, map[string]any{"iss": IssJWEOpen}, []byte(mustJSON(Claims(IssJWEOpen, nil))), "open"))
		both("jwe/wrong-key", invalid, jwttest.Encrypt(OpenSecret, map[string]any{"iss": IssJWE}, []byte(nested), "wrongkey"))
		both("jwe/tampered", invalid, tamper(jwttest.Encrypt(EncSecret, map[string]any{"iss": IssJWE}, []byte(nested), "tampered")))
		both("jwe/compressed-refused", invalid, jwttest.Encrypt(EncSecret, map[string]any{"iss": IssJWE, "zip": "DEF"}, []byte(nested), "zip"))
		both("jwe/unknown-issuer", noConfig, jwttest.Encrypt(EncSecret, map[string]any{"iss": "https://unknown.example"}, []byte(nested), "unknowniss"))
	}
	both("jwe/rsa1_5-refused", invalid, seg(map[string]any{"alg": "RSA1_5", "enc": "A128GCM"})+".a.b.c.d")

	// One-time tokens: the second use of each is a replay, whatever the
	// explain setting; a token refused for another reason keeps its jti.
	for _, explain := range []bool{false, true} {
		sfx := ""
		if explain {
			sfx = "/explain"
		}
		jti := "jti-" + fmt.Sprint(explain)
		tok := sign(nil, Claims(IssOnce, map[string]any{"jti": jti}))
		expiredFirst := sign(nil, Claims(IssOnce, map[string]any{"jti": jti + "-late", "exp": Now.Add(-time.Hour).Unix()}))
		once("once/expired-keeps-jti"+sfx, expired, expiredFirst, explain)
		once("once/first-use"+sfx, ok, tok, explain)
		once("once/replay"+sfx, replayed, tok, explain)
		once("once/replay-again"+sfx, replayed, tok, explain)
		once("once/no-jti"+sfx, claims, sign(nil, Claims(IssOnce, nil)), explain)
		once("once/jti-too-long"+sfx, claims, sign(nil, Claims(IssOnce, map[string]any{"jti": strings.Repeat("j", 300)})), explain)
	}
	return out
}

// Group is the cases of one policy, in order.
type Group struct {
	Policy []byte
	Cases  []Case
}

// Groups splits cases by policy, keeping their order; each group runs
// against one verifier with its own replay store.
func Groups(cases []Case) []Group {
	var out []Group
	index := map[string]int{}
	for _, c := range cases {
		i, ok := index[string(c.Policy)]
		if !ok {
			i = len(out)
			index[string(c.Policy)] = i
			out = append(out, Group{Policy: c.Policy})
		}
		out[i].Cases = append(out[i].Cases, c)
	}
	return out
}
