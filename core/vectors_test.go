package core

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// The public test vectors of testdata/vectors (see its README.md):
// Wycheproof's JSON Web Signature, Encryption and Key tests, and the RFC 7520
// cookbook examples.
//
// Their payloads are not JWT claims (no iss, no exp), so a signed vector
// cannot go through Verify, which refuses a payload that is not a claims
// object before it looks at the signature. Instead each vector's key is
// loaded through a real policy (ParsePolicy, which binds it to its
// algorithm exactly as for any integration) and the token is checked by
// verifySignature, which calls the functions signed calls for the header,
// the algorithm allow-list, key selection and the signature check (readJWS,
// allowedAlg, pickSigningKeys, checkJWS).
//
// Encrypted vectors do go through Verify: decryption happens before the
// payload is read, and the explain trace says whether it succeeded (the
// decision itself is always a rejection, as "foo" is neither claims nor a
// signed JWT). The plaintext is then compared by decrypting with the key the
// policy bound, through go-jose exactly as encrypted() calls it.
//
// Wycheproof results are "valid", "invalid" or "acceptable". A valid vector
// must be accepted and an invalid one refused, at policy load or at
// verification. "acceptable" means either outcome conforms: such vectors
// are run, jwtgate's outcome is logged and not asserted (the current files
// hold none; wpAcceptable counts them). Vectors whose algorithm jwtgate
// refuses by design are listed in wpSkipped: they are still run, and must
// be refused, but are not counted as executed. Vectors where jwtgate
// deliberately disagrees with Wycheproof are listed in wpDeviations with
// the reason: they are asserted to have the opposite outcome, so that both
// tables stay exact.

const vecDir = "testdata/vectors"

// wpSkipped: valid Wycheproof vectors that use an algorithm jwtgate does not
// implement or refuses by default, by file and tcId.
var wpSkipped = map[string]map[int]string{
	"json_web_encryption_test.json": {
		71:  "A128GCMKW key wrapping is not implemented (keys.KeyAlgorithms)",
		72:  "A192GCMKW key wrapping is not implemented",
		73:  "A256GCMKW key wrapping is not implemented",
		74:  "A256GCMKW key wrapping is not implemented",
		75:  "A256GCMKW key wrapping is not implemented",
		100: "RSA1_5 is never accepted (Bleichenbacher padding oracle)",
		101: "RSA1_5 is never accepted",
		102: "RSA1_5 is never accepted",
		103: "RSA1_5 is never accepted",
		104: "RSA1_5 is never accepted",
		105: "RSA1_5 is never accepted",
		112: "RSA1_5 is never accepted",
		128: "RSA1_5 is never accepted (RFC 7520 figure 81)",
		133: "A256GCMKW key wrapping is not implemented (RFC 7520 figure 148)",
		135: "compressed plaintext (zip DEF) is refused unless encryption.allow_compression; TestVectorsCompressedJWE runs it with the setting",
	},
}

// wpDeviations: vectors where jwtgate's outcome is deliberately the
// opposite of Wycheproof's.
var wpDeviations = map[string]map[int]string{
	"json_web_signature_test.json": {
		346: "valid, refused: the key's alg is PS256 and the token's PS384 (RFC 7520 figure 20); jwtgate binds a JWK to its own alg",
		350: "valid, refused: as 346, with key_ops",
		347: `valid, refused at load: the key's alg "ES521" is not a JWA algorithm (ES512 is); a key naming an unknown alg is refused`,
		351: "valid, refused at load: as 347, with key_ops",
		367: "invalid, accepted: the vector is byte-identical to the valid tcId 357; the padding its comment names is not in it (padded tokens are refused, see TestVectorsBase64Strictness)",
		370: "invalid, accepted: as 367, byte-identical to tcId 357",
		372: "valid, refused: a '?' inside the header segment; jwtgate decodes base64url strictly (RFC 7515 section 2) instead of skipping bad characters",
		373: "valid, refused: a '?' inside the payload segment; strict base64url as for 372",
	},
	"json_web_key_test.json": {
		4: "invalid (DuplicateKid, Ambiguous), accepted: two configured keys share a kid and jwtgate tries each (at most 8); every configured key is trusted, so this is ambiguity, not a forgery",
		7: "invalid, accepted: jwtgate does not fingerprint ROCA-weak RSA moduli (CVE-2017-15361); the 2048-bit key passes the size check",
	},
}

