package server

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	jwt "github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// baselineServer is what a Go team would write instead of jwtgate serve
// for the load configuration's two integrations: a plain net/http handler
// verifying with golang-jwt v5 (the algorithm pinned per issuer, exp
// required, the permission the route needs), setting X-User and answering
// the same JSON. BenchmarkAuthz measures jwtgate against it.
func baselineServer(tb testing.TB, rs *rsa.PublicKey) string {
	keys := map[string]struct {
		alg string
		key any
	}{
		"https://hs.load.example": {"HS256", []byte(oktoSecret)},
		"https://rs.load.example": {"RS256", rs},
	}
	type claims struct {
		jwt.RegisteredClaims
		Permissions []string `json:"permissions"`
	}
	h := func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		var c claims
		_, err := jwt.ParseWithClaims(tok, &c, func(t *jwt.Token) (any, error) {
			iss, _ := t.Claims.GetIssuer()
			k, ok := keys[iss]
			if !ok || t.Method.Alg() != k.alg {
				return nil, errors.New("unknown issuer or algorithm")
			}
			return k.key, nil
		}, jwt.WithValidMethods([]string{"HS256", "RS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(time.Minute))
		if err != nil || !slices.ContainsFunc(c.Permissions, func(p string) bool { return strings.HasPrefix(p, "reports:read:") }) {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-User", c.Subject)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "subject": c.Subject})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	srv := &http.Server{Handler: http.HandlerFunc(h), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
