package main

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testdata/round.txt is one real round of make bench (BENCHTIME=100x).
func sample(t *testing.T) string {
	b, err := os.ReadFile("testdata/round.txt")
	require.NoError(t, err)
	return string(b)
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		want float64
	}{
		{"none", nil, math.NaN()},
		{"one", []float64{7}, 7},
		{"odd, unsorted", []float64{30, 10, 20}, 20},
		{"even: the mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"an outlier does not move it", []float64{10, 11, 12, 13, 1e9}, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := median(tc.xs)
			if math.IsNaN(tc.want) {
				assert.True(t, math.IsNaN(got), "%v", got)
				return
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []float64
		want float64
	}{
		// The ratio of the medians would be 30/10 = 3: a slow round of b
		// (the second) must not lend its speed to a's fast one.
		{"per round, then the median", []float64{10, 100, 30}, []float64{5, 10, 30}, 2},
		{"one round", []float64{9}, []float64{3}, 3},
		{"rounds matched by position, the extra ones dropped", []float64{4, 8, 1000}, []float64{2, 4}, 2},
		{"no samples", nil, []float64{1}, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ratio(tc.a, tc.b)
			if math.IsNaN(tc.want) {
				assert.True(t, math.IsNaN(got), "%v", got)
				return
			}
			assert.InDelta(t, tc.want, got, 1e-12)
		})
	}
}

func TestParseRealRound(t *testing.T) {
	res, err := Parse(strings.NewReader(sample(t)))
	require.NoError(t, err)
	assert.Equal(t, "Intel(R) Xeon(R) Processor", res.CPU)
	assert.Equal(t, "linux/amd64", res.Platform)
	assert.Equal(t, 1, res.Rounds())
	for _, tc := range []struct {
		pkg, name, unit string
		want            float64
	}{
		{pkgPeer, "BenchmarkNative/HS256/jwtgate", "ns/op", 4402},
		{pkgPeer, "BenchmarkNative/HS256/jwtgate-cached", "ns/op", 215.3}, // "-cached" is the name's, "-2" GOMAXPROCS
		{pkgPeer, "BenchmarkNative/RS256/golang-jwt", "allocs/op", 111},
		{pkgHost, "BenchmarkVerify/wasm/RS256", "cpu-ns/op", 176940},
		{pkgProxy, "BenchmarkFilter/skip", "decisions/s", 53743},
		{pkgServer, "BenchmarkAuthz/RS256/rotating/cache-off", "req/s", 12453},
	} {
		assert.Equal(t, []float64{tc.want}, res.Samples(tc.pkg, tc.name, tc.unit), "%s %s %s", tc.pkg, tc.name, tc.unit)
	}
	assert.Nil(t, res.Samples(pkgHost, "BenchmarkNative/HS256/jwtgate", "ns/op"), "a benchmark is known by its package too")
}

func TestParseLines(t *testing.T) {
	const pkg = "pkg: github.com/jwtgate/jwtgate/server\n"
	for _, tc := range []struct {
		name, raw string
		want      []float64 // BenchmarkX's ns/op
	}{
		{"plain", "BenchmarkX-2 \t 100\t 5 ns/op\t 3 B/op\n", []float64{5}},
		{"without GOMAXPROCS suffix", "BenchmarkX \t 100\t 5 ns/op\n", []float64{5}},
		{"go test -v: the name alone first", "BenchmarkX\nBenchmarkX-2 \t 100\t 5 ns/op\n", []float64{5}},
		{"the benchmark printed to stdout", "BenchmarkX-2 \tstarting the server\n     100\t 5 ns/op\n", []float64{5}},
		{"its log after the figures", "BenchmarkX-2 \t 100\t 5 ns/op\n--- BENCH: BenchmarkX-2\n    x_test.go:9: 100 requests\n", []float64{5}},
		{"rounds in order", "BenchmarkX-2 100 5 ns/op\nPASS\nok x 1s\n" + pkg + "BenchmarkX-2 100 7 ns/op\n", []float64{5, 7}},
		{"a failed benchmark has no figures", "BenchmarkX-2 \n--- FAIL: BenchmarkX-2\nFAIL\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse(strings.NewReader(pkg + tc.raw))
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Samples("server", "BenchmarkX", "ns/op"))
		})
	}
	_, err := Parse(strings.NewReader("BenchmarkX-2 100 5x ns/op\n"))
	assert.ErrorContains(t, err, `line 1: BenchmarkX-2: "5x" is not a number`)
}

