package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/wasm/abi"
)

// engine is the loaded policy, kept between calls.
type engine struct {
	verifier *core.Verifier
	summary  []byte
}

var (
	current *engine
	// used are the capabilities the host offered and this module uses,
	// set by jwtgate_capabilities before any load.
	used abi.Capability
	// window is the encoded time window of the last verify's decision
	// (jwtgate_window), nil when it has none.
	window []byte
	// faultHook lets the fault-injection build (faults_wasip1.go) act on
	// special tokens. nil in the real module.
	faultHook func(token string)
)

func wirePolicyError(pe *core.PolicyError) abi.PolicyError {
	return abi.PolicyError{File: pe.File, Integration: pe.Integration, Field: pe.Field, Line: pe.Line, Column: pe.Column, Reason: pe.Reason}
}

// capabilities answers the host's offer: this module uses key sets and
// signature checks when the host has them.
func capabilities(offered abi.Capability) abi.Capability {
	used = offered & (abi.CapKeySets | abi.CapSignatures)
	return used
}

// hostSignatures is core.SignatureChecker on the host's sig_check.
type hostSignatures struct{}

func (hostSignatures) CheckSignature(alg string, jwk, input, sig []byte) (bool, error) {
	switch sigCheck(alg, jwk, input, sig) {
	case abi.SigValid:
		return true, nil
	case abi.SigInvalid:
		return false, nil
	}
	return false, errors.New("the host could not check the signature")
}

// guard turns a panic into abi.StatusPanic, leaving the module usable.
func guard(op string, status *abi.Status, out *[]byte) {
	if p := recover(); p != nil {
		msg := fmt.Sprintf("%s: guest panic: %v", op, p)
		logf(abi.LevelError, "%s", msg)
		*status, *out = abi.StatusPanic, []byte(msg)
	}
}

// load parses policy (with no file or environment access) and makes it the
// current one. A policy that fails leaves the previous one in place.
func load(name string, policy []byte) (status abi.Status, out []byte) {
	defer guard("load", &status, &out)
	// The host resolves a discovery entry's URL as any key set's (keyset_get).
	p, err := core.ParsePolicy(name, policy, core.LoadOptions{Discovery: true})
	if err != nil {
		var list core.PolicyErrors
		if errors.As(err, &list) && len(list) > 0 {
			w := wirePolicyError(list[0])
			for _, pe := range list[1:] {
				w.More = append(w.More, wirePolicyError(pe))
			}
			b, _ := json.Marshal(w)
			return abi.StatusPolicyError, b
		}
		return abi.StatusRefused, []byte(err.Error())
	}
	cfg := core.Config{Replay: hostReplay{}}
	if used&abi.CapKeySets != 0 {
		cfg.Keys = newHostKeys()
	}
	if used&abi.CapSignatures != 0 {
		cfg.Signatures = hostSignatures{}
	}
	v, err := core.NewVerifier(p, cfg)
	if err != nil {
		return abi.StatusRefused, []byte(err.Error())
	}
	sum := abi.LoadSummary{ABI: abi.Version, Integrations: p.Integrations(), MaxTokenBytes: p.MaxTokenBytes(), OneTimeUse: p.OneTimeUse(), JWKSURLs: p.JWKSURLs()}
	b, err := json.Marshal(sum)
	if err != nil {
		return abi.StatusRefused, []byte(err.Error())
	}
	current = &engine{verifier: v, summary: b}
	logf(abi.LevelInfo, "policy %s loaded: %d integrations", name, len(sum.Integrations))
	return abi.StatusOK, b
}

// verify verifies one token against the current policy.
func verify(token, redirectParam, integration string, now time.Time, flags abi.Flag) (status abi.Status, out []byte) {
	defer guard("verify", &status, &out)
	window = nil // a window belongs to the one decision it was made with
	if current == nil {
		return abi.StatusRefused, []byte("no policy is loaded")
	}
	if faultHook != nil {
		faultHook(token)
	}
	d := current.verifier.Verify(context.Background(), core.Request{
		Token: token, Now: now, Explain: flags&abi.FlagExplain != 0,
		RedirectParam: redirectParam, Integration: integration,
	})
	if w, ok := d.Window(); ok {
		window = wireWindow(w).Encode()
	}
	return abi.StatusOK, d.JSON()
}

// wireWindow is the decision's time window as jwtgate_window hands it over.
func wireWindow(w core.TimeWindow) abi.Window {
	return abi.Window{
		Exp: w.Exp, Nbf: w.Nbf, Iat: w.Iat, HasExp: w.HasExp, HasNbf: w.HasNbf, HasIat: w.HasIat,
		Skew: w.Skew.Nanoseconds(), MaxAge: w.MaxAge.Nanoseconds(),
	}
}

// hostReplay is the host's replay store, reached through the
// jwtgate_host.replay_claim import.
type hostReplay struct{}

// Claim implements core.ReplayStore.
func (hostReplay) Claim(_ context.Context, id string, expiry, now time.Time) (bool, error) {
	var msg [abi.MaxMessageBytes]byte
	r := replayClaim(id, expiry.Unix(), int32(expiry.Nanosecond()), now.Unix(), int32(now.Nanosecond()), msg[:])
	if n, failed := abi.FailureLen(r); failed {
		return false, errors.New(string(msg[:min(n, len(msg))]))
	}
	return r == abi.ReplayFresh, nil
}

func logf(level abi.Level, format string, args ...any) {
	hostLog(level, fmt.Sprintf(format, args...))
}
