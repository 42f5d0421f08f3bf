package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// modulePath is stripped from the pkg: lines, so that a benchmark is
// known by its folder ("wasm/host BenchmarkVerify/wasm/HS256").
const modulePath = "github.com/jwtgate/jwtgate/"

// Results are what the runs measured.
type Results struct {
	// CPU and Platform (goos/goarch) are the runs' own, the last seen.
	CPU, Platform string
	// bench holds the samples of every benchmark, keyed by "PKG NAME"
	// (NAME without its -GOMAXPROCS suffix), then by unit ("ns/op",
	// "allocs/op", "req/s", …), in the order of the rounds.
	bench map[string]map[string][]float64
}

// Samples are one benchmark's values of one unit (nil when it did not
// run).
func (r Results) Samples(pkg, name, unit string) []float64 { return r.bench[pkg+" "+name][unit] }

// Rounds is the most samples any benchmark has.
func (r Results) Rounds() int {
	n := 0
	for _, units := range r.bench {
		for _, xs := range units {
			n = max(n, len(xs))
		}
	}
	return n
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// Parse reads the output of go test -bench runs, one after another. A
// benchmark that prints to stdout, or a run with -v, has its name and its
// figures on different lines; Parse joins them.
func Parse(r io.Reader) (Results, error) {
	res := Results{bench: map[string]map[string][]float64{}}
	pkg, pending, goos := "", "", ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0:
		case f[0] == "goos:" && len(f) == 2:
			goos = f[1]
		case f[0] == "goarch:" && len(f) == 2:
			res.Platform = goos + "/" + f[1]
		case f[0] == "cpu:":
			res.CPU = strings.Join(f[1:], " ")
		case f[0] == "pkg:" && len(f) == 2:
			pkg, pending = strings.TrimPrefix(f[1], modulePath), ""
		case strings.HasPrefix(f[0], "Benchmark") && (len(f) == 1 || !isCount(f[1])):
			// The name alone (go test -v), or followed by what the
			// benchmark printed: its figures come on a later line.
			pending = f[0]
		case strings.HasPrefix(f[0], "Benchmark"):
			if err := res.add(pkg, f[0], f[1:]); err != nil {
				return Results{}, fmt.Errorf("line %d: %w", n, err)
			}
			pending = ""
		case pending != "" && isCount(f[0]):
			if err := res.add(pkg, pending, f); err != nil {
				return Results{}, fmt.Errorf("line %d: %w", n, err)
			}
			pending = ""
		}
	}
	return res, sc.Err()
}

func isCount(s string) bool {
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// add records "ITERATIONS VALUE UNIT [VALUE UNIT]…" of one benchmark. A
// line that is not that (a benchmark's own message, say) is not an error:
// it is skipped.
func (r *Results) add(pkg, name string, f []string) error {
	if len(f) < 3 || len(f)%2 == 0 || !isCount(f[0]) {
		return nil
	}
	key := pkg + " " + procSuffix.ReplaceAllString(name, "")
	if r.bench[key] == nil {
		r.bench[key] = map[string][]float64{}
	}
	for i := 1; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", name, f[i])
		}
		r.bench[key][f[i+1]] = append(r.bench[key][f[i+1]], v)
	}
	return nil
}
