package core

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// The attack catalogue: every token here is hostile, and every one must get
// a decision with Valid=false, a taxonomy code, the code's fixed message and
// a reason, and never a panic.

const (
	vtIssRSA    = "https://rsa.example"    // RS256 only, key given as PEM
	vtIssMixed  = "https://mixed.example"  // RS256 (PEM) and HS256 (secret)
	vtIssEC     = "https://ec.example"     // ES256
	vtIssHS     = "https://hs.example"     // HS256
	vtIssRemote = "https://remote.example" // RS256 from a jwks_url
	vtIssBig    = "https://big.example"    // the largest max_token_bytes
	vtIssEnc    = "https://enc.example"    // nested JWE
	vtJWKSURL   = "https://keys.example/jwks"
)

func vtRSAPublicPEM(t testing.TB, k *rsa.PrivateKey) (pkix, pkcs1, der []byte) {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	require.NoError(t, err)
	pkix = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pkcs1 = pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)})
	return pkix, pkcs1, der
}

// vtAttackVerifier is the verifier every attack is tried against, and the
// key source it was given.
func vtAttackVerifier(t testing.TB) (*Verifier, *vtKeySource) {
	vtKeys(t)
	pemKey, _, _ := vtRSAPublicPEM(t, rsaKey)
	pemEntry := "{pem: " + strconv.Quote(string(pemKey)) + "}"
	src := &vtKeySource{sets: map[string]string{vtJWKSURL: publicJWKS(t, jose.JSONWebKey{Key: rsaKey.Public(), KeyID: "k1"})}}
	p := mustPolicy(t, vtPolicy(
		vtIntegration{Name: "rsa", Issuer: vtIssRSA, Algs: "RS256", Keys: []string{pemEntry}},
		vtIntegration{Name: "mixed", Issuer: vtIssMixed, Algs: "RS256, HS256", Keys: []string{pemEntry, vtSecretKey(vtSecret, "", "")}},
		vtIntegration{Name: "ec", Issuer: vtIssEC, Algs: "ES256", Keys: []string{vtJWK(t, ecKey.Public(), "", "")}},
		vtIntegration{Name: "hs", Issuer: vtIssHS, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")}},
		vtIntegration{Name: "remote", Issuer: vtIssRemote, Algs: "RS256", Keys: []string{"{jwks_url: " + vtJWKSURL + "}"}},
		vtIntegration{Name: "big", Issuer: vtIssBig, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
			Extra: []string{"max_token_bytes: " + strconv.Itoa(MaxTokenBytesLimit)}},
		vtIntegration{Name: "enc", Issuer: vtIssEnc, Algs: "RS256", Keys: []string{vtJWK(t, rsaKey.Public(), "", "")},
			Extra: []string{"decryption_keys: [" + vtSecretKey(vtKW128, "", "A128KW") + "]"}},
	))
	v, err := NewVerifier(p, Config{Keys: src})
	require.NoError(t, err)
	return v, src
}

// vtSignInput signs a JWS signing input as alg does, with r||s for ECDSA.
func vtSignInput(_ testing.TB, alg jose.SignatureAlgorithm, key any, input []byte) []byte {
	return jwttest.Signature(string(alg), key, input)
}

// vtRawJWS signs header and payload, given as exact JSON text, so that
// they may hold what an encoder would never write.
func vtRawJWS(_ testing.TB, alg jose.SignatureAlgorithm, key any, header, payload string) string {
	return jwttest.SignRaw(string(alg), key, header, payload)
}

// vtClaimsJSON is claims(iss, extra) as JSON text.
func vtClaimsJSON(t testing.TB, iss string, extra map[string]any) string {
	return string(vtJSON(t, claims(iss, extra)))
}

// vtParts splits a compact token.
func vtParts(tok string) []string { return strings.Split(tok, ".") }

// vtFlipLastBit re-encodes seg with its last character's lowest bit
// changed: the same bytes under lenient decoding, different text.
func vtFlipLastBit(t testing.TB, seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, seg[len(seg)-1])
	require.GreaterOrEqual(t, i, 0)
	out := seg[:len(seg)-1] + string(alphabet[i^1])
	a, err := base64.RawURLEncoding.DecodeString(seg)
	require.NoError(t, err)
	b, err := base64.RawURLEncoding.DecodeString(out)
	require.NoError(t, err, "lenient decoding accepts the changed text")
	require.Equal(t, a, b, "the change is in the unused trailing bits")
	return out
}

func vtSelfSignedCert(t testing.TB, k *rsa.PrivateKey) []byte {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "attacker"},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	return der
}

