// Package eppotest sets flags in unit tests without writing configuration JSON, and runs them on the real
// evaluator.
//
// A [TestData] holds flag builders. Each [TestData.Update] turns them into Eppo's Universal Flag
// Configuration (UFC), parses it with core.NewConfiguration and installs it on every client made by
// [NewClient] with core's SetConfiguration, so evaluation details, assignment events and configuration
// listeners are exactly those of production:
//
//	td := eppotest.New()
//	td.Update(td.Flag("checkout").String().Variations("control", "treatment").
//		ForAll("control").ForSubject("user-1", "treatment"))
//	var rec eppotest.Recorder
//	client := eppotest.NewClient(t, td, eppotest.WithRecorder(&rec))
//	td.Update(td.Flag("limit").Integer().ForAll(7)) // client serves it at once
//
// A flag's allocations are, in order: one per variation targeted with ForSubject (a rule on the subject
// key), one per IfAttr rule, then the fallthrough set by ForAll, Else or Split. Split divides subjects by
// Eppo's real sharding with a fixed salt per flag, so a subject always gets the same variation.
//
// [FlagBuilder.Bandit] links a variation to a small contextual bandit model (a score per action), for
// code that calls GetBanditAction; [TestData.BanditModels] returns its models response.
//
// The package uses only the standard library and core, and keeps no package-level state: tests that
// each build their own TestData may run in parallel.
package eppotest
