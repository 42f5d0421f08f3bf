package server

import (
	"net/http"
	"time"
)

// jwksPath is where jwtgate publishes its own keys.
const jwksPath = "/.well-known/jwks.json"

// publish returns the published JWK set.
func (k *keyring) publish(now time.Time) ([]byte, error) {
	if err := k.ensureFresh(now); err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.jwks, nil
}

// handleJWKS is GET /.well-known/jwks.json: the current key, the next one
// (published before it signs) and the previous ones whose tokens may still
// be live.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	set, err := s.keys.publish(s.now())
	if err != nil {
		s.log.Error("signing keys", "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Service temporarily unavailable")
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, set)
}
