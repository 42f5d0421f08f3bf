package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The demo configuration's issuers.
const (
	demoOkeraIssuer = "https://demo.jwtgate.local/okera"
	demoOktoIssuer  = "https://demo.jwtgate.local/okto"
	demoAcmeIssuer  = "https://demo.jwtgate.local/acme"
	demoAudience    = "jwtgate-demo"
	// demoTenant is the tenant the demo seeds in the store, for the admin
	// API and console.
	demoTenant = "demo"
)

// Files of the demo configuration, inside --dir.
const (
	demoOkeraPrivate = "okera-es256.jwk.json"  // ES256 private JWK, for minting
	demoOkeraPublic  = "okera-es256.jwks.json" // its public JWKS, for the policy
	demoOktoSecret   = "okto-hs256.secret"     // HS256 shared secret, for the policy
	demoOktoJWK      = "okto-hs256.jwk.json"   // the same secret as a JWK, for mint
	demoPolicy       = "policy.yaml"
	demoAdminToken   = "admin.token"           // the operator token of the admin API
	demoSecretsKey   = "secrets.key"           // seals stored integrations' secrets
	demoAcmeDoc      = "acme-integration.json" // an integration to store through the API
	demoData         = "data"                  // serve's --data-dir: the store
)

const demoPolicyYAML = `# jwtgate demo policy, written by "jwtgate demo". Edit freely: demo does not
# overwrite it. Paths are relative to this file.
integrations:
  # Okera style: an asymmetric key published as a JWKS, groups in the token.
  - name: okera
    tenant: demo-okera
    issuer: ` + demoOkeraIssuer + `
    audiences: [` + demoAudience + `]
    algorithms: [ES256]
    keys:
      - jwks_file: ` + demoOkeraPublic + `
    groups_claim: groups
    clock_skew: 30s

  # Okto style: a shared HS256 secret, the user in "user_id".
  - name: okto
    tenant: demo-okto
    issuer: ` + demoOktoIssuer + `
    audiences: [` + demoAudience + `]
    algorithms: [HS256]
    keys:
      - secret_file: ` + demoOktoSecret + `
    subject_claim: user_id
    required_claims:
      - {name: user_id, type: string}

service:
  # The admin API (/v1/admin/) and console (/admin/). Both files were
  # generated for the demo; a deployment brings its own.
  admin_token_file: ` + demoAdminToken + `
  secrets_key_file: ` + demoSecretsKey + `
`

