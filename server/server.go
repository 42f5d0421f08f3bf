package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/edge"
	"github.com/jwtgate/jwtgate/jwks"
	"github.com/jwtgate/jwtgate/store"
)

// EngineFactory builds the engine of one loaded configuration:
// *core.Verifier natively (NativeEngine), or the wasm plugin
// (wasm/host.Plugin.Load). file and
// data are the configuration file's name and bytes, policy the core's
// parse of them, and cfg the replay store and key source the engine must
// use. An engine that implements io.Closer is closed a while after a
// reload replaced it.
type EngineFactory func(ctx context.Context, file string, data []byte, policy *core.Policy, cfg core.Config) (core.Engine, error)

// NativeEngine is the default EngineFactory: the core's own verifier.
func NativeEngine(_ context.Context, _ string, _ []byte, policy *core.Policy, cfg core.Config) (core.Engine, error) {
	v, err := core.NewVerifier(policy, cfg)
	if err != nil {
		return nil, err // not a nil *Verifier in a non-nil core.Engine
	}
	return v, nil
}

// Options configure a Server. Only ConfigFile is required.
type Options struct {
	// ConfigFile is the configuration: the core's policy and the service
	// section, in one YAML file.
	ConfigFile string
	// DataDir holds the SQLite file (unless another store is given) and
	// the signing keys, in DataDir/signing. Default ".jwtgate".
	DataDir string
	// StoreDSN overrides the configuration's service.store.
	StoreDSN string
	// Store, when set, is used instead of opening one; Close leaves it open.
	Store store.Store
	// PublicURL is the issuer of jwtgate's own tokens when the
	// configuration sets no service.public_url: an http(s) URL, without a
	// query. Default http://127.0.0.1:8080.
	PublicURL string
	// Logger receives JSON logs. Default: discard.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// HTTPClient makes the outgoing calls (jwks_url, remote validation,
	// group resolvers). Default: a client that follows no redirects.
	HTTPClient *http.Client
	// NewEngine builds the verifier of each configuration. Default NativeEngine.
	NewEngine EngineFactory
	// WatchInterval is how often Run checks the configuration file for
	// changes. Default 1s; negative disables watching.
	WatchInterval time.Duration
	// ShutdownTimeout bounds the wait for requests in flight when Run's
	// context ends. Default 10s.
	ShutdownTimeout time.Duration
	// StoreTimeout bounds every store call. Default 5s.
	StoreTimeout time.Duration
}

// HTTP limits.
const (
	// otherHeaderBytes is what a request may carry beside its tokens (see
	// headerLimit and bodyLimit).
	otherHeaderBytes = 16 << 10
	// Failed admin token attempts: a burst of adminBurst per client, then
	// one per adminRetryEvery; adminClients bounds the clients tracked.
	adminBurst      = 10
	adminRetryEvery = 6 * time.Second
	adminClients    = 10_000
	// maxSmallBodyBytes bounds the bodies of the other endpoints.
	maxSmallBodyBytes = 64 << 10
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	engineCloseDelay  = time.Minute
)

