package slapdtest

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// TestStartSeedsMemberOf: the directory is seeded and the memberof overlay
// runs, over ldaps:// with the generated certificate.
func TestStartSeedsMemberOf(t *testing.T) {
	s := Start(t)
	c, err := ldap.DialURL(s.LDAPSURL, ldap.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}),
		ldap.DialWithTLSConfig(&tls.Config{RootCAs: s.TLS.Pool, ServerName: "127.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(BindDN, BindPassword); err != nil {
		t.Fatal(err)
	}
	res, err := c.Search(ldap.NewSearchRequest(UserDN("ada"), ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"memberOf"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Entries[0].GetAttributeValues("memberOf"); len(got) != 1 || got[0] != GroupDN("analysts") {
		t.Fatalf("ada's memberOf: %q", got)
	}
	s.Stop()
	if _, err := ldap.DialURL(s.URL); err == nil {
		t.Fatal("slapd still answers after Stop")
	}
}
