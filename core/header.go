package core

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// header is what jwtgate reads of a JOSE header.
type header struct {
	alg, enc, kid, cty, zip, typ string
	obj                          *jsonscan.Object
}

var b64 = base64.RawURLEncoding.Strict()

func parseHeader(r *run, seg string) (*header, *verdict) {
	raw, err := b64.DecodeString(seg)
	if err != nil {
		return nil, fail(CodeInvalidToken, "header", "header is not base64url: %v", err)
	}
	h := &header{}
	if verr := parseHeaderJSON(r, raw, h); verr != nil {
		return nil, verr
	}
	return h, nil
}

// parseHeaderJSON reads a decoded JOSE header into h.
func parseHeaderJSON(r *run, raw []byte, h *header) *verdict {
	if !utf8.Valid(raw) {
		return fail(CodeInvalidToken, "header", "header is not valid UTF-8")
	}
	obj, err := jsonscan.ParseObject(raw, jsonLimits)
	if err != nil {
		return fail(CodeInvalidToken, "header", "header is not a JSON object: %v", err)
	}
	h.obj = obj
	// One member at a time: a table of pointers into h would move the
	// caller's header to the heap.
	var verr *verdict
	h.alg, verr = headerMember(obj, "alg", verr)
	h.enc, verr = headerMember(obj, "enc", verr)
	h.kid, verr = headerMember(obj, "kid", verr)
	h.cty, verr = headerMember(obj, "cty", verr)
	h.typ, verr = headerMember(obj, "typ", verr)
	if h.zip, verr = headerMember(obj, "zip", verr); verr != nil {
		return verr
	}
	if h.alg == "" {
		return fail(CodeInvalidToken, "header", "header has no alg")
	}
	if len(h.kid) > maxKeyIDLen {
		return fail(CodeInvalidToken, "header", "kid is %d bytes, the limit is %d", len(h.kid), maxKeyIDLen)
	}
	if rawv, ok := obj.Get("b64"); ok && string(rawv) != "true" {
		// go-jose would honour an unencoded payload (RFC 7797) even outside crit.
		return fail(CodeInvalidToken, "header", "header b64 %s: unencoded payloads are not supported", rawv)
	}
	if _, ok := obj.Get("crit"); ok {
		// jwtgate implements no header extensions, so every critical one is unknown.
		return fail(CodeInvalidToken, "header", "header lists critical extensions (crit), none of which jwtgate implements")
	}
	for _, name := range []string{"jwk", "jku", "x5u", "x5c"} {
		if _, ok := obj.Get(name); ok {
			if r.explain {
				r.step("header", OutcomeInfo, "header %q ignored: keys are never taken from the token", name)
			}
		}
	}
	return nil
}

// parts says how many parts a token has, in words: "1 part", "4 parts".
func parts(n int) string {
	if n == 1 {
		return "1 part"
	}
	return strconv.Itoa(n) + " parts"
}

// compactChars refuses a compact token holding anything but base64url
// characters and dots. Go's base64 decoders skip CR and LF, and go-jose
// re-encodes what it decoded, so without this check whitespace inside or
// around a token would give another accepted spelling of it.
func compactChars(tok string) *verdict {
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; !compactChar[c] {
			return fail(CodeInvalidToken, "format", "token holds %q at byte %d; a compact token holds only base64url characters and dots", c, i)
		}
	}
	return nil
}

// compactChar marks the bytes a compact token may hold: the base64url
// alphabet and the dot. A table, because every byte of every token is
// looked up.
var compactChar = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") {
		t[c] = true
	}
	return t
}()

// headerMember reads an optional string member of the header; after an
// earlier member's failure (prev) it reads nothing and passes it on.
func headerMember(obj *jsonscan.Object, name string, prev *verdict) (string, *verdict) {
	rawv, ok := obj.Get(name)
	if prev != nil || !ok {
		return "", prev
	}
	s, err := headerString(rawv)
	if err != nil {
		return "", fail(CodeInvalidToken, "header", "header %q must be a string, found %s", name, jsonscan.Kind(rawv))
	}
	return s, nil
}

// headerString reads a header member's string. The most common values
// (algorithm names, the usual typ values) come from a table instead of a
// new copy: every token has them.
func headerString(raw []byte) (string, error) {
	b, err := jsonscan.StringBytes(raw)
	if err != nil {
		return "", err
	}
	if alg, ok := keys.ParseSignatureAlgorithm(string(b)); ok {
		return string(alg), nil
	}
	if v, ok := commonTyps[string(b)]; ok {
		return v, nil
	}
	return string(b), nil
}

// commonTyps are the typ values tokens usually carry.
var commonTyps = map[string]string{"JWT": "JWT", "jwt": "jwt", "at+jwt": "at+jwt", "application/at+jwt": "application/at+jwt", "JOSE": "JOSE"}
