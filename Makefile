# jwtgate — developer targets. "make test" is what CI runs.
GO       ?= go
FUZZTIME ?= 15s
RACE     ?= -race
# TEST_TIMEOUT bounds each package's test binary (go test -timeout; the
# default, 10m, is less than the slowest packages take on a loaded 2-core
# machine). Tests with a budget of their own take it from this deadline.
TEST_TIMEOUT ?= 30m

.PHONY: all test test-short test-wasm-modules browser-deps wasm bench-wasm check-wasm-build run fuzz bench loadtest build clean

all: test

## test: vet, the wasm modules compiled once, all tests with the race
## detector, and the WebAssembly builds of the core.
# RACE= (empty) runs without the race detector, for machines without a C compiler.
test:
	$(GO) vet ./...
	@$(MAKE) --no-print-directory test-wasm-modules GO="$(GO)"
	$(GO) test $(RACE) -count=1 -timeout=$(TEST_TIMEOUT) -skip='^TestCompileModules$$' ./...
	@$(MAKE) --no-print-directory check-wasm-build GO="$(GO)"

## test-short: the inner loop: vet and the tests without the wasm modules
## and the browser (go test -short), without the race detector.
test-short:
	$(GO) vet ./...
	$(GO) test -short -count=1 ./...

## test-wasm-modules: build every wasm module the tests run and compile it
## into the tests' shared wazero cache, without the race detector, under
## which wazero compiles ten times slower; the race run then finds them.
test-wasm-modules:
	$(GO) test -count=1 -timeout=$(TEST_TIMEOUT) -run='^TestCompileModules$$' ./internal/wasmtest/...

## browser-deps: playwright-core for the browser tests, which also install
## it themselves when it is missing (Chromium itself comes from Debian:
## apt-get install chromium).
browser-deps:
	cd examples/browser && npm ci --no-audit --no-fund --loglevel=error

## check-wasm-build: the core and edge must build for WASI (the plugin, the proxy filter) and for the browser.
check-wasm-build:
	GOOS=wasip1 GOARCH=wasm $(GO) build ./core/... ./edge/...
	GOOS=js GOARCH=wasm $(GO) build ./core/... ./edge/...

## run: write a demo configuration to .demo, print curl lines, serve on 127.0.0.1:8080.
# jwtgate is not on the PATH here: the printed lines say "go run ./cmd/jwtgate".
run:
	$(GO) run ./cmd/jwtgate demo --dir .demo --command "$(GO) run ./cmd/jwtgate"
	$(GO) run ./cmd/jwtgate serve --config .demo/policy.yaml --listen 127.0.0.1:8080 --data-dir .demo/data

## fuzz: run every Fuzz test of every package for FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		list=$$($(GO) test -list '^Fuzz' $$pkg); \
		for fz in $$(echo "$$list" | grep '^Fuzz' || true); do \
			echo "== $$pkg $$fz ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$fz\$$" -fuzztime=$(FUZZTIME) $$pkg; \
		done; \
	done

## wasm: the policy plugin (wasm/ABI.md) in build/.
wasm:
	@mkdir -p build
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o build/jwtgate.wasm ./wasm/guest

## bench-wasm: the plugin beside the native core, in the same run.
bench-wasm:
	$(GO) test -run='^$$' -bench='Verify|InstanceStart|ModuleSize' -benchtime=1500x ./wasm/host/
	$(GO) test -run='^$$' -bench=Compile -benchtime=3x ./wasm/host/

## bench: the core's benchmarks, then the ratios of a whole verification to
## the bare signature check and to go-jose's ParseSignedCompact + Verify,
## all measured in the same run (medians of BENCHCOUNT runs), one row per
## algorithm in name order.
BENCHCOUNT ?= 5
bench:
	@mkdir -p build
	@# Rounds of -count=1 interleave the three benchmarks in time, so that a
	@# noisy neighbour slows them alike instead of skewing one ratio.
	@rm -f build/bench.txt; for i in $$(seq $(BENCHCOUNT)); do \
		$(GO) test -run='^$$' -bench=. -benchmem -count=1 ./core/... | tee -a build/bench.txt; done
	@LC_ALL=C awk '$$1 ~ /^Benchmark(Verify|GoJose|BareCheck)\// { \
		split($$1, p, "/"); sub(/-[0-9]+$$/, "", p[2]); k = p[1] SUBSEP p[2]; \
		n[k]++; v[k, n[k]] = $$3; algs[p[2]] = 1 } \
	function median(k,   i, j, t, m) { m = n[k]; for (i = 1; i <= m; i++) a[i] = v[k, i]; \
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } \
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 } \
	END { printf "\n%-6s %12s %12s %12s %10s %10s\n", "alg", "verify ns", "go-jose ns", "bare ns", "vs bare", "vs go-jose"; \
		na = 0; for (alg in algs) { for (i = ++na; i > 1 && sorted[i - 1] > alg; i--) sorted[i] = sorted[i - 1]; sorted[i] = alg } \
		for (i = 1; i <= na; i++) { alg = sorted[i]; f = median("BenchmarkVerify" SUBSEP alg); g = median("BenchmarkGoJose" SUBSEP alg); b = median("BenchmarkBareCheck" SUBSEP alg); \
			printf "%-6s %12.0f %12.0f %12.0f %9.2fx %9.2fx\n", alg, f, g, b, f / b, f / g } }' build/bench.txt

## loadtest: /v1/verify and /v1/authz under load (native and --engine wasm), bounded, loopback only.
## /v1/authz with HS256 and RS256 tokens, 10 s per scenario (override with
## JWTGATE_LOAD_DURATION=30s, JWTGATE_LOAD_WORKERS=32); prints requests/s,
## p50, p99, errors (must be zero) and the heap in use after each scenario.
loadtest:
	JWTGATE_LOAD=1 $(GO) test -run TestLoad -v -count=1 ./server/

## build: the jwtgate binary in build/.
build:
	$(GO) build -o build/jwtgate ./cmd/jwtgate

clean:
	rm -rf build
