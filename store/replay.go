package store

import (
	"crypto/sha256"
	"encoding/hex"
	"sync/atomic"
)

// janitor decides when a Claim also purges the expired replay rows, so that
// the table stays bounded: every `every` claims of one Store.
type janitor struct {
	every uint64
	n     atomic.Uint64
}

// defaultPurgeEvery is how many claims of one Store pass between purges of
// expired replay rows.
const defaultPurgeEvery = 1000

// due counts a claim and reports whether it is time to purge.
func (j *janitor) due() bool {
	return j.every > 0 && j.n.Add(1)%j.every == 0
}

// replayKey is the stored form of a one-time token ID: its SHA-256, in hex.
// IDs may hold any bytes (the core's hold a NUL, which PostgreSQL text
// cannot), and a digest bounds their length.
func replayKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}
