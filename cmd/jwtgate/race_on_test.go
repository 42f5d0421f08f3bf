//go:build race

package main

// raceEnabled: a cold wazero compilation under the race detector takes
// minutes, not seconds.
const raceEnabled = true
