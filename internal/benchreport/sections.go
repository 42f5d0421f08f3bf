package main

import (
	"fmt"
	"runtime"
)

// The packages whose benchmarks make bench runs, as Parse keys them.
const (
	pkgPeer   = "internal/peerbench"
	pkgHost   = "wasm/host"
	pkgProxy  = "examples/proxy-wasm/proxytest"
	pkgServer = "server"
)

var algs = []string{"EdDSA", "ES256", "HS256", "RS256"}

// peers are internal/peerbench's contenders after jwtgate, in column order.
var peers = []string{"golang-jwt", "go-jose", "jwx"}

// Report is every table, in the order of the sections.
func Report(r Results, sizes []moduleSize) []Table {
	native, ratios := nativeTables(r)
	return []Table{native, ratios, pluginTable(r), filterTable(r), sizeTable(sizes), serveTable(r)}
}

// Heading says where and how the figures were measured.
func Heading(r Results) string {
	return fmt.Sprintf("# make bench\n\nRounds of -count=1: %d (medians, ratios per round); %s, %s, %s.\n\n", r.Rounds(), r.CPU, r.Platform, runtime.Version())
}

func nativeTables(r Results) (Table, Table) {
	cols := append([]string{"jwtgate", "jwtgate-cached"}, append(peers, "bare")...)
	native := Table{Title: "1a. Native verification",
		Note:   "internal/peerbench BenchmarkNative: the same token and checks for all; median time per verification / allocations.",
		Header: append([]string{"alg"}, "jwtgate", "jwtgate cached", "golang-jwt v5", "go-jose v4", "jwx v3", "bare check")}
	ratios := Table{Title: "1b. Native ratios",
		Note:   "Each ratio is taken within a round, then the median of the rounds. Below 1× jwtgate is the faster; bare is the signature check alone, the floor.",
		Header: []string{"alg", "jwtgate ÷ bare", "jwtgate ÷ golang-jwt", "jwtgate ÷ go-jose", "jwtgate ÷ jwx", "cached ÷ jwtgate"}}
	for _, alg := range algs {
		name := func(c string) string { return "BenchmarkNative/" + alg + "/" + c }
		if r.Samples(pkgPeer, name("jwtgate"), "ns/op") == nil {
			continue
		}
		row := []string{alg}
		for _, c := range cols {
			row = append(row, dur(median(r.Samples(pkgPeer, name(c), "ns/op")))+" / "+count(median(r.Samples(pkgPeer, name(c), "allocs/op"))))
		}
		native.Rows = append(native.Rows, row)
		jg := r.Samples(pkgPeer, name("jwtgate"), "ns/op")
		row = []string{alg, times(ratio(jg, r.Samples(pkgPeer, name("bare"), "ns/op")))}
		for _, p := range peers {
			row = append(row, times(ratio(jg, r.Samples(pkgPeer, name(p), "ns/op"))))
		}
		ratios.Rows = append(ratios.Rows, append(row, times(ratio(r.Samples(pkgPeer, name("jwtgate-cached"), "ns/op"), jg))))
	}
	return native, ratios
}

func pluginTable(r Results) Table {
	t := Table{Title: "2a. The plugin against the native core",
		Note:   "wasm/host BenchmarkVerify: core.Verifier.Verify beside the plugin in wazero (Host.decide), median time per verification.",
		Header: []string{"alg", "native", "wasm", "wasm ÷ native"}}
	for _, alg := range algs {
		n, w := r.Samples(pkgHost, "BenchmarkVerify/native/"+alg, "ns/op"), r.Samples(pkgHost, "BenchmarkVerify/wasm/"+alg, "ns/op")
		if n == nil && w == nil {
			continue
		}
		t.Rows = append(t.Rows, []string{alg, dur(median(n)), dur(median(w)), times(ratio(w, n))})
	}
	return t
}

func filterTable(r Results) Table {
	t := Table{Title: "2b. The proxy-wasm filter per request",
		Note: "examples/proxy-wasm/proxytest BenchmarkFilter: a whole request through the filter in its test host; " +
			"skip is a path the filter does not verify (its cost around a verification); core alone is BenchmarkNative.",
		Header: []string{"request", "filter", "decisions/s", "÷ skip", "core alone", "filter ÷ core"}}
	skip := r.Samples(pkgProxy, "BenchmarkFilter/skip", "ns/op")
	for _, name := range []string{"HS256", "RS256", "skip"} {
		f := r.Samples(pkgProxy, "BenchmarkFilter/"+name, "ns/op")
		if f == nil {
			continue
		}
		core := r.Samples(pkgProxy, "BenchmarkNative/"+name, "ns/op")
		t.Rows = append(t.Rows, []string{name, dur(median(f)), count(median(r.Samples(pkgProxy, "BenchmarkFilter/"+name, "decisions/s"))),
			times(ratio(f, skip)), dur(median(core)), times(ratio(f, core))})
	}
	return t
}

func sizeTable(sizes []moduleSize) Table {
	t := Table{Title: "3. Module sizes",
		Note:   "gzip -9 and brotli -q 11 of each module as built for the bench (make wasm and the same build flags for the others).",
		Header: []string{"module", "raw", "gzip -9", "brotli -q 11"}}
	mib := func(n int64) string {
		if n < 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	}
	for _, s := range sizes {
		t.Rows = append(t.Rows, []string{s.name, mib(s.raw), mib(s.gzip), mib(s.brotli)})
	}
	return t
}

func serveTable(r Results) Table {
	t := Table{Title: "4. jwtgate serve /v1/authz",
		Note: "server BenchmarkAuthz: loopback HTTP against the real server, clients and server on the same cores; " +
			"repeated is one token, rotating 1,000 in turn; requests per second (median); baseline is a plain net/http handler " +
			"verifying with golang-jwt v5 on the same loopback (server/authz_baseline_bench_test.go).",
		Header: []string{"alg", "tokens", "cache on", "cache off", "baseline", "on ÷ off", "off ÷ baseline"}, Labels: 2}
	for _, alg := range []string{"HS256", "RS256"} {
		for _, mode := range []string{"repeated", "rotating"} {
			name := "BenchmarkAuthz/" + alg + "/" + mode + "/cache-"
			on, off := r.Samples(pkgServer, name+"on", "req/s"), r.Samples(pkgServer, name+"off", "req/s")
			base := r.Samples(pkgServer, "BenchmarkAuthz/"+alg+"/"+mode+"/baseline", "req/s")
			if on == nil && off == nil {
				continue
			}
			t.Rows = append(t.Rows, []string{alg, mode, count(median(on)), count(median(off)), count(median(base)), times(ratio(on, off)), times(ratio(off, base))})
		}
	}
	return t
}
