package core

import (
	"errors"
	"strconv"

	"github.com/jwtgate/jwtgate/core/internal/jsonscan"
)

// ParseDecision reads a decision from its JSON (Decision.JSON), as a
// plugin's host receives it from the guest: with the core's strict scanner,
// where encoding/json's reflection cost the host as much as the core's
// whole verification of an HMAC token. Members it does not know are
// ignored, as encoding/json ignores them; a member of the wrong type, a
// duplicate member or invalid JSON is an error. The claims stay a part of
// data, which must not change while the decision is in use.
func ParseDecision(data []byte) (*Decision, error) {
	// The claims nest one level below the decision, the trace two.
	obj, err := jsonscan.ParseObject(data, jsonscan.Limits{MaxDepth: maxJSONDepth + 1, MaxMembers: 1 << 20})
	if err != nil {
		return nil, err
	}
	d := &Decision{}
	for _, m := range obj.Members {
		if err := d.setMember(m.Name, m.Value); err != nil {
			return nil, errors.New("decision member " + strconv.Quote(m.Name) + ": " + err.Error())
		}
	}
	return d, nil
}

// setMember sets the field of the decision's member name.
func (d *Decision) setMember(name string, v []byte) (err error) {
	switch name {
	case "valid":
		d.Valid, err = jsonscan.Bool(v)
	case "code":
		var s string
		s, err = jsonscan.String(v)
		d.Code = Code(s)
	case "expires_at":
		d.ExpiresAt, err = strconv.ParseInt(string(v), 10, 64)
	case "claims":
		if jsonscan.Kind(v) != "object" {
			return errors.New("not an object")
		}
		// Valid JSON, read strictly with the rest: JSON need not check it again.
		d.Claims, d.ownedClaims = v, v
	case "audience", "groups", "roles", "permissions":
		var list []string
		list, err = jsonscan.StringArray(v)
		*d.listField(name) = list
	case "headers":
		d.Headers, err = stringMap(v)
	case "trace":
		d.Trace, err = parseTrace(v)
	default:
		if f := d.stringField(name); f != nil {
			*f, err = jsonscan.String(v)
		}
	}
	return err
}

func (d *Decision) listField(name string) *[]string {
	switch name {
	case "audience":
		return &d.Audience
	case "groups":
		return &d.Groups
	case "roles":
		return &d.Roles
	}
	return &d.Permissions
}

// stringField is the string field of member name, nil for a member the
// decision does not have.
func (d *Decision) stringField(name string) *string {
	switch name {
	case "message":
		return &d.Message
	case "reason":
		return &d.Reason
	case "integration":
		return &d.Integration
	case "tenant":
		return &d.Tenant
	case "issuer":
		return &d.Issuer
	case "subject":
		return &d.Subject
	case "redirect":
		return &d.Redirect
	}
	return nil
}

// stringMap reads an object whose members are all strings.
func stringMap(v []byte) (map[string]string, error) {
	obj, err := jsonscan.ParseObject(v, jsonscan.Limits{MaxDepth: 1, MaxMembers: 1 << 16})
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(obj.Members))
	for _, mb := range obj.Members {
		if m[mb.Name], err = jsonscan.String(mb.Value); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// parseTrace reads the trace's steps.
func parseTrace(v []byte) ([]Step, error) {
	raws, err := jsonscan.ObjectArray(v)
	if err != nil {
		return nil, err
	}
	steps := make([]Step, len(raws))
	for i, raw := range raws {
		m, err := stringMap(raw)
		if err != nil {
			return nil, err
		}
		steps[i] = Step{Name: m["step"], Outcome: m["outcome"], Detail: m["detail"]}
	}
	return steps, nil
}
