package server

import (
	"context"
	"net/http"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// resealTimeout bounds POST /v1/admin/reseal, which reads and may write
// every revision ever stored.
const resealTimeout = 10 * time.Minute

// handleAdminReseal is POST /v1/admin/reseal (operator): every stored
// revision's document, old ones included, sealed with the current secrets
// key, after a rotation (service.previous_secrets_key_files) or once a key
// is configured where documents were stored in the clear. Then the
// previous keys can be dropped. A document no configured key opens is
// counted and left as it is.
func (s *Server) handleAdminReseal(w http.ResponseWriter, r *http.Request) {
	who, ok := s.operator(w, r)
	if !ok {
		return
	}
	c := s.cur.Load()
	if c.secrets == nil {
		writeProblem(w, http.StatusUnprocessableEntity, "secrets_key_required", "No secrets key is configured (service.secrets_key_file) to seal with")
		return
	}
	var unreadable int64
	ctx, cancel := context.WithTimeout(r.Context(), resealTimeout)
	defer cancel()
	n, err := s.admin.ResealDocs(ctx, func(rev store.Revision) ([]byte, bool, error) {
		plain, current, err := c.secrets.openAs(rev)
		switch {
		case err != nil:
			unreadable++
			return nil, false, nil
		case current:
			return nil, false, nil
		}
		return c.secrets.seal(rev.Tenant, rev.Name, plain), true, nil
	})
	if err != nil {
		s.storeProblem(w, err, "")
		return
	}
	s.audit(r, adminRequest{who: who}, "secrets.reseal", "", map[string]any{"resealed": n, "unreadable": unreadable})
	writeJSON(w, http.StatusOK, map[string]any{"resealed": n, "unreadable": unreadable})
}
