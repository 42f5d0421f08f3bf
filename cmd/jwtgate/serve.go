package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/server"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/wasm/host"
)

const serveUsage = `Usage: jwtgate serve --config FILE [--listen ADDR] [--data-dir DIR] [--store DSN] [--log-level LEVEL] [--engine native|wasm] [--module FILE]

Serves the verifying side of the seed products (see docs/serve.md):
  POST /v1/verify, GET /v1/authz, GET|POST /auth/jwt, GET /auth/callback/{integration},
  GET /v1/session, POST /auth/logout, POST /oauth2/token, GET /.well-known/jwks.json,
  POST /v1/integrations/{name}/test, GET /healthz, GET /readyz, GET /metrics.

The configuration file is the policy, with the service settings in its
"service:" section. It is reloaded on SIGHUP and when it changes; a file that
does not load is refused and the previous configuration keeps serving.
With --engine wasm, tokens are verified by the sandboxed policy plugin, its
jwks_url key sets fetched by the server as natively; the module is read once
at start (a reload changes the policy, not the module).

Flags:
`

// serveFlags are serve's flags, checked.
type serveFlags struct {
	config, listen, dataDir, dsn string
	level                        slog.Level
	loginLink                    bool
	engine                       engineFlags
}

// parseServeFlags parses and checks serve's flags; not ok means exit with
// code.
func parseServeFlags(args []string, stderr io.Writer) (f serveFlags, code int, ok bool) {
	fset := newFlagSet("serve", serveUsage, stderr)
	config := fset.String("config", "", "configuration file (policy and service section, YAML); required")
	listen := fset.String("listen", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	dataDir := fset.String("data-dir", ".jwtgate", "folder of the SQLite store and of jwtgate's signing keys")
	dsn := fset.String("store", "", `store DSN, overriding service.store: "sqlite:PATH" or "postgres://…"`)
	logLevel := fset.String("log-level", "info", "the least severe log lines written: debug, info, warn or error")
	loginLink := fset.Bool("login-link", false, "print a one-time link that signs the admin console (/admin/) in as the operator")
	engine := addEngineFlags(fset)
	if code, ok := parseFlagsOnly(fset, stderr, args); !ok {
		return f, code, false
	}
	if *config == "" {
		return f, usageError(fset, stderr, "--config is required"), false
	}
	if err := engine.check(); err != nil {
		return f, usageError(fset, stderr, "%v", err), false
	}
	level, ok := logLevels[strings.ToLower(*logLevel)]
	if !ok {
		return f, usageError(fset, stderr, "--log-level: want debug, info, warn or error, found %q", *logLevel), false
	}
	if *dsn != "" {
		if err := store.CheckDSN(*dsn); err != nil {
			return f, usageError(fset, stderr, "--store: %v", err), false
		}
	}
	return serveFlags{config: *config, listen: *listen, dataDir: *dataDir, dsn: *dsn, level: level, engine: engine, loginLink: *loginLink}, 0, true
}

// runServe parses the flags of serve and wires the server: the listener,
// the signals (SIGINT/SIGTERM shut down gracefully, SIGHUP reloads) and
// the logs (JSON on stderr).
func runServe(ctx context.Context, args []string, stderr io.Writer) int {
	f, code, ok := parseServeFlags(args, stderr)
	if !ok {
		return code
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: f.level}))
	newEngine, plugin, err := f.engine.engineFactory(ctx, func(msg string) { logger.Info(msg) })
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: %v\n", err)
		return exitUsage
	}
	if plugin != nil {
		logger.Info("wasm engine", "module", plugin.Path, "custom", plugin.Custom)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: %v\n", err)
		return exitRejected
	}
	defer ln.Close()
	srv, err := server.New(ctx, server.Options{
		ConfigFile: f.config, DataDir: f.dataDir, StoreDSN: f.dsn,
		PublicURL: "http://" + ln.Addr().String(), Logger: logger, NewEngine: newEngine,
	})
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: %v\n", err)
		if isConfigError(err) {
			return exitUsage
		}
		return exitRejected
	}
	defer srv.Close()
	defer reloadOnHUP(ctx, srv, logger)()

	scheme := "http"
	if srv.TLS() {
		scheme = "https"
	}
	fmt.Fprintf(stderr, "jwtgate: listening on %s://%s\n", scheme, ln.Addr())
	if f.loginLink {
		link, expires, err := srv.LoginLink(ctx, "")
		if err != nil {
			fmt.Fprintf(stderr, "jwtgate: no console login link: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "jwtgate: admin console: %s (one-time, until %s)\n", link, expires.Format(time.Kitchen))
		}
	}
	if err := srv.Run(ctx, ln); err != nil {
		fmt.Fprintf(stderr, "jwtgate: %v\n", err)
		return exitRejected
	}
	return exitOK
}

// reloadOnHUP reloads srv's configuration on each SIGHUP until ctx ends or
// the returned stop is called.
func reloadOnHUP(ctx context.Context, srv *server.Server, logger *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				logger.Info("SIGHUP: reloading the configuration")
				srv.Reload() // a refused file is logged; the old one keeps serving
			}
		}
	}()
	return func() { signal.Stop(hup) }
}

// logLevels are the values of serve --log-level.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// isConfigError reports an error of the configuration (exit 2), as
// opposed to a runtime failure such as a store that cannot be reached.
func isConfigError(err error) bool {
	var pe *core.PolicyError
	return errors.As(err, &pe) || errors.Is(err, server.ErrConfig) ||
		errors.Is(err, store.ErrInvalidDSN) || host.IsModuleError(err)
}