// Server is jwtgate serve. Build it with New, serve Handler (or Run), and
// Close it.
type Server struct {
	opts     Options
	log      *slog.Logger
	now      func() time.Time
	client   *http.Client
	store    store.Store
	ownStore bool
	// admin keeps the stored integrations, tenants and admin credentials;
	// nil when the store given in Options does not (the admin API is off).
	admin store.Admin
	// storeKick asks followStore to read the stored integrations now.
	storeKick chan struct{}
	// shadowJobs are the tokens waiting for a draft's judgement; tallies
	// the counts not yet flushed to the store.
	shadowJobs chan shadowJob
	tallies    shadowTallies
	// compiled are the stored revisions the last build compiled, kept for
	// the next (guarded by reloadMu); nativeEngine says the engine reads
	// the policy alone, not the configuration's bytes.
	compiled     map[compileKey]compiledStored
	nativeEngine bool
	// guarded makes the connections of stored integrations (egress.go).
	guarded   http.RoundTripper
	keys      *keyring
	own       *ownTokens // verifies the keyring's tokens
	metrics   *metrics
	publicURL string
	// publicOrigin is the public URL's origin: the requests of jwtgate's
	// own pages are same-origin.
	publicOrigin string
	handler      http.Handler

	cur      atomic.Pointer[config]
	reloadMu sync.Mutex
	fetch    fetchState // guarded by reloadMu
	badHash  [32]byte   // the last refused file, logged once; guarded by reloadMu
	// watchWait, when set before Run, replaces the watcher's ticker (tests
	// drive the file checks with it): it returns false when ctx ends.
	watchWait func(ctx context.Context) bool

	adminFailures *failureLimiter
	tracing       *tracing // nil: tracing is off

	ctx    context.Context // ends at Close: background work
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type fetchState struct {
	urls        []string
	discoveries []core.Discovery
	fetcher     *jwks.Fetcher
	cancel      context.CancelFunc
}

// New loads the configuration, opens the store and the signing keys, and
// returns a server ready to serve. A configuration error names the file
// and the field.
func New(ctx context.Context, o Options) (*Server, error) {
	if o.ConfigFile == "" {
		return nil, errors.New("no configuration file")
	}
	native := o.NewEngine == nil
	o.setDefaults()
	s := &Server{nativeEngine: native, opts: o, log: o.Logger, now: o.Now, client: o.HTTPClient, metrics: newMetrics(),
		storeKick: make(chan struct{}, 1), guarded: guardedTransport(), shadowJobs: make(chan shadowJob, shadowQueue),
		adminFailures: newFailureLimiter(adminBurst, adminRetryEvery, adminClients)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.metrics.registerCacheMetrics(func() core.Engine {
		if c := s.cur.Load(); c != nil {
			return c.engine
		}
		return nil
	})

	// The store comes first: the engine uses it as its replay store.
	data, policy, err := readConfig(o.ConfigFile)
	if err != nil {
		s.cancel()
		return nil, err
	}
	pre, err := parseService(o.ConfigFile, data, policy, fileReader(o.ConfigFile), lookupEnv)
	if err != nil {
		s.cancel()
		return nil, err
	}
	fallback := strings.TrimRight(o.PublicURL, "/")
	if pre.tls != nil {
		// Served over TLS: a fallback http:// URL (the listener's) is https.
		fallback = strings.Replace(fallback, "http://", "https://", 1)
	}
	s.publicURL = cmp.Or(pre.publicURL, fallback)
	if err := checkPublicURL(s.publicURL); err != nil {
		s.cancel()
		return nil, fmt.Errorf("public URL: %w", err) // the options' (the file's is checked)
	}
	if s.tracing, err = newTracing(ctx, pre.tracing, lookupEnv, s.log); err != nil {
		s.cancel()
		return nil, err
	}
	if err := s.openStore(ctx, pre.store); err != nil {
		s.Close() // the tracing's exporter too
		return nil, err
	}
	if u, err := url.Parse(s.publicURL); err == nil {
		s.publicOrigin, _ = parseOrigin(u.Scheme + "://" + u.Host)
	}
	retain := max(pre.sessionTTL, pre.accessTokenTTL) + 5*time.Minute
	s.keys = newKeyring(filepath.Join(o.DataDir, "signing"), pre.signingAlg, pre.rotateEvery, retain)
	if err := s.keys.maintain(s.now()); err != nil {
		s.Close()
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	if s.own, err = newOwnTokens(s.publicURL, s.keys, s.now); err != nil {
		s.Close()
		return nil, fmt.Errorf("jwtgate's own tokens: %w", err)
	}
	s.reloadMu.Lock()
	c, err := s.assemble(ctx, o.ConfigFile, data, nil)
	s.reloadMu.Unlock()
	if err != nil {
		s.Close()
		return nil, err
	}
	s.cur.Store(c)
	policy = c.policy
	s.metrics.setIntegrations(policy.Integrations())
	s.metrics.reg.MustRegister(keyStatusCollector{s})
	s.handler = s.routes()
	if s.admin != nil {
		s.wg.Go(func() { s.followStore(s.ctx) })
		s.wg.Go(func() { s.runShadow(s.ctx) })
	}
	s.log.Info("configuration accepted", "config", o.ConfigFile, "event", "start", "integrations", c.filePolicy.Integrations(), "stored", len(c.storedParts),
		"public_url", s.publicURL, "signing_algorithm", pre.signingAlg)
	return s, nil
}

// setDefaults fills the options left unset.
func (o *Options) setDefaults() {
	o.DataDir = cmp.Or(o.DataDir, ".jwtgate")
	o.PublicURL = cmp.Or(o.PublicURL, "http://127.0.0.1:8080")
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.NewEngine == nil {
		o.NewEngine = NativeEngine
	}
	if o.WatchInterval == 0 {
		o.WatchInterval = time.Second
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	if o.StoreTimeout <= 0 {
		o.StoreTimeout = defaultStoreTimeout
	}
}

// openStore opens the store: the options', else the one the options'
// StoreDSN, the configuration's service.store or the data directory's
// SQLite file names, bounded by StoreTimeout.
func (s *Server) openStore(ctx context.Context, configured string) error {
	st := s.opts.Store
	if st == nil {
		dsn := cmp.Or(s.opts.StoreDSN, configured, "sqlite:"+filepath.Join(s.opts.DataDir, "jwtgate.db"))
		if file, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
			if err := mkdirFor(file); err != nil {
				return fmt.Errorf("data directory: %w", err)
			}
		}
		var err error
		if st, err = store.Open(ctx, dsn); err != nil {
			return err // "store: …", an ErrInvalidDSN for a DSN of the wrong form
		}
		s.ownStore = true
	}
	s.admin, _ = st.(store.Admin)
	s.store = &boundedStore{st: st, timeout: s.opts.StoreTimeout, metrics: s.metrics, tracer: s.tracing.storeTracer()}
	return nil
}

// Handler returns the HTTP handler of every endpoint.
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves on ln until ctx ends, then stops accepting connections and
// waits up to Options.ShutdownTimeout for the requests in flight. Meanwhile
// it maintains the signing keys and reloads the configuration file when it
// changes. (jwks_url key sets are refreshed in the background from New to
// Close, Run or not.)
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    headerLimit(s.cur.Load().policy),
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	bg, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	if s.opts.WatchInterval > 0 {
		wg.Go(func() { s.watch(bg, s.opts.WatchInterval) })
	}
	wg.Go(func() { s.maintainKeys(bg) })
	done := make(chan error, 1)
	if s.TLS() {
		srv.TLSConfig = s.tlsServerConfig()
		go func() { done <- srv.ServeTLS(ln, "", "") }() // h2 and http/1.1
	} else {
		go func() { done <- srv.Serve(ln) }()
	}
	s.log.Info("listening", "addr", ln.Addr().String())
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		s.log.Info("shutting down", "timeout", s.opts.ShutdownTimeout.String())
		sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
		err = srv.Shutdown(sctx)
		cancel()
		if serr := <-done; err == nil && !errors.Is(serr, http.ErrServerClosed) {
			err = serr
		}
	}
	stop()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// headerLimit bounds a request's headers for a policy: the largest token
// it accepts, twice (a bearer token and a session cookie), and the other
// headers. A policy reloaded with a larger max_token_bytes gets its new
// limit at the next restart.
func headerLimit(p *core.Policy) int {
	return 2*p.MaxTokenBytes() + otherHeaderBytes
}

// bodyLimit bounds a request body carrying one token (a sign-in's form or
// JSON, the token tester's, the token exchange's).
func bodyLimit(p *core.Policy) int64 {
	return int64(p.MaxTokenBytes() + otherHeaderBytes)
}

// maintainKeys rotates the signing keys on time (they are also rotated on
// use), and picks up keys another instance made in a shared folder.
func (s *Server) maintainKeys(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.keys.maintain(s.now()); err != nil {
				s.log.Error("signing keys", "error", err.Error())
			}
		}
	}
}

