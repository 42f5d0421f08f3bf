// Package core verifies JSON Web Tokens minted by other parties' systems and
// applies a tenant's claim policy to them, producing a Decision.
//
// The core is pure Go and does no I/O: no network, no files, no clock and no
// goroutines of its own. Its host passes the current time (Request.Now), the
// keys published at URLs (Config.Keys) and the store of used one-time token
// IDs (Config.Replay). That is what lets the same code run natively, inside
// the wazero host as a WebAssembly plugin, inside a proxy-wasm filter and in
// a browser, and give the same decision for the same input on each.
//
// Use, with a policy file on disk (package policyfile reads it as the
// jwtgate command does: key files relative to the policy's folder, bounded
// reads, secret_env from the environment):
//
//	policy, err := policyfile.Load("/etc/jwtgate/policy.yaml")
//	if err != nil { /* every problem, one per line: FILE:LINE: integration "NAME": field FIELD: reason */ }
//	v, err := core.NewVerifier(policy, core.Config{Replay: core.NewMemoryReplayStore(0)})
//	d := v.Verify(ctx, core.Request{Token: tok, Now: time.Now()})
//	if !d.Valid { /* d.Code, d.Message for the caller; d.Reason for the log */ }
//
// A policy from elsewhere (a database, a request) goes to ParsePolicy with
// the LoadOptions its host allows; without ReadFile and LookupEnv, keys
// must be inline. A refused policy is PolicyErrors: every problem found,
// each a *PolicyError naming the line, the integration and the field.
//
// Checks run in a fixed order, so the same input always gets the same code:
// size, format, header, issuer (routing to an integration), algorithm, keys
// and signature (for a JWE: decryption, then the nested token's signature),
// exp, nbf, iat, max_age, aud, required claims and subject, required
// permissions, roles and groups, redirect target, upstream headers, and last
// the one-time jti, so that a token refused for another reason keeps its jti.
//
// A host that asks a trusted endpoint to validate a token (remote
// validation) hands the endpoint's answer to Verifier.VerifyVouched, which
// skips only the signature: the claims go through the same stage, so the
// two paths cannot judge the same claims differently.
package core
