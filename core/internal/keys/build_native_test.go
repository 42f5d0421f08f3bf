//go:build !jwtgate_webcrypto

package keys

// nativeBuild: this build checks keys with the standard library.
const nativeBuild = true
