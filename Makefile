# jwtgate — developer targets. "make test" is what CI runs.
GO       ?= go
FUZZTIME ?= 15s
RACE     ?= -race

.PHONY: all test check-wasm-build run fuzz bench build clean

all: test

## test: vet, all tests with the race detector, and the WebAssembly builds of the core.
# RACE= (empty) runs without the race detector, for machines without a C compiler.
test:
	$(GO) vet ./...
	$(GO) test $(RACE) -count=1 ./...
	@$(MAKE) --no-print-directory check-wasm-build GO="$(GO)"

## check-wasm-build: the core must build for WASI (the plugin) and for the browser.
check-wasm-build:
	GOOS=wasip1 GOARCH=wasm $(GO) build ./core/...
	GOOS=js GOARCH=wasm $(GO) build ./core/...

## run: write a demo configuration to .demo, print curl lines, serve on 127.0.0.1:8080.
run:
	$(GO) run ./cmd/jwtgate demo --dir .demo
	$(GO) run ./cmd/jwtgate serve --config .demo/policy.yaml --listen 127.0.0.1:8080

## fuzz: run every Fuzz test of every package for FUZZTIME each.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		list=$$($(GO) test -list '^Fuzz' $$pkg); \
		for fz in $$(echo "$$list" | grep '^Fuzz' || true); do \
			echo "== $$pkg $$fz ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$fz\$$" -fuzztime=$(FUZZTIME) $$pkg; \
		done; \
	done

## bench: the core's benchmarks.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./core/...

## build: the jwtgate binary in build/.
build:
	$(GO) build -o build/jwtgate ./cmd/jwtgate

clean:
	rm -rf build
