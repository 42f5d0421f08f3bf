package server

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// signingAlgorithms are the algorithms of jwtgate's own keys.
var signingAlgorithms = map[string]bool{"ES256": true, "ES384": true, "RS256": true, "EdDSA": true}

// Limits of jwtgate's own tokens.
const (
	maxOwnTokenBytes = 16 << 10
	// minPrepublish is the least time a new key is published before it
	// signs, when the previous one is overdue (after a long downtime).
	minPrepublish = 10 * time.Minute
	keyFilePrefix = "key-"
	keyFileSuffix = ".jwk.json"
	// reloadUnknownKid is the least time between two readings of the key
	// folder caused by tokens of an unknown kid.
	reloadUnknownKid = 5 * time.Second
)

// keyring holds jwtgate's own signing keys, kept as private JWK files in a
// folder of the data directory. A key's file modification time is the
// moment it starts signing; a key whose time is in the future is the next
// key, published but not yet used. Rotation is driven by those timestamps
// alone, so several instances sharing the folder agree on the current key.
//
//   - at start, a folder without keys gets a current key (now) and a next one
//     (now + rotate_every);
//   - once the next key's time has come it signs, and a new next key is made
//     for rotate_every later;
//   - a retired key stays published (and accepted) for retain, the longest
//     life of a token it may have signed, then its file is removed.
type keyring struct {
	dir    string
	alg    string
	rotate time.Duration
	retain time.Duration

	mu        sync.Mutex
	keys      []*signingKey // by activation, oldest first
	jwks      []byte        // the published set
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
	keys, err := k.load()
	if err != nil {
		return err
	}
	cur := currentKey(keys, now)
	if cur == nil {
		if _, err := k.create(now); err != nil {
			return err
		}
		if keys, err = k.load(); err != nil {
			return err
		}
		cur = currentKey(keys, now)
	}
	if cur == nil {
		return errors.New("signing keys: no current key after creating one")
	}
	var next *signingKey
	for _, key := range keys {
		if key.activation.After(now) {
			next = key
			break
		}
	}
	if next == nil {
		at := cur.activation.Add(k.rotate)
		if min := now.Add(min(minPrepublish, k.rotate/2)); at.Before(min) {
			at = min
		}
		if _, err := k.create(at); err != nil {
			return err
		}
		if keys, err = k.load(); err != nil {
			return err
		}
	}
	// Drop keys retired for longer than retain: a key retires when its
	// successor activates.
	var kept []*signingKey
	for i, key := range keys {
		if i+1 < len(keys) && !keys[i+1].activation.After(now) && key != currentKey(keys, now) {
			if now.Sub(keys[i+1].activation) > k.retain {
				os.Remove(filepath.Join(k.dir, keyFileName(key.activation)))
				continue
			}
		}
		kept = append(kept, key)
	}
	k.keys = kept
	k.published = map[string]*signingKey{}
	set := jose.JSONWebKeySet{}
	for _, key := range kept {
		k.published[key.kid] = key
		set.Keys = append(set.Keys, key.public)
	}
	if k.jwks, err = json.Marshal(set); err != nil {
		return err
	}
	// Maintain again when the next key activates.
	k.nextCheck = time.Time{}
	for _, key := range kept {
		if key.activation.After(now) {
			k.nextCheck = key.activation
			break
		}
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

func keyFileName(at time.Time) string {
	return keyFilePrefix + strconv.FormatInt(at.Unix(), 10) + keyFileSuffix
}

// load reads every key file of the folder; a key of another algorithm (the
// configured one changed) is still published so that its tokens verify.
func (k *keyring) load() ([]*signingKey, error) {
	entries, err := os.ReadDir(k.dir)
	if err != nil {
		return nil, err
	}
	var out []*signingKey
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, keyFilePrefix) || !strings.HasSuffix(name, keyFileSuffix) {
			continue
		}
		path := filepath.Join(k.dir, name)
		info, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(b, &jwk); err != nil {
			return nil, fmt.Errorf("signing key %s: %v", path, err)
		}
		key, err := newSigningKey(jwk, info.ModTime())
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %v", path, err)
		}
		out = append(out, key)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].activation.Before(out[j].activation) })
	return out, nil
}

func newSigningKey(jwk jose.JSONWebKey, activation time.Time) (*signingKey, error) {
	if jwk.IsPublic() || !jwk.Valid() || jwk.KeyID == "" || !signingAlgorithms[jwk.Algorithm] {
		return nil, errors.New("not a private signing key of a supported algorithm with a kid")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(jwk.Algorithm), Key: jwk},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	pub := jwk.Public()
	pub.Use = "sig"
	return &signingKey{kid: jwk.KeyID, activation: activation, private: jwk, public: pub, signer: signer}, nil
}

// create makes a key that starts signing at the given time, unless another
// instance made it first (the file name is derived from the time, and the
// file appears atomically with its timestamp already set).
func (k *keyring) create(at time.Time) (*signingKey, error) {
	priv, err := generateSigningKey(k.alg)
	if err != nil {
		return nil, err
	}
	jwk := jose.JSONWebKey{Key: priv, Algorithm: k.alg, Use: "sig"}
	thumb, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(thumb)[:16]
	b, err := json.Marshal(jwk)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(k.dir, ".tmp-key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Chtimes(tmp.Name(), at, at); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), filepath.Join(k.dir, keyFileName(at))); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return newSigningKey(jwk, at)
}

func generateSigningKey(alg string) (any, error) {
	switch alg {
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "RS256":
		return rsa.GenerateKey(rand.Reader, 2048)
	case "EdDSA":
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("unsupported signing algorithm %q", alg)
}

// ensureFresh maintains the keyring when the next key's time has come.
func (k *keyring) ensureFresh(now time.Time) error {
	k.mu.Lock()
	defer k.mu.Unlock()
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

// verify checks a token signed by one of the published keys and returns
// its payload. Claims are the caller's to check.
func (k *keyring) verify(tok string, now time.Time) ([]byte, error) {
	if len(tok) > maxOwnTokenBytes {
		return nil, errors.New("token too large")
	}
	if err := k.ensureFresh(now); err != nil {
		return nil, err
	}
	algs := []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.RS256, jose.EdDSA}
	jws, err := jose.ParseSignedCompact(tok, algs)
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("want one signature")
	}
	h := jws.Signatures[0].Header
	k.mu.Lock()
	key := k.published[h.KeyID]
	if key == nil && now.Sub(k.lastReload) >= reloadUnknownKid {
		// Another instance sharing the folder may have made a key this one
		// has not read yet: read the folder again, at most so often.
		k.lastReload = now
		if err := k.maintainLocked(now); err == nil {
			key = k.published[h.KeyID]
		}
	}
	k.mu.Unlock()
	if key == nil {
		return nil, fmt.Errorf("no published key has kid %q", h.KeyID)
	}
	if h.Algorithm != key.private.Algorithm {
		return nil, fmt.Errorf("alg %q does not match key %q", h.Algorithm, key.kid)
	}
	return jws.Verify(key.public)
}

// publish returns the published JWK set.
func (k *keyring) publish(now time.Time) ([]byte, error) {
	if err := k.ensureFresh(now); err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.jwks, nil
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

// handleJWKS is GET /.well-known/jwks.json: the current key, the next one
// (published before it signs) and the previous ones whose tokens may still
// be live.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	set, err := s.keys.publish(s.now())
	if err != nil {
		s.log.Error("signing keys", "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, set)
}
