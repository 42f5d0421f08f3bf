//go:build !unix

package regularfile

// nonBlocking is 0 where there are no FIFOs to wait on.
const nonBlocking = 0