// wpKey is the bits of a JWK the harness reads.
type wpKey struct {
	Alg string `json:"alg"`
	Kty string `json:"kty"`
}

type wpTest struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	JWS     string   `json:"jws"`
	JWE     string   `json:"jwe"`
	PT      string   `json:"pt"`
	Result  string   `json:"result"`
	Flags   []string `json:"flags"`
}

type wpGroup struct {
	Comment string          `json:"comment"`
	Private json.RawMessage `json:"private"`
	Public  json.RawMessage `json:"public"`
	Tests   []wpTest        `json:"tests"`
}

type wpFile struct {
	NumberOfTests int       `json:"numberOfTests"`
	TestGroups    []wpGroup `json:"testGroups"`
}

func wpLoad(t *testing.T, name string) *wpFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vecDir, "wycheproof", name))
	require.NoError(t, err)
	var f wpFile
	require.NoError(t, json.Unmarshal(b, &f))
	n := 0
	for _, g := range f.TestGroups {
		n += len(g.Tests)
	}
	require.Equal(t, f.NumberOfTests, n, "%s: numberOfTests", name)
	return &f
}

// vecHeaderAlg reads the alg of a token's first segment, leniently: only to
// choose the policy's algorithm, never to decide.
func vecHeaderAlg(tok string) string {
	seg, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return ""
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return ""
	}
	return h.Alg
}

// vecSigPolicy loads jwks (a JWK or a JWK set) through a one-integration
// policy that allows alg only, and returns its bound keys.
func vecSigPolicy(jwks string, algs ...string) ([]keys.VerificationKey, []jose.SignatureAlgorithm, error) {
	quoted := make([]string, len(algs))
	for i, a := range algs {
		quoted[i] = ptQ(a)
	}
	doc := "integrations:\n  - name: vectors\n    issuer: https://vectors.example\n    algorithms: [" + strings.Join(quoted, ", ") + "]\n    keys:\n      - jwks: " + ptQ(jwks) + "\n"
	p, err := ParsePolicy("vectors.yaml", []byte(doc), LoadOptions{})
	if err != nil {
		return nil, nil, err
	}
	in := p.integrations[0]
	return in.keys, in.algorithms, nil
}

// vecSigAlg chooses the algorithm a signature vector's policy allows: the
// key's own alg when jwtgate supports it, else the token's.
func vecSigAlg(key json.RawMessage, tok string) string {
	var k wpKey
	_ = json.Unmarshal(key, &k)
	if _, ok := keys.ParseSignatureAlgorithm(k.Alg); ok {
		return k.Alg
	}
	return vecHeaderAlg(tok)
}

// vecCheckSig runs one signature vector: the policy load, then the
// signature layer. It returns whether the token was accepted and why not.
func vecCheckSig(t testing.TB, jwks, alg, tok string) (bool, string) {
	ks, allowed, err := vecSigPolicy(jwks, alg)
	if err != nil {
		return false, "policy refused: " + err.Error()
	}
	sigDiff(t, tok, ks, allowed)
	payload, err := verifySignature(tok, ks, allowed)
	if err != nil {
		return false, err.Error()
	}
	_, seg, _ := strings.Cut(tok, ".")
	seg, _, _ = strings.Cut(seg, ".")
	want, derr := base64.RawURLEncoding.DecodeString(seg)
	if derr != nil || string(want) != string(payload) {
		return false, "payload differs from the token's"
	}
	return true, ""
}

// wpTally counts a file's vectors by how they were handled.
type wpTally struct {
	file                                         string
	executed, skipped, deviations, acceptable    int
	validAccepted, invalidRefused, refusedAtLoad int
}

func (c *wpTally) String() string {
	return c.file + ": " + strings.Join([]string{
		strconv.Itoa(c.executed) + " executed (" + strconv.Itoa(c.validAccepted) + " valid accepted, " + strconv.Itoa(c.invalidRefused) + " invalid refused, of which " + strconv.Itoa(c.refusedAtLoad) + " at policy load)",
		strconv.Itoa(c.skipped) + " skipped",
		strconv.Itoa(c.deviations) + " deviations",
		strconv.Itoa(c.acceptable) + " acceptable",
	}, ", ")
}