// Close stops background work, closes the store it opened and flushes the
// spans not yet exported.
func (s *Server) Close() error {
	s.cancel()
	s.reloadMu.Lock()
	if s.fetch.cancel != nil {
		s.fetch.cancel()
	}
	s.reloadMu.Unlock()
	s.wg.Wait()
	if c := s.cur.Load(); c != nil {
		c.closeResolvers()
	}
	var err error
	if s.ownStore && s.store != nil {
		err = s.store.Close()
	}
	// Last: the spans of everything above are flushed.
	return errors.Join(err, s.tracing.shutdown(s.opts.ShutdownTimeout))
}

// endpoint wraps a handler with the latency histogram, the in-flight
// gauge and a panic guard.
func (s *Server) endpoint(name string, h http.HandlerFunc) http.Handler {
	latency := s.metrics.latencyOf(name)
	h = s.tracing.traced(name, h) // the request's server span, when tracing is on
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inflight.Inc()
		defer func() {
			s.metrics.inflight.Dec()
			latency.Observe(time.Since(start).Seconds())
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "endpoint", name, "panic", fmt.Sprint(p))
				writeError(w, http.StatusInternalServerError, "internal_error", "Internal error")
			}
		}()
		h(w, r)
	})
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/verify", s.endpoint("verify", s.handleVerify))
	mux.Handle("/v1/authz", s.endpoint("authz", s.handleAuthz))
	mux.Handle("GET /auth/jwt", s.endpoint("signin", s.handleSignIn))
	mux.Handle("POST /auth/jwt", s.endpoint("signin", s.handleSignIn))
	mux.Handle("OPTIONS /auth/jwt", s.endpoint("signin", s.preflight("GET, POST")))
	mux.Handle("OPTIONS /v1/session", s.endpoint("session", s.preflight("GET")))
	mux.Handle("OPTIONS /auth/logout", s.endpoint("logout", s.preflight("POST")))
	mux.Handle("GET /auth/callback/{integration}", s.endpoint("callback", s.handleCallback))
	mux.Handle("GET /v1/session", s.endpoint("session", s.handleSession))
	mux.Handle("POST /auth/logout", s.endpoint("logout", s.handleLogout))
	mux.Handle("POST /oauth2/token", s.endpoint("token", s.handleToken))
	mux.Handle("GET /.well-known/jwks.json", s.endpoint("jwks", s.handleJWKS))
	mux.Handle("POST /v1/integrations/{name}/test", s.endpoint("tester", s.handleTester))
	mux.Handle("GET /healthz", s.endpoint("healthz", s.handleHealthz))
	mux.Handle("GET /readyz", s.endpoint("readyz", s.handleReadyz))
	mux.Handle("GET /metrics", s.endpoint("metrics", s.metrics.handler.ServeHTTP))
	s.adminRoutes(mux)
	s.consoleRoutes(mux)
	known := map[string]string{
		"/v1/verify": "POST", "/auth/jwt": "GET, POST, OPTIONS", "/v1/session": "GET, OPTIONS", "/auth/logout": "POST, OPTIONS",
		"/oauth2/token": "POST", "/.well-known/jwks.json": "GET", "/healthz": "GET", "/readyz": "GET", "/metrics": "GET",
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allow, ok := known[r.URL.Path]; ok {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed")
			return
		}
		writeError(w, http.StatusNotFound, "not_found", "Not found")
	})
	// Envoy's check request is the original request behind /v1/authz/:
	// the mux would clean that path and redirect, so it goes to forward
	// auth as sent, which judges the spelling itself.
	authz := s.endpoint("authz", s.handleAuthz)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.EscapedPath(), authzPrefix) {
			authz.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz: ready when this instance can serve: the configuration is
// loaded and the store answers. One integration's failing jwks_url does
// not take the instance out of a load balancer (every other integration
// verifies); the key status of each integration is in ?verbose and in
// the jwtgate_integration_keys metric.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	body := map[string]any{"status": "ready", "store": "ok", "config": "loaded"}
	status := http.StatusOK
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.metrics.storeError("ping")
		s.log.Warn("store not reachable", "error", err.Error())
		body["store"], body["status"], status = "unavailable", "not_ready", http.StatusServiceUnavailable
	}
	if _, verbose := r.URL.Query()["verbose"]; verbose {
		body["keys"] = s.keyStatus()
	}
	writeJSON(w, status, body)
}

