// Package peerbench puts jwtgate beside the JWT libraries a Go service
// would otherwise use, verifying the same token (jwttest.BenchCases) with
// the same checks, so that `make bench` can report what jwtgate costs
// against each in one run. It holds only test files: the peer libraries
// are test dependencies of the module and never reach a build of jwtgate.
package peerbench

import (
	"context"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	gjwt "github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/jwx/v3/jwa"
	xjwt "github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// A verifier checks a token and says why it refuses it.
type verifier func(token string) error

// contender is one column of the report: a name (the benchmark's last
// element) and its verifier for one case.
type contender struct {
	name string
	make func(c jwttest.BenchCase) (verifier, error)
}

// contenders, in the report's column order. Every one checks the
// signature under the one algorithm, iss, aud, exp (required), nbf and
// iat with jwttest.BenchLeeway at jwttest.BenchNow, and the required
// claims; where a library has no option for required claims, the map or
// struct it decoded is looked at, as its user would have to.
var contenders = []contender{
	{"jwtgate", jwtgate(false)},
	{"jwtgate-cached", jwtgate(true)},
	{"golang-jwt", golangJWT},
	{"go-jose", goJose},
	{"jwx", jwx},
}

var errRequired = errors.New("a required claim is missing")

func clock() time.Time { return jwttest.BenchNow }

// jwtgate is the core from the case's policy YAML, with the decision
// cache in front of it when cached (a repeated token is then a hit).
func jwtgate(cached bool) func(c jwttest.BenchCase) (verifier, error) {
	return func(c jwttest.BenchCase) (verifier, error) {
		p, err := core.ParsePolicy("bench", []byte(c.Policy), core.LoadOptions{})
		if err != nil {
			return nil, err
		}
		v, err := core.NewVerifier(p, core.Config{Replay: core.NewMemoryReplayStore(0)})
		if err != nil {
			return nil, err
		}
		verify := v.Verify
		if cached {
			cache, err := core.NewCache(v, p, core.CacheOptions{})
			if err != nil {
				return nil, err
			}
			verify = cache.Verify
		}
		return func(token string) error {
			if d := verify(context.Background(), core.Request{Token: token, Now: clock()}); !d.Valid {
				return fmt.Errorf("%s: %s", d.Code, d.Reason)
			}
			return nil
		}, nil
	}
}

func golangJWT(c jwttest.BenchCase) (verifier, error) {
	parser := gjwt.NewParser(gjwt.WithValidMethods([]string{c.Alg}), gjwt.WithIssuer(jwttest.BenchIssuer),
		gjwt.WithAudience(jwttest.BenchAudience), gjwt.WithExpirationRequired(), gjwt.WithIssuedAt(),
		gjwt.WithLeeway(jwttest.BenchLeeway), gjwt.WithTimeFunc(clock))
	key := func(*gjwt.Token) (any, error) { return c.Key, nil }
	return func(token string) error {
		claims := gjwt.MapClaims{}
		if _, err := parser.ParseWithClaims(token, claims, key); err != nil {
			return err
		}
		if _, ok := claims["email"]; !ok {
			return errRequired
		}
		if _, ok := claims["tenant_id"].(string); !ok {
			return errRequired
		}
		return nil
	}, nil
}

// goJoseClaims are the claims beyond the registered ones that the policy
// requires, typed as it requires them.
type goJoseClaims struct {
	Email    *string `json:"email"`
	TenantID *string `json:"tenant_id"`
}

func goJose(c jwttest.BenchCase) (verifier, error) {
	algs := []jose.SignatureAlgorithm{jose.SignatureAlgorithm(c.Alg)}
	want := josejwt.Expected{Issuer: jwttest.BenchIssuer, AnyAudience: josejwt.Audience{jwttest.BenchAudience}}
	return func(token string) error {
		tok, err := josejwt.ParseSigned(token, algs)
		if err != nil {
			return err
		}
		var std josejwt.Claims
		var own goJoseClaims
		if err := tok.Claims(c.Key, &std, &own); err != nil {
			return err
		}
		if err := std.ValidateWithLeeway(want.WithTime(clock()), jwttest.BenchLeeway); err != nil {
			return err
		}
		if std.Expiry == nil || own.Email == nil || own.TenantID == nil {
			return errRequired
		}
		return nil
	}, nil
}

func jwx(c jwttest.BenchCase) (verifier, error) {
	alg, ok := jwa.LookupSignatureAlgorithm(c.Alg)
	if !ok {
		return nil, fmt.Errorf("jwx has no %s", c.Alg)
	}
	opts := []xjwt.ParseOption{xjwt.WithKey(alg, c.Key), xjwt.WithValidate(true),
		xjwt.WithIssuer(jwttest.BenchIssuer), xjwt.WithAudience(jwttest.BenchAudience),
		xjwt.WithRequiredClaim("exp"), xjwt.WithAcceptableSkew(jwttest.BenchLeeway),
		xjwt.WithClock(xjwt.ClockFunc(clock))}
	for _, name := range jwttest.BenchRequired {
		opts = append(opts, xjwt.WithRequiredClaim(name))
	}
	return func(token string) error {
		_, err := xjwt.Parse([]byte(token), opts...)
		return err
	}, nil
}