// wpJudge compares one outcome with Wycheproof's result, using the tables.
func wpJudge(t *testing.T, tally *wpTally, tc wpTest, accepted bool, why string) {
	t.Helper()
	id := tc.TcID
	label := func() string {
		return tally.file + " tcId " + strconv.Itoa(id) + " (" + tc.Comment + ", " + tc.Result + ")"
	}
	if reason, ok := wpSkipped[tally.file][id]; ok {
		require.Equal(t, "valid", tc.Result, "%s is in wpSkipped: only valid vectors are skipped", label())
		require.False(t, accepted, "%s is skipped (%s) but was accepted", label(), reason)
		tally.skipped++
		return
	}
	if reason, ok := wpDeviations[tally.file][id]; ok {
		require.Equal(t, tc.Result != "valid", accepted, "%s is a recorded deviation (%s) but jwtgate now agrees with Wycheproof: %s", label(), reason, why)
		tally.deviations++
		return
	}
	switch tc.Result {
	case "valid":
		require.True(t, accepted, "%s refused: %s", label(), why)
		tally.validAccepted++
	case "invalid":
		require.False(t, accepted, "%s accepted", label())
		tally.invalidRefused++
		if strings.HasPrefix(why, "policy refused") {
			tally.refusedAtLoad++
		}
	case "acceptable":
		t.Logf("%s: jwtgate accepted=%v %s", label(), accepted, why)
		tally.acceptable++
		return
	default:
		t.Fatalf("%s: unknown result", label())
	}
	tally.executed++
}

func TestVectorsWycheproofSignature(t *testing.T) {
	const file = "json_web_signature_test.json"
	f := wpLoad(t, file)
	tally := &wpTally{file: file}
	for _, g := range f.TestGroups {
		key := g.Public
		if key == nil {
			key = g.Private // symmetric keys
		}
		for _, tc := range g.Tests {
			accepted, why := vecCheckSig(t, string(key), vecSigAlg(key, tc.JWS), tc.JWS)
			wpJudge(t, tally, tc, accepted, why)
		}
	}
	t.Log(tally)
	require.Equal(t, f.NumberOfTests, tally.executed+tally.skipped+tally.deviations+tally.acceptable)
	require.GreaterOrEqual(t, tally.executed, 390, "the signature vectors ran")
	require.GreaterOrEqual(t, tally.validAccepted, 35)
}

// TestVectorsBase64Strictness checks what tcIds 367 and 370 mean to test
// (their tokens lack the padding their comments name): base64 padding, the
// standard alphabet and stray characters are refused in every segment.
func TestVectorsBase64Strictness(t *testing.T) {
	f := wpLoad(t, "json_web_signature_test.json")
	var key json.RawMessage
	var tok string
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			if tc.TcID == 357 {
				key, tok = g.Private, tc.JWS
			}
		}
	}
	require.NotEmpty(t, tok)
	ok, why := vecCheckSig(t, string(key), "HS256", tok)
	require.True(t, ok, why)
	parts := strings.Split(tok, ".")
	for i := range parts {
		for _, mod := range []func(string) string{
			func(s string) string { return s + "=" },
			func(s string) string { return s + "==" },
			func(s string) string { return s + " " },
			func(s string) string { return " " + s },
			func(s string) string { return s + "\n" },
			func(s string) string { return strings.NewReplacer("-", "+", "_", "/").Replace(s) + "+/" },
		} {
			p := append([]string(nil), parts...)
			p[i] = mod(p[i])
			bad := strings.Join(p, ".")
			ok, _ := vecCheckSig(t, string(key), "HS256", bad)
			require.False(t, ok, "segment %d: %q", i, bad)
		}
	}
}