// demoUsage is the -h text of jwtgate demo, before its flags.
const demoUsage = "Usage: jwtgate demo [--dir .demo] [--url http://127.0.0.1:8080] [--command CMD]\n\nCreates a demo configuration (keys and policy.yaml) unless present, and prints\ncurl commands with freshly minted tokens for \"jwtgate serve\".\n\nFlags:\n"

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := newFlagSet("demo", demoUsage, stderr)
	dir := fset.String("dir", ".demo", "folder of the demo configuration (created if missing)")
	url := fset.String("url", "http://127.0.0.1:8080", "base URL of the server the printed curl lines call")
	command := fset.String("command", "", `how the printed lines call jwtgate (default: "jwtgate" when this executable is on the PATH, else its path)`)
	if code, ok := parseFlagsOnly(fset, stderr, args); !ok {
		return code
	}
	if u, err := neturl.Parse(*url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return usageError(fset, stderr, "--url: want an http(s) URL such as http://127.0.0.1:8080, found %q", *url)
	}
	if *command == "" {
		*command = selfCommand(executable(), onPath("jwtgate"))
	}
	okeraKey, oktoKey, err := ensureDemo(*dir, stderr)
	if err == nil {
		err = ensureDemoAdmin(ctx, *dir, okeraKey, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: demo: %v\n", err)
		return exitRejected
	}
	now := time.Now()
	okeraTok, err := mintToken(okeraKey, map[string]any{
		"iss": demoOkeraIssuer, "aud": demoAudience, "sub": "alice@example.com",
		"groups": []string{"analysts", "admins"},
		"iat":    now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}, nil)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: demo: %v\n", err)
		return exitRejected
	}
	oktoTok, err := mintToken(oktoKey, map[string]any{
		"iss": demoOktoIssuer, "aud": demoAudience, "user_id": "user-42",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}, nil)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: demo: %v\n", err)
		return exitRejected
	}
	acmeTok, err := mintToken(okeraKey, map[string]any{
		"iss": demoAcmeIssuer, "aud": demoAudience, "sub": "carol", "email": "carol@acme.example",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}, nil)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: demo: %v\n", err)
		return exitRejected
	}
	base := strings.TrimRight(*url, "/")
	endpoint := base + "/v1/verify"
	policy := filepath.Join(*dir, demoPolicy)
	fmt.Fprintf(stdout, `Demo configuration in %s (tokens valid for 1 hour).

Serve it (make run does this next):  %s serve --config %s --listen 127.0.0.1:8080 --data-dir %s
then, from another terminal:

# Okera style (ES256, JWKS file, groups): expect 200 with "sub":"alice@example.com"
curl -sS -X POST -H 'Authorization: Bearer %s' %s

# Okto style (HS256 shared secret, subject in user_id): expect 200 with "user_id":"user-42"
curl -sS -X POST -H 'Authorization: Bearer %s' %s

# A rejected token: expect 401 with "error":"invalid_token"
curl -sS -X POST -H 'Authorization: Bearer not.a.token' %s

# Forward authentication, as nginx, Traefik or Envoy ask: expect 200 with X-Jwtgate-Subject: alice@example.com
curl -sS -i -H 'Authorization: Bearer %s' -H 'X-Forwarded-Method: GET' -H 'X-Forwarded-Uri: /reports' %s/v1/authz

# Token exchange (RFC 8693): the Okto token in, a jwtgate access token out
curl -sS -X POST -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange -d subject_token_type=urn:ietf:params:oauth:token-type:jwt -d subject_token=%s %s/oauth2/token

# jwtgate's own public keys, which verify that access token
curl -sS %s/.well-known/jwks.json

# Offline, with the step-by-step trace:
%s verify --config %s --explain %s

# The admin API: store an integration for the seeded tenant %q (the console
# at %s/admin/ does the same; make run prints its one-time login link)
curl -sS -X PUT -H "Authorization: Bearer $(cat %s)" -H 'Content-Type: application/json' --data @%s %s/v1/admin/tenants/%s/integrations/acme
# then its token verifies: expect 200 with "integration":"%s--acme"
curl -sS -H 'Authorization: Bearer %s' -X POST %s

`, *dir, *command, policy, filepath.Join(*dir, demoData), okeraTok, endpoint, oktoTok, endpoint, endpoint, okeraTok, base, oktoTok, base, base, *command, policy, okeraTok,
		demoTenant, base, filepath.Join(*dir, demoAdminToken), filepath.Join(*dir, demoAcmeDoc), base, demoTenant, demoTenant, acmeTok, endpoint)
	return exitOK
}

// selfCommand is how printed lines call jwtgate, for the executable exe
// and the jwtgate found on the PATH (both with symlinks resolved; "" for
// none): "jwtgate" when that is exe, else exe's path, unless exe is a
// build of go run or go test (in a go-build folder), gone after the run.
func selfCommand(exe, onPath string) string {
	if exe == "" || exe == onPath || slices.ContainsFunc(strings.Split(filepath.ToSlash(exe), "/"), func(el string) bool {
		return strings.HasPrefix(el, "go-build")
	}) {
		return "jwtgate"
	}
	safe := func(r rune) bool {
		return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._+-@%:,=", r))
	}
	if !strings.ContainsFunc(exe, func(r rune) bool { return !safe(r) }) {
		return exe
	}
	return "'" + strings.ReplaceAll(exe, "'", `'\''`) + "'" // for a POSIX shell
}

