//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"syscall/js"

	"github.com/jwtgate/jwtgate/core"
)

// apiVersion is the version of the interface between this module and
// jwtgate.js; jwtgate.js refuses a module of another version.
const apiVersion = 1

// main hands the API to JavaScript and then waits for calls forever.
// jwtgate.js passes the name of a one-time global function as the first
// argument (go.argv); main calls it with the API object. Every function
// of the API answers {ok: …} or {error: {…}} and never lets a Go panic
// reach JavaScript; jwtgate.js turns errors into thrown Errors. load and
// close answer at once; verify answers with a promise, since the
// signature check it waits for (WebCrypto's) is one.
func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "jwtgate: load this module with jwtgate.js")
		os.Exit(2)
	}
	ready := js.Global().Get(os.Args[1])
	if ready.Type() != js.TypeFunction {
		fmt.Fprintf(os.Stderr, "jwtgate: no function %q to hand the API to\n", os.Args[1])
		os.Exit(2)
	}
	e := newEngine()
	api := js.Global().Get("Object").New()
	api.Set("apiVersion", apiVersion)
	api.Set("goVersion", runtime.Version())
	api.Set("load", export(e.jsLoad))
	api.Set("verify", exportAsync(e.jsVerify))
	api.Set("close", export(e.jsClose))
	ready.Invoke(api)
	select {}
}

// export wraps fn as a JavaScript function that returns {ok: result} or
// {error: {name, message, …}}.
func export(fn func(args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any { return answer(fn, args) })
}

// exportAsync is export for a function that waits on JavaScript promises:
// it returns a promise of the answer. fn runs on a goroutine of its own,
// since a function called from JavaScript that blocks holds up the event
// loop, and with it the promise it waits for (syscall/js.FuncOf).
func exportAsync(fn func(args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		var resolve js.Value
		executor := js.FuncOf(func(_ js.Value, a []js.Value) any {
			resolve = a[0]
			return nil
		})
		defer executor.Release()
		promise := js.Global().Get("Promise").New(executor) // runs executor now
		go func() { resolve.Invoke(answer(fn, args)) }()
		return promise
	})
}

// answer calls fn and wraps its result or error, recovering any panic.
func answer(fn func(args []js.Value) (any, error), args []js.Value) (ret any) {
	defer func() {
		if p := recover(); p != nil {
			ret = errorObject(fmt.Errorf("jwtgate: internal error: %v", p))
		}
	}()
	v, err := fn(args)
	if err != nil {
		return errorObject(err)
	}
	return map[string]any{"ok": v}
}

func errorObject(err error) map[string]any {
	e := map[string]any{"name": "Error", "message": err.Error()}
	var ue *usageError
	var pe *core.PolicyError
	switch {
	case errors.As(err, &ue):
		e["name"] = ue.kind
	case errors.As(err, &pe):
		e["name"] = "PolicyError"
		for k, v := range policyErrorObject(pe) {
			e[k] = v
		}
		var list core.PolicyErrors
		errors.As(err, &list)
		problems := make([]any, len(list))
		for i, p := range list {
			problems[i] = policyErrorObject(p)
		}
		e["problems"] = problems
	}
	return map[string]any{"error": e}
}

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

func stringArg(args []js.Value, i int, what string) (string, error) {
	v := arg(args, i)
	if v.Type() != js.TypeString {
		return "", usage("TypeError", "jwtgate: %s must be a string, found %s", what, v.Type())
	}
	return v.String(), nil
}

func optionalString(args []js.Value, i int, what string) (string, error) {
	if v := arg(args, i); v.IsUndefined() || v.IsNull() {
		return "", nil
	}
	return stringArg(args, i, what)
}

func handleArg(args []js.Value) (int, error) {
	v := arg(args, 0)
	if v.Type() != js.TypeNumber || v.Float() != math.Trunc(v.Float()) || v.Float() < 1 || v.Float() > 1<<31 {
		return 0, usage("TypeError", "jwtgate: not a policy handle")
	}
	return v.Int(), nil
}

