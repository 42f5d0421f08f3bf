package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const defaultTestPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testPostgres returns a DSN of a fresh schema on the test server
// (JWTGATE_TEST_POSTGRES, else the CI default), dropped when the test ends.
// An unreachable server skips the test, or fails it when CI=true.
func testPostgres(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("JWTGATE_TEST_POSTGRES")
	if dsn == "" {
		dsn = defaultTestPostgres
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		u, _ := url.Parse(dsn)
		msg := fmt.Sprintf("PostgreSQL at %s is unreachable (set JWTGATE_TEST_POSTGRES): %v", u.Redacted(), err)
		require.NotEqual(t, "true", os.Getenv("CI"), "%s; CI=true requires the PostgreSQL tests to run", msg)
		t.Skip(msg)
	}
	defer conn.Close(context.Background())
	var b [8]byte
	rand.Read(b[:])
	schema := "jwtgate_server_test_" + hex.EncodeToString(b[:])
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn)
		if !assert.NoError(t, err) {
			return
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		assert.NoError(t, err)
	})
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Two instances sharing PostgreSQL (and the signing-key folder): a
// one-time token used on one is replayed on the other; a session started
// on one and ended on the other is refused by both.
func TestTwoInstancesSharingPostgres(t *testing.T) {
	dsn := testPostgres(t)
	data := filepath.Join(t.TempDir(), "data")
	e := newEnv(t, envOptions{dsn: dsn, dataDir: data})
	b := e.start(data)
	hb := httptest.NewServer(b.Handler())
	t.Cleanup(hb.Close)
	urlA, urlB := e.url, hb.URL

	// One-time jti across instances.
	tok := e.authonomyToken(nil)
	r := send(t, nil, http.MethodGet, urlA+"/auth/jwt?token="+url.QueryEscape(tok), nil, "Accept", "application/json")
	require.Equal(t, http.StatusOK, r.status, e.logs.String())
	r = send(t, nil, http.MethodGet, urlB+"/auth/jwt?token="+url.QueryEscape(tok), nil, "Accept", "application/json")
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "token_replayed", r.json["error"])
	r = send(t, nil, http.MethodPost, urlB+"/v1/verify", nil, "Authorization", "Bearer "+tok)
	assert.Equal(t, "token_replayed", r.json["error"])

	// A session from A is honoured by B; logout on B ends it on A.
	tok = e.authonomyToken(nil)
	r = send(t, nil, http.MethodGet, urlA+"/auth/jwt?token="+url.QueryEscape(tok), nil)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	ck := r.resp.Cookies()[0]
	cookie := ck.Name + "=" + ck.Value
	for _, u := range []string{urlA, urlB} {
		r = send(t, nil, http.MethodGet, u+"/v1/session", nil, "Cookie", cookie)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "user-123", r.json["subject"])
	}
	r = send(t, nil, http.MethodPost, urlB+"/auth/logout", nil, "Cookie", cookie)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.header.Get("Set-Cookie"), "Max-Age=0")
	for _, u := range []string{urlA, urlB} {
		r = send(t, nil, http.MethodGet, u+"/v1/session", nil, "Cookie", cookie)
		assert.Equal(t, http.StatusUnauthorized, r.status, u)
		r = send(t, nil, http.MethodGet, u+"/v1/authz/", nil, "Cookie", cookie)
		assert.Equal(t, http.StatusUnauthorized, r.status, u)
	}

	// An exchanged access token, revoked on the other instance.
	access := e.oktoAccessToken()
	r = send(t, nil, http.MethodGet, urlB+"/v1/authz/", nil, "Authorization", "Bearer "+access)
	require.Equal(t, http.StatusOK, r.status, r.body)
	r = send(t, nil, http.MethodPost, urlB+"/auth/logout", nil, "Authorization", "Bearer "+access)
	require.Equal(t, http.StatusOK, r.status, r.body)
	r = send(t, nil, http.MethodGet, urlA+"/v1/authz/", nil, "Authorization", "Bearer "+access)
	assert.Equal(t, http.StatusUnauthorized, r.status)
}

// eachStore runs f on SQLite (dsn "", newEnv's default) and on a fresh
// PostgreSQL schema.
func eachStore(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, "") })
	t.Run("postgres", func(t *testing.T) { f(t, testPostgres(t)) })
}
