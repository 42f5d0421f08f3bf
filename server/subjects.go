package server

import (
	"context"

	"github.com/jwtgate/jwtgate/store"
)

// upsertSubject creates or updates the subject of a verified identity.
// Groups, roles and the synced claims follow Acadio's rule: a claim
// present (even empty) replaces the stored list, an absent one (nil, or
// not in id.synced) leaves it alone.
func (s *Server) upsertSubject(ctx context.Context, id *identity) (bool, error) {
	p := id.profile()
	sub := store.Subject{
		Tenant: id.tenant, ID: id.subject, Integration: id.integration,
		Email: p.email, Name: p.name, Groups: id.groups, Roles: id.roles, Metadata: p.metadata,
		Synced: id.synced,
	}
	_, created, err := s.store.UpsertSubject(ctx, sub, s.now())
	if err != nil {
		s.metrics.storeError("upsert_subject")
		s.log.Error("store", "op", "upsert_subject", "error", err.Error())
		return false, err
	}
	return created, nil
}