// writeError is every error answer of the JSON endpoints: a fixed code
// and message, never a reason (edge.ErrorBody, as the proxy filter's).
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, edge.ErrorBody(code, message))
}

// refuse answers a refusal worded by edge: its challenge, if any, and its
// error body.
func refuse(w http.ResponseWriter, r edge.Refusal) {
	if r.Challenge != "" {
		w.Header().Set("WWW-Authenticate", r.Challenge)
	}
	writeError(w, r.Status, r.Code, r.Message)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	var data []byte
	switch b := body.(type) {
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(body); err != nil {
			status, data = http.StatusInternalServerError, []byte(`{"error":"internal_error","message":"Internal error"}`)
		}
	}
	// The header values in one allocation, each a slice of its own (full,
	// so that an append elsewhere copies); the names are canonical.
	v := &[...]string{"application/json", "no-store", "nosniff"}
	h := w.Header()
	h["Content-Type"] = v[0:1:1]
	if h.Get("Cache-Control") == "" {
		h["Cache-Control"] = v[1:2:2]
	}
	h["X-Content-Type-Options"] = v[2:3:3]
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// bearerToken returns the token of a single "Authorization: Bearer TOKEN"
// header (edge's default source; the scheme is case-insensitive, RFC 6750
// section 2.1). present reports whether any Authorization header was sent.
func bearerToken(r *http.Request) (tok string, present, ok bool) {
	c := edge.Sources{}.Extract(r.Header, "")
	return c.Token, c.Sent, c.Sent && c.Malformed == ""
}

// drain reads and discards a bounded part of a body nobody uses, so that
// the connection can be reused.
func drain(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxSmallBodyBytes))
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}