// executable is this program's file, symlinks resolved ("" if unknown).
func executable() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return ""
	}
	return exe
}

// onPath is the file the shell runs for name, symlinks resolved ("" for
// none).
func onPath(name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	if p, err = filepath.Abs(p); err != nil {
		return ""
	}
	if p, err = filepath.EvalSymlinks(p); err != nil {
		return ""
	}
	return p
}

// ensureDemo creates the demo files that are missing in dir and returns the
// signing keys of the two integrations.
func ensureDemo(dir string, stderr io.Writer) (okera, okto jose.JSONWebKey, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return okera, okto, err
	}
	path := func(name string) string { return filepath.Join(dir, name) }

	// Okera: an ES256 key pair.
	okera, err = readPrivateJWK(path(demoOkeraPrivate), "")
	if errors.Is(err, fs.ErrNotExist) {
		var priv any
		if priv, err = generateKey("ES256", 0); err != nil {
			return okera, okto, err
		}
		okera = jose.JSONWebKey{Key: priv.(*ecdsa.PrivateKey), KeyID: "okera-demo-1", Algorithm: "ES256", Use: "sig"}
		if err = writePrivateJWK(path(demoOkeraPrivate), okera, false); err != nil {
			return okera, okto, err
		}
		// A new key pair replaces any old public set.
		pub, err := publicJWKS(okera)
		if err != nil {
			return okera, okto, err
		}
		if err := writeNewFile(path(demoOkeraPublic), pub, 0o644, true); err != nil {
			return okera, okto, err
		}
		fmt.Fprintf(stderr, "jwtgate: demo: wrote %s and %s\n", path(demoOkeraPrivate), path(demoOkeraPublic))
	} else if err != nil {
		return okera, okto, err
	}
	if _, err := os.Stat(path(demoOkeraPublic)); errors.Is(err, fs.ErrNotExist) {
		pub, err := publicJWKS(okera)
		if err != nil {
			return okera, okto, err
		}
		if err := writeNewFile(path(demoOkeraPublic), pub, 0o644, false); err != nil {
			return okera, okto, err
		}
	}

	// Okto: an HS256 secret. The secret file holds printable text (the
	// policy reads it as bytes, trimming a trailing newline); the JWK holds
	// the same bytes for mint.
	okto, err = readPrivateJWK(path(demoOktoJWK), "")
	if errors.Is(err, fs.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err = rand.Read(raw); err != nil {
			return okera, okto, err
		}
		secret := []byte(base64.RawURLEncoding.EncodeToString(raw)) // 43 bytes ≥ 32 for HS256
		okto = jose.JSONWebKey{Key: secret, KeyID: "okto-demo-1", Algorithm: "HS256", Use: "sig"}
		if err = writePrivateJWK(path(demoOktoJWK), okto, false); err != nil {
			return okera, okto, err
		}
		if err = writeNewFile(path(demoOktoSecret), append(secret, '\n'), 0o600, true); err != nil {
			return okera, okto, err
		}
		fmt.Fprintf(stderr, "jwtgate: demo: wrote %s and %s\n", path(demoOktoJWK), path(demoOktoSecret))
	} else if err != nil {
		return okera, okto, err
	}
	if _, err := os.Stat(path(demoOktoSecret)); errors.Is(err, fs.ErrNotExist) {
		secret, _ := okto.Key.([]byte)
		if err := writeNewFile(path(demoOktoSecret), append(secret, '\n'), 0o600, false); err != nil {
			return okera, okto, err
		}
	}

	if _, err := os.Stat(path(demoPolicy)); errors.Is(err, fs.ErrNotExist) {
		if err := writeNewFile(path(demoPolicy), []byte(demoPolicyYAML), 0o644, false); err != nil {
			return okera, okto, err
		}
		fmt.Fprintf(stderr, "jwtgate: demo: wrote %s\n", path(demoPolicy))
	}
	return okera, okto, nil
}
