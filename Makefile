# eppokit — `make demo` runs the offline demo, `make test` runs the whole suite.
GO ?= go
FUZZTIME ?= 5s

.PHONY: demo test bench vet fuzz

demo:
	$(GO) run ./examples/quickstart

test: vet
	$(GO) test -race ./...
	$(MAKE) fuzz

vet:
	$(GO) vet ./...

# Brief fuzzing of the configuration parser and the evaluator (seed corpora also run in `go test`).
# -fuzzminimizetime 0: minimising a new input can outlast -fuzztime and fail the run spuriously.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzNewConfiguration$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 ./core
	$(GO) test -run '^$$' -fuzz '^FuzzEvaluation$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 ./core

# Benchmarks named by the issues; compare medians across the -count runs (e.g. with benchstat).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./core/... ./dedupe/... ./batching/... ./adapters/...
