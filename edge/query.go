package edge

import (
	"net/url"
	"strings"
)

// queryValues returns every value of the query parameter name in a
// request target, decoded. bad reports a value of that name that does not
// decode (a malformed escape); a key that does not decode is not name.
func queryValues(target, name string) (vals []string, bad bool) {
	_, q, ok := strings.Cut(target, "?")
	if !ok {
		return nil, false
	}
	for pair := range strings.SplitSeq(q, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if key, err := url.QueryUnescape(k); err != nil || key != name {
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, true
		}
		vals = append(vals, val)
	}
	return vals, false
}

// RedirectParam is the redirect target passed beside a token in a request
// target: its redirect_url query parameter, else its go parameter (the
// first value of each; "" when neither holds one). The core checks it
// against the integration's redirect rules (core.Request.RedirectParam).
func RedirectParam(target string) string {
	for _, name := range []string{"redirect_url", "go"} {
		if vals, bad := queryValues(target, name); !bad && len(vals) > 0 && vals[0] != "" {
			return vals[0]
		}
	}
	return ""
}
