package traefiktest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTraefikBuilds builds Version (or finds the build of an earlier run):
// .ci/run runs it before the other tests, so that the build counts against
// no package's time. With CI=true a failed build fails it.
func TestTraefikBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building traefik takes minutes")
	}
	bin, err := Binary(context.Background())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("traefik could not be built: %v", err)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), Version, "the binary is the version pinned")
}
