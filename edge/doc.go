// Package edge is how jwtgate's decisions meet HTTP, written once for
// every host: jwtgate serve (package server, over net/http) and the
// proxy-wasm filter (over a proxy's header maps) are thin adapters over
// it. It has no net/http and does no I/O, so it builds for every target
// the core does.
//
// It holds where a request's token is read (Sources: headers with value
// prefixes, query parameters, cookies), the answer to a refusal (Refusal:
// status, WWW-Authenticate, the JSON error body), the redirect parameter,
// the identity headers an upstream receives and those a client may not
// send (Identity, Reserved), the token's hash for logs, and routes: the
// canonical reading of a request path (CleanPath), per-route requirements
// with an optional integration pin (Routes, RouteConfig) and skip
// prefixes.
//
// The core decides; edge only reads requests and words answers.
package edge
