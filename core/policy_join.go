package core

import "fmt"

// identities keeps a policy's integrations unique as they are added: a
// name, an issuer and a discovery document belong to one integration
// each. Parsing and joining check them alike.
type identities struct {
	names     map[string]bool
	issuers   map[string]string
	documents map[string]string
}

func newIdentities() *identities {
	return &identities{names: map[string]bool{}, issuers: map[string]string{}, documents: map[string]string{}}
}

// clash is one field of an integration taken by another.
type clash struct{ field, reason string }

// claim records an integration's name (when checkName), issuer (when
// checkIssuer) and discovery document (url, "" for none), and returns
// those another integration holds already; label names the integration
// in the reasons.
func (ids *identities) claim(label, name, issuer, url string, checkName, checkIssuer bool) []clash {
	var out []clash
	if checkName {
		if ids.names[name] {
			out = append(out, clash{"name", "duplicate integration name"})
		}
		ids.names[name] = true
	}
	if checkIssuer {
		if other, ok := ids.issuers[issuer]; ok {
			out = append(out, clash{"issuer", fmt.Sprintf("issuer %q is already used by integration %q", issuer, other)})
		} else {
			ids.issuers[issuer] = label
		}
	}
	if url != "" {
		// "https://a" and "https://a/" share a document, which can name one.
		if other, ok := ids.documents[url]; ok {
			out = append(out, clash{"issuer", fmt.Sprintf("its discovery document %s is integration %q's too; only one issuer can match it", url, other)})
		} else {
			ids.documents[url] = label
		}
	}
	return out
}

// add puts a checked integration in the policy.
func (p *Policy) add(in *integration) {
	p.byName[in.name] = in
	p.byIssuer[in.issuer] = in
	p.integrations = append(p.integrations, in)
	p.maxToken = max(p.maxToken, in.maxTokenBytes)
}

// JoinPolicies returns one policy of the integrations of parts, in order,
// as if one file had listed them all: names, issuers and discovery
// documents must be unique across them. An integration that clashes with
// one before it is left out and reported: the policy holds every other,
// and the error (PolicyErrors, each naming the integration and the field
// at fault) says which were left out, so that a host can keep serving
// the others. The parts are not changed; the joined policy shares their
// compiled integrations, which are immutable.
func JoinPolicies(parts ...*Policy) (*Policy, error) {
	n := 0
	for _, part := range parts {
		n += len(part.integrations)
	}
	p := &Policy{byIssuer: make(map[string]*integration, n), byName: make(map[string]*integration, n), integrations: make([]*integration, 0, n)}
	ids := newIdentities()
	var errs PolicyErrors
	for _, part := range parts {
		for _, in := range part.integrations {
			url := ""
			if in.discovery != nil {
				url = in.discovery.URL
			}
			clashes := ids.claim(in.name, in.name, in.issuer, url, true, true)
			for _, c := range clashes {
				errs = append(errs, &PolicyError{Integration: in.name, Field: c.field, Reason: c.reason})
			}
			if len(clashes) == 0 {
				p.add(in)
			}
		}
	}
	if len(errs) > 0 {
		return p, errs
	}
	return p, nil
}
