// Package server is jwtgate serve: the verifying side of the seed products
// as one HTTP service. It verifies tokens (remote validation first, then
// keys), answers forward-authentication requests of nginx, Traefik and
// Envoy, signs users in with a session cookie, exchanges external tokens
// for its own (RFC 8693) and publishes its keys, keeping its state in a
// store shared by every instance. docs/serve.md describes the endpoints,
// docs/configuration.md the service section of the configuration file.
//
// A Go application serves it on a listener of its own, or mounts its
// handler beside its own routes:
//
//	srv, err := server.New(ctx, server.Options{ConfigFile: "/etc/jwtgate/jwtgate.yaml"})
//	if err != nil { /* server.ErrConfig or a *core.PolicyError (errors.Is, errors.As): the file's fault */ }
//	defer srv.Close()
//	mux.Handle("/v1/", srv.Handler()) // or: srv.Run(ctx, listener), which also reloads the file
package server
