package policyfile_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/policyfile"
)

// A policy in its own folder, naming a key file relative to it: it loads
// from any working directory.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "policyfile-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	must(os.Mkdir(filepath.Join(dir, "keys"), 0o700))
	must(os.WriteFile(filepath.Join(dir, "keys", "app.secret"), []byte("0123456789abcdef0123456789abcdef\n"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(`integrations:
  - name: app
    issuer: https://issuer.example
    algorithms: [HS256]
    keys:
      - secret_file: keys/app.secret # relative to this file's folder
`), 0o600))

	policy, err := policyfile.Load(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := core.NewVerifier(policy, core.Config{Replay: core.NewMemoryReplayStore(0)})
	if err != nil {
		fmt.Println(err)
		return
	}
	token := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMH0.H68iJ-ItyJC37ty-7nJpgGiD9OpzZRLhdC3NPlCqvpw"
	d := v.Verify(context.Background(), core.Request{Token: token, Now: time.Unix(1700000100, 0)})
	fmt.Println(d.Valid, d.Integration, d.Subject)
	// Output: true app alice
}

// A policy that does not load: every problem, each at its line.
func ExampleLoad_problems() {
	dir, err := os.MkdirTemp("", "policyfile-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	must(os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(`integrations:
  - name: app
    issuer: https://issuer.example
    algorithms: [HS256]
    audience: [api]
    keys:
      - secret: too-short
`), 0o600))

	_, err = policyfile.Load(filepath.Join(dir, "policy.yaml"))
	var problems core.PolicyErrors
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Printf("line %d: field %s: %s\n", p.Line, p.Field, p.Reason)
		}
	}
	// Output:
	// line 5: field audience: unknown field in an integration; did you mean audiences?
	// line 7: field keys[0].secret: HMAC secret is 9 bytes, HS256 needs at least 32
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
