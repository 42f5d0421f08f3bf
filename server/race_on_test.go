//go:build race

package server

// raceEnabled: allocation counts under the race detector (whose sync.Pool
// drops items at random) are not the build's.
const raceEnabled = true
