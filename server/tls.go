package server

import (
	"bytes"
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"sync"
	"time"
)

// service.tls: jwtgate serve speaking HTTPS itself (HTTP/2, TLS 1.2 and
// later, Go's default cipher suites, which hold no weak ones), its
// certificate taken again from the files when they change, so that a
// certificate rotated on disk is in use without a restart.

type tlsConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile, when set, makes the token tester (the admin token's
	// endpoint) require a client certificate issued by one of these CAs,
	// beside the admin token: mutual TLS. Other endpoints do not ask.
	ClientCAFile string `yaml:"client_ca_file"`
}

// tlsRecheckEvery is how often a handshake looks at the files again.
var tlsRecheckEvery = 10 * time.Second

// certSource is the serving certificate of a configuration: the files
// read again at most every tlsRecheckEvery, the last good pair kept when
// a rotation is half-written or broken.
type certSource struct {
	read              func(string) ([]byte, error)
	certFile, keyFile string

	clientCAs *x509.CertPool // service.tls.client_ca_file; nil: no mutual TLS

	mu              sync.Mutex
	cert            *tls.Certificate
	certPEM, keyPEM []byte
	checked         time.Time
}

// load reads and parses the pair, replacing the current one when it
// changed. An error leaves the current one in place.
func (cs *certSource) load(now time.Time) error {
	cs.checked = now
	certPEM, err := cs.read(cs.certFile)
	if err != nil {
		return err
	}
	keyPEM, err := cs.read(cs.keyFile)
	if err != nil {
		return err
	}
	if cs.cert != nil && bytes.Equal(certPEM, cs.certPEM) && bytes.Equal(keyPEM, cs.keyPEM) {
		return nil
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	cs.cert, cs.certPEM, cs.keyPEM = &cert, certPEM, keyPEM
	return nil
}

// get is tls.Config.GetCertificate.
func (cs *certSource) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if now := time.Now(); now.Sub(cs.checked) >= tlsRecheckEvery {
		_ = cs.load(now) // a broken rotation keeps the last good pair
	}
	if cs.cert == nil {
		return nil, errors.New("no certificate")
	}
	return cs.cert, nil
}

// tls checks service.tls: both files, a pair that parses.
func (p *serviceParser) tls(c *config, t *tlsConfig) {
	if t == nil {
		return
	}
	if t.CertFile == "" || t.KeyFile == "" {
		p.fail("service.tls", "cert_file and key_file are both required")
		return
	}
	cs := &certSource{read: p.readFile, certFile: t.CertFile, keyFile: t.KeyFile}
	if err := cs.load(time.Now()); err != nil {
		p.fail("service.tls", "%v", err)
		return
	}
	if t.ClientCAFile != "" {
		pem, err := p.readFile(t.ClientCAFile)
		cs.clientCAs = x509.NewCertPool()
		if err != nil || !cs.clientCAs.AppendCertsFromPEM(pem) {
			p.fail("service.tls.client_ca_file", "want PEM CA certificates: %v", cmp.Or[error](err, errors.New("none found")))
			return
		}
	}
	c.tls = cs
}

// tlsServerConfig is the TLS configuration of a server started with
// service.tls: the certificate from the configuration in force.
func (s *Server) tlsServerConfig() *tls.Config {
	first := s.cur.Load().tls
	current := func() *certSource {
		if cs := s.cur.Load().tls; cs != nil {
			return cs
		}
		return first // a reload cannot turn TLS off under a running listener
	}
	base := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		cs := current()
		cfg := base.Clone()
		cfg.GetConfigForClient = nil
		cfg.GetCertificate = cs.get
		if cs.clientCAs != nil {
			// Asked of every client, required only by the tester.
			cfg.ClientAuth, cfg.ClientCAs = tls.VerifyClientCertIfGiven, cs.clientCAs
		}
		return cfg, nil
	}
	return base
}

// clientCertMissing reports whether c requires mutual TLS for the admin
// endpoints and r came without a verified client certificate.
func clientCertMissing(c *config, r *http.Request) bool {
	if c.tls == nil || c.tls.clientCAs == nil {
		return false
	}
	return r.TLS == nil || len(r.TLS.VerifiedChains) == 0
}

// TLS reports whether the server serves HTTPS (service.tls).
func (s *Server) TLS() bool { return s.cur.Load().tls != nil }
