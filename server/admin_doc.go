package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/jwtgate/jwtgate/core"
)

// maxDocBytes bounds an integration document in an admin request.
const maxDocBytes = 256 << 10

// errFilesRefused is what the loader is told when a stored integration
// names a file or an environment variable: those are the operator's
// machine, not a tenant's to read.
var errFilesRefused = errors.New("an integration stored through the admin API cannot read files or environment variables: give the value inline")

// decodeDoc reads an integration document strictly: unknown members and
// trailing data are refused, the policy must be an object without name or
// tenant (the URL gives them).
func decodeDoc(raw []byte) (integrationDoc, []fieldProblem) {
	var doc integrationDoc
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return doc, []fieldProblem{{Field: "", Reason: "want a JSON object {\"policy\": {…}, \"service\": {…}}: " + err.Error()}}
	}
	if _, err := dec.Token(); err != io.EOF {
		return doc, []fieldProblem{{Field: "", Reason: "want one JSON object, found more after it"}}
	}
	var policy map[string]json.RawMessage
	if err := json.Unmarshal(doc.Policy, &policy); err != nil || policy == nil {
		return doc, []fieldProblem{{Field: "policy", Reason: "want an object with the fields of one entry of the policy's integrations"}}
	}
	var probs []fieldProblem
	for _, f := range []string{"name", "tenant"} {
		if _, ok := policy[f]; ok {
			probs = append(probs, fieldProblem{Field: "policy." + f, Reason: "set by the URL (/v1/admin/tenants/{tenant}/integrations/{name}); leave it out"})
		}
	}
	if len(doc.Service) > 0 && string(doc.Service) != "null" {
		var svc map[string]json.RawMessage
		if err := json.Unmarshal(doc.Service, &svc); err != nil || svc == nil {
			probs = append(probs, fieldProblem{Field: "service", Reason: "want an object with the fields of service.integrations.NAME"})
		}
	}
	return doc, probs
}

// checkDoc checks a document alone with the loader of the configuration
// file (the same rules, the same reasons; files and environment variables
// refused; the session bounds of the file's service section), as a build
// compiles it; the fields are named as in a stored document:
// policy.keys[0].secret, service.remote_validation.url.
func checkDoc(c *config, tenant, name string, doc integrationDoc) (compiledStored, []fieldProblem) {
	cs := compileStored(c, tenant, name, doc)
	probs := fieldProblems(cs.err, policyName(tenant, name), true, nil)
	if cs.err != nil && len(probs) == 0 {
		probs = []fieldProblem{{Reason: fmt.Sprint(cs.err)}}
	}
	return cs, probs
}

func refuseFiles(string) ([]byte, error) { return nil, errFilesRefused }
func refuseEnv(string) (string, bool)    { return "", false }

// checkWithOthers checks a compiled document beside every other
// integration served, the file's and the store's, as the next build joins
// them: a taken issuer or name is found here. A tenant admin may not
// learn another integration's name: its reason is replaced by a neutral
// one.
func checkWithOthers(c *config, publicURL string, tenant, name string, cs compiledStored, operator bool) []fieldProblem {
	full := policyName(tenant, name)
	if info, _ := cs.policy.Integration(full); info.Issuer == cmp.Or(c.publicURL, publicURL) {
		return []fieldProblem{{Field: "policy.issuer", Reason: "the issuer of jwtgate's own tokens (service.public_url) cannot be an integration's"}}
	}
	parts := []*core.Policy{c.filePolicy}
	for _, other := range slices.Sorted(maps.Keys(c.storedParts)) {
		if other != full {
			parts = append(parts, c.storedParts[other])
		}
	}
	_, err := core.JoinPolicies(append(parts, cs.policy)...)
	hide := func(string) string { return "conflicts with another integration (its issuer or name is taken)" }
	if operator {
		hide = nil
	}
	return fieldProblems(err, full, false, hide)
}

// fieldProblems returns the problems of the loader's error that are the
// integration full's (and, when unnamed, those of no integration: the
// document's syntax), named as a stored document's fields; rewrite, when
// set, replaces a reason that names another integration. Problems of
// other integrations are left out: they are theirs.
func fieldProblems(err error, full string, unnamed bool, rewrite func(string) string) []fieldProblem {
	if err == nil {
		return nil
	}
	var out []fieldProblem
	for _, e := range leaves(err) {
		var pe *core.PolicyError
		var ce *configError
		var p fieldProblem
		switch {
		case errors.As(e, &pe) && (pe.Integration == full || unnamed && pe.Integration == ""):
			p = fieldProblem{Field: strings.TrimSuffix("policy."+pe.Field, "."), Reason: pe.Reason}
		case errors.As(e, &ce) && strings.HasPrefix(ce.field+".", "service.integrations."+full+"."):
			rest := strings.TrimPrefix(ce.field, "service.integrations."+full)
			p = fieldProblem{Field: "service" + rest, Reason: ce.reason}
		default:
			continue
		}
		if rewrite != nil && strings.Contains(p.Reason, "integration \"") {
			p.Reason = rewrite(p.Reason)
		}
		out = append(out, p)
	}
	return out
}
