package core

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCoreDoesNoIO enforces the core's contract with its hosts: no network,
// files, environment, clock or goroutines of its own. The host passes time,
// keys and the replay store. The check reads the source (test files
// excepted) so it holds on every target without building for it.
func TestCoreDoesNoIO(t *testing.T) {
	forbiddenImports := func(path string) bool {
		return path == "net" || strings.HasPrefix(path, "net/") ||
			path == "os" || strings.HasPrefix(path, "os/") ||
			path == "syscall" || path == "unsafe" || path == "io/ioutil" ||
			strings.HasPrefix(path, "golang.org/x/sys")
	}
	forbiddenTime := map[string]bool{
		"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
		"AfterFunc": true, "Tick": true, "NewTicker": true, "NewTimer": true,
	}
	files := 0
	walk := func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == "testdata" {
			return filepath.SkipDir
		}
		if e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		require.NoError(t, err)
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			assert.False(t, forbiddenImports(p), "%s imports %q: the core must not do I/O", path, p)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				assert.Fail(t, fmt.Sprintf("%s starts a goroutine: the core does no background work", path))
			case *ast.SelectorExpr:
				id, ok := n.X.(*ast.Ident)
				assert.False(t, ok && id.Name == "time" && forbiddenTime[n.Sel.Name], "%s calls time.%s: the caller passes the current time", path, n.Sel.Name)
			}
			return true
		})
		return nil
	}
	// The core's sources and the module's internal packages it imports.
	for _, root := range pureInternal {
		require.NoError(t, filepath.WalkDir(root, walk))
	}
	require.Greater(t, files, 5, "the walk found the core's sources")
}

// pureInternal are the folders whose sources the core is built from: its
// own and the module-root internal packages it imports (shared with hosts
// that need the same rules, such as the server's redirects).
var pureInternal = []string{".", "../internal/errlist", "../internal/jsonenc", "../internal/redirect", "../internal/yamlconfig"}

// TestCoreDependencies keeps the core's third-party dependencies to the
// chosen ones: go-jose for all JOSE work and yaml for the policy file.
func TestCoreDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	require.NoError(t, err)
	allowed := []string{"github.com/jwtgate/jwtgate/core", "github.com/jwtgate/jwtgate/internal/errlist", "github.com/jwtgate/jwtgate/internal/jsonenc", "github.com/jwtgate/jwtgate/internal/redirect", "github.com/jwtgate/jwtgate/internal/yamlconfig",
		"github.com/go-jose/go-jose/v4", "go.yaml.in/yaml/v3", "golang.org/x/crypto"}
	for _, dep := range strings.Fields(string(out)) {
		ok := false
		for _, a := range allowed {
			if dep == a || strings.HasPrefix(dep, a+"/") {
				ok = true
			}
		}
		require.True(t, ok, "unexpected core dependency %s", dep)
	}
}
