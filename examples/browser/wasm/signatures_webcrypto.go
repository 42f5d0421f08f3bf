//go:build jwtgate_webcrypto

package main

// moduleChecksSignatures is false in the build the site ships (tag
// jwtgate_webcrypto): it links no public-key arithmetic, so a policy loads
// only with a SignatureChecker, the page's WebCrypto.
const moduleChecksSignatures = false
