package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/jwks"
	"github.com/jwtgate/jwtgate/policyfile"
)

var lookupEnv = os.LookupEnv

// readConfig reads the configuration file and parses its policy.
func readConfig(path string) ([]byte, *core.Policy, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return nil, nil, err
	}
	policy, err := parsePolicy(path, data)
	return data, policy, err
}

// readConfigFile reads the configuration file as the policy's files are
// read (policyfile.ReadFile): a regular file, bounded.
func readConfigFile(path string) ([]byte, error) {
	data, err := policyfile.ReadFile(path, policyfile.MaxFileBytes)
	if err != nil {
		return nil, &configError{file: path, reason: err.Error()}
	}
	return data, nil
}

// parsePolicy parses the policy of the configuration file as a library
// user's policyfile.Load would: the same files, the same bounds.
func parsePolicy(path string, data []byte) (*core.Policy, error) {
	return policyfile.Parse(path, data)
}

func mkdirFor(file string) error {
	return os.MkdirAll(filepath.Dir(file), 0o700)
}

// Reload reads the configuration file again (also when it did not change:
// the key files it names may have). A configuration that does not load is
// refused, logged, and the current one keeps serving.
func (s *Server) Reload() error {
	data, err := readConfigFile(s.opts.ConfigFile)
	if err != nil {
		s.refused(err)
		return err
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	return s.reloadLocked(data)
}

func (s *Server) refused(err error) {
	s.metrics.reloads.WithLabelValues("error").Inc()
	s.log.Error("configuration refused; the previous one keeps serving", "config", s.opts.ConfigFile, "error", err.Error())
}

func (s *Server) reloadLocked(data []byte) error { return s.rebuildLocked(data, nil) }

// rebuildLocked builds a configuration from the file's bytes and the
// stored integrations (set; nil: read them from the store) and puts it in
// force; one that does not build is refused and the current one serves on.
func (s *Server) rebuildLocked(data []byte, set *storedSet) error {
	file := s.opts.ConfigFile
	c, err := s.assemble(s.ctx, file, data, set)
	if err != nil {
		// A file is refused once, until it changes; a store that could not
		// record it is the store's fault: the watcher tries again.
		if !errors.Is(err, errSync) && set == nil {
			s.badHash = sha256.Sum256(data)
		}
		s.refused(err)
		return err
	}
	policy := c.policy
	old := s.cur.Swap(c)
	s.metrics.setIntegrations(policy.Integrations())
	s.metrics.reloads.WithLabelValues("ok").Inc()
	if old != nil {
		for _, f := range []struct {
			name     string
			was, now any
		}{
			{"service.store", old.store, c.store},
			{"service.public_url", old.publicURL, c.publicURL},
			{"service.signing.algorithm", old.signingAlg, c.signingAlg},
			{"service.signing.rotate_every", old.rotateEvery, c.rotateEvery},
			{"max_token_bytes (the request header limit)", headerLimit(old.policy), max(headerLimit(old.policy), headerLimit(c.policy))},
		} {
			if f.was != f.now {
				s.log.Warn("setting changed; it takes effect at the next restart", "field", f.name)
			}
		}
		s.closeLater(old)
	}
	s.badHash = [32]byte{} // a file refused before is tried again when it comes back
	s.log.Info("configuration accepted", "config", file, "event", "reload", "integrations", c.filePolicy.Integrations(), "stored", len(c.storedParts))
	return nil
}

// closeLater closes a replaced configuration's engines and LDAP
// connections once the requests that may still use them are done. The
// timers hold the closers alone, not the configuration: one of thousands
// of stored integrations is megabytes, and changes may come many a minute.
func (s *Server) closeLater(old *config) {
	closers := old.resolvers()
	for _, e := range []core.Engine{old.engine, old.tester} {
		if cache, ok := e.(*core.Cache); ok {
			e = cache.Engine() // the cache holds nothing to close, and its entries are dropped now
		}
		if c, ok := e.(io.Closer); ok {
			closers = append(closers, c)
		}
	}
	for _, c := range closers {
		time.AfterFunc(engineCloseDelay, func() { c.Close() })
	}
}

// closeEngines closes engines that never served.
func closeEngines(engines ...core.Engine) {
	for _, e := range engines {
		if c, ok := e.(io.Closer); ok {
			c.Close()
		}
	}
}

// errSync marks a configuration the store could not record.
var errSync = errors.New("the store could not record the configured integrations")

// syncIntegrations records the configured integrations in the store (see
// store.Store.SyncIntegrations).
func (s *Server) syncIntegrations(ctx context.Context, names []string) error {
	if err := s.store.SyncIntegrations(ctx, names); err != nil {
		s.metrics.storeError("sync_integrations")
		return fmt.Errorf("%w: %w", errSync, err)
	}
	return nil
}

// buildLocked makes the engines of a parsed configuration, with the key
// source for its jwks_url entries.
func (s *Server) buildLocked(ctx context.Context, file string, data []byte, policy *core.Policy, c *config) (*config, error) {
	if err := issuerClash(file, s.publicURL, c); err != nil {
		return nil, err // a public URL from the options; parseService checks the file's
	}
	// The key source: kept when the URLs and discovery entries did not
	// change, so that its cache survives the reload.
	transport := s.egressTransport(c)
	var fetcher *jwks.Fetcher
	fresh := false
	discoveries := sortedDiscoveries(policy)
	if len(c.jwksURLs) > 0 || len(discoveries) > 0 {
		if slices.Equal(c.jwksURLs, s.fetch.urls) && slices.EqualFunc(discoveries, s.fetch.discoveries, sameDiscovery) && s.fetch.fetcher != nil {
			fetcher = s.fetch.fetcher
		} else {
			fetcher = jwks.New(jwks.Options{
				URLs: c.jwksURLs, Discoveries: discoveries,
				Client: s.clientFor(transport, s.client.Timeout), Now: s.now, Logger: s.log, OnFetch: s.metrics.keyFetch,
				TracerProvider: s.tracing.provider(),
			})
			fresh = true
		}
	}
	cfg := core.Config{Replay: countingReplay{s}}
	if fetcher != nil {
		cfg.Keys = fetcher
	}
	engine, err := s.opts.NewEngine(ctx, file, data, policy, cfg)
	if err != nil {
		return nil, err
	}
	cached, err := s.withCache(engine, policy, c, fetcher)
	if err != nil {
		closeEngines(engine)
		return nil, err
	}
	engine = cached
	cfg.Replay = noReplay{}
	tester, err := s.opts.NewEngine(ctx, file, data, policy, cfg)
	if err != nil {
		closeEngines(engine)
		return nil, err
	}
	// The store learns which integrations are configured, so that the
	// sessions of a removed one die on every instance, even if it comes
	// back. Last, so that a configuration refused for any other reason
	// leaves the store alone; before the commit, so that one the store
	// could not record is refused as a whole.
	if err := s.syncIntegrations(ctx, policy.Integrations()); err != nil {
		closeEngines(engine, tester)
		return nil, err
	}
	c.engine, c.tester, c.fetcher = engine, tester, fetcher
	cfg.Replay = countingReplay{s}
	if c.vouched, err = core.NewVerifier(policy, cfg); err != nil {
		return nil, err
	}
	s.settleCookie(c)
	for _, in := range c.integrations {
		if in.validator != nil {
			in.validator.Client = s.clientFor(transport, in.validator.Timeout)
			in.validator.TracerProvider = s.tracing.provider()
			c.remoteValidation = true
		}
		if in.resolver != nil {
			in.resolver.Client = s.clientFor(transport, in.resolver.Timeout)
			in.resolver.TracerProvider = s.tracing.provider()
		}
		if in.ldap != nil {
			in.ldap = in.ldap.WithTracerProvider(s.tracing.provider())
		}
	}
	// Commit the key source: from here on the configuration is accepted.
	if fresh || fetcher == nil {
		if s.fetch.cancel != nil {
			s.fetch.cancel()
		}
		s.fetch = fetchState{}
		if fetcher != nil {
			fctx, cancel := context.WithCancel(s.ctx)
			s.fetch = fetchState{urls: c.jwksURLs, discoveries: discoveries, fetcher: fetcher, cancel: cancel}
			s.wg.Go(func() { fetcher.Run(fctx) })
		}
	}
	return c, nil
}

// sortedDiscoveries returns the policy's discovery entries by URL, so that
// a reload that only reorders integrations keeps the fetcher.
func sortedDiscoveries(p *core.Policy) []core.Discovery {
	d := p.Discoveries()
	slices.SortFunc(d, func(a, b core.Discovery) int { return strings.Compare(a.URL, b.URL) })
	return d
}

func sameDiscovery(a, b core.Discovery) bool {
	return a.URL == b.URL && a.Issuer == b.Issuer && slices.Equal(a.JWKSHosts, b.JWKSHosts)
}

// clientFor is the server's client with the given transport (the
// configuration's egress) and timeout.
func (s *Server) clientFor(t http.RoundTripper, d time.Duration) *http.Client {
	return &http.Client{Transport: t, CheckRedirect: s.client.CheckRedirect, Jar: s.client.Jar, Timeout: d}
}

// watch reloads the configuration when the file's content changes,
// checking every interval; a file refused once is not retried until it
// changes again.
func (s *Server) watch(ctx context.Context, every time.Duration) {
	wait := s.watchWait
	if wait == nil {
		t := time.NewTicker(every)
		defer t.Stop()
		wait = func(ctx context.Context) bool {
			select {
			case <-ctx.Done():
				return false
			case <-t.C:
				return true
			}
		}
	}
	for {
		if !wait(ctx) {
			return
		}
		// The content's hash decides: it catches what the size and the
		// modification time miss (a rewrite within the timestamp's
		// resolution), and the file is small.
		data, err := policyfile.ReadFile(s.opts.ConfigFile, policyfile.MaxFileBytes)
		if err != nil {
			// A file being replaced, or one refused: logged once, like a
			// broken one, and the old configuration serves on.
			s.reloadMu.Lock()
			if sum := sha256.Sum256([]byte(err.Error())); sum != s.badHash {
				s.badHash = sum
				s.refused(&configError{file: s.opts.ConfigFile, reason: err.Error()})
			}
			s.reloadMu.Unlock()
			continue
		}
		sum := sha256.Sum256(data)
		s.reloadMu.Lock()
		switch cur := s.cur.Load(); {
		case sum != cur.hash && sum != s.badHash:
			s.log.Info("configuration file changed", "config", s.opts.ConfigFile)
			s.reloadLocked(data)
		case sum == cur.hash && s.badHash != [32]byte{}:
			// Back to the configuration serving after a refusal: nothing
			// to reload, but the operator who saw the refusal is told.
			s.badHash = [32]byte{}
			s.log.Info("configuration accepted", "config", s.opts.ConfigFile, "event", "restored", "integrations", cur.filePolicy.Integrations(), "stored", len(cur.storedParts))
		}
		s.reloadMu.Unlock()
	}
}

// countingReplay is the store as the engine's replay store, counting its
// failures.
type countingReplay struct{ s *Server }

func (r countingReplay) Claim(ctx context.Context, id string, expiry, now time.Time) (bool, error) {
	fresh, err := r.s.store.Claim(ctx, id, expiry, now)
	if err != nil {
		r.s.metrics.storeError("claim")
		r.s.log.Error("store", "op", "claim", "error", err.Error())
	}
	return fresh, err
}

// noReplay is the token tester's replay store: it never consumes a jti.
type noReplay struct{}

func (noReplay) Claim(context.Context, string, time.Time, time.Time) (bool, error) { return true, nil }