func TestAttackCatalogue(t *testing.T) {
	v, src := vtAttackVerifier(t)
	vtKeys(t)

	// Genuine tokens to start from.
	rsTok := sign(t, jose.RS256, rsaKey, "", claims(vtIssRSA, nil), nil)
	rsOther := sign(t, jose.RS256, rsaKey, "", claims(vtIssRSA, map[string]any{"sub": "admin", "roles": []string{"admin"}}), nil)
	esTok := sign(t, jose.ES256, ecKey, "", claims(vtIssEC, nil), nil)
	hsTok := vtRawJWS(t, jose.HS256, []byte(vtSecret), `{"alg":"HS256","typ":"JWT"}`, vtClaimsJSON(t, vtIssHS, nil))
	remoteTok := sign(t, jose.RS256, rsaKey, "k1", claims(vtIssRemote, nil), nil)
	for _, tok := range []string{rsTok, rsOther, esTok, hsTok, remoteTok} {
		vtCheck(t, verifyAt(v, tok, testNow), vtValid())
	}
	hsPayload := vtClaimsJSON(t, vtIssHS, nil)
	hsSign := func(header, payload string) string { return vtRawJWS(t, jose.HS256, []byte(vtSecret), header, payload) }
	hsHeader := `{"alg":"HS256","typ":"JWT"}`
	rp := vtParts(rsTok)
	ep := vtParts(esTok)
	hp := vtParts(hsTok)
	invalid := func(step, reason string) vtWant { return vtReject(CodeInvalidToken, step, reason) }

	type attack struct {
		name  string
		token string
		want  vtWant
	}
	var attacks []attack
	add := func(name, tok string, w vtWant) { attacks = append(attacks, attack{name, tok, w}) }

	// alg none, in any case, with and without a signature.
	for _, none := range []string{"none", "None", "NONE", "nOnE", "none "} {
		h := vtB64([]byte(`{"alg":"` + none + `","typ":"JWT"}`))
		for iss, sig := range map[string]string{vtIssRSA: rp[2], vtIssHS: hp[2]} {
			p := vtB64([]byte(vtClaimsJSON(t, iss, nil)))
			add("alg "+none+" unsigned "+iss, h+"."+p+".", invalid("algorithm", "is not allowed"))
			add("alg "+none+" with signature "+iss, h+"."+p+"."+sig, invalid("algorithm", "is not allowed"))
		}
	}
	add("alg missing", hsSign(`{"typ":"JWT"}`, hsPayload), invalid("header", "no alg"))
	add("alg empty", hsSign(`{"alg":""}`, hsPayload), invalid("header", "no alg"))
	add("alg lower case", hsSign(`{"alg":"hs256"}`, hsPayload), invalid("algorithm", ""))
	add("alg not a string", hsSign(`{"alg":["HS256"]}`, hsPayload), invalid("header", "must be a string"))

	// Algorithm confusion: the RSA public key as an HMAC secret.
	pkixPEM, pkcs1PEM, der := vtRSAPublicPEM(t, rsaKey)
	jwkJSON := vtJSON(t, jose.JSONWebKey{Key: rsaKey.Public()})
	for name, secret := range map[string][]byte{"PKIX PEM": pkixPEM, "PKCS1 PEM": pkcs1PEM, "DER": der, "PEM trimmed": bytes.TrimSpace(pkixPEM), "JWK": jwkJSON} {
		add("RSA "+name+" as HS256 secret, RS256-only integration",
			vtRawJWS(t, jose.HS256, secret, `{"alg":"HS256","typ":"JWT"}`, vtClaimsJSON(t, vtIssRSA, nil)), invalid("algorithm", "is not allowed"))
		add("RSA "+name+" as HS256 secret, integration also allowing HS256",
			vtRawJWS(t, jose.HS256, secret, `{"alg":"HS256","typ":"JWT"}`, vtClaimsJSON(t, vtIssMixed, nil)), invalid("signature", "does not verify"))
	}

	// ECDSA signature forgeries.
	esInput := ep[0] + "." + ep[1]
	curveN := ecKey.Curve.Params().N
	nBytes := curveN.FillBytes(make([]byte, 32))
	add("ECDSA r = s = 0", esInput+"."+vtB64(make([]byte, 64)), invalid("signature", ""))
	add("ECDSA r = s = n", esInput+"."+vtB64(append(append([]byte{}, nBytes...), nBytes...)), invalid("signature", ""))
	add("ECDSA r = 0, s = real", func() string {
		sig, _ := base64.RawURLEncoding.DecodeString(ep[2])
		copy(sig[:32], make([]byte, 32))
		return esInput + "." + vtB64(sig)
	}(), invalid("signature", ""))
	add("ECDSA all ones", esInput+"."+vtB64(bytes.Repeat([]byte{0xff}, 64)), invalid("signature", ""))
	add("ECDSA empty signature", esInput+".", invalid("signature", ""))
	add("ECDSA short signature", esInput+"."+vtB64(make([]byte, 63)), invalid("signature", ""))
	add("ECDSA DER signature", func() string {
		sum := sha256.Sum256([]byte(esInput))
		sig, err := ecdsa.SignASN1(rand.Reader, ecKey, sum[:])
		require.NoError(t, err)
		return esInput + "." + vtB64(sig)
	}(), invalid("signature", ""))

	// Tampering under a valid signature.
	op := vtParts(rsOther)
	add("payload swapped", rp[0]+"."+op[1]+"."+rp[2], invalid("signature", "does not verify"))
	add("header swapped", vtParts(sign(t, jose.RS256, rsaKey, "k9", claims(vtIssRSA, nil), nil))[0]+"."+rp[1]+"."+rp[2], invalid("", ""))
	add("signature of another token", rp[0]+"."+rp[1]+"."+op[2], invalid("signature", ""))
	flip := func(seg string, bit int) string {
		b, err := base64.RawURLEncoding.DecodeString(seg)
		require.NoError(t, err)
		b[bit/8%len(b)] ^= 1 << (bit % 8)
		return vtB64(b)
	}
	for _, bit := range []int{0, 7, 100, 1000, 2047} {
		add(fmt.Sprintf("RS256 signature bit %d flipped", bit), rp[0]+"."+rp[1]+"."+flip(rp[2], bit), invalid("signature", ""))
	}
	for _, bit := range []int{0, 255, 300, 511} {
		add(fmt.Sprintf("ES256 signature bit %d flipped", bit), ep[0]+"."+ep[1]+"."+flip(ep[2], bit), invalid("signature", ""))
	}
	add("HS256 signature bit flipped", hp[0]+"."+hp[1]+"."+flip(hp[2], 3), invalid("signature", ""))
	add("signature truncated", rp[0]+"."+rp[1]+"."+rp[2][:len(rp[2])-4], invalid("signature", ""))
	add("signature doubled", rp[0]+"."+rp[1]+"."+rp[2]+rp[2], invalid("signature", ""))
	add("payload bit flipped", rp[0]+"."+flip(rp[1], 40)+"."+rp[2], invalid("", ""))

	// Base64 malleability: other text, same bytes.
	add("RS256 signature trailing bits", rp[0]+"."+rp[1]+"."+vtFlipLastBit(t, rp[2]), invalid("signature", ""))
	add("ES256 signature trailing bits", ep[0]+"."+ep[1]+"."+vtFlipLastBit(t, ep[2]), invalid("signature", ""))
	add("HS256 signature trailing bits", hp[0]+"."+hp[1]+"."+vtFlipLastBit(t, hp[2]), invalid("signature", ""))
	{
		// A header and a payload whose lengths leave spare bits in their
		// last base64 character.
		hdr, pay := `{"alg":"HS256","x":12}`, hsPayload
		for len(pay)%3 == 0 {
			pay += " "
		}
		tp := vtParts(hsSign(hdr, pay))
		vtCheck(t, verifyAt(v, strings.Join(tp, "."), testNow), vtValid())
		add("header trailing bits", vtFlipLastBit(t, tp[0])+"."+tp[1]+"."+tp[2], invalid("header", "base64"))
		add("payload trailing bits", tp[0]+"."+vtFlipLastBit(t, tp[1])+"."+tp[2], invalid("payload", "base64"))
	}
	add("signature with padding", rp[0]+"."+rp[1]+"."+rp[2]+"==", invalid("", ""))
	add("signature with one pad", hp[0]+"."+hp[1]+"."+hp[2]+"=", invalid("", ""))
	add("header with padding", hp[0]+"="+"."+hp[1]+"."+hp[2], invalid("", ""))
	add("standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(rsTok), invalid("", ""))
	add("newline inside the signature", rp[0]+"."+rp[1]+"."+rp[2][:100]+"\n"+rp[2][100:], invalid("", ""))
	add("CRLF inside the signature", hp[0]+"."+hp[1]+"."+hp[2][:10]+"\r\n"+hp[2][10:], invalid("", ""))
	add("newline inside the payload", hp[0]+"."+hp[1][:10]+"\n"+hp[1][10:]+"."+hp[2], invalid("", ""))

	// Keys named by the token are never used.
	attackerJWK := vtJSON(t, jose.JSONWebKey{Key: rsaKey2.Public(), KeyID: "attacker"})
	add("embedded jwk, signed by it", vtRawJWS(t, jose.RS256, rsaKey2, `{"alg":"RS256","jwk":`+string(attackerJWK)+`}`, vtClaimsJSON(t, vtIssRSA, nil)), invalid("signature", ""))
	add("embedded jwk with kid, signed by it", vtRawJWS(t, jose.RS256, rsaKey2, `{"alg":"RS256","kid":"attacker","jwk":`+string(attackerJWK)+`}`, vtClaimsJSON(t, vtIssMixed, nil)), invalid("", ""))
	add("embedded oct jwk, HS256 signed by it", vtRawJWS(t, jose.HS256, []byte("attacker-secret-attacker-secret!!"),
		`{"alg":"HS256","jwk":{"kty":"oct","k":"`+vtB64([]byte("attacker-secret-attacker-secret!!"))+`"}}`, vtClaimsJSON(t, vtIssMixed, nil)), invalid("signature", ""))
	add("go-jose EmbedJWK", func() string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: rsaKey2}, &jose.SignerOptions{EmbedJWK: true})
		require.NoError(t, err)
		obj, err := s.Sign(vtJSON(t, claims(vtIssRSA, nil)))
		require.NoError(t, err)
		out, err := obj.CompactSerialize()
		require.NoError(t, err)
		require.Contains(t, string(func() []byte { b, _ := base64.RawURLEncoding.DecodeString(vtParts(out)[0]); return b }()), `"jwk"`)
		return out
	}(), invalid("signature", ""))
	for _, hdr := range []string{
		`{"alg":"RS256","jku":"https://evil.example/jwks.json"}`,
		`{"alg":"RS256","jku":"` + vtJWKSURL + `","kid":"k1"}`,
		`{"alg":"RS256","x5u":"https://evil.example/cert.pem"}`,
		`{"alg":"RS256","x5c":["` + base64.StdEncoding.EncodeToString(vtSelfSignedCert(t, rsaKey2)) + `"]}`,
	} {
		for _, iss := range []string{vtIssRSA, vtIssRemote} {
			add("key by reference "+hdr[16:min(len(hdr), 40)]+" "+iss, vtRawJWS(t, jose.RS256, rsaKey2, hdr, vtClaimsJSON(t, iss, nil)), invalid("signature", ""))
		}
	}

	// Malformed base64 in each part.
	for i := range 3 {
		for _, bad := range []string{"!", "*", " ", "%3D", "é"} {
			parts := vtParts(hsTok)
			parts[i] = parts[i][:5] + bad + parts[i][5:]
			add(fmt.Sprintf("part %d holds %q", i, bad), strings.Join(parts, "."), invalid("", ""))
		}
	}
	add("header not base64 at all", "!!!."+hp[1]+"."+hp[2], invalid("format", "base64url characters"))
	add("payload not base64 at all", hp[0]+".!!!."+hp[2], invalid("format", "base64url characters"))
	add("payload of bad length", hp[0]+".A."+hp[2], invalid("payload", "base64"))
	add("signature not base64 at all", hp[0]+"."+hp[1]+".!!!", invalid("", ""))

	// Part counts.
	add("1 part", hp[0], invalid("format", "token has 1 part;"))
	add("2 parts", hp[0]+"."+hp[1], invalid("format", "2 parts"))
	add("4 parts", hsTok+"."+hp[2], invalid("format", "4 parts"))
	add("5 parts from a JWS", hsTok+"."+hp[1]+"."+hp[2], invalid("", ""))
	add("6 parts", hsTok+"."+hp[1]+"."+hp[2]+"."+hp[2], invalid("format", "6 parts"))
	add("only dots", "..", invalid("", ""))
	add("four dots", "....", invalid("", ""))
	add("100,000 dots", strings.Repeat(".", 100_000), invalid("format", "100001 parts"))
	add("100,000 dots after a token", hsTok+strings.Repeat(".", 100_000), invalid("", ""))

	// Empty and blank.
	add("empty", "", invalid("size", "empty"))
	for _, ws := range []string{" ", "   ", "\t", "\n", "\r\n", " \t\n "} {
		add("whitespace "+strconv.Quote(ws), ws, invalid("", ""))
	}

	// Payloads and headers that are not objects, properly signed.
	for _, p := range []string{`[]`, `"str"`, `123`, `null`, `true`, `[{"iss":"` + vtIssHS + `"}]`, ``, ` `, `{`, `{"iss":"` + vtIssHS + `"`, `{"iss":"` + vtIssHS + `"}x`, "\ufeff" + hsPayload, `{"iss":"` + vtIssHS + `",}`} {
		add("payload "+strconv.Quote(p[:min(len(p), 20)]), hsSign(hsHeader, p), invalid("payload", ""))
	}
	for _, h := range []string{`[]`, `"HS256"`, `123`, `null`, `true`, `[{"alg":"HS256"}]`, ``, `{"alg":"HS256"`, `{"alg":"HS256"}{}`} {
		add("header "+strconv.Quote(h), hsSign(h, hsPayload), invalid("header", ""))
	}
	add("payload empty object", hsSign(hsHeader, `{}`), vtReject(CodeConfigurationNotFound, "issuer", "no iss"))

	// Duplicate member names, properly signed.
	dupPayloads := map[string]string{
		"sub twice":        `{"iss":"` + vtIssHS + `","sub":"a","sub":"b","aud":"authonomy","exp":` + fmt.Sprint(testNow.Add(time.Hour).Unix()) + `}`,
		"iss twice":        `{"iss":"https://evil.example","iss":"` + vtIssHS + `","sub":"a","exp":` + fmt.Sprint(testNow.Add(time.Hour).Unix()) + `}`,
		"exp twice":        `{"iss":"` + vtIssHS + `","sub":"a","exp":1,"exp":` + fmt.Sprint(testNow.Add(time.Hour).Unix()) + `}`,
		"escaped sub":      `{"iss":"` + vtIssHS + `","sub":"a","s\u0075b":"b","exp":` + fmt.Sprint(testNow.Add(time.Hour).Unix()) + `}`,
		"nested duplicate": `{"iss":"` + vtIssHS + `","sub":"a","o":{"k":1,"k":2},"exp":` + fmt.Sprint(testNow.Add(time.Hour).Unix()) + `}`,
	}
	for name, p := range dupPayloads {
		add("duplicate in payload: "+name, hsSign(hsHeader, p), invalid("payload", "duplicate"))
	}
	for name, h := range map[string]string{
		"alg twice":     `{"alg":"none","alg":"HS256"}`,
		"alg twice rev": `{"alg":"HS256","alg":"none"}`,
		"kid twice":     `{"alg":"HS256","kid":"a","kid":"b"}`,
		"escaped alg":   `{"alg":"HS256","\u0061lg":"HS256"}`,
	} {
		add("duplicate in header: "+name, hsSign(h, hsPayload), invalid("header", "duplicate"))
	}

	// Header extensions jwtgate does not implement.
	add("crit exp", hsSign(`{"alg":"HS256","crit":["exp"],"exp":1}`, hsPayload), invalid("header", "crit"))
	add("crit empty", hsSign(`{"alg":"HS256","crit":[]}`, hsPayload), invalid("header", "crit"))
	add("crit b64", func() string {
		h := `{"alg":"HS256","b64":false,"crit":["b64"]}`
		input := vtB64([]byte(h)) + "." + hsPayload
		return vtB64([]byte(h)) + "." + vtB64([]byte(hsPayload)) + "." + vtB64(vtSignInput(t, jose.HS256, []byte(vtSecret), []byte(input)))
	}(), invalid("header", ""))
	add("b64 false without crit, signed over the raw payload", func() string {
		h := `{"alg":"HS256","b64":false}`
		input := vtB64([]byte(h)) + "." + hsPayload
		return vtB64([]byte(h)) + "." + vtB64([]byte(hsPayload)) + "." + vtB64(vtSignInput(t, jose.HS256, []byte(vtSecret), []byte(input)))
	}(), invalid("header", "b64"))
	add("b64 false without crit, signed as usual", hsSign(`{"alg":"HS256","b64":false}`, hsPayload), invalid("header", "b64"))
	add("b64 string", hsSign(`{"alg":"HS256","b64":"false"}`, hsPayload), invalid("header", "b64"))

	// Other serializations.
	add("JWS JSON serialization", `{"payload":"`+hp[1]+`","protected":"`+hp[0]+`","signature":"`+hp[2]+`"}`, invalid("format", ""))
	add("JWS JSON general", `{"payload":"`+hp[1]+`","signatures":[{"protected":"`+hp[0]+`","signature":"`+hp[2]+`"}]}`, invalid("", ""))
	add("JWE JSON serialization", `{"protected":"x","iv":"y","ciphertext":"z","tag":"w"}`, invalid("", ""))

	// Whitespace and NUL around and inside a valid token.
	for name, tok := range map[string]string{
		"leading space": " " + hsTok, "trailing space": hsTok + " ", "leading tab": "\t" + hsTok,
		"trailing newline": hsTok + "\n", "trailing CRLF": hsTok + "\r\n", "leading newline": "\n" + hsTok,
		"Bearer prefix": "Bearer " + hsTok, "space around dots": hp[0] + " . " + hp[1] + " . " + hp[2],
		"trailing NUL": hsTok + "\x00", "leading NUL": "\x00" + hsTok, "NUL in signature": hp[0] + "." + hp[1] + "." + hp[2][:5] + "\x00" + hp[2][5:],
		"NUL before dot": hp[0] + "\x00." + hp[1] + "." + hp[2], "RS256 trailing newline": rsTok + "\n", "JWE trailing newline": func() string {
			inner := sign(t, jose.RS256, rsaKey, "", claims(vtIssEnc, nil), nil)
			tok := vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(inner), (&jose.EncrypterOptions{}).WithContentType("JWT"), 0)
			vtCheck(t, verifyAt(v, tok, testNow), vtValid())
			return tok + "\n"
		}(),
	} {
		add(name, tok, invalid("", ""))
	}
	add("raw NUL in a claim", hsSign(hsHeader, `{"iss":"`+vtIssHS+"\",\"sub\":\"a\x00b\",\"exp\":"+fmt.Sprint(testNow.Add(time.Hour).Unix())+`}`), invalid("payload", ""))
	add("raw newline in a claim", hsSign(hsHeader, `{"iss":"`+vtIssHS+"\",\"sub\":\"a\nb\",\"exp\":"+fmt.Sprint(testNow.Add(time.Hour).Unix())+`}`), invalid("payload", ""))

	// Invalid UTF-8, properly signed.
	exp := fmt.Sprint(testNow.Add(time.Hour).Unix())
	for name, p := range map[string]string{
		"in sub":         `{"iss":"` + vtIssHS + "\",\"sub\":\"adm\xffin\",\"exp\":" + exp + `}`,
		"overlong slash": `{"iss":"` + vtIssHS + "\",\"sub\":\"a\xc0\xafb\",\"exp\":" + exp + `}`,
		"surrogate half": `{"iss":"` + vtIssHS + "\",\"sub\":\"a\xed\xa0\x80b\",\"exp\":" + exp + `}`,
		"in a name":      `{"iss":"` + vtIssHS + "\",\"sub\":\"a\",\"x\xfe\":1,\"exp\":" + exp + `}`,
		"in a group":     `{"iss":"` + vtIssHS + "\",\"sub\":\"a\",\"groups\":[\"g\xff\"],\"exp\":" + exp + `}`,
	} {
		add("invalid UTF-8 "+name, hsSign(hsHeader, p), invalid("payload", "UTF-8"))
	}
	add("invalid UTF-8 in the header", hsSign("{\"alg\":\"HS256\",\"kid\":\"k\xff\"}", hsPayload), invalid("header", "UTF-8"))

	// Size.
	add("2 MB token", hp[0]+"."+strings.Repeat("A", 2<<20)+"."+hp[2], invalid("size", ""))
	add("2 MB of dots and letters", strings.Repeat("a.", 1<<20), invalid("size", ""))
	add("1 MB of one claim, within the big integration's limit", func() string {
		return hsSign(hsHeader, vtClaimsJSON(t, vtIssBig, map[string]any{"pad": strings.Repeat("x", 700<<10)}))
	}(), vtWant{})
	add("over 1 MB", hsSign(hsHeader, vtClaimsJSON(t, vtIssBig, map[string]any{"pad": strings.Repeat("x", 800<<10)})), invalid("size", ""))
	add("deep nesting", hsSign(hsHeader, `{"iss":"`+vtIssHS+`","sub":"a","x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`), invalid("payload", "depth"))

	// JWE oddities.
	add("JWE with a JWS header", hp[0]+"."+hp[1]+"."+hp[2]+".x.y", invalid("", ""))
	add("JWE alg none", vtB64([]byte(`{"alg":"none","enc":"A128GCM"}`))+"....", invalid("algorithm", ""))
	add("JWE no enc", vtB64([]byte(`{"alg":"dir"}`))+"....", invalid("header", "no enc"))
	add("JWE all empty", "....", invalid("header", ""))
	add("JWE header iss unknown", vtB64([]byte(`{"alg":"A128KW","enc":"A128GCM","iss":"https://x"}`))+"....", vtReject(CodeConfigurationNotFound, "issuer", ""))
	add("JWE header iss not string", vtB64([]byte(`{"alg":"A128KW","enc":"A128GCM","iss":1}`))+"....", invalid("issuer", ""))
	{
		inner := sign(t, jose.RS256, rsaKey, "", claims(vtIssEnc, nil), nil)
		jwe := vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(inner), (&jose.EncrypterOptions{}).WithContentType("JWT"), 0)
		vtCheck(t, verifyAt(v, jwe, testNow), vtValid())
		jp := vtParts(jwe)
		require.Len(t, jp[4], 22, "a 16-byte tag leaves spare bits")
		add("JWE tag trailing bits", strings.Join(append(jp[:4:4], vtFlipLastBit(t, jp[4])), "."), invalid("format", "part 5"))
		if len(jp[3])%4 != 0 {
			add("JWE ciphertext trailing bits", strings.Join([]string{jp[0], jp[1], jp[2], vtFlipLastBit(t, jp[3]), jp[4]}, "."), invalid("format", "part 4"))
		}
		add("JWE newline inside the tag", strings.Join(append(jp[:4:4], jp[4][:5]+"\n"+jp[4][5:]), "."), invalid("format", ""))
		add("JWE nested token with a newline inside", vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(inner[:60]+"\n"+inner[60:]), nil, 0), invalid("format", ""))
		add("JWE nested token with trailing-bit signature", vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(inner[:len(inner)-1]+vtFlipLastBit(t, vtParts(inner)[2])[len(vtParts(inner)[2])-1:]), nil, 0), invalid("signature", "base64"))
	}
	add("JWE garbage parts", vtB64([]byte(`{"alg":"A128KW","enc":"A128GCM"}`))+".!!.!!.!!.!!", invalid("", ""))

	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			d := verifyAt(v, a.token, testNow)
			vtCheck(t, d, a.want)
			sigDiffVerifier(t, v, a.token)
			if a.want.Code == "" {
				return
			}
			// The explain trace and the bare decision agree.
			bare := v.Verify(context.Background(), Request{Token: a.token, Now: testNow})
			require.Equal(t, d.Code, bare.Code)
			require.Equal(t, d.Reason, bare.Reason)
			require.Empty(t, bare.Trace)
			if d.Code == CodeInvalidToken && d.Subject == "" {
				require.Nil(t, d.Claims, "claims of an unauthenticated token are never returned")
			}
		})
	}
	// No URL named by a token was ever fetched.
	for _, u := range src.urls() {
		require.Equal(t, vtJWKSURL, u)
	}
}

