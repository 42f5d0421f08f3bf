package core

import "time"

// TimeWindow is when a valid decision holds: the token's time claims and
// its integration's clock skew and max_age, as the verifier checked them.
// A decision cache answers from an entry only while Contains(now) holds,
// and verifies afresh outside it, so that a cached answer is the one a
// fresh verification gives at that now, to the boundary instant. Its
// fields are exported so that a host whose engine runs elsewhere (a
// sandbox) can carry a window across its ABI.
type TimeWindow struct {
	// Exp, Nbf and Iat are the claims, in Unix seconds, each when Has*.
	Exp, Nbf, Iat          float64
	HasExp, HasNbf, HasIat bool
	// Skew and MaxAge are the integration's clock_skew and max_age.
	Skew, MaxAge time.Duration
}

// Contains reports whether every time check passes at now. It evaluates
// the very comparisons checkTimes makes, in the same float64 arithmetic:
// rewriting them (nbf-skew <= now rather than nbf <= now+skew, say) could
// round differently at the boundary.
func (w TimeWindow) Contains(now time.Time) bool {
	n := nowSeconds(now)
	skew := w.Skew.Seconds()
	switch {
	case now.IsZero(),
		w.HasExp && n > w.Exp+skew,
		!w.HasExp && w.MaxAge == 0,
		w.HasNbf && w.Nbf > n+skew,
		w.HasIat && w.Iat > n+skew,
		w.MaxAge > 0 && !w.HasIat:
		return false
	case w.MaxAge > 0:
		age := n - w.Iat
		return !(age > w.MaxAge.Seconds()+skew)
	}
	return true
}

// Window returns the time window of a valid decision, and false when the
// decision is rejected or its engine did not report one (then it must not
// be cached: nothing says when it stops holding).
func (d *Decision) Window() (TimeWindow, bool) {
	if d == nil || !d.Valid || !d.windowed {
		return TimeWindow{}, false
	}
	return d.window, true
}

// SetWindow gives a decision the window its engine reported: for a host
// whose engine runs elsewhere (a plugin in a sandbox) and hands over its
// decisions as JSON, which carries no window, so that a Cache in front of
// it can store them. A host sets only what the engine said: a wrong
// window makes a cache answer outside the token's validity.
func (d *Decision) SetWindow(w TimeWindow) {
	d.window, d.windowed = w, true
}

// windowOf is the window the checks of in gave a token of times t.
func windowOf(in *integration, t times) TimeWindow {
	return TimeWindow{
		Exp: t.exp, Nbf: t.nbf, Iat: t.iat, HasExp: t.hasExp, HasNbf: t.hasNbf, HasIat: t.hasIat,
		Skew: in.skew, MaxAge: in.maxAge,
	}
}

// nowSeconds is the current time as the time checks compare it.
func nowSeconds(now time.Time) float64 {
	return float64(now.Unix()) + float64(now.Nanosecond())/1e9
}
