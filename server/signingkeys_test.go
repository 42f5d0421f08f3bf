package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

	tokA, err := k.sign(map[string]any{"sub": "a"}, now)
	require.NoError(t, err)
	assert.Equal(t, first, kidOf(t, tokA))

	// A second instance sharing the folder agrees.
	k2 := newKeyring(dir, "ES256", rotate, retain)
	require.NoError(t, k2.maintain(now))
	kids2, cur2 := k2.kids(now)
	assert.Equal(t, kids, kids2)
	assert.Equal(t, cur, cur2)
	_, err = k2.verify(tokA, now)
	require.NoError(t, err)

	// Just before the period ends nothing changes.
	now = t0.Add(rotate - time.Second)
	_, cur = k.kids(now)
	assert.Equal(t, first, cur)

	// The period ends: the next key signs (on use, without a maintain
	// call), a new next key appears, the previous one stays published.
	now = t0.Add(rotate + time.Second)
	tokB, err := k.sign(map[string]any{"sub": "b"}, now)
	require.NoError(t, err)
	assert.Equal(t, next, kidOf(t, tokB))
	kids, cur = k.kids(now)
	require.Len(t, kids, 3)
	assert.Equal(t, []string{first, next}, kids[:2])
	assert.Equal(t, next, cur)
	set := publishedKids(t, k, now)
	assert.Equal(t, kids, set)
	_, err = k.verify(tokA, now)
	assert.NoError(t, err, "a token of the previous key verifies until it expires")

	// Past retention the previous key goes, with its file.
	now = t0.Add(rotate + retain + 2*time.Second)
	require.NoError(t, k.maintain(now))
	kids, _ = k.kids(now)
	assert.Equal(t, []string{next, kids[1]}, kids)
	_, err = k.verify(tokA, now)
	assert.Error(t, err)
	_, err = os.Stat(filepath.Join(dir, keyFileName(t0)))
	assert.True(t, os.IsNotExist(err))
	_, err = k.verify(tokB, now)
	assert.NoError(t, err)

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
		tok, err := k.sign(map[string]any{"sub": "x"}, t0)
		require.NoError(t, err, alg)
		payload, err := k.verify(tok, t0)
		require.NoError(t, err, alg)
		assert.JSONEq(t, `{"sub":"x"}`, string(payload))
	}
	k := newKeyring(t.TempDir(), "ES256", time.Hour, time.Hour)
	tok, err := k.sign(map[string]any{"sub": "x"}, t0)
	require.NoError(t, err)
	other := newKeyring(t.TempDir(), "ES256", time.Hour, time.Hour)
	_, err = other.verify(tok, t0)
	assert.ErrorContains(t, err, "no published key")
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
	tok, err := a.sign(map[string]any{"sub": "x"}, t0.Add(time.Second))
	require.NoError(t, err)
	_, err = b.verify(tok, t0.Add(10*time.Second))
	require.NoError(t, err, "B reads the folder again for the unknown kid")
	_, err = b.verify("eyJhbGciOiJFUzI1NiIsImtpZCI6Im5vcGUifQ.e30.AAAA", t0.Add(11*time.Second))
	assert.Error(t, err)
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
