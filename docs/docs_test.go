// Package docs holds no code: its tests keep the manual in this folder and
// the README honest (every relative link leads somewhere, the README stays
// a front door). The tests that keep the manual's examples honest live
// beside the code they run: cmd/jwtgate/readme_test.go,
// server/readme_test.go, server/nginx_test.go, examples/safety_test.go.
package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxREADMELines keeps the README a front door: the manual is here.
const maxREADMELines = 250

var (
	fenceLine  = regexp.MustCompile("^\\s*(```|~~~)")
	headingRe  = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	inlineCode = regexp.MustCompile("`[^`]*`")
	linkRe     = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)\)`)
)

// prose returns the lines of a Markdown file outside fenced code blocks,
// so that a shell comment is not a heading nor a link in code a link.
func prose(text string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		if fenceLine.MatchString(l) {
			in = !in
			continue
		}
		if !in {
			out = append(out, l)
		}
	}
	return out
}

// slug is GitHub's anchor for a heading: lower case, inline code marks
// and punctuation other than '-' and '_' dropped, spaces as '-'.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors returns the anchors of a Markdown file's headings, a repeated
// heading numbered as GitHub numbers it (-1, -2, …).
func anchors(text string) map[string]bool {
	seen := map[string]int{}
	out := map[string]bool{}
	for _, l := range prose(text) {
		m := headingRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// brokenLinks lists the relative links of a Markdown file that lead to no
// file, or to no heading of a Markdown file, as "FILE:LINE: target".
func brokenLinks(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var broken []string
	lineNo, in := 0, false
	for _, l := range strings.Split(string(data), "\n") {
		lineNo++
		if fenceLine.MatchString(l) {
			in = !in
			continue
		}
		if in {
			continue
		}
		for _, m := range linkRe.FindAllStringSubmatch(inlineCode.ReplaceAllString(l, ""), -1) {
			if reason := checkLink(file, string(data), m[1]); reason != "" {
				broken = append(broken, fmt.Sprintf("%s:%d: %s: %s", file, lineNo, m[1], reason))
			}
		}
	}
	return broken
}

// checkLink says what is wrong with one link target of file, "" if nothing.
func checkLink(file, text, target string) string {
	if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
		return "" // not ours to check offline
	}
	path, anchor, _ := strings.Cut(target, "#")
	dest, destText := file, text
	if path != "" {
		dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
		info, err := os.Stat(dest)
		if err != nil {
			return "no such file"
		}
		if anchor == "" || info.IsDir() || !strings.HasSuffix(dest, ".md") {
			if anchor != "" {
				return "an anchor into a file that is not Markdown"
			}
			return ""
		}
		data, err := os.ReadFile(dest)
		if err != nil {
			return err.Error()
		}
		destText = string(data)
	}
	if anchor != "" && !anchors(destText)[anchor] {
		return "no heading with this anchor in " + filepath.ToSlash(dest)
	}
	return ""
}

// manual is the README and every page of docs/.
func manual(t *testing.T) []string {
	pages, err := filepath.Glob("*.md")
	require.NoError(t, err)
	require.NotEmpty(t, pages, "the manual's pages")
	return append([]string{"../README.md"}, pages...)
}

// The examples' own pages link into the manual and back, so they are
// checked too.
func TestLinksLeadSomewhere(t *testing.T) {
	examples, err := filepath.Glob("../examples/*/README.md")
	require.NoError(t, err)
	links := 0
	var broken []string
	for _, f := range append(manual(t), examples...) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, l := range prose(string(data)) {
			links += len(linkRe.FindAllString(inlineCode.ReplaceAllString(l, ""), -1))
		}
		broken = append(broken, brokenLinks(t, f)...)
	}
	assert.Empty(t, broken)
	assert.Greater(t, links, 50, "the links were found")
}

// The README links every page of the manual.
func TestREADMELinksEveryPage(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	for _, page := range manual(t)[1:] {
		assert.Contains(t, string(data), "](docs/"+page, "the README does not link %s", page)
	}
}

func TestREADMEIsAFrontDoor(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	lines := strings.Count(string(data), "\n")
	assert.Less(t, lines, maxREADMELines, "the README has %d lines: move the detail into docs/", lines)
}

// The checker finds what it is for: a missing file, a missing anchor in
// another page and in the same page; headings and links inside code do
// not count.
func TestBrokenLinksAreFound(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other.md"), []byte("# The `service:` section\n\n## Keys from `jwks_url`\n\n## Keys from `jwks_url`\n"), 0o600))
	page := filepath.Join(dir, "page.md")
	require.NoError(t, os.WriteFile(page, []byte(strings.Join([]string{
		"# Page",
		"[ok](other.md#the-service-section) [ok](other.md#keys-from-jwks_url-1) [ok](#page) [ok](other.md) [ok](https://example.com/x#y)",
		"[gone](missing.md) [no anchor](other.md#nowhere) [here](#code-heading)",
		"`[in code](missing-too.md)`",
		"```sh",
		"# code heading",
		"[in a block](missing-three.md)",
		"```",
	}, "\n")), 0o600))
	assert.Equal(t, []string{
		page + ":3: missing.md: no such file",
		page + ":3: other.md#nowhere: no heading with this anchor in " + filepath.ToSlash(filepath.Join(dir, "other.md")),
		page + ":3: #code-heading: no heading with this anchor in " + filepath.ToSlash(page),
	}, brokenLinks(t, page))
}
