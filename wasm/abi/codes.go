package abi

// Status is what jwtgate_load and jwtgate_verify return; jwtgate_result
// then holds the output it describes.
type Status uint32

// The statuses.
const (
	// StatusOK: the result holds the load summary or the decision JSON.
	StatusOK Status = 0
	// StatusPolicyError: jwtgate_load only; the result holds a PolicyError.
	StatusPolicyError Status = 1
	// StatusRefused: the result holds a message; the call was refused.
	StatusRefused Status = 2
	// StatusPanic: the result holds a message; the guest panicked and
	// recovered, and stays usable.
	StatusPanic Status = 3
)

// Statuses lists every status, in order (a new slice each call).
func Statuses() []Status { return []Status{StatusOK, StatusPolicyError, StatusRefused, StatusPanic} }

// String returns the status's name in ABI.md.
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusPolicyError:
		return "policy_error"
	case StatusRefused:
		return "refused"
	case StatusPanic:
		return "panic"
	}
	return "unknown"
}

// Flag is a bit of jwtgate_verify's flags.
type Flag uint32

// The flags. Other bits are 0.
const (
	// FlagExplain asks for the explain trace (core.Request.Explain).
	FlagExplain Flag = 1 << 0
	// FlagZeroNow says the time is the zero time.Time, which the core
	// refuses with its usual decision; now_sec and now_nsec are ignored.
	FlagZeroNow Flag = 1 << 1
)

// Flags lists every flag, in bit order (a new slice each call).
func Flags() []Flag { return []Flag{FlagExplain, FlagZeroNow} }

// String returns the flag's name in ABI.md.
func (f Flag) String() string {
	switch f {
	case FlagExplain:
		return "explain"
	case FlagZeroNow:
		return "zero_now"
	}
	return "unknown"
}

// Capability is a bit of the word host and guest exchange through
// jwtgate_capabilities: the host says which optional services it offers,
// the guest answers with those it will use (a subset: a host refuses a
// module that claims more).
type Capability uint32

// The capabilities.
const (
	// CapKeySets: the host answers keyset_get from a key source (the
	// policy's jwks_url key sets). Without it the guest never calls
	// keyset_get, and jwks_url integrations answer keys_unavailable, as
	// the native core does without a key source.
	CapKeySets Capability = 1 << 0
	// CapSignatures: the host checks signatures through sig_check, with
	// its native crypto. Without it the guest checks them itself.
	CapSignatures Capability = 1 << 1
)

// Capabilities lists every capability, in bit order (a new slice each call).
func Capabilities() []Capability { return []Capability{CapKeySets, CapSignatures} }

// DefinedCapabilities are the capability bits version 2 assigns; a guest
// answer with any other bit set is refused.
const DefinedCapabilities Capability = CapKeySets | CapSignatures

// String returns the capability's name in ABI.md.
func (c Capability) String() string {
	switch c {
	case CapKeySets:
		return "key_sets"
	case CapSignatures:
		return "signatures"
	}
	return "unknown"
}

// Results of sig_check.
const (
	SigValid   int32 = 1  // the signature verifies
	SigInvalid int32 = 0  // it does not
	SigError   int32 = -1 // it could not be checked (key, algorithm or bounds refused): the token is refused
)

// Level is the level of a log line (the log import).
type Level int32

// The levels. A host reads an unknown level as LevelDebug.
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// Levels lists every level, in order (a new slice each call).
func Levels() []Level { return []Level{LevelDebug, LevelInfo, LevelWarn, LevelError} }

// String returns the level's name in ABI.md.
func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "debug"
	case LevelInfo:
		return "info"
	case LevelWarn:
		return "warn"
	case LevelError:
		return "error"
	}
	return "unknown"
}

// Results of replay_claim; a failure is Failure(n).
const (
	ReplayUsed  int32 = 0 // the id was already used: a replay
	ReplayFresh int32 = 1 // the id was unused and is now recorded
)

// Failure encodes a failed host call that wrote an n-byte message:
// -(n+1). replay_claim and keyset_get return it.
func Failure(n int) int32 { return -int32(n) - 1 }

// FailureLen decodes a result r of replay_claim or keyset_get: the length
// of the message written, and whether r is a failure at all.
func FailureLen(r int32) (n int, failed bool) {
	if r >= 0 {
		return 0, false
	}
	return int(-(int64(r) + 1)), true
}
