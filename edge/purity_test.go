package edge

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEdgeIsPure: the package reads requests and words answers, nothing
// more, so that the proxy-wasm filter (wasip1) and any host can use it:
// no net/http, no files, no clock, no goroutines; its dependencies are the
// core's.
func TestEdgeIsPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	require.NoError(t, err)
	for _, imp := range strings.Fields(string(out)) {
		switch {
		case imp == "net/http" || strings.HasPrefix(imp, "net/http/") || imp == "net" || imp == "os" || strings.HasPrefix(imp, "os/") || imp == "syscall" || imp == "unsafe":
			assert.Fail(t, fmt.Sprintf("edge imports %s", imp))
		case strings.Contains(imp, "."): // not the standard library
			require.Contains(t, []string{"github.com/jwtgate/jwtgate/core", "github.com/jwtgate/jwtgate/internal/errlist", "github.com/jwtgate/jwtgate/internal/yamlconfig", "go.yaml.in/yaml/v3"}, imp)
		}
	}
	files, err := exec.Command("go", "list", "-f", `{{join .GoFiles "\n"}}`, ".").Output()
	require.NoError(t, err)
	for _, f := range strings.Fields(string(files)) {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, bad := range []string{"time.Now", "go func", "time.Sleep"} {
			require.NotContains(t, string(src), bad, f)
		}
	}
}

// TestEdgeBuildsForWasm: the filter builds edge for wasip1, the browser
// module's hosts for js.
func TestEdgeBuildsForWasm(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package twice")
	}
	for _, goos := range []string{"wasip1", "js"} {
		cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=wasm")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "GOOS=%s: %s", goos, out)
	}
}
