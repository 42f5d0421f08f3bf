package server

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/core"
)

// Rotation, driven by the key files' timestamps and an injected clock: the
// next key is published a whole period before it signs; the previous one
// stays published until its tokens have expired.
func TestSigningKeyRotation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "signing")
	const rotate, retain = 720 * time.Hour, 9 * time.Hour
	k := newKeyring(dir, "ES256", rotate, retain)
	now := t0
	require.NoError(t, k.maintain(now))
	kids, cur := k.kids(now)
	require.Len(t, kids, 2)
	assert.Equal(t, kids[0], cur)
	first, next := kids[0], kids[1]
	info, err := os.Stat(filepath.Join(dir, keyFileName(t0.Add(rotate))))
	require.NoError(t, err, "the next key's file is named and stamped with its start")
	assert.True(t, info.ModTime().Equal(t0.Add(rotate)))
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	tokA := ownToken(t, k, "a", now)
	assert.Equal(t, first, kidOf(t, tokA))

	// A second instance sharing the folder agrees.
	k2 := newKeyring(dir, "ES256", rotate, retain)
	require.NoError(t, k2.maintain(now))
	kids2, cur2 := k2.kids(now)
	assert.Equal(t, kids, kids2)
	assert.Equal(t, cur, cur2)
	require.NoError(t, verifyOwn(t, k2, tokA, now))

	// Just before the period ends nothing changes.
	now = t0.Add(rotate - time.Second)
	_, cur = k.kids(now)
	assert.Equal(t, first, cur)

	// The period ends: the next key signs (on use, without a maintain
	// call), a new next key appears, the previous one stays published.
	now = t0.Add(rotate + time.Second)
	tokB := ownToken(t, k, "b", now)
	assert.Equal(t, next, kidOf(t, tokB))
	kids, cur = k.kids(now)
	require.Len(t, kids, 3)
	assert.Equal(t, []string{first, next}, kids[:2])
	assert.Equal(t, next, cur)
	set := publishedKids(t, k, now)
	assert.Equal(t, kids, set)
	assert.NoError(t, verifyOwn(t, k, tokA, now), "a token of the previous key verifies until it expires")

	// Past retention the previous key goes, with its file.
	now = t0.Add(rotate + retain + 2*time.Second)
	require.NoError(t, k.maintain(now))
	kids, _ = k.kids(now)
	assert.Equal(t, []string{next, kids[1]}, kids)
	assert.ErrorContains(t, verifyOwn(t, k, tokA, now), "kid", "its key is no longer published")
	_, err = os.Stat(filepath.Join(dir, keyFileName(t0)))
	assert.True(t, os.IsNotExist(err))
	assert.NoError(t, verifyOwn(t, k, tokB, now))

	// After a long downtime the overdue next key is made for soon, not
	// for the past.
	now = now.Add(10 * rotate)
	require.NoError(t, k.maintain(now))
	kids, cur = k.kids(now)
	assert.Equal(t, kids[len(kids)-2], cur)
	last := k.keys[len(k.keys)-1]
	assert.True(t, last.activation.After(now), "the new next key starts in the future")
	assert.False(t, last.activation.After(now.Add(minPrepublish)))
}

func TestSigningKeyAlgorithms(t *testing.T) {
	for _, alg := range []string{"ES256", "ES384", "RS256", "EdDSA"} {
		k := newKeyring(t.TempDir(), alg, time.Hour, time.Hour)
		tok := ownToken(t, k, "x", t0)
		d := verifyOwnDecision(t, k, tok, t0)
		require.True(t, d.Valid, "%s: %s", alg, d.Reason)
		assert.Equal(t, "x", d.Subject)
	}
	k := newKeyring(t.TempDir(), "ES256", time.Hour, time.Hour)
	tok := ownToken(t, k, "x", t0)
	other := newKeyring(t.TempDir(), "ES256", time.Hour, time.Hour)
	assert.ErrorContains(t, verifyOwn(t, other, tok, t0), "no ES256 key with kid")
}

// An instance sharing the folder picks up a key another one made, when a
// token names it.
func TestSigningKeysSharedFolder(t *testing.T) {
	dir := t.TempDir()
	a := newKeyring(dir, "ES256", time.Hour, time.Hour)
	b := newKeyring(dir, "ES256", time.Hour, time.Hour)
	require.NoError(t, a.maintain(t0))
	require.NoError(t, b.maintain(t0))
	// The files vanish and A makes new ones (an operator reset the folder).
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.NoError(t, os.Remove(filepath.Join(dir, e.Name())))
	}
	require.NoError(t, a.maintain(t0.Add(time.Second)))
	tok := ownToken(t, a, "x", t0.Add(time.Second))
	require.NoError(t, verifyOwn(t, b, tok, t0.Add(10*time.Second)), "B reads the folder again for the unknown kid")
	stranger := newKeyring(t.TempDir(), "ES256", time.Hour, time.Hour)
	assert.ErrorContains(t, verifyOwn(t, b, ownToken(t, stranger, "x", t0), t0.Add(11*time.Second)), "kid")
}

// testPublicURL is the issuer of the keyring tests' own tokens.
const testPublicURL = "https://auth.example.com"

// ownToken signs one of jwtgate's own tokens with k at now, as a session
// would (it expires in a decade: these tests are about keys).
func ownToken(t *testing.T, k *keyring, sub string, now time.Time) string {
	t.Helper()
	tok, err := k.sign(ownClaims{
		Issuer: testPublicURL, Audience: testPublicURL, Subject: sub, IssuedAt: now.Unix(),
		ExpiresAt: now.AddDate(10, 0, 0).Unix(), ID: randomID(), Use: tokenUseSession, SessionID: "s", Integration: "x",
	}, now)
	require.NoError(t, err)
	return tok
}

// verifyOwnDecision verifies tok as the server does: by the core, with
// k's published keys as the key source.
func verifyOwnDecision(t *testing.T, k *keyring, tok string, now time.Time) *core.Decision {
	t.Helper()
	own, err := newOwnTokens(testPublicURL, k, func() time.Time { return now })
	require.NoError(t, err)
	return own.verifier.Verify(context.Background(), core.Request{Token: tok, Now: now})
}

// verifyOwn is verifyOwnDecision's refusal as an error, nil when valid.
func verifyOwn(t *testing.T, k *keyring, tok string, now time.Time) error {
	t.Helper()
	if d := verifyOwnDecision(t, k, tok, now); !d.Valid {
		return errors.New(d.Reason)
	}
	return nil
}

func kidOf(t *testing.T, tok string) string {
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	return jws.Signatures[0].Header.KeyID
}

func publishedKids(t *testing.T, k *keyring, now time.Time) []string {
	b, err := k.publish(now)
	require.NoError(t, err)
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(b, &set))
	var out []string
	for _, key := range set.Keys {
		assert.True(t, key.IsPublic())
		out = append(out, key.KeyID)
	}
	return out
}
