//go:build !race

package engagelab

const raceEnabled = false