// The policy refuses what would weaken it before any token is seen.
func TestAttackPolicyRefusesWeakKeys(t *testing.T) {
	vtKeys(t)
	for name, key := range map[string]string{
		"short HMAC secret":  vtSecretKey("short", "", ""),
		"private key as PEM": "{pem: " + strconv.Quote(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))) + "}",
		"alg none":           vtSecretKey(vtSecret, "", "none"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePolicy("t.yaml", []byte(vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{key}})), LoadOptions{})
			require.Error(t, err)
		})
	}
	_, err := ParsePolicy("t.yaml", []byte(vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "none", Keys: []string{vtSecretKey(vtSecret, "", "")}})), LoadOptions{})
	require.Error(t, err)
	_, err = ParsePolicy("t.yaml", []byte(vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "HS256", Keys: []string{vtSecretKey(vtSecret, "", "")},
		Extra: []string{"decryption_keys: [" + vtJWK(t, rsaKey2, "", "RSA1_5") + "]"}})), LoadOptions{})
	require.Error(t, err, "RSA1_5 is never accepted")
}

// ---------------------------------------------------------------------------
// 11. Determinism.

func TestVerifyDeterministic(t *testing.T) {
	vtKeys(t)
	doc := vtPolicy(vtIntegration{Name: "a", Issuer: vtIssA, Algs: "RS256, ES256", Keys: []string{vtJWK(t, rsaKey.Public(), "k1", ""), vtJWK(t, ecKey.Public(), "k2", "")},
		Extra: []string{"tenant: t1", "audiences: [authonomy]", "require_permissions: [\"reports:read\"]",
			`redirect: {allowed_domains: [app.example.com], default: /home}`, "headers: {X-User: sub, X-Groups: groups, X-Meta: meta, X-Email: email}"}})
	c := claims(vtIssA, map[string]any{"email": "a@b.c", "groups": []string{"z", "a"}, "roles": []string{}, "permissions": []string{"reports:read:team", "bad"},
		"meta": map[string]any{"b": 1, "a": []any{true, nil}}, "redirect_url": "https://app.example.com/x"})
	tokens := []string{
		sign(t, jose.RS256, rsaKey, "k1", c, nil),
		sign(t, jose.ES256, ecKey, "k2", c, nil),
		sign(t, jose.RS256, rsaKey, "k1", claims(vtIssA, map[string]any{"exp": unix(testNow.Add(-time.Hour))}), nil),
		sign(t, jose.RS256, rsaKey2, "k1", c, nil),
		"not a token",
	}
	for i, tok := range tokens {
		for _, explain := range []bool{false, true} {
			t.Run(fmt.Sprintf("token %d explain %v", i, explain), func(t *testing.T) {
				req := Request{Token: tok, Now: testNow, Explain: explain, RedirectParam: "/p"}
				first := mustVerifier(t, doc).Verify(context.Background(), req).JSON()
				v := mustVerifier(t, doc)
				for range 3 {
					require.Equal(t, string(first), string(v.Verify(context.Background(), req).JSON()))
				}
				if i == 0 {
					require.Contains(t, string(first), `"valid":true`)
					require.Contains(t, string(first), `"roles":[]`)
				}
			})
		}
	}
}

