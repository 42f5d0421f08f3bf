// Package abi is jwtgate's plugin ABI (../ABI.md) as Go values: the
// version, the export and import names and their signatures, the status
// codes, flags, capabilities and log levels, and the JSON shapes that cross
// the boundary. The guest (wasm/guest) and the host (wasm/host) import it
// and write none of it themselves, and a test holds ABI.md's tables
// against it, so the document, the guest and the host cannot drift apart.
//
// It is pure Go with the standard library only, and builds for every
// target (native, wasip1, js).
//
//	if v := moduleVersion(); v != abi.Version {
//		return fmt.Errorf("module speaks ABI %d, want %d", v, abi.Version)
//	}
package abi

// Version is the ABI version this package describes. A change to any
// signature, status code, flag, capability or import is a new version;
// adding an optional export is not.
const Version = 2

// Module names of the imports a plugin may have.
const (
	// HostModule is the import module of the host functions (Imports).
	HostModule = "jwtgate_host"
	// WASIModule is WASI preview 1, which a plugin may also import.
	WASIModule = "wasi_snapshot_preview1"
)

// MemoryExport is the name of the linear memory every plugin exports.
const MemoryExport = "memory"

// InitializeExport is the optional WASI reactor initialiser; the host calls
// it once, before anything else.
const InitializeExport = "_initialize"

// Export names (signatures in Exports).
const (
	ExportABIVersion   = "jwtgate_abi_version"
	ExportCapabilities = "jwtgate_capabilities"
	ExportAlloc        = "jwtgate_alloc"
	ExportFree         = "jwtgate_free"
	ExportLoad         = "jwtgate_load"
	ExportVerify       = "jwtgate_verify"
	ExportResult       = "jwtgate_result"
)

// Import names of HostModule (signatures in Imports).
const (
	ImportReplayClaim = "replay_claim"
	ImportKeySet      = "keyset_get"
	ImportLog         = "log"
	ImportSigCheck    = "sig_check"
)

// Bounds on what crosses the boundary. Each side enforces those it reads.
const (
	// MaxKeySetBytes bounds a key set document keyset_get hands over: the
	// key fetcher's own default body limit (jwks.DefaultMaxBytes).
	MaxKeySetBytes = 1 << 20
	// MaxURLBytes bounds the URL of a keyset_get call.
	MaxURLBytes = 4096
	// MaxKeyIDBytes bounds the kid of a keyset_get call, the core's own
	// limit on a token's kid.
	MaxKeyIDBytes = 256
	// MaxSigKeyBytes bounds the JWK of a sig_check call (an RSA-16384
	// public key's is under 3 KiB).
	MaxSigKeyBytes = 16 << 10
	// MaxSigBytes bounds the signature of a sig_check call (RSA-16384).
	MaxSigBytes = 2048
	// MaxLogBytes bounds a log line: the host reads no more.
	MaxLogBytes = 4096
	// MaxMessageBytes is the size of the message buffer jwtgate's guest
	// passes to replay_claim and keyset_get for an error message.
	MaxMessageBytes = 1024
	// MaxRequestBytes bounds the lengths of one jwtgate_load or
	// jwtgate_verify call together.
	MaxRequestBytes = 1 << 31
)
