package peerbench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// The comparison is fair only if every contender makes the checks
// jwtgate makes: each accepts the benchmark token and refuses each of
// these variants of it, under every algorithm.
func TestContendersCheckAlike(t *testing.T) {
	now := jwttest.BenchNow
	past := now.Add(-time.Hour)
	variants := map[string]map[string]any{
		"wrong issuer":         {"iss": "https://other.example"},
		"wrong audience":       {"aud": "other"},
		"expired":              {"exp": now.Add(-2 * jwttest.BenchLeeway).Unix(), "iat": past.Unix()},
		"no exp":               {"exp": nil},
		"not yet valid":        {"nbf": now.Add(2 * jwttest.BenchLeeway).Unix()},
		"issued in the future": {"iat": now.Add(2 * jwttest.BenchLeeway).Unix()},
		"no email":             {"email": nil},
		"no tenant_id":         {"tenant_id": nil},
	}
	for _, c := range jwttest.BenchCases(t) {
		for _, ct := range contenders {
			verify, err := ct.make(c)
			require.NoError(t, err, ct.name)
			t.Run(c.Alg+"/"+ct.name, func(t *testing.T) {
				require.NoError(t, verify(c.Token), "the benchmark token")
				for name, extra := range variants {
					require.Error(t, verify(c.Sign(jwttest.BenchClaims(extra))), name)
				}
				// Within the leeway, every one accepts.
				skewed := jwttest.BenchClaims(map[string]any{"exp": now.Add(-jwttest.BenchLeeway / 2).Unix(), "iat": past.Unix()})
				require.NoError(t, verify(c.Sign(skewed)), "expired within the leeway")
				tampered := c.Token[:len(c.Token)-4] + "AAAA"
				require.Error(t, verify(tampered), "a tampered signature")
			})
		}
	}
}