// Three rounds of the real sample, jwtgate's HS256 figure changed in two.
func TestReportMediansAndRatios(t *testing.T) {
	round := sample(t)
	rounds := round + strings.Replace(round, "4402 ns/op", "4000 ns/op", 1) + strings.Replace(round, "4402 ns/op", "9000 ns/op", 1)
	res, err := Parse(strings.NewReader(rounds))
	require.NoError(t, err)
	tables := Report(res, []moduleSize{{"plugin", 9 << 20, 3 << 20, -1}})
	byTitle := map[string]Table{}
	for _, tb := range tables {
		byTitle[tb.Title[:2]] = tb
	}
	row := func(title, first string) []string {
		for _, r := range byTitle[title].Rows {
			if r[0] == first {
				return r
			}
		}
		t.Fatalf("%s: no row %s", title, first)
		return nil
	}
	assert.Equal(t, []string{"HS256", "4.4 µs / 14", "215 ns / 1", "11.5 µs / 102", "25.6 µs / 176", "29.6 µs / 262", "1.0 µs / 6"}, row("1a", "HS256"))
	// 4402/1047 = 4.20, 4402/11476 = 0.38, …; cached 215.3/4402.
	assert.Equal(t, []string{"HS256", "4.20×", "0.38×", "0.17×", "0.15×", "0.049×"}, row("1b", "HS256"))
	assert.Equal(t, []string{"RS256", "38.0 µs", "256.8 µs", "6.75×"}, row("2a", "RS256"))
	assert.Equal(t, []string{"RS256", "767.4 µs", "1303", "41.24×", "41.0 µs", "18.72×"}, row("2b", "RS256"))
	assert.Equal(t, []string{"skip", "18.6 µs", "53743", "1.00×", "–", "–"}, row("2b", "skip"))
	assert.Equal(t, []string{"plugin", "9.00 MiB", "3.00 MiB", "–"}, row("3.", "plugin"))
	assert.Equal(t, []string{"RS256", "repeated", "22674", "13657", "–", "1.66×", "–"}, byTitle["4."].Rows[2], "no baseline measured")
	// With the net/http + golang-jwt baseline: its req/s and off ÷ baseline.
	off := "     73231 ns/op\t     13657 req/s\t   18135 B/op\t     191 allocs/op\n"
	withBase := strings.Replace(round, off, off+"BenchmarkAuthz/RS256/repeated/baseline-2 \t     100\t     50000 ns/op\t     10000 req/s\n", 1)
	require.NotEqual(t, round, withBase)
	based, err := Parse(strings.NewReader(withBase))
	require.NoError(t, err)
	serve := Report(based, nil)
	for _, tb := range serve {
		if strings.HasPrefix(tb.Title, "4.") {
			assert.Equal(t, []string{"RS256", "repeated", "22674", "13657", "10000", "1.66×", "1.37×"}, tb.Rows[2])
		}
	}
	assert.Equal(t, 3, res.Rounds())
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	Table{Title: "T", Note: "n", Header: []string{"alg", "tokens", "req/s"}, Labels: 2,
		Rows: [][]string{{"HS256", "repeated", "27728"}, {"RS256", "rotating", "9"}}}.WriteMarkdown(&b)
	assert.Equal(t, `## T

n

| alg   | tokens   | req/s |
| ----- | -------- | ----: |
| HS256 | repeated | 27728 |
| RS256 | rotating |     9 |

`, b.String())
	b.Reset()
	Table{Title: "T", Header: []string{"a"}}.WriteMarkdown(&b)
	assert.Equal(t, "## T\n\n(no results: the benchmarks did not run)\n\n", b.String())
}

func TestMeasureSizes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.wasm")
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("jwtgate "), 1<<14), 0o600))
	sizes, err := measureSizes([]module{{"m", path}})
	require.NoError(t, err)
	require.Len(t, sizes, 1)
	s := sizes[0]
	assert.Equal(t, int64(8<<14), s.raw)
	want, err := exec.Command("gzip", "-9", "-c", path).Output()
	require.NoError(t, err)
	assert.Equal(t, int64(len(want)), s.gzip, "gzip -9's own output")
	if _, err := exec.LookPath("brotli"); err != nil {
		assert.Equal(t, int64(-1), s.brotli, "no brotli command: no figure")
	} else {
		assert.Greater(t, s.brotli, int64(0))
		assert.Less(t, s.brotli, s.raw)
	}
	_, err = measureSizes([]module{{"missing", path + ".none"}})
	assert.Error(t, err)
}

// The program writes the same Markdown to stdout and to -md.
func TestRun(t *testing.T) {
	md := filepath.Join(t.TempDir(), "bench.md")
	var out bytes.Buffer
	require.NoError(t, run([]string{"-md", md, "testdata/round.txt"}, &out))
	written, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Equal(t, out.String(), string(written))
	assert.Contains(t, out.String(), "Rounds of -count=1: 1 (medians, ratios per round); Intel(R) Xeon(R) Processor, linux/amd64")
	for _, title := range []string{"## 1a.", "## 1b.", "## 2a.", "## 2b.", "## 3.", "## 4."} {
		assert.Contains(t, out.String(), title)
	}
	assert.ErrorContains(t, run([]string{"-module", "nopath", "testdata/round.txt"}, &out), "want NAME=PATH")
	assert.ErrorContains(t, run(nil, &out), "usage")
}
