package server

import (
	"log/slog"

	"github.com/jwtgate/jwtgate/edge"
)

// tokenHash is a credential as the log names it: edge.TokenHash of it,
// computed when a handler writes the line (slog resolves a LogValuer
// then), not when the line is asked for: a SHA-256 of every token is
// wasted on a level that is off or a handler that drops the field.
type tokenHash string

// LogValue is the token's hash; the token itself is never logged.
func (t tokenHash) LogValue() slog.Value { return slog.StringValue(edge.TokenHash(string(t))) }

// tokenHashAttr is the token_sha256 field of a log line.
func tokenHashAttr(tok string) slog.Attr { return slog.Any("token_sha256", tokenHash(tok)) }
