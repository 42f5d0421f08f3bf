// Package secretdoc keeps the secrets of a stored integration document
// write-only: Redact swaps each secret for a fingerprint before the
// document is shown, Restore puts a stored secret back where an update
// gives its fingerprint instead of its value, and a Key seals the full
// document for storage (AES-256-GCM).
//
// An integration document is the JSON object
// {"policy": {…one integrations entry…}, "service": {…}}; its secrets are
// policy.keys[i].secret, the secret, pem and jwks of each
// policy.decryption_keys[i], and policy.keys[i].jwks when the set holds a
// shared or private key. Every error is typed and safe to show: none
// quotes a secret, a key or a document's content.
package secretdoc
