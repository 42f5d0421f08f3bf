package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/jwtgate/jwtgate/wasm/abi"
)

// runVersion prints what this jwtgate is: jwtgate version and --version.
func runVersion(stdout io.Writer) int {
	bi, ok := debug.ReadBuildInfo()
	fmt.Fprint(stdout, versionText(bi, ok))
	return exitOK
}

// versionText renders the module version, the commit (from the build's
// version control stamp), the Go toolchain and the plugin ABI this host
// speaks (wasm/ABI.md).
func versionText(bi *debug.BuildInfo, ok bool) string {
	version, module, goVersion := "unknown", "github.com/jwtgate/jwtgate", runtime.Version()
	settings := map[string]string{}
	if ok && bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		if bi.Main.Path != "" {
			module = bi.Main.Path
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
	}
	commit := "unknown (the build carries no version control stamp: built with -buildvcs=false, or not in a git clone)"
	if rev := settings["vcs.revision"]; rev != "" {
		var notes []string
		if t := settings["vcs.time"]; t != "" {
			notes = append(notes, t)
		}
		if settings["vcs.modified"] == "true" {
			notes = append(notes, "with local changes")
		}
		commit = rev
		if len(notes) > 0 {
			commit += " (" + strings.Join(notes, ", ") + ")"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "jwtgate %s\n", version)
	fmt.Fprintf(&b, "module:     %s\n", module)
	fmt.Fprintf(&b, "commit:     %s\n", commit)
	fmt.Fprintf(&b, "go:         %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "plugin ABI: %d\n", abi.Version)
	return b.String()
}
