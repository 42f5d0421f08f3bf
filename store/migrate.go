package store

import "fmt"

// migration is one step of a schema: the statements that take it from
// version-1 to version, run in one transaction.
type migration struct {
	version int
	stmts   []string
}

// latestVersion returns the version the migrations lead to.
func latestVersion(ms []migration) int {
	return ms[len(ms)-1].version
}

// errNewerSchema is the error for a database whose schema a newer jwtgate
// wrote.
func errNewerSchema(backend string, have, want int) error {
	return fmt.Errorf("store: %s: the database has schema version %d, newer than this jwtgate knows (%d); upgrade jwtgate", backend, have, want)
}
