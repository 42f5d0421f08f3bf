package server

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/jwtgate/jwtgate/internal/secretdoc"
	"github.com/jwtgate/jwtgate/store"
)

// secretsKey seals the documents of stored integrations, which may hold
// shared secrets and private keys: a copy of the database alone reveals
// none of them. A nil *secretsKey seals nothing; a document with a secret
// is then refused (see errSecretsKeyRequired).
type secretsKey struct {
	key secretdoc.Key
	// previous open documents sealed before a rotation
	// (service.previous_secrets_key_files); writes and POST
	// /v1/admin/reseal seal with key.
	previous []secretdoc.Key
}

// errSecretsKeyRequired refuses to store a secret without a secrets key.
var errSecretsKeyRequired = errors.New("no secrets key is configured (service.secrets_key_file): a shared secret or private key cannot be stored")

// errSealed is a sealed document read without a secrets key.
var errSealed = errors.New("the document is sealed with a secrets key, and none is configured")

// sealDoc returns the stored form of a document: sealed, bound to its
// integration, when a key is configured; else as it is (it holds no
// secret: the caller checked).
func (k *secretsKey) seal(tenant, name string, plain []byte) []byte {
	if k == nil {
		return plain
	}
	return k.key.Seal(plain, docAAD(tenant, name))
}

// open returns a stored revision's document in the clear. A document in
// the clear is a JSON object; anything else is sealed.
func (k *secretsKey) open(r store.Revision) ([]byte, error) {
	plain, _, err := k.openAs(r)
	return plain, err
}

// openAs is open that also says whether the document is stored as the
// current key would store it (sealed with it; in the clear without one).
func (k *secretsKey) openAs(r store.Revision) (plain []byte, current bool, err error) {
	if len(r.Doc) > 0 && r.Doc[0] == '{' {
		return r.Doc, k == nil, nil
	}
	if k == nil {
		return nil, false, errSealed
	}
	aad := docAAD(r.Tenant, r.Name)
	plain, err = k.key.Open(r.Doc, aad)
	if !errors.Is(err, secretdoc.ErrWrongKey) {
		return plain, err == nil, err
	}
	for _, p := range k.previous {
		if plain, err = p.Open(r.Doc, aad); !errors.Is(err, secretdoc.ErrWrongKey) {
			return plain, false, err
		}
	}
	return nil, false, err
}

// ids names the keys (the current first): documents opened with other
// keys must be opened again.
func (k *secretsKey) ids() string {
	if k == nil {
		return ""
	}
	ids := k.key.ID()
	for _, p := range k.previous {
		ids += "," + p.ID()
	}
	return ids
}

// docAAD binds a sealed document to its integration, so that a row copied
// onto another integration does not open.
func docAAD(tenant, name string) []byte {
	return []byte("jwtgate integration\x00" + tenant + "\x00" + name)
}

// secretsKey reads service.secrets_key_file and
// service.previous_secrets_key_files, relative to the configuration
// file's folder.
func (p *serviceParser) secretsKey(c *config, name string, previous []string) {
	if name == "" {
		if len(previous) > 0 {
			p.fail("service.previous_secrets_key_files", "needs service.secrets_key_file, the key documents are sealed with now")
		}
		return
	}
	k, ok := p.loadKey("service.secrets_key_file", name)
	if !ok {
		return
	}
	c.secrets = &secretsKey{key: k}
	for i, name := range previous {
		if pk, ok := p.loadKey(fmt.Sprintf("service.previous_secrets_key_files[%d]", i), name); ok {
			c.secrets.previous = append(c.secrets.previous, pk)
		}
	}
}

func (p *serviceParser) loadKey(field, name string) (secretdoc.Key, bool) {
	if !filepath.IsAbs(name) {
		name = filepath.Join(filepath.Dir(p.file), name)
	}
	k, err := secretdoc.LoadKey(name)
	if err != nil {
		p.fail(field, "%v", err)
		return k, false
	}
	return k, true
}