func TestVectorsWycheproofKeys(t *testing.T) {
	const file = "json_web_key_test.json"
	f := wpLoad(t, file)
	tally := &wpTally{file: file}
	for _, g := range f.TestGroups {
		set := g.Public
		if set == nil {
			set = g.Private
		}
		for _, tc := range g.Tests {
			accepted, why := vecCheckSig(t, string(set), vecHeaderAlg(tc.JWS), tc.JWS)
			wpJudge(t, tally, tc, accepted, why)
		}
	}
	t.Log(tally)
	require.Equal(t, f.NumberOfTests, tally.executed+tally.skipped+tally.deviations+tally.acceptable)
	require.GreaterOrEqual(t, tally.executed, 20, "the key vectors ran")
}

// vecDecryptPolicy is a policy whose only integration decrypts with jwk.
// A JWK whose alg names a content encryption (RFC 7520 section 5.6 marks
// direct keys so) is configured with "algorithm: dir"; otherwise the key's
// own alg binds it, as for any configured key.
func vecDecryptPolicy(jwk json.RawMessage, encryption string) string {
	var k wpKey
	_ = json.Unmarshal(jwk, &k)
	extra := ""
	if _, ok := keys.ParseContentEncryption(k.Alg); ok {
		extra = "        algorithm: dir\n"
	}
	return "integrations:\n  - name: vectors\n    issuer: https://vectors.example\n    algorithms: [HS256]\n    keys: [{secret: " + ptQ(hsSecret) + "}]\n" +
		"    decryption_keys:\n      - jwks: " + ptQ(string(jwk)) + "\n" + extra + encryption
}

// vecDecrypt runs one encrypted vector through Verify. It returns whether
// the token decrypted (from the explain trace), the plaintext (decrypted
// again through go-jose with the key the policy bound), and why not.
func vecDecrypt(t *testing.T, doc, tok string) (bool, []byte, string) {
	t.Helper()
	p, err := ParsePolicy("vectors.yaml", []byte(doc), LoadOptions{})
	if err != nil {
		return false, nil, "policy refused: " + err.Error()
	}
	v, err := NewVerifier(p, Config{})
	require.NoError(t, err)
	d := verifyAt(v, tok, testNow)
	require.False(t, d.Valid, "a vector's plaintext is never a valid token")
	decrypted := false
	for _, s := range d.Trace {
		if s.Name == "decryption" && s.Outcome == OutcomePass {
			decrypted = true
		}
	}
	if !decrypted {
		return false, nil, d.Reason
	}
	require.Equal(t, CodeInvalidToken, d.Code)
	// The plaintext, as encrypted() obtains it.
	in := p.integrations[0]
	h, verr := parseHeader(&run{d: &Decision{}}, tok[:strings.IndexByte(tok, '.')])
	require.Nil(t, verr)
	alg, _ := keys.ParseKeyAlgorithm(h.alg)
	enc, _ := keys.ParseContentEncryption(h.enc)
	jwe, err := jose.ParseEncryptedCompact(tok, []jose.KeyAlgorithm{alg}, []jose.ContentEncryption{enc})
	require.NoError(t, err)
	for _, k := range in.decryption {
		if pt, err := jwe.Decrypt(k.Material); err == nil {
			return true, pt, ""
		}
	}
	t.Fatalf("Verify decrypted %.40s… but go-jose does not", tok)
	return false, nil, ""
}

func TestVectorsWycheproofEncryption(t *testing.T) {
	const file = "json_web_encryption_test.json"
	f := wpLoad(t, file)
	tally := &wpTally{file: file}
	plaintexts := 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			ok, pt, why := vecDecrypt(t, vecDecryptPolicy(g.Private, ""), tc.JWE)
			if ok && tc.PT != "" {
				want, err := hex.DecodeString(tc.PT)
				require.NoError(t, err)
				require.Equal(t, want, pt, "tcId %d plaintext", tc.TcID)
				plaintexts++
			}
			wpJudge(t, tally, tc, ok, why)
		}
	}
	t.Log(tally, "; plaintexts compared: ", plaintexts)
	require.Equal(t, f.NumberOfTests, tally.executed+tally.skipped+tally.deviations+tally.acceptable)
	require.GreaterOrEqual(t, tally.executed, 110, "the encryption vectors ran")
	require.GreaterOrEqual(t, plaintexts, 40)
}

