package core

// The shapes of an integration's name and of a claim header's name,
// checked by hand rather than with regexp, which the browser module would
// link (a quarter of a megabyte) for these two only. names_test.go holds
// them to the regular expressions they replace:
// ^[a-z0-9][a-z0-9_-]{0,62}$ and ^[A-Za-z0-9-]{1,64}$.

// validName reports whether s is 1-63 bytes of a-z, 0-9, '_' and '-',
// the first a letter or digit.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '_' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validHeaderName reports whether s is 1-64 bytes of A-Z, a-z, 0-9 and
// '-'.
func validHeaderName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
