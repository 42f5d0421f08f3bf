package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/yamlconfig"
)

// compiledStored is a stored integration loaded alone, as a write checks
// it and a build uses it: a policy of that one integration and its
// service settings. Builds keep it while its revision and the file's
// service section are the same, so that a change to one integration
// parses that one alone, however many are stored.
type compiledStored struct {
	policy   *core.Policy
	settings *integ
	origins  map[string]bool
	// err is the loader's refusal (core.PolicyErrors, *configError);
	// nil when loaded.
	err error
}

// compileKey names a compiled revision: its integration, its number and
// the service section it was checked against (its session bounds).
type compileKey struct {
	name     string
	revision int64
	service  [32]byte
}

// compileStored loads one stored document with the configuration file's
// loader: core.ParsePolicy of the entry (files and environment variables
// refused), then its service settings, checked within the file's service
// section (c: the session's bounds) as the file's own are.
func compileStored(c *config, tenant, name string, doc integrationDoc) compiledStored {
	full := policyName(tenant, name)
	label := "integration " + tenant + "/" + name
	policy, err := core.ParsePolicy(label, singleEntry(full, tenant, doc.Policy), core.LoadOptions{Discovery: true})
	if err != nil {
		return compiledStored{err: err}
	}
	in, origins, err := storedSettings(c, label, full, doc.Service, policy)
	return compiledStored{policy: policy, settings: in, origins: origins, err: err}
}

// singleEntry is a policy document of one integration: the stored entry
// with its name and tenant put first (decodeDoc refused them in it).
func singleEntry(full, tenant string, policy json.RawMessage) []byte {
	var b bytes.Buffer
	b.WriteString(`{"integrations":[{"name":`)
	n, _ := json.Marshal(full)
	t, _ := json.Marshal(tenant)
	b.Write(n)
	b.WriteString(`,"tenant":`)
	b.Write(t)
	if body := bytes.TrimSpace(policy); len(body) > 2 {
		b.WriteByte(',')
		b.Write(body[1:]) // the object's members and its closing brace
	} else {
		b.WriteByte('}')
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// storedSettings checks a stored integration's service settings as
// serviceParser checks a file's service.integrations.NAME, the fields
// named alike.
func storedSettings(c *config, label, full string, raw json.RawMessage, policy *core.Policy) (*integ, map[string]bool, error) {
	info, _ := policy.Integration(full)
	in := &integ{IntegrationInfo: info}
	if len(raw) == 0 || string(raw) == "null" {
		return in, nil, nil
	}
	field := "service.integrations." + full
	p := &serviceParser{file: label, readFile: refuseFiles, lookupEnv: refuseEnv}
	node, err := yamlconfig.ParseJSON(raw)
	if err != nil {
		return nil, nil, &configError{file: label, field: field, reason: "want an object"}
	}
	var set integrationSettings
	lines, err := (yamlconfig.Decoder{Path: field, Where: "in " + field}).Decode(node, &set)
	if err != nil {
		return nil, nil, decodeErrors(label, err)
	}
	p.lines = lines
	if set.LDAP != nil {
		// A resolver holds connections and a cache across builds, and its
		// bind password and CA would be files: the file's to configure.
		p.fail(field+".ldap", "an LDAP group resolver is configured in the configuration file, not through the admin API")
		set.LDAP = nil
	}
	tc := &config{policy: policy, sessionTTL: c.sessionTTL, sameSite: c.sameSite, origins: map[string]bool{}, integrations: map[string]*integ{full: in}}
	p.integration(tc, in, field, set)
	if len(p.problems) > 0 {
		return nil, nil, errors.Join(p.problems...)
	}
	return in, tc.origins, nil
}

// serviceKey is what a compiled revision depends on in the file: its
// service section's session bounds.
func serviceKey(c *config) [32]byte {
	b, _ := json.Marshal([]any{c.sessionTTL, c.sameSite})
	return sha256.Sum256(b)
}
