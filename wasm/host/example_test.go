package host_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/wasmbuild"
	"github.com/jwtgate/jwtgate/wasm/host"
)

// A policy run in the sandboxed plugin: the host is a core.Engine, and
// answers as the native core.Verifier would.
func Example() {
	ctx := context.Background()
	module, err := os.ReadFile(pluginPath()) // build/jwtgate.wasm, from make wasm
	if err != nil {
		log.Fatal(err)
	}
	policy := []byte(`integrations:
  - name: demo
    issuer: https://issuer.example
    algorithms: [HS256]
    keys: [{secret: "0123456789abcdef0123456789abcdef"}]
`)
	h, err := host.Load(ctx, module, policy, host.Options{CacheDir: compileCache()})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)

	var engine core.Engine = h
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	token := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoiYWxpY2UiLCJpYXQiOjE3OTYxMjI4MDAsImV4cCI6MTc5NjEzMDAwMH0.mD_XuoI71AzKKHHeT9w9_syxcnkmQoNSmErCZEUVd_c"
	d := engine.Verify(ctx, core.Request{Token: token, Now: now})
	fmt.Println(d.Valid, d.Integration, d.Subject)
	d = engine.Verify(ctx, core.Request{Token: token, Now: now.Add(2 * time.Hour)})
	fmt.Println(d.Valid, d.Code)
	// Output:
	// true demo alice
	// false token_expired
}

// pluginPath builds the plugin from this source tree (cached by a hash of
// its sources), where a program would read build/jwtgate.wasm.
func pluginPath() string {
	path, err := wasmbuild.Build(context.Background(), wasmbuild.BuildOptions{})
	if err != nil {
		log.Fatal(err)
	}
	return path
}

// compileCache is the tests' shared wazero cache (internal/wasmtest's).
func compileCache() string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "jwtgate", "wazero")
}
