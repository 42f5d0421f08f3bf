package edge

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCleanPathCanonicalForm(t *testing.T) {
	for in, want := range map[string]string{
		"/": "/", "/a/b": "/a/b", "/a/../b": "/b", "/a/./b/": "/a/b", "/a?x=/../b": "/a", "/a?x=%zz": "/a",
		"//a//b//": "/a/b", "/../..": "/", "/a/..": "/", "/%41%62": "/Ab", "/a+b": "/a+b", "/a%20b": "/a b",
		"/a;x=1/b;y": "/a/b", "/a.;x/b": "/a/b", "/a. . /b": "/a/b", "/ADMIN": "/ADMIN", "/a%3bx": "/a",
		"/.a/b.c": "/.a/b.c", "/a:b@c!$&'()*,=~-_": "/a:b@c!$&'()*,=~-_",
	} {
		assert.Equal(t, want, mustClean(t, in, PathOptions{}).String(), in)
	}
}

func TestCleanPathRefusals(t *testing.T) {
	long := "/" + strings.Repeat("a", MaxPathBytes)
	for _, in := range []string{
		"", "a", "*", "http://x/a", "?/a", long,
		"/a\x00", "/a\nb", "/a\rb", "/a\x7f", "/a\x1b", "/a\\b", "/a#b",
		"/%00", "/%0A", "/%7F", "/%1f", "/%2F", "/%2e", "/%2E%2E", "/%5C", "/%25", "/%25%36%31", "/%3F", "/%23",
		"/%", "/%a", "/%zz", "/%g0", "/a/%", "/%%41",
		"/..;/a", "/.;/a", "/x/..;x/a", "/.../a", "/x/.. /a", "/x/%20/a", "/x/ ./a", "/a//../b", "/a/;x/../b",
		"/\xc3\xa9", "/caf%C3%A9", "/%ff",
	} {
		_, err := CleanPath(in, PathOptions{})
		var pe *PathError
		require.ErrorAs(t, err, &pe, "%q", in)
		assert.NotEmpty(t, pe.Reason)
	}
	// Exactly at the limit is fine.
	mustClean(t, "/"+strings.Repeat("a", MaxPathBytes-1)+"?"+strings.Repeat("q", MaxPathBytes), PathOptions{})
}

func TestCleanPathUnicode(t *testing.T) {
	u := PathOptions{Unicode: true}
	for in, want := range map[string]string{
		"/caf%C3%A9": "/café", "/caf\xc3\xa9/x": "/café/x", "/%E6%97%A5%E6%9C%AC": "/日本", "/\xd0\xb4\xd0\xb0": "/да",
	} {
		assert.Equal(t, want, mustClean(t, in, u).String(), in)
	}
	for _, in := range []string{
		"/%c0%af", "/%c0%ae%c0%ae/a", "/%e0%80%af", "/%ed%a0%80", "/%ff", "/\xc3", "/%c3", "/a%80", // invalid UTF-8, overlong forms, surrogates
		"/%ef%bd%81dmin", "/\xef\xbc\x8fadmin", "/%ef%bc%8e%ef%bc%8e/a", "/%ef%bc%bc", // fullwidth a, /, ., \
		"/\xe2\x84\xaaey", "/adm\xc4\xb1n", "/\xc5\xbftats", "/\xc4\xb0d", // Kelvin sign, dotless i, long s, dotted capital I
		"/\xef\xac\x81le", "/\xe2\x91\xa0", "/\xf0\x9d\x90\x9a", "/\xe2\x85\xa0", "/x\xc2\xb2", // ligature fi, circled 1, math bold a, Roman numeral I, superscript 2
		"/a\xe2\x80\x8bb", "/a\xc2\xadb", "/a\xef\xbb\xbf", "/a\xc2\xa0", "/a\xe3\x80\x80", "/a\xc2\x85", // zero-width space, soft hyphen, BOM, NBSP, ideographic space, NEL
		"/a\xe2\x88\x95b", "/a\xe2\x81\x84b", "/a\xe2\x80\xa4", "/a\xe3\x80\x82", "/a\xc2\xa5", // division slash, fraction slash, one-dot leader, ideographic full stop, yen
	} {
		_, err := CleanPath(in, u)
		var pe *PathError
		require.ErrorAs(t, err, &pe, "%q", in)
	}
}

// CleanPath decodes as net/url does wherever it decodes at all.
func TestCleanPathDecodesAsNetURL(t *testing.T) {
	for _, s := range []string{"/a", "/%41%42", "/a+b", "/a%20b", "/%e2%82%ac", "/%7e%21", "/a%3Ab"} {
		want, err := url.PathUnescape(s)
		require.NoError(t, err)
		assert.Equal(t, want, mustClean(t, s, PathOptions{Unicode: true}).String(), s)
	}
}

// A refusal is typed, and the path's text stays out of the error.
func TestPathErrorIsTyped(t *testing.T) {
	_, err := CleanPath("/secret-path%zz", PathOptions{})
	var pe *PathError
	require.True(t, errors.As(err, &pe))
	assert.NotContains(t, err.Error(), "secret-path")
}

// FuzzCleanPath: no input panics; a path accepted comes out in a form that
// is itself accepted, unchanged and exact (so that reading it twice, as a
// chain of proxies may, changes nothing), and never longer than the input.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"/", "/a/../b", "/%2e%2e/admin", "/admin;x/..;/y", "/a%zz", "/a./b ./c", "//a//../b", "/caf%C3%A9", "/%c0%af"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, uri string, unicodeOK bool) {
		opts := PathOptions{Unicode: unicodeOK}
		p, err := CleanPath(uri, opts)
		if err != nil {
			var pe *PathError
			require.True(t, errors.As(err, &pe), "%q: untyped error %v", uri, err)
			return
		}
		q, err := CleanPath(p.String(), opts)
		require.NoError(t, err, "%q -> %q -> %q, %v", uri, p, q, err)
		require.Equal(t, (Path{canonical: p.canonical, exact: true}), q, "%q -> %q -> %q, %v", uri, p, q, err)
		require.False(t, len(p.String()) > len(uri)+1, "%q -> %q", uri, p)
		require.True(t, utf8.ValidString(p.String()), "%q -> %q", uri, p)
	})
}
