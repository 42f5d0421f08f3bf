package server

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/internal/keygen"
)

// signingAlgorithms are the algorithms of jwtgate's own keys.
var signingAlgorithms = map[string]bool{"ES256": true, "ES384": true, "RS256": true, "EdDSA": true}

// The key files: key-UNIX.jwk.json, UNIX being the key's activation.
const (
	keyFilePrefix = "key-"
	keyFileSuffix = ".jwk.json"
)

func keyFileName(at time.Time) string {
	return keyFilePrefix + strconv.FormatInt(at.Unix(), 10) + keyFileSuffix
}

// load reads every key file of the folder, oldest activation first; a key
// of another algorithm (the configured one changed) is still published so
// that its tokens verify.
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
		key, err := readKeyFile(filepath.Join(k.dir, name), e)
		if errors.Is(err, fs.ErrNotExist) {
			continue // another instance removed it meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, key)
	}
	slices.SortFunc(out, func(a, b *signingKey) int { return a.activation.Compare(b.activation) })
	return out, nil
}

// readKeyFile reads one key file, activated at its modification time.
func readKeyFile(path string, e fs.DirEntry) (*signingKey, error) {
	info, err := e.Info()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
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
	return key, nil
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
	priv, err := keygen.Generate(k.alg, keygen.MinRSABits)
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
	if err := writeKeyFile(k.dir, keyFileName(at), b, at); err != nil {
		return nil, err
	}
	return newSigningKey(jwk, at)
}

// writeKeyFile writes a private key file (0600) stamped with its
// activation, through a temporary file linked into place: a reader never
// sees it half written, and of two instances making it the first wins.
func writeKeyFile(dir, name string, data []byte, at time.Time) error {
	tmp, err := os.CreateTemp(dir, ".tmp-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chtimes(tmp.Name(), at, at); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}
