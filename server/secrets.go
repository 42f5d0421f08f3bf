package server

import (
	"errors"
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
	if len(r.Doc) > 0 && r.Doc[0] == '{' {
		return r.Doc, nil
	}
	if k == nil {
		return nil, errSealed
	}
	return k.key.Open(r.Doc, docAAD(r.Tenant, r.Name))
}

// docAAD binds a sealed document to its integration, so that a row copied
// onto another integration does not open.
func docAAD(tenant, name string) []byte {
	return []byte("jwtgate integration\x00" + tenant + "\x00" + name)
}

// secretsKey reads service.secrets_key_file, relative to the
// configuration file's folder.
func (p *serviceParser) secretsKey(c *config, name string) {
	if name == "" {
		return
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(filepath.Dir(p.file), name)
	}
	k, err := secretdoc.LoadKey(name)
	if err != nil {
		p.fail("service.secrets_key_file", "%v", err)
		return
	}
	c.secrets = &secretsKey{key: k}
}
