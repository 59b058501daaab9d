//go:build race

package engagelab

// raceEnabled: the race detector slows cgo calls tenfold, so the 100k-call
// leak check and the packaging build run only without it.
const raceEnabled = true
