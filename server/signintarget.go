package server

import (
	"net/url"
	"path"
	"strings"
)

// signInTarget is where a signed-in browser goes: the identity's redirect
// (the core checked the claim and the parameter against the integration's
// allowed domains), or, for an integration without a redirect section, the
// parameter when it is a same-site path; else the integration's
// default_redirect, else "/".
func signInTarget(ig *integ, id *identity, param string) string {
	if id.redirect != "" {
		return id.redirect
	}
	if ig != nil && !ig.HasRedirect && safeRelative(param) {
		return param
	}
	if ig != nil && ig.defaultRedirect != "" {
		return ig.defaultRedirect
	}
	return "/"
}

// onboardingTarget is where a sign-in goes instead of signInTarget's
// target, or "": the integration's onboarding_redirect (checked at load as
// default_redirect is) when the sign-in created the subject and its token
// asked for onboarding (Acadio's onboard: true). Without an
// onboarding_redirect the sign-in goes on as any other.
func onboardingTarget(ig *integ, id *identity, created bool) string {
	if ig == nil || !created || !id.onboard {
		return ""
	}
	return ig.onboardingRedirect
}

// safeRelative reports whether target is a same-site path: one "/" followed
// by something other than "/" or "\", also after percent-decoding, with no
// control characters, spaces, backslashes or non-ASCII, at most 2048 bytes,
// and no dot segments or repeated slashes, spelled plainly or encoded. The
// last rule also means net/http's Redirect, which cleans such paths, sends
// the target unchanged: a JSON answer naming the target and the Location
// header agree.
func safeRelative(target string) bool {
	if len(target) == 0 || len(target) > 2048 || target[0] != '/' {
		return false
	}
	for i := 0; i < len(target); i++ {
		c := target[i]
		if c <= 0x20 || c >= 0x7f || c == '\\' {
			return false
		}
	}
	dec, err := url.PathUnescape(target)
	if err != nil {
		return false
	}
	for _, s := range []string{target, dec} {
		if len(s) > 1 && (s[1] == '/' || s[1] == '\\') {
			return false
		}
		if strings.ContainsAny(s, "\\\x00") {
			return false
		}
		if p, _, _ := strings.Cut(s, "?"); p != path.Clean(p) && p != path.Clean(p)+"/" {
			return false
		}
	}
	u, err := url.Parse(target)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}
