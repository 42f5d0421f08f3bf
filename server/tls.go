package server

import (
	"bytes"
	"crypto/tls"
	"errors"
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
}

// tlsRecheckEvery is how often a handshake looks at the files again.
var tlsRecheckEvery = 10 * time.Second

// certSource is the serving certificate of a configuration: the files
// read again at most every tlsRecheckEvery, the last good pair kept when
// a rotation is half-written or broken.
type certSource struct {
	read              func(string) ([]byte, error)
	certFile, keyFile string

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
	c.tls = cs
}

// tlsServerConfig is the TLS configuration of a server started with
// service.tls: the certificate from the configuration in force.
func (s *Server) tlsServerConfig() *tls.Config {
	first := s.cur.Load().tls
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			cs := s.cur.Load().tls
			if cs == nil {
				cs = first // a reload cannot turn TLS off under a running listener
			}
			return cs.get(h)
		},
	}
}

// TLS reports whether the server serves HTTPS (service.tls).
func (s *Server) TLS() bool { return s.cur.Load().tls != nil }
