// Package bandit is the scoring and selection engine of Eppo contextual bandits. It parses the bandit
// models response once into a compiled form ([ParseModels]) and picks an action for a subject with
// [Model.Select]: score every action, weigh the scores by inverse gap weighting with
// a probability floor, and walk the actions in a hash-determined order to a hash-determined threshold.
//
// The package knows nothing about flags, loggers or events: the caller evaluates the flag, decides whether a
// bandit applies, and builds the bandit event from the returned [Selection].
package bandit