// TestVectorsCompressedJWE runs the compressed vector (wpSkipped by
// default) with compression allowed.
func TestVectorsCompressedJWE(t *testing.T) {
	f := wpLoad(t, "json_web_encryption_test.json")
	found := false
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			if tc.TcID != 135 {
				continue
			}
			found = true
			ok, _, why := vecDecrypt(t, vecDecryptPolicy(g.Private, ""), tc.JWE)
			require.False(t, ok)
			require.Contains(t, why, "does not allow compression")
			ok, pt, why := vecDecrypt(t, vecDecryptPolicy(g.Private, "    encryption: {allow_compression: true}\n"), tc.JWE)
			require.True(t, ok, why)
			want, _ := hex.DecodeString(tc.PT)
			require.Equal(t, want, pt)
		}
	}
	require.True(t, found)
}

// --- RFC 7520 ----------------------------------------------------------------

type cbJWS struct {
	Input struct {
		Payload string          `json:"payload"`
		Key     json.RawMessage `json:"key"`
		Alg     string          `json:"alg"`
	} `json:"input"`
	Output struct {
		Compact string `json:"compact"`
	} `json:"output"`
}

type cbJWE struct {
	Input struct {
		Plaintext string          `json:"plaintext"`
		Key       json.RawMessage `json:"key"`
		Pwd       string          `json:"pwd"`
		Alg       string          `json:"alg"`
		Enc       string          `json:"enc"`
	} `json:"input"`
	Output struct {
		Compact string `json:"compact"`
	} `json:"output"`
}

func cbRead(t *testing.T, pattern string, v any) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vecDir, "rfc7520-cookbook", pattern))
	require.NoError(t, err)
	require.Len(t, files, 1, pattern)
	b, err := os.ReadFile(files[0])
	require.NoError(t, err)
	if v != nil {
		require.NoError(t, json.Unmarshal(b, v))
	}
	return string(b)
}

// cbFlip changes one character of segment i of a compact token.
func cbFlip(tok string, i int) string {
	parts := strings.Split(tok, ".")
	s := []byte(parts[i])
	j := len(s) / 2
	if s[j] == 'A' {
		s[j] = 'B'
	} else {
		s[j] = 'A'
	}
	parts[i] = string(s)
	return strings.Join(parts, ".")
}

func TestVectorsRFC7520Signatures(t *testing.T) {
	for _, c := range []struct {
		example, jwk string
		alg          string
	}{
		{"4_1", "3_3", "RS256"}, // RSA v1.5
		{"4_2", "3_3", "PS384"}, // RSA-PSS
		{"4_3", "3_1", "ES512"}, // ECDSA P-521
		{"4_4", "3_5", "HS256"}, // HMAC
	} {
		t.Run(c.example, func(t *testing.T) {
			var ex cbJWS
			cbRead(t, "jws/"+c.example+".*.json", &ex)
			require.Equal(t, c.alg, ex.Input.Alg)
			pub := cbRead(t, "jwk/"+c.jwk+".*.json", nil)
			tok := ex.Output.Compact
			require.Equal(t, c.alg, vecHeaderAlg(tok))

			ks, allowed, err := vecSigPolicy(pub, c.alg)
			require.NoError(t, err)
			payload, err := verifySignature(tok, ks, allowed)
			require.NoError(t, err)
			require.Equal(t, ex.Input.Payload, string(payload))

			// Modified header, payload or signature: refused.
			for i := 0; i < 3; i++ {
				_, err := verifySignature(cbFlip(tok, i), ks, allowed)
				require.Error(t, err, "segment %d modified", i)
			}
			// Truncated signature, no signature, extra segment: refused.
			_, err = verifySignature(tok[:len(tok)-4], ks, allowed)
			require.Error(t, err)
			_, err = verifySignature(tok[:strings.LastIndexByte(tok, '.')+1], ks, allowed)
			require.Error(t, err)
			_, err = verifySignature(tok+".", ks, allowed)
			require.Error(t, err)
			// The same key under another algorithm of its family: refused.
			other := map[string]string{"RS256": "RS512", "PS384": "PS256", "ES512": "ES512", "HS256": "HS512"}[c.alg]
			if other != c.alg {
				ks2, allowed2, err := vecSigPolicy(pub, other)
				if err == nil {
					_, err = verifySignature(tok, ks2, allowed2)
				}
				require.Error(t, err)
			}
		})
	}
	// An RSA public key allowed for both RS256 and PS384 is refused at load:
	// the cookbook signs with the same key in 4.1 and 4.2.
	_, _, err := vecSigPolicy(cbRead(t, "jwk/3_3.*.json", nil), "RS256", "PS384")
	require.ErrorContains(t, err, "two algorithm families")
}

