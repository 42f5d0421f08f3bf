package proxytest

import (
	"context"

	"github.com/jwtgate/jwtgate/internal/wasmbuild"
)

// FilterPackage is the import path of the filter's main package.
const FilterPackage = "github.com/jwtgate/jwtgate/examples/proxy-wasm/filter"

// BuildOptions adjust Build.
type BuildOptions struct {
	// Package is the main package to build. Default FilterPackage.
	Package string
	// CacheDir holds built modules, one file per source hash. Default
	// wasm.Build's, shared with the plugin's builds.
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
	return wasmbuild.Build(ctx, wasmbuild.BuildOptions{Package: pkg, CacheDir: opts.CacheDir, LDFlags: opts.LDFlags})
}
