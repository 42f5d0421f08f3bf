//go:build race

package browser

// raceEnabled: native figures under the race detector are not figures.
const raceEnabled = true