// ---------------------------------------------------------------------------
// 12. No panic escapes.

func TestVerifyNeverPanics(t *testing.T) {
	v, _ := vtAttackVerifier(t)
	vtKeys(t)
	jwt := (&jose.EncrypterOptions{}).WithContentType("JWT")
	seeds := []string{
		sign(t, jose.RS256, rsaKey, "", claims(vtIssRSA, nil), nil),
		sign(t, jose.RS256, rsaKey, "", claims(vtIssMixed, map[string]any{"groups": []string{"a"}, "permissions": []string{"x:y"}}), nil),
		sign(t, jose.HS256, []byte(vtSecret), "", claims(vtIssMixed, nil), nil),
		sign(t, jose.ES256, ecKey, "", claims(vtIssEC, nil), nil),
		sign(t, jose.HS256, []byte(vtSecret), "kid", claims(vtIssHS, map[string]any{"jti": "x", "nbf": unix(testNow)}), nil),
		sign(t, jose.RS256, rsaKey, "k1", claims(vtIssRemote, nil), nil),
		vtEncrypt(t, jose.A128KW, jose.A128GCM, []byte(vtKW128), []byte(sign(t, jose.RS256, rsaKey, "", claims(vtIssEnc, nil), nil)), jwt, 0),
		vtEncrypt(t, jose.A128KW, jose.A128CBC_HS256, []byte(vtKW128), []byte(sign(t, jose.RS256, rsaKey, "", claims(vtIssEnc, nil), nil)), jwt, 0),
	}
	isSeed := map[string]bool{}
	for _, s := range seeds {
		isSeed[s] = true
		vtCheck(t, verifyAt(v, s, testNow), vtValid())
	}
	rng := mrand.New(mrand.NewPCG(2026, 11))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \x00\xff{}\"e"
	mutate := func(tok string) string {
		b := []byte(tok)
		for n := 1 + rng.IntN(3); n > 0 && len(b) > 0; n-- {
			switch rng.IntN(9) {
			case 0: // bit flip
				i := rng.IntN(len(b))
				b[i] ^= 1 << rng.IntN(8)
			case 1: // truncate
				b = b[:rng.IntN(len(b))]
			case 2: // splice with another seed
				o := seeds[rng.IntN(len(seeds))]
				i, j := rng.IntN(len(b)+1), rng.IntN(len(o)+1)
				b = append(append([]byte{}, b[:i]...), o[j:]...)
			case 3: // swap a whole part with the same part of another seed
				p, q := vtParts(string(b)), vtParts(seeds[rng.IntN(len(seeds))])
				i := rng.IntN(len(p))
				if i < len(q) {
					p[i] = q[i]
				}
				b = []byte(strings.Join(p, "."))
			case 4: // insert a character
				i := rng.IntN(len(b) + 1)
				b = append(b[:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[i:]...)...)
			case 5: // delete a character
				i := rng.IntN(len(b))
				b = append(b[:i], b[i+1:]...)
			case 6: // replace a character
				b[rng.IntN(len(b))] = alphabet[rng.IntN(len(alphabet))]
			case 7: // re-encode a decoded part with a change, keeping it base64
				p := vtParts(string(b))
				i := rng.IntN(len(p))
				if raw, err := base64.RawURLEncoding.DecodeString(p[i]); err == nil && len(raw) > 0 {
					raw[rng.IntN(len(raw))] = byte(rng.IntN(256))
					p[i] = vtB64(raw)
				}
				b = []byte(strings.Join(p, "."))
			case 8: // duplicate a part
				p := vtParts(string(b))
				i := rng.IntN(len(p))
				p = append(p[:i+1], p[i:]...)
				b = []byte(strings.Join(p, "."))
			}
		}
		return string(b)
	}
	randomToken := func() string {
		n := rng.IntN(200)
		b := make([]byte, n)
		for i := range b {
			if rng.IntN(4) == 0 {
				b[i] = byte(rng.IntN(256))
			} else {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		return string(b)
	}
	// Structured junk: valid base64 of JSON-ish headers and payloads.
	structured := func() string {
		hdrs := []string{`{"alg":"HS256"}`, `{"alg":"RS256","kid":"k1"}`, `{"alg":"A128KW","enc":"A128GCM"}`, `{"alg":"PBES2-HS256+A128KW","enc":"A128GCM","p2c":1e400}`,
			`{"alg":"ES256","crit":["x"]}`, `{"alg":"dir","enc":"A999GCM","zip":"DEF"}`, `{"alg":"HS256","kid":null}`, `{"alg":"HS256","b64":false}`}
		pays := []string{`{"iss":"` + vtIssHS + `"}`, `{"iss":"` + vtIssMixed + `","exp":"x"}`, `{"iss":1}`, `{"iss":"` + vtIssEC + `","exp":1e999}`,
			`{"iss":"` + vtIssRemote + `","aud":[1]}`, `[`, `{"iss":"` + vtIssBig + `","sub":{}}`}
		parts := []string{vtB64([]byte(hdrs[rng.IntN(len(hdrs))])), vtB64([]byte(pays[rng.IntN(len(pays))])), vtB64([]byte(randomToken()))}
		if rng.IntN(3) == 0 {
			parts = append(parts, vtB64([]byte(randomToken())), vtB64([]byte(randomToken())))
		}
		return strings.Join(parts, ".")
	}
	const total = 2000
	for i := range total {
		var tok string
		switch {
		case i%10 == 0:
			tok = randomToken()
		case i%10 == 1:
			tok = structured()
		default:
			tok = mutate(seeds[rng.IntN(len(seeds))])
		}
		req := Request{Token: tok, Now: testNow.Add(time.Duration(rng.IntN(7200)-3600) * time.Second), Explain: i%2 == 0,
			RedirectParam: []string{"", "/x", "//evil"}[rng.IntN(3)]}
		d := v.Verify(context.Background(), req)
		require.NotNil(t, d, "token #%d %q", i, tok)
		if len(d.Trace) > 0 {
			require.NotEqual(t, "internal", d.Trace[len(d.Trace)-1].Name, "token #%d %q panicked: %s", i, tok, d.Reason)
		}
		if d.Valid {
			require.True(t, isSeed[tok], "token #%d: a mutated token was accepted: %q", i, tok)
			require.Empty(t, d.Code)
			continue
		}
		require.Contains(t, Codes(), d.Code, "token #%d %q", i, tok)
		require.Equal(t, d.Code.Message(), d.Message)
		require.NotEmpty(t, d.Reason)
		require.NotPanics(t, func() { _ = d.JSON(); _ = d.Allows("a:b") })
		var back map[string]any
		require.NoError(t, json.Unmarshal(d.JSON(), &back), "token #%d: decision JSON", i)
	}
}
