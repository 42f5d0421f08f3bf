# jwtgate — developer targets. "make test" is what CI runs.
GO       ?= go
FUZZTIME ?= 15s
RACE     ?= -race
# TEST_TIMEOUT bounds each package's test binary (go test -timeout; the
# default, 10m, is less than the slowest packages take on a loaded 2-core
# machine). Tests with a budget of their own take it from this deadline.
TEST_TIMEOUT ?= 30m
# BROWSER_TAGS are the browser module's build tags, as examples/browser's
# BuildTags (the site's build): no JWE, signatures left to WebCrypto.
BROWSER_TAGS := jwtgate_nojwe,jwtgate_webcrypto

.PHONY: bench-tenants all test test-short test-wasm-modules browser-deps wasm bench-wasm bench-modules check-wasm-build run fuzz bench loadtest build clean

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

## check-wasm-build: the core and edge must build for WASI (the plugin, the proxy filter) and for the browser,
## whose module is built without JWE and with signatures left to WebCrypto (BROWSER_TAGS, tested here natively).
check-wasm-build:
	GOOS=wasip1 GOARCH=wasm $(GO) build ./core/... ./edge/...
	GOOS=js GOARCH=wasm $(GO) build ./core/... ./edge/...
	GOOS=js GOARCH=wasm $(GO) build -tags jwtgate_nojwe ./core/... ./examples/browser/wasm
	GOOS=js GOARCH=wasm $(GO) build -tags $(BROWSER_TAGS) ./core/... ./examples/browser/wasm
	$(GO) test -count=1 -tags jwtgate_nojwe -run '^TestNoJWE$$' ./core/
	$(GO) test -count=1 -tags $(BROWSER_TAGS) ./core/internal/keys/ ./core/internal/joseid/ ./examples/browser/wasm/

## run: write a demo configuration to .demo, print curl lines, serve on 127.0.0.1:8080.
# jwtgate is not on the PATH here: the printed lines say "go run ./cmd/jwtgate".
run:
	$(GO) run ./cmd/jwtgate demo --dir .demo --command "$(GO) run ./cmd/jwtgate"
	$(GO) run ./cmd/jwtgate serve --config .demo/policy.yaml --listen 127.0.0.1:8080 --data-dir .demo/data --login-link

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

## bench: the whole story in one run, one table a section (build/bench.md;
## the raw go test output in build/bench.txt): jwtgate, cold and from its
## decision cache, beside golang-jwt, go-jose, jwx and the bare signature
## check on the same token with the same checks (internal/peerbench); the
## plugin beside the native core; the proxy filter per request; the
## modules' sizes (gzip -9, brotli -q 11); jwtgate serve's /v1/authz
## requests/s, cache on and off. BENCHCOUNT rounds (default 5) of
## -count=1, BENCHTIME each benchmark (go test -benchtime, default 1s).
BENCHCOUNT ?= 5
BENCHTIME  ?= 1s
BENCHFLAGS  = -run='^$$' -count=1 -benchmem -benchtime=$(BENCHTIME)
# Each run is PATTERN@PACKAGE.
BENCH_RUNS  = '^BenchmarkNative$$@./internal/peerbench/' \
	'^BenchmarkVerify$$/^(native|wasm)$$@./wasm/host/' \
	'^Benchmark(Filter|Native)$$@./examples/proxy-wasm/proxytest/' \
	'^BenchmarkAuthz$$@./server/'
bench: wasm bench-modules
	@# Rounds of -count=1 interleave the benchmarks in time, so that a noisy
	@# neighbour slows them alike instead of skewing one ratio; the report
	@# takes each ratio within a round, then the median of the rounds.
	@rm -f build/bench.txt; set -e; for i in $$(seq $(BENCHCOUNT)); do \
		for run in $(BENCH_RUNS); do \
			pattern=$${run%@*}; pkg=$${run##*@}; \
			echo "== round $$i of $(BENCHCOUNT): $$pkg"; \
			$(GO) test $(BENCHFLAGS) -bench="$$pattern" "$$pkg" >build/bench.last || { cat build/bench.last; exit 1; }; \
			cat build/bench.last >>build/bench.txt; \
		done; \
	done; rm -f build/bench.last
	@$(GO) run ./internal/benchreport -md build/bench.md \
		-module 'plugin (make wasm)=build/jwtgate.wasm' \
		-module 'proxy-wasm filter=build/proxy-filter.wasm' \
		-module 'browser module=build/browser.wasm' build/bench.txt

## bench-tenants: jwtgate serve with 100, 1,000 and 10,000 tenants'
## integrations stored on PostgreSQL (JWTGATE_TEST_POSTGRES, else the local
## test server): start-up time and heap, the cost of one verification, and
## for 10,000 the time a change takes to reach a second instance (p50/p99
## of 100 changes). BENCHCOUNT rounds.
bench-tenants:
	$(GO) test -run='^$$' -bench='^BenchmarkTenants$$' -benchtime=1x -count=$(BENCHCOUNT) -timeout=60m ./server/

## bench-modules: the proxy filter and the browser module in build/, built
## as internal/wasmbuild builds them for the tests and the site, for make
## bench to weigh beside the plugin.
bench-modules:
	@mkdir -p build
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o build/proxy-filter.wasm ./examples/proxy-wasm/filter
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -tags $(BROWSER_TAGS) -o build/browser.wasm ./examples/browser/wasm

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
