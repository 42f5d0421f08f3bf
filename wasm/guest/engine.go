package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

// abiVersion is the version of the ABI this module implements (ABI.md).
const abiVersion = 1

// Status codes returned by jwtgate_load and jwtgate_verify.
const (
	statusOK          = 0 // the result holds the load summary or the decision JSON
	statusPolicyError = 1 // the result holds a core.PolicyError as JSON
	statusError       = 2 // the result holds a message: the call was refused
	statusPanic       = 3 // the result holds a message: the guest panicked and recovered
)

// Flags of jwtgate_verify.
const (
	flagExplain = 1 << 0 // add the explain trace to the decision
	flagZeroNow = 1 << 1 // the host passes the zero time (the core refuses it)
)

// Log levels of the jwtgate_host.log import.
const (
	levelDebug = 0
	levelInfo  = 1
	levelWarn  = 2
	levelError = 3
)

// engine is the loaded policy, kept between calls.
type engine struct {
	verifier *core.Verifier
	summary  []byte
}

var (
	current *engine
	// faultHook lets the fault-injection build (faults_wasip1.go) act on
	// special tokens. nil in the real module.
	faultHook func(token string)
)

// loadSummary is the result of a successful load. The host reads
// max_token_bytes to refuse larger tokens before copying them in.
type loadSummary struct {
	ABI           int      `json:"abi"`
	Integrations  []string `json:"integrations"`
	MaxTokenBytes int      `json:"max_token_bytes"`
	OneTimeUse    bool     `json:"one_time_use"`
}

// policyError is core.PolicyError on the wire: the first problem, and the
// others in more (a host that knows only the first reads only that).
type policyError struct {
	File        string        `json:"file"`
	Integration string        `json:"integration,omitempty"`
	Field       string        `json:"field,omitempty"`
	Line        int           `json:"line,omitempty"`
	Column      int           `json:"column,omitempty"`
	Reason      string        `json:"reason"`
	More        []policyError `json:"more,omitempty"`
}

func wirePolicyError(pe *core.PolicyError) policyError {
	return policyError{File: pe.File, Integration: pe.Integration, Field: pe.Field, Line: pe.Line, Column: pe.Column, Reason: pe.Reason}
}

// guard turns a panic into statusPanic, leaving the module usable.
func guard(op string, status *int32, out *[]byte) {
	if p := recover(); p != nil {
		msg := fmt.Sprintf("%s: guest panic: %v", op, p)
		logf(levelError, "%s", msg)
		*status, *out = statusPanic, []byte(msg)
	}
}

// load parses policy (with no file or environment access) and makes it the
// current one. A policy that fails leaves the previous one in place.
func load(name string, policy []byte) (status int32, out []byte) {
	defer guard("load", &status, &out)
	p, err := core.ParsePolicy(name, policy, core.LoadOptions{})
	if err != nil {
		var list core.PolicyErrors
		if errors.As(err, &list) && len(list) > 0 {
			w := wirePolicyError(list[0])
			for _, pe := range list[1:] {
				w.More = append(w.More, wirePolicyError(pe))
			}
			b, _ := json.Marshal(w)
			return statusPolicyError, b
		}
		return statusError, []byte(err.Error())
	}
	if urls := p.JWKSURLs(); len(urls) > 0 {
		return statusError, []byte(fmt.Sprintf("%s: the policy names jwks_url %s, but the wasm engine has no network: inline the keys (jwks, pem or secret)", name, strings.Join(urls, ", ")))
	}
	v, err := core.NewVerifier(p, core.Config{Replay: hostReplay{}})
	if err != nil {
		return statusError, []byte(err.Error())
	}
	sum := loadSummary{ABI: abiVersion, Integrations: p.Integrations(), MaxTokenBytes: p.MaxTokenBytes(), OneTimeUse: p.OneTimeUse()}
	b, err := json.Marshal(sum)
	if err != nil {
		return statusError, []byte(err.Error())
	}
	current = &engine{verifier: v, summary: b}
	logf(levelInfo, "policy %s loaded: %d integrations", name, len(sum.Integrations))
	return statusOK, b
}

// verify verifies one token against the current policy.
func verify(token, redirectParam, integration string, now time.Time, flags uint32) (status int32, out []byte) {
	defer guard("verify", &status, &out)
	if current == nil {
		return statusError, []byte("no policy is loaded")
	}
	if faultHook != nil {
		faultHook(token)
	}
	d := current.verifier.Verify(context.Background(), core.Request{
		Token: token, Now: now, Explain: flags&flagExplain != 0,
		RedirectParam: redirectParam, Integration: integration,
	})
	return statusOK, d.JSON()
}

// hostReplay is the host's replay store, reached through the
// jwtgate_host.replay_claim import.
type hostReplay struct{}

// Claim implements core.ReplayStore.
func (hostReplay) Claim(_ context.Context, id string, expiry, now time.Time) (bool, error) {
	var msg [256]byte
	r := replayClaim(id, expiry.Unix(), int32(expiry.Nanosecond()), now.Unix(), int32(now.Nanosecond()), msg[:])
	switch {
	case r == 1:
		return true, nil
	case r == 0:
		return false, nil
	}
	n := min(int(-r-1), len(msg))
	return false, errors.New(string(msg[:n]))
}

func logf(level int32, format string, args ...any) {
	hostLog(level, fmt.Sprintf(format, args...))
}
