package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/jwtgate/jwtgate/wasm/abi"
)

// TestVersion: jwtgate version and --version print the module version,
// the commit, the Go version and the plugin ABI version.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-version"} {
		r := runCmd(t, "", arg)
		assert.Equal(t, exitOK, r.code, arg)
		assert.Empty(t, r.stderr, arg)
		bi, ok := debug.ReadBuildInfo()
		assert.Equal(t, versionText(bi, ok), r.stdout, arg)
		assert.Contains(t, r.stdout, fmt.Sprintf("\nplugin ABI: %d\n", abi.Version), arg)
	}

	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/jwtgate/jwtgate", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "3158b5e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6"},
			{Key: "vcs.time", Value: "2026-12-01T22:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	assert.Equal(t, "jwtgate v1.4.0\n"+
		"module:     github.com/jwtgate/jwtgate\n"+
		"commit:     3158b5e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6 (2026-12-01T22:00:00Z, with local changes)\n"+
		"go:         go1.26.8 "+platform+"\n"+
		fmt.Sprintf("plugin ABI: %d\n", abi.Version), versionText(bi, true))

	bi.Settings = nil
	assert.Contains(t, versionText(bi, true), "commit:     unknown (the build carries no version control stamp")
	assert.Contains(t, versionText(nil, false), "jwtgate unknown\n")
	assert.Contains(t, versionText(nil, false), "go:         "+runtime.Version()+" "+platform+"\n")
}
