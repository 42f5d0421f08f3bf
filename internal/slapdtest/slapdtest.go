// Package slapdtest runs a real OpenLDAP server (Debian's slapd) for tests:
// its own process on free loopback ports, a temporary mdb database and
// configuration, the memberof overlay, a self-signed certificate for
// ldaps:// and StartTLS, and a small seeded directory (Seed). It stops
// with the test.
//
// Without slapd the test skips, saying what is missing; with CI=true it
// fails instead (.ci/run installs slapd).
package slapdtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// The seeded directory's names.
const (
	BaseDN        = "dc=example,dc=org"
	PeopleDN      = "ou=people," + BaseDN
	GroupsDN      = "ou=groups," + BaseDN
	AdminDN       = "cn=admin," + BaseDN // slapd's rootdn, which seeds
	AdminPassword = "admin-secret"
	// BindDN is the service account a resolver binds as.
	BindDN       = "cn=jwtgate,ou=services," + BaseDN
	BindPassword = "bind-secret"
)

// Server is one running slapd.
type Server struct {
	URL      string // ldap://127.0.0.1:port (StartTLS available)
	LDAPSURL string // ldaps://127.0.0.1:port
	CAFile   string // PEM of the certificate's issuer, for ca_file
	TLS      *Cert

	dir  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	stop sync.Once
}

// Start runs slapd with the seeded directory (see Seed).
func Start(t testing.TB) *Server {
	t.Helper()
	bin, modules, schema := find(t)
	var lastErr error
	for range 3 { // a free port can be taken between the probe and slapd's bind
		s, err := start(t, bin, modules, schema)
		if err == nil {
			Seed(t, s)
			return s
		}
		lastErr = err
	}
	t.Fatalf("slapdtest: %v", lastErr)
	return nil
}

// find locates slapd, its modules and the schema folder; it skips (or,
// with CI=true, fails) when they are missing.
func find(t testing.TB) (bin, modules, schema string) {
	t.Helper()
	for _, p := range []string{"slapd", "/usr/sbin/slapd"} {
		if b, err := exec.LookPath(p); err == nil {
			bin = b
			break
		}
	}
	for _, d := range []string{"/etc/ldap/schema", "/etc/openldap/schema"} {
		if _, err := os.Stat(filepath.Join(d, "inetorgperson.schema")); err == nil {
			schema = d
			break
		}
	}
	for _, d := range []string{"/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap"} {
		if _, err := os.Stat(filepath.Join(d, "memberof.la")); err == nil {
			modules = d
			break
		}
	}
	var missing []string
	if bin == "" {
		missing = append(missing, "slapd")
	}
	if schema == "" {
		missing = append(missing, "the OpenLDAP schema files (inetorgperson.schema)")
	}
	if modules == "" {
		missing = append(missing, "slapd's memberof module")
	}
	if len(missing) > 0 {
		msg := "slapdtest: " + strings.Join(missing, ", ") + " not installed (Debian: apt-get install slapd)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true requires the LDAP tests to run (.ci/run installs slapd)")
		}
		t.Skip(msg)
	}
	return bin, modules, schema
}

func start(t testing.TB, bin, modules, schema string) (*Server, error) {
	dir := t.TempDir()
	cert := NewCert(t, dir)
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		return nil, err
	}
	plain, secure := freePort(t), freePort(t)
	s := &Server{
		URL: "ldap://" + plain, LDAPSURL: "ldaps://" + secure, CAFile: cert.CAFile, TLS: cert,
		dir: dir, done: make(chan struct{}),
	}
	conf := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(conf, []byte(config(dir, modules, schema, cert)), 0o600); err != nil {
		return nil, err
	}
	logs := &strings.Builder{}
	var mu sync.Mutex
	s.cmd = exec.Command(bin, "-d", "0", "-f", conf, "-h", s.URL+"/ "+s.LDAPSURL+"/")
	s.cmd.Stdout, s.cmd.Stderr = lockedWriter{&mu, logs}, lockedWriter{&mu, logs}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting slapd: %v", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", plain, time.Second)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.done:
			mu.Lock()
			defer mu.Unlock()
			return nil, fmt.Errorf("slapd exited: %s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("slapd did not listen on %s within 15s", plain)
		}
	}
}

// config is slapd.conf: the schemas inetOrgPerson needs, one mdb database
// with the memberof overlay (memberOf on users and on nested groups), TLS.
func config(dir, modules, schema string, cert *Cert) string {
	return fmt.Sprintf(`include %[2]s/core.schema
include %[2]s/cosine.schema
include %[2]s/inetorgperson.schema
modulepath %[3]s
moduleload back_mdb
moduleload memberof
pidfile %[1]s/slapd.pid
TLSCACertificateFile %[4]s
TLSCertificateFile %[5]s
TLSCertificateKeyFile %[6]s
database mdb
maxsize 10485760
suffix "%[7]s"
rootdn "%[8]s"
rootpw %[9]s
directory %[1]s/db
overlay memberof
`, dir, schema, modules, cert.CAFile, cert.CertFile, cert.KeyFile, BaseDN, AdminDN, AdminPassword)
}

// Stop ends slapd (later calls do nothing): the server is down from then on.
func (s *Server) Stop() {
	s.stop.Do(func() {
		if s.cmd.Process == nil {
			return
		}
		s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// Admin opens a connection bound as the rootdn, for seeding and changes.
func (s *Server) Admin(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(s.URL, ldap.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}))
	if err != nil {
		t.Fatalf("slapdtest: dial %s: %v", s.URL, err)
	}
	if err := c.Bind(AdminDN, AdminPassword); err != nil {
		c.Close()
		t.Fatalf("slapdtest: bind as %s: %v", AdminDN, err)
	}
	return c
}

// freePort is a loopback address nobody listened on a moment ago.
func freePort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("slapdtest: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
