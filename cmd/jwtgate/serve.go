package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

// HTTP limits of serve.
const (
	// maxHeaderBytes admits the largest token a policy may allow
	// (core.MaxTokenBytesLimit) plus the other headers.
	maxHeaderBytes = core.MaxTokenBytesLimit + 16<<10
	// maxBodyBytes bounds the request body, which is read and ignored.
	maxBodyBytes      = 64 << 10
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = 60 * time.Second
	shutdownTimeout   = 10 * time.Second
)

func runServe(ctx context.Context, args []string, stderr io.Writer) int {
	fset := newFlagSet("serve", stderr)
	config := fset.String("config", "", "policy file (YAML or JSON); required")
	listen := fset.String("listen", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage: jwtgate serve --config FILE [--listen ADDR]\n\nServes POST /v1/verify (token in Authorization: Bearer) and GET /healthz.\n\nFlags:\n")
		fset.PrintDefaults()
	}
	pos, code, ok := parseFlags(fset, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(fset, stderr, "unexpected argument %q", pos[0])
	}
	if *config == "" {
		return usageError(fset, stderr, "--config is required")
	}
	v, err := newVerifier(*config)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: %v\n", err)
		return exitUsage
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: %v\n", err)
		return exitRejected
	}
	srv := &http.Server{
		Handler:           newServeHandler(v, logger, time.Now),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "jwtgate: listening on http://%s\n", ln.Addr())
	logger.Info("listening", "addr", ln.Addr().String(), "config", *config, "integrations", v.Policy().Integrations())

	select {
	case err := <-done:
		fmt.Fprintf(stderr, "jwtgate: %v\n", err)
		return exitRejected
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "jwtgate: shutdown: %v\n", err)
		return exitRejected
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "jwtgate: %v\n", err)
		return exitRejected
	}
	return exitOK
}

// verifyResponse is the 200 answer of POST /v1/verify: the remote-validation
// contracts of Okera (sub) and Okto (user_id) in one object.
type verifyResponse struct {
	Sub         string   `json:"sub"`
	UserID      string   `json:"user_id"`
	Tenant      string   `json:"tenant"`
	Groups      []string `json:"groups"`
	Integration string   `json:"integration"`
}

// errorResponse is every non-200 answer: a taxonomy code and its fixed
// message, never the reason.
type errorResponse struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// newServeHandler returns the HTTP API of serve:
//
//	POST /v1/verify  Authorization: Bearer TOKEN  → 200 verifyResponse | 401 errorResponse
//	GET  /healthz                                 → 200 {"status":"ok"}
//
// Rejections are logged with their reason and a short SHA-256 prefix of the
// token, never the token.
func newServeHandler(v *core.Verifier, logger *slog.Logger, now func() time.Time) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/verify", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, errorResponse{Error: "method_not_allowed", Message: "Method not allowed"})
			return
		}
		// The body carries nothing; read a bounded amount so that the
		// connection can be reused.
		io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxBodyBytes))

		tok, ok := bearerToken(r.Header.Values("Authorization"))
		if !ok {
			logger.Warn("token rejected", "code", core.CodeInvalidToken, "reason", "missing or malformed Authorization: Bearer header", "remote", r.RemoteAddr)
			unauthorized(w, core.CodeInvalidToken)
			return
		}
		d := v.Verify(r.Context(), core.Request{Token: tok, Now: now()})
		if !d.Valid {
			logger.Warn("token rejected", "code", d.Code, "reason", d.Reason, "integration", d.Integration, "token_sha256", tokenHash(tok), "remote", r.RemoteAddr)
			unauthorized(w, d.Code)
			return
		}
		logger.Info("token accepted", "integration", d.Integration, "subject", d.Subject, "token_sha256", tokenHash(tok), "remote", r.RemoteAddr)
		groups := d.Groups
		if groups == nil {
			groups = []string{}
		}
		writeJSON(w, http.StatusOK, verifyResponse{Sub: d.Subject, UserID: d.Subject, Tenant: d.Tenant, Groups: groups, Integration: d.Integration})
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, errorResponse{Error: "method_not_allowed", Message: "Method not allowed"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorResponse{Error: "not_found", Message: "Not found"})
	})
	return mux
}

// bearerToken returns the token of a single "Authorization: Bearer TOKEN"
// header (the scheme is case-insensitive, RFC 6750 section 2.1).
func bearerToken(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}

func unauthorized(w http.ResponseWriter, code core.Code) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeJSON(w, http.StatusUnauthorized, errorResponse{Error: string(code), Message: code.Message()})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"error":"internal","message":"Internal error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// tokenHash identifies a token in logs without revealing it: the first 16
// hex digits of its SHA-256.
func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:8])
}
