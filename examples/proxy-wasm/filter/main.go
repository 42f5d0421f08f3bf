// Command filter is jwtgate's proxy-wasm HTTP filter: the jwtgate core,
// built with the standard Go toolchain as a proxy-wasm ABI v0.2.1 module
// for Envoy and other proxies that load proxy-wasm plugins.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath \
//	    -o jwtgate-filter.wasm ./examples/proxy-wasm/filter
//
// It verifies each request's token against the policy in the plugin
// configuration (see config.go and docs/proxy.md), answers a rejection
// itself (401 or 403 with the JSON error body and WWW-Authenticate), and
// sends an accepted request upstream with the identity headers added.
//
// The proxy-wasm calls go through ../internal/proxywasm, a small guest
// layer shaped like the proxy-wasm Go SDK. Everything here also compiles
// natively, for go vet.
package main

import "github.com/jwtgate/jwtgate/examples/proxy-wasm/internal/proxywasm"

// A -buildmode=c-shared module's main is never run; the VM context is
// registered by init, which _initialize runs.
func init() { proxywasm.SetVMContext(vmContext{}) }

func main() {}
