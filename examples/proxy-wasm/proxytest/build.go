package proxytest

import (
	"context"
	"os"
	"path/filepath"

	"github.com/jwtgate/jwtgate/internal/wasmbuild"
)

// FilterPackage is the import path of the filter's main package.
const FilterPackage = "github.com/jwtgate/jwtgate/examples/proxy-wasm/filter"

// BuildOptions adjust Build.
type BuildOptions struct {
	// Package is the main package to build. Default FilterPackage.
	Package string
	// CacheDir holds built modules, one file per source hash. Default
	// os.UserCacheDir()/jwtgate/proxy-wasm, or the temp dir without one.
	CacheDir string
	// LDFlags are passed to the linker.
	LDFlags string
}

// Build builds the filter (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared)
// with wasmbuild.Build, which reuses a build until a source changes, so no
// binary is ever committed. It must run inside the jwtgate module's tree.
func Build(ctx context.Context, opts BuildOptions) (string, error) {
	pkg := opts.Package
	if pkg == "" {
		pkg = FilterPackage
	}
	dir := opts.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dir = filepath.Join(base, "jwtgate", "proxy-wasm")
	}
	return wasmbuild.Build(ctx, wasmbuild.BuildOptions{Package: pkg, CacheDir: dir, LDFlags: opts.LDFlags})
}
