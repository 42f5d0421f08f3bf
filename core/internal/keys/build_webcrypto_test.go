//go:build jwtgate_webcrypto

package keys

// nativeBuild: this build checks keys on their bytes (params.go).
const nativeBuild = false
