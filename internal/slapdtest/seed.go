package slapdtest

import (
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// The seeded people and groups. Groups are groupOfNames with member; the
// memberof overlay gives users (and groups inside groups) memberOf:
//
//	analysts: ada    admins: bob    staff: analysts (so ada, nested)    carol: in no group
func Seed(t testing.TB, s *Server) {
	t.Helper()
	c := s.Admin(t)
	defer c.Close()
	entries := []struct {
		dn    string
		attrs map[string][]string
	}{
		{BaseDN, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"example"}, "o": {"Example"}}},
		{PeopleDN, ou("people")},
		{GroupsDN, ou("groups")},
		{"ou=services," + BaseDN, ou("services")},
		{BindDN, map[string][]string{
			"objectClass": {"applicationProcess", "simpleSecurityObject"}, "cn": {"jwtgate"}, "userPassword": {BindPassword},
		}},
		{UserDN("ada"), person("ada")},
		{UserDN("bob"), person("bob")},
		{UserDN("carol"), person("carol")},
		{GroupDN("analysts"), group("analysts", UserDN("ada"))},
		{GroupDN("admins"), group("admins", UserDN("bob"))},
		{GroupDN("staff"), group("staff", GroupDN("analysts"))},
	}
	for _, e := range entries {
		Add(t, c, e.dn, e.attrs)
	}
}

// Add adds one entry over c.
func Add(t testing.TB, c *ldap.Conn, dn string, attrs map[string][]string) {
	t.Helper()
	req := ldap.NewAddRequest(dn, nil)
	for name, vals := range attrs {
		req.Attribute(name, vals)
	}
	if err := c.Add(req); err != nil {
		t.Fatalf("slapdtest: add %s: %v", dn, err)
	}
}

// UserDN is the DN of the seeded user uid.
func UserDN(uid string) string { return "uid=" + ldap.EscapeDN(uid) + "," + PeopleDN }

// GroupDN is the DN of the seeded group cn.
func GroupDN(cn string) string { return "cn=" + ldap.EscapeDN(cn) + "," + GroupsDN }

func ou(name string) map[string][]string {
	return map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {name}}
}

func person(uid string) map[string][]string {
	return map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {uid}, "cn": {uid}, "sn": {uid}}
}

func group(cn string, members ...string) map[string][]string {
	return map[string][]string{"objectClass": {"groupOfNames"}, "cn": {cn}, "member": members}
}
