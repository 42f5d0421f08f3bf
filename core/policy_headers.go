package core

import (
	"slices"
	"strings"
)

// HeaderNames returns the header names of every integration's
// claim-to-header mapping (its headers), in lower case, sorted, each once.
// Only a verifier may set them: hosts remove them from every client
// request, verified or not.
func (p *Policy) HeaderNames() []string {
	var out []string
	for _, in := range p.integrations {
		for _, h := range in.headers {
			out = append(out, strings.ToLower(h.header))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