func TestVectorsRFC7520Encryption(t *testing.T) {
	for _, c := range []struct {
		example, alg, enc string
	}{
		{"5_2", "RSA-OAEP", "A256GCM"},
		{"5_4", "ECDH-ES+A128KW", "A128GCM"},
		{"5_5", "ECDH-ES", "A128CBC-HS256"},
		{"5_6", "dir", "A128GCM"},
		{"5_8", "A128KW", "A128GCM"},
	} {
		t.Run(c.example, func(t *testing.T) {
			var ex cbJWE
			cbRead(t, "jwe/"+c.example+".*.json", &ex)
			require.Equal(t, c.alg, ex.Input.Alg)
			require.Equal(t, c.enc, ex.Input.Enc)
			doc := vecDecryptPolicy(ex.Input.Key, "")
			ok, pt, why := vecDecrypt(t, doc, ex.Output.Compact)
			require.True(t, ok, why)
			require.Equal(t, ex.Input.Plaintext, string(pt))
			// A modified ciphertext or tag does not decrypt.
			for _, i := range []int{3, 4} {
				ok, _, _ := vecDecrypt(t, doc, cbFlip(ex.Output.Compact, i))
				require.False(t, ok, "segment %d modified", i)
			}
		})
	}

	t.Run("5_1 RSA1_5", func(t *testing.T) {
		var ex cbJWE
		cbRead(t, "jwe/5_1.*.json", &ex)
		require.Equal(t, "RSA1_5", ex.Input.Alg)
		// The key loads (bound to RSA-OAEP) but the token is refused.
		ok, _, why := vecDecrypt(t, vecDecryptPolicy(ex.Input.Key, ""), ex.Output.Compact)
		require.False(t, ok)
		require.Contains(t, why, `JWE key algorithm "RSA1_5" is not accepted`)
		// And RSA1_5 cannot be allowed.
		_, _, why = vecDecrypt(t, vecDecryptPolicy(ex.Input.Key, "    encryption: {key_algorithms: [RSA1_5]}\n"), ex.Output.Compact)
		require.Contains(t, why, "policy refused")
		require.Contains(t, why, "RSA1_5 is never accepted")
	})

	t.Run("5_3 PBES2", func(t *testing.T) {
		var ex cbJWE
		cbRead(t, "jwe/5_3.*.json", &ex)
		require.Equal(t, "PBES2-HS512+A256KW", ex.Input.Alg)
		pwd := "    decryption_keys:\n      - secret: " + ptQ(ex.Input.Pwd) + "\n"
		base := "integrations:\n  - name: vectors\n    issuer: https://vectors.example\n    algorithms: [HS256]\n    keys: [{secret: " + ptQ(hsSecret) + "}]\n"
		// By default the password is not a usable key at all…
		_, err := ParsePolicy("vectors.yaml", []byte(base+pwd), LoadOptions{})
		require.ErrorContains(t, err, "fits none of the allowed key algorithms")
		// …and an integration with other keys refuses PBES2 tokens.
		var other cbJWE
		cbRead(t, "jwe/5_8.*.json", &other)
		ok, _, why := vecDecrypt(t, vecDecryptPolicy(other.Input.Key, ""), ex.Output.Compact)
		require.False(t, ok)
		require.Contains(t, why, "does not accept JWE PBES2-HS512+A256KW")
		// With PBES2 allowed (p2c 8192 is within the default bound) it decrypts.
		ok, pt, why := vecDecrypt(t, base+pwd+"    encryption: {allow_pbes2: true, key_algorithms: [PBES2-HS512+A256KW]}\n", ex.Output.Compact)
		require.True(t, ok, why)
		require.Equal(t, ex.Input.Plaintext, string(pt))
		// A lower max_pbes2_count refuses it before any key derivation.
		ok, _, why = vecDecrypt(t, base+pwd+"    encryption: {allow_pbes2: true, key_algorithms: [PBES2-HS512+A256KW], max_pbes2_count: 1000}\n", ex.Output.Compact)
		require.False(t, ok)
		require.Contains(t, why, "PBES2 count 8192 is outside 1..1000")
	})
}

