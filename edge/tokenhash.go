package edge

import (
	"crypto/sha256"
	"encoding/hex"
)

// TokenHash names a token in logs without revealing it: the first 16 hex
// digits of its SHA-256, or "-" for no token.
func TokenHash(tok string) string {
	if tok == "" {
		return "-"
	}
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:8])
}
