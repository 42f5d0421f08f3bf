// Package policyfile loads a jwtgate policy file the way the jwtgate
// command does, for a Go program that embeds the core.
//
// The core parses a policy but does no I/O; this package gives it the
// I/O a policy file on disk needs: the file itself, the key files it
// names (jwks_file, pem_file, secret_file, read relative to the policy
// file's folder, so a policy works from any working directory), and the
// environment (secret_env). Every file is read only when it is a regular
// file of at most MaxFileBytes: a device, a FIFO or a directory named by
// mistake is refused before anything is read.
//
//	policy, err := policyfile.Load("/etc/jwtgate/policy.yaml")
//	if err != nil {
//		log.Fatal(err) // every problem, one per line: FILE:LINE: integration "NAME": field FIELD: reason
//	}
//	v, err := core.NewVerifier(policy, core.Config{Replay: core.NewMemoryReplayStore(0)})
package policyfile

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/jwtgate/jwtgate/core"

	"github.com/jwtgate/jwtgate/internal/regularfile"
)

// MaxFileBytes bounds the policy file and every file it names: the core's
// own limit of a policy.
const MaxFileBytes = core.MaxPolicyBytes

// Load reads the policy file at path and parses it with Options(path). A
// file that cannot be read is an error that says so ("read policy: …",
// matched with errors.Is against fs.ErrNotExist and the like); a policy
// the core refuses is core.PolicyErrors, every problem at its line.
func Load(path string) (*core.Policy, error) {
	data, err := ReadFile(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return Parse(path, data)
}

// Parse parses data, the bytes of the policy file at path, as Load does:
// for a caller that has read the file itself (to hash or keep it).
func Parse(path string, data []byte) (*core.Policy, error) {
	return core.ParsePolicy(path, data, Options(path))
}

// Options returns the core.LoadOptions of the policy file at path: ReadFile
// reads names relative to the file's folder (absolute ones as they are)
// with ReadFile's bounds, LookupEnv is os.LookupEnv, and discovery
// entries are accepted: the host passes Policy.Discoveries to its
// jwks.Fetcher (jwks.Options.Discoveries), as the command does.
func Options(path string) core.LoadOptions {
	return core.LoadOptions{ReadFile: Reader(path), LookupEnv: os.LookupEnv, Discovery: true}
}

// Reader returns the reader of the files the policy file at path names:
// relative names against its folder, each bounded by MaxFileBytes.
func Reader(path string) func(name string) ([]byte, error) {
	dir := filepath.Dir(path)
	return func(name string) ([]byte, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		return ReadFile(name, MaxFileBytes)
	}
}

// ReadFile reads a regular file of at most limit bytes. A device, a FIFO
// or a directory is refused before anything is read (the read of /dev/zero
// never ends, a FIFO's open would wait for a writer: it is opened
// non-blocking), and a file that is or grows too large is refused, not
// truncated.
func ReadFile(path string, limit int64) ([]byte, error) {
	return regularfile.Read(path, limit, nil)
}
