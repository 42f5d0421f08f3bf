package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/core"
)

// Rotation limits of jwtgate's own keys.
const (
	// minPrepublish is the least time a new key is published before it
	// signs, when the previous one is overdue (after a long downtime).
	minPrepublish = 10 * time.Minute
	// reloadUnknownKid is the least time between two readings of the key
	// folder caused by tokens of an unknown kid.
	reloadUnknownKid = 5 * time.Second
)

// keyring holds jwtgate's own signing keys, kept as private JWK files in a
// folder of the data directory (see keyfiles.go). A key's file
// modification time is the moment it starts signing; a key whose time is
// in the future is the next key, published but not yet used. Rotation is
// driven by those timestamps alone, so several instances sharing the
// folder agree on the current key.
//
//   - at start, a folder without keys gets a current key (now) and a next one
//     (now + rotate_every);
//   - once the next key's time has come it signs, and a new next key is made
//     for rotate_every later;
//   - a retired key stays published (and accepted) for retain, the longest
//     life of a token it may have signed, then its file is removed.
//
// The keyring signs; the core verifies, with the published keys as the
// key set of jwtgate's own integration (see ownTokens).
type keyring struct {
	dir    string
	alg    string
	rotate time.Duration
	retain time.Duration

	mu        sync.Mutex
	keys      []*signingKey // by activation, oldest first
	jwks      []byte        // the published set
	set       *core.KeySet  // the published set, parsed by the core
	published map[string]*signingKey
	nextCheck time.Time // maintain again at this time
	// lastReload is when a token's unknown kid last made the folder be
	// read again.
	lastReload time.Time
}

type signingKey struct {
	kid        string
	activation time.Time
	private    jose.JSONWebKey
	public     jose.JSONWebKey
	signer     jose.Signer
}

func newKeyring(dir, alg string, rotate, retain time.Duration) *keyring {
	return &keyring{dir: dir, alg: alg, rotate: rotate, retain: retain}
}

// maintain loads the folder, makes the current and next keys when missing,
// removes keys past retention and rebuilds the published set.
func (k *keyring) maintain(now time.Time) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.maintainLocked(now)
}

func (k *keyring) maintainLocked(now time.Time) error {
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return err
	}
	keys, err := k.ensureKeys(now)
	if err != nil {
		return err
	}
	k.keys = k.dropRetired(keys, now)
	return k.publishLocked(now)
}

// ensureKeys reads the folder, making a current key and a next one when
// either is missing.
func (k *keyring) ensureKeys(now time.Time) ([]*signingKey, error) {
	keys, err := k.load()
	if err != nil {
		return nil, err
	}
	cur := currentKey(keys, now)
	if cur == nil {
		if _, err := k.create(now); err != nil {
			return nil, err
		}
		if keys, err = k.load(); err != nil {
			return nil, err
		}
		if cur = currentKey(keys, now); cur == nil {
			return nil, errors.New("signing keys: no current key after creating one")
		}
	}
	if nextKey(keys, now) != nil {
		return keys, nil
	}
	at := cur.activation.Add(k.rotate)
	if soonest := now.Add(min(minPrepublish, k.rotate/2)); at.Before(soonest) {
		at = soonest
	}
	if _, err := k.create(at); err != nil {
		return nil, err
	}
	return k.load()
}

// dropRetired removes the keys retired for longer than retain, with their
// files: a key retires when its successor activates.
func (k *keyring) dropRetired(keys []*signingKey, now time.Time) []*signingKey {
	cur := currentKey(keys, now)
	var kept []*signingKey
	for i, key := range keys {
		if i+1 < len(keys) && !keys[i+1].activation.After(now) && key != cur && now.Sub(keys[i+1].activation) > k.retain {
			os.Remove(filepath.Join(k.dir, keyFileName(key.activation)))
			continue
		}
		kept = append(kept, key)
	}
	return kept
}

// publishLocked rebuilds the published set from k.keys, and the time of
// the next maintenance: when the next key activates.
func (k *keyring) publishLocked(now time.Time) error {
	k.published = map[string]*signingKey{}
	set := jose.JSONWebKeySet{}
	for _, key := range k.keys {
		k.published[key.kid] = key
		set.Keys = append(set.Keys, key.public)
	}
	var err error
	if k.jwks, err = json.Marshal(set); err != nil {
		return err
	}
	if k.set, err = core.ParseKeySet(k.jwks); err != nil {
		return err
	}
	k.nextCheck = time.Time{}
	if next := nextKey(k.keys, now); next != nil {
		k.nextCheck = next.activation
	}
	return nil
}

// currentKey is the newest key whose time has come.
func currentKey(keys []*signingKey, now time.Time) *signingKey {
	var cur *signingKey
	for _, key := range keys {
		if !key.activation.After(now) {
			cur = key
		}
	}
	return cur
}

// nextKey is the first key whose time has not come, or nil.
func nextKey(keys []*signingKey, now time.Time) *signingKey {
	for _, key := range keys {
		if key.activation.After(now) {
			return key
		}
	}
	return nil
}

// ensureFresh maintains the keyring when the next key's time has come.
func (k *keyring) ensureFresh(now time.Time) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.freshLocked(now)
}

func (k *keyring) freshLocked(now time.Time) error {
	if k.keys == nil || (!k.nextCheck.IsZero() && !now.Before(k.nextCheck)) {
		return k.maintainLocked(now)
	}
	return nil
}

// sign signs claims with the current key.
func (k *keyring) sign(claims any, now time.Time) (string, error) {
	if err := k.ensureFresh(now); err != nil {
		return "", err
	}
	k.mu.Lock()
	cur := currentKey(k.keys, now)
	k.mu.Unlock()
	if cur == nil {
		return "", errors.New("no current signing key")
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := cur.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// keySet returns the published keys, parsed, for a token naming kid.
// Another instance sharing the folder may have made a key this one has not
// read yet: for a kid no published key has, the folder is read again, at
// most every reloadUnknownKid.
func (k *keyring) keySet(now time.Time, kid string) (*core.KeySet, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.freshLocked(now); err != nil {
		return nil, err
	}
	if kid != "" && k.published[kid] == nil && now.Sub(k.lastReload) >= reloadUnknownKid {
		k.lastReload = now
		if err := k.maintainLocked(now); err != nil {
			return nil, err
		}
	}
	return k.set, nil
}

// ownKeySource is the keyring as the core's key source of jwtgate's own
// integration: its published keys, at the one URL they are published at.
type ownKeySource struct {
	keys *keyring
	url  string
	now  func() time.Time
}

// KeySet implements core.KeySource.
func (o ownKeySource) KeySet(_ context.Context, url, kid string) (*core.KeySet, error) {
	if url != o.url {
		return nil, fmt.Errorf("%s is not jwtgate's own key set", url)
	}
	return o.keys.keySet(o.now(), kid)
}

// kids returns the kids of the published keys, oldest first, and the
// current one (for tests and logs).
func (k *keyring) kids(now time.Time) (all []string, current string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, key := range k.keys {
		all = append(all, key.kid)
	}
	if cur := currentKey(k.keys, now); cur != nil {
		current = cur.kid
	}
	return all, current
}
