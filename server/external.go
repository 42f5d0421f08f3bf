package server

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/remote"
)

// verifyExternal verifies a token minted by an integration's system: the
// integration's remote validation endpoint first, when it has one (a
// refusal or a failure falls through), then the keys, through the engine.
// The core decides either way. An identity without a groups claim gets its
// groups from the integration's resolvers, when it has some (the decision
// keeps what the token said).
func (s *Server) verifyExternal(ctx context.Context, c *config, req core.Request) (*identity, *refusal) {
	d := s.validateRemotely(ctx, c, req)
	if d == nil {
		d = c.engine.Verify(ctx, req)
	}
	s.offerShadow(c, req, d)
	if !d.Valid {
		return nil, refusalOf(d)
	}
	id := externalIdentity(d)
	if in := c.integrations[id.integration]; id.groups == nil && in != nil {
		id.groups = s.resolveGroups(ctx, in, id.subject)
	}
	return id, nil
}

// validateRemotely asks the remote validation endpoint of the integration
// the core routes the token to (the one req names, if any), and has the
// core judge its answer. nil: there is no endpoint, or it refused the
// token or failed, and the keys decide.
func (s *Server) validateRemotely(ctx context.Context, c *config, req core.Request) *core.Decision {
	if !c.remoteValidation {
		return nil // routing the token would parse its payload for nothing
	}
	info, ok := c.policy.Route(req.Token)
	if !ok || (req.Integration != "" && info.Name != req.Integration) {
		return nil
	}
	in := c.integrations[info.Name]
	if in == nil || in.validator == nil {
		return nil
	}
	res, err := in.validator.Validate(ctx, req.Token)
	switch {
	case err == nil:
		s.metrics.remoteCalls.WithLabelValues("validation", "ok").Inc()
		return c.vouch(ctx, in, req, res)
	case errors.Is(err, remote.ErrRejected):
		s.metrics.remoteCalls.WithLabelValues("validation", "rejected").Inc()
		s.log.Info("remote validation refused the token; trying the keys", "integration", in.Name, tokenHashAttr(req.Token))
	default:
		s.metrics.remoteCalls.WithLabelValues("validation", "error").Inc()
		s.log.Warn("remote validation unavailable; trying the keys", "integration", in.Name, "error", err.Error(), tokenHashAttr(req.Token))
	}
	return nil
}

// vouch has the core judge a token that in's remote validation endpoint
// accepted: the endpoint's answer laid over the token's payload goes
// through the same claims stage as a token verified with keys.
func (c *config) vouch(ctx context.Context, in *integ, req core.Request, res remote.Result) *core.Decision {
	answer, err := json.Marshal(res.Claims)
	if err != nil {
		answer = nil
	}
	req.Integration = in.Name
	return c.vouched.VerifyVouched(ctx, req, core.Vouched{Subject: res.Subject, Claims: answer})
}

// resolveGroups finds the groups of a subject whose token has no groups
// claim, in Okera's order: the integration's LDAP directory, else (none,
// or it failed) its group resolver endpoint. An empty list means none (a
// user the directory does not know has none); nil means unknown: no
// resolver, or every one failed, so that no group requirement is met.
func (s *Server) resolveGroups(ctx context.Context, in *integ, subject string) []string {
	if in.ldap != nil {
		groups, err := in.ldap.Groups(ctx, subject)
		if err == nil {
			s.metrics.remoteCalls.WithLabelValues("ldap", "ok").Inc()
			return groups
		}
		s.metrics.remoteCalls.WithLabelValues("ldap", "error").Inc()
		s.log.Warn("LDAP group resolver unavailable", "integration", in.Name, "error", err.Error(), "fallback", in.resolver != nil)
	}
	if in.resolver == nil {
		return nil
	}
	groups, err := in.resolver.Groups(ctx, subject)
	if err != nil {
		s.metrics.remoteCalls.WithLabelValues("groups", "error").Inc()
		s.log.Warn("group resolver unavailable; the groups stay unknown", "integration", in.Name, "error", err.Error())
		return nil
	}
	s.metrics.remoteCalls.WithLabelValues("groups", "ok").Inc()
	if groups == nil {
		groups = []string{}
	}
	return groups
}
