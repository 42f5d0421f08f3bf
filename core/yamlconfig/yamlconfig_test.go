package yamlconfig

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

type part struct {
	Name    string    `yaml:"name"`
	Timeout *Duration `yaml:"timeout"`
}

// parts decodes the document's "parts" list one node at a time, as the
// policy and the service section do.
func parts(t *testing.T, doc string) ([]part, error) {
	t.Helper()
	var root struct {
		Defaults yaml.Node   `yaml:"defaults"`
		Parts    []yaml.Node `yaml:"parts"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(doc), &root))
	var out []part
	for i := range root.Parts {
		var p part
		if err := DecodeStrict(&root.Parts[i], &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func TestDecodeStrict(t *testing.T) {
	got, err := parts(t, "defaults: &d {timeout: 30s}\nparts:\n  - name: a\n    <<: *d\n  - {name: b, timeout: 5m}\n")
	require.NoError(t, err, "an alias to an anchor outside the part")
	require.Equal(t, 30*time.Second, got[0].Timeout.Or(time.Hour))
	require.Equal(t, 5*time.Minute, got[1].Timeout.Or(time.Hour))

	_, err = parts(t, "parts:\n  - name: a\n  - name: b\n    timout: 5m\n")
	require.EqualError(t, err, "line 4: field timout not found", "the file's line, no Go type name")

	_, err = parts(t, "parts:\n  - {name: a, timeout: 30}\n")
	require.ErrorContains(t, err, `want a duration such as "30s"`)

	var laughs strings.Builder
	laughs.WriteString("defaults:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 8; i++ {
		prev := "*a" + string(rune('0'+i-1))
		laughs.WriteString("  a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	laughs.WriteString("parts:\n  - name: *a7\n")
	_, err = parts(t, laughs.String())
	require.ErrorContains(t, err, "too many nodes")

	var none *Duration
	require.Equal(t, time.Minute, none.Or(time.Minute))
}
