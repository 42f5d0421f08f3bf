package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/internal/secretdoc"
	"github.com/jwtgate/jwtgate/store"
)

// ensureDemoAdmin creates what the admin API needs in the demo: the
// operator token, a secrets key (said so: a deployment brings its own),
// an integration document to store, and the tenant, seeded in the store
// serve will open.
func ensureDemoAdmin(ctx context.Context, dir string, okera jose.JSONWebKey, stderr io.Writer) error {
	path := func(name string) string { return filepath.Join(dir, name) }
	if _, err := os.Stat(path(demoAdminToken)); errors.Is(err, fs.ErrNotExist) {
		raw := make([]byte, 32)
		rand.Read(raw)
		if err := writeNewFile(path(demoAdminToken), []byte(base64.RawURLEncoding.EncodeToString(raw)+"\n"), 0o600, false); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "jwtgate: demo: wrote %s (the admin API's operator token)\n", path(demoAdminToken))
	}
	if _, err := os.Stat(path(demoSecretsKey)); errors.Is(err, fs.ErrNotExist) {
		if _, err := secretdoc.GenerateKeyFile(path(demoSecretsKey)); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "jwtgate: demo: generated the secrets key %s, which seals stored integrations' secrets; a deployment brings its own (service.secrets_key_file)\n", path(demoSecretsKey))
	}
	doc, err := demoAcmeDocument(okera)
	if err != nil {
		return err
	}
	if err := writeNewFile(path(demoAcmeDoc), doc, 0o644, true); err != nil {
		return err
	}
	return seedDemoTenant(ctx, filepath.Join(dir, demoData, "jwtgate.db"))
}

// demoAcmeDocument is an Authonomy-style integration for the API: Okera's
// public key inline, another issuer, an audience and a required claim.
func demoAcmeDocument(okera jose.JSONWebKey) ([]byte, error) {
	pub, err := publicJWKS(okera)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(map[string]any{
		"policy": map[string]any{
			"issuer": demoAcmeIssuer, "audiences": []string{demoAudience}, "algorithms": []string{"ES256"},
			"keys": []any{map[string]any{"jwks": json.RawMessage(pub)}}, "required_claims": []string{"email"},
		},
		"service": map[string]any{"session": map[string]any{"ttl": "1h", "idle_timeout": "15m"}},
	}, "", "  ")
}

// seedDemoTenant creates the demo tenant in the SQLite store at file,
// once.
func seedDemoTenant(ctx context.Context, file string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	st, err := store.Open(ctx, "sqlite:"+file)
	if err != nil {
		return err
	}
	defer st.Close()
	admin, ok := st.(store.Admin)
	if !ok {
		return errors.New("the store keeps no tenants")
	}
	err = admin.CreateTenant(ctx, store.Tenant{ID: demoTenant, Name: "Demo tenant", CreatedAt: time.Now()})
	if errors.Is(err, store.ErrExists) {
		return nil
	}
	return err
}