// TestVectorsPSSSaltLength: RFC 7518 section 3.5 fixes the PS256/384/512
// salt at the hash's size. go-jose alone accepts any salt length (Wycheproof
// tcIds 281-286); a whole verification refuses other lengths too.
func TestVectorsPSSSaltLength(t *testing.T) {
	v := mustVerifier(t, "integrations:\n  - name: pss\n    issuer: "+ptIss+"\n    algorithms: [PS256, PS512]\n    keys:\n      - pem: "+ptQ(ptPublicPEM(t, rsaKey.Public()))+"\n")
	payload, err := json.Marshal(claims(ptIss, nil))
	require.NoError(t, err)
	for _, c := range []struct {
		alg  string
		hash crypto.Hash
		salt int
		ok   bool
	}{
		{"PS256", crypto.SHA256, rsa.PSSSaltLengthEqualsHash, true},
		{"PS256", crypto.SHA256, 0, false},
		{"PS256", crypto.SHA256, 20, false},
		{"PS256", crypto.SHA256, 33, false},
		{"PS256", crypto.SHA256, rsa.PSSSaltLengthAuto, false},
		{"PS512", crypto.SHA512, rsa.PSSSaltLengthEqualsHash, true},
		{"PS512", crypto.SHA512, 32, false},
	} {
		input := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"`+c.alg+`"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload)
		h := c.hash.New()
		h.Write([]byte(input))
		sig, err := rsa.SignPSS(rand.Reader, rsaKey, c.hash, h.Sum(nil), &rsa.PSSOptions{SaltLength: c.salt})
		require.NoError(t, err)
		tok := input + "." + base64.RawURLEncoding.EncodeToString(sig)
		// go-jose itself accepts every one of them.
		jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(c.alg)})
		require.NoError(t, err)
		_, err = jws.Verify(rsaKey.Public())
		require.NoError(t, err)
		d := verifyAt(v, tok, testNow)
		require.Equal(t, c.ok, d.Valid, "%s salt %d: %s", c.alg, c.salt, d.Reason)
	}
}

// TestVectorsTablesAreExact keeps the skip and deviation tables pointing at
// vectors that exist.
func TestVectorsTablesAreExact(t *testing.T) {
	for _, table := range []map[string]map[int]string{wpSkipped, wpDeviations} {
		for file, ids := range table {
			f := wpLoad(t, file)
			have := map[int]bool{}
			for _, g := range f.TestGroups {
				for _, tc := range g.Tests {
					have[tc.TcID] = true
				}
			}
			var list []int
			for id, reason := range ids {
				require.True(t, have[id], "%s has no tcId %d", file, id)
				require.NotEmpty(t, reason)
				list = append(list, id)
			}
			sort.Ints(list)
			t.Logf("%s: %v", file, list)
		}
	}
}

// verifySignature verifies the signature of a compact JWS whose payload need
// not be JWT claims, with the functions signed uses around its integration
// lookup: readJWS, allowedAlg, pickSigningKeys and checkJWS. The payload's
// UTF-8 and JSON checks belong to the claims and are not made.
func verifySignature(tok string, candidates []keys.VerificationKey, allowed []jose.SignatureAlgorithm) ([]byte, error) {
	if dots := strings.Count(tok, "."); dots != 2 {
		return nil, fmt.Errorf("token has %s; a JWS has 3", parts(dots+1))
	}
	j := &jwsToken{}
	if verr := readJWS(&run{d: &Decision{}}, tok, j); verr != nil {
		return nil, errors.New(verr.reason)
	}
	alg, verr := allowedAlg(&j.h, allowed)
	if verr != nil {
		return nil, errors.New(verr.reason)
	}
	picked := pickSigningKeys(candidates, alg, j.h.kid)
	if len(picked) == 0 {
		return nil, fmt.Errorf("no %s key for kid %q", alg, j.h.kid)
	}
	if _, verr := checkJWS(nil, j, alg, picked); verr != nil {
		return nil, errors.New(verr.reason)
	}
	return j.payload, nil
}
