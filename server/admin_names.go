package server

import "fmt"

// maxAdminNameBytes bounds a tenant ID and an integration's name within
// its tenant: the two, joined by nameSeparator, fit the policy's 63.
const maxAdminNameBytes = 30

// checkAdminName reports why s is not a tenant ID or a stored
// integration's name: 1 to 30 of a-z and 0-9, with single '-' or '_'
// between them, so that nameSeparator ("--") never occurs in one.
func checkAdminName(what, s string) error {
	if s == "" || len(s) > maxAdminNameBytes {
		return fmt.Errorf("%s: want 1 to %d characters, found %d", what, maxAdminNameBytes, len(s))
	}
	prev := byte('-')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && prev != '-' && prev != '_' && i != len(s)-1:
		default:
			return fmt.Errorf("%s: want a-z, 0-9 and single '-' or '_' between them, found %q", what, s)
		}
		prev = c
	}
	return nil
}