// jsLoad(name, text, provider, check, cache) loads a policy.
// provider(url, kid) returns the JWK set text for url, or {error:
// message}. check(alg, jwk, input, signature), when given, checks a
// signature (see webCrypto); without it the module checks them itself.
// cache, when true, puts the decision cache in front of the verifier.
func (e *engine) jsLoad(args []js.Value) (any, error) {
	name, err := stringArg(args, 0, "the policy's name")
	if err != nil {
		return nil, err
	}
	text, err := stringArg(args, 1, "the policy")
	if err != nil {
		return nil, err
	}
	var provider KeyProvider
	switch p := arg(args, 2); p.Type() {
	case js.TypeFunction:
		provider = jsProvider(p)
	case js.TypeUndefined, js.TypeNull:
	default:
		return nil, usage("TypeError", "jwtgate: the key provider must be a function, found %s", p.Type())
	}
	var checker core.SignatureChecker
	switch c := arg(args, 3); c.Type() {
	case js.TypeFunction:
		checker = webCrypto{check: c}
	case js.TypeUndefined, js.TypeNull:
	default:
		return nil, usage("TypeError", "jwtgate: the signature check must be a function, found %s", c.Type())
	}
	r, err := e.load(name, text, provider, checker, arg(args, 4).Truthy())
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"handle":       r.Handle,
		"integrations": anyList(r.Integrations),
		"jwks_urls":    anyList(r.JWKSURLs),
		"one_time_use": r.OneTimeUse,
	}, nil
}

func anyList(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// jsProvider calls the JavaScript key provider synchronously. It answers
// from the cache jwtgate.js filled before calling verify; a thrown
// exception is an error, not a panic.
func jsProvider(fn js.Value) KeyProvider {
	return func(url, kid string) (text string, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("the key provider failed: %v", p)
			}
		}()
		v := fn.Invoke(url, kid)
		switch v.Type() {
		case js.TypeString:
			return v.String(), nil
		case js.TypeObject:
			if m := v.Get("error"); m.Type() == js.TypeString {
				return "", errors.New(m.String())
			}
		}
		return "", errors.New("no key set was fetched")
	}
}

// jsVerify(handle, token, now, explain, redirect, integration, keyEpoch)
// returns the decision JSON string. now is Unix seconds (a number, possibly
// fractional); keyEpoch counts the page's key set changes (see gate).
func (e *engine) jsVerify(args []js.Value) (any, error) {
	h, err := handleArg(args)
	if err != nil {
		return nil, err
	}
	var a verifyArgs
	if a.Token, err = stringArg(args, 1, "the token"); err != nil {
		return nil, err
	}
	now := arg(args, 2)
	if now.Type() != js.TypeNumber {
		return nil, usage("TypeError", "jwtgate: now must be a number of Unix seconds, found %s", now.Type())
	}
	if a.Now, err = nowFromSeconds(now.Float()); err != nil {
		return nil, err
	}
	a.Explain = arg(args, 3).Truthy()
	if a.Redirect, err = optionalString(args, 4, "redirect"); err != nil {
		return nil, err
	}
	if a.Integration, err = optionalString(args, 5, "integration"); err != nil {
		return nil, err
	}
	if epoch := arg(args, 6); epoch.Type() == js.TypeNumber && epoch.Float() >= 0 && epoch.Float() <= 1<<53 {
		a.KeyEpoch = uint64(epoch.Float())
	}
	b, err := e.verify(h, a)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func (e *engine) jsClose(args []js.Value) (any, error) {
	h, err := handleArg(args)
	if err != nil {
		return nil, err
	}
	e.close(h)
	return nil, nil
}

// policyErrorObject is one problem of a refused policy, for JavaScript.
func policyErrorObject(pe *core.PolicyError) map[string]any {
	return map[string]any{
		"file": pe.File, "integration": pe.Integration, "field": pe.Field,
		"line": pe.Line, "column": pe.Column, "reason": pe.Reason,
	}
}
