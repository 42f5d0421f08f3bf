package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/jwtgate/jwtgate/store"
)

// credentialPrefix starts every admin credential jwtgate issues, so that
// a leaked one is recognised by secret scanners and never mistaken for a
// JWT.
const credentialPrefix = "jwtgate_adm_"

// principal is who calls the admin API: the operator (the admin token)
// for everything, or a tenant's admin for that tenant alone.
type principal struct {
	operator bool
	tenant   string
	// actor names the caller in revisions and the audit log: "operator",
	// or "credential ID (label)"; never the secret.
	actor string
}

// may reports whether the principal may see and change tenant's data.
func (p principal) may(tenant string) bool { return p.operator || p.tenant == tenant }

// adminCaller returns the caller of an admin request, or writes the
// refusal. Failed attempts are limited per client as the token tester's
// are; a client certificate is required where service.tls.client_ca_file
// asks for one.
func (s *Server) adminCaller(w http.ResponseWriter, r *http.Request) (principal, bool) {
	c := s.cur.Load()
	if s.admin == nil {
		writeProblem(w, http.StatusNotFound, "not_found", "The admin API needs a store that keeps integrations")
		return principal{}, false
	}
	if clientCertMissing(c, r) {
		writeProblem(w, http.StatusForbidden, "forbidden", "A client certificate is required")
		return principal{}, false
	}
	client, now := clientOf(r.RemoteAddr), s.now()
	if !s.adminFailures.allow(client, now) {
		w.Header().Set("Retry-After", strconv.Itoa(int(adminRetryEvery.Seconds())))
		writeProblem(w, http.StatusTooManyRequests, "too_many_requests", "Too many failed attempts; try again later")
		return principal{}, false
	}
	tok, _, ok := bearerToken(r)
	if ok && c.adminDigest != nil && subtle.ConstantTimeCompare(digest(tok), c.adminDigest) == 1 {
		return principal{operator: true, actor: "operator"}, true
	}
	if ok && strings.HasPrefix(tok, credentialPrefix) {
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.StoreTimeout)
		cred, err := s.admin.LookupCredential(ctx, digest(tok), now)
		cancel()
		switch {
		case err == nil:
			return credentialPrincipal(cred), true
		case !errors.Is(err, store.ErrNotFound):
			s.metrics.storeError("lookup_credential")
			writeProblem(w, http.StatusServiceUnavailable, "unavailable", "The store is unavailable; try again")
			return principal{}, false
		}
	}
	s.adminFailures.fail(client, now)
	s.log.Warn("admin API: credential refused", "remote", r.RemoteAddr)
	w.Header().Set("WWW-Authenticate", `Bearer realm="jwtgate-admin"`)
	writeProblem(w, http.StatusUnauthorized, "unauthorized", "An operator token or a tenant admin credential is required")
	return principal{}, false
}

func credentialPrincipal(c store.Credential) principal {
	actor := "credential " + c.ID
	if c.Label != "" {
		actor += " (" + c.Label + ")"
	}
	return principal{operator: c.Tenant == "", tenant: c.Tenant, actor: actor}
}

// newCredential returns a fresh admin credential's secret and ID; the
// store keeps the secret's SHA-256 only.
func newCredential() (secret, id string) {
	b := make([]byte, 32)
	rand.Read(b)
	idb := make([]byte, 8)
	rand.Read(idb)
	return credentialPrefix + base64.RawURLEncoding.EncodeToString(b), hex.EncodeToString(idb)
}
