//go:build !race

package bandit

// raceEnabled reports a -race build, in which sync.Pool drops items at random and so allocates.
const raceEnabled = false
