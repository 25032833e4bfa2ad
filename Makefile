# maestro: build, test, benchmark and lint.
GO        ?= go
BIN       ?= bin
FUZZTIME  ?= 30s
BENCHTIME ?= 3x

.PHONY: build test unit fuzz bench lint fmt sample clean

build:
	$(GO) build -o $(BIN)/maestro ./cmd/maestro
	$(GO) build -o $(BIN)/conductor ./cmd/conductor

# The test command CI runs: vet, gofmt, every test with the race detector,
# and a bounded fuzz run of the spec loader. With SLURM_CONF set (see
# .ci/run) the Slurm tests run against the real cluster.
test: lint unit fuzz

unit:
	$(GO) test -race -count=1 ./...

fuzz:
	$(GO) test ./spec -run '^$$' -fuzz FuzzLoadSpec -fuzztime $(FUZZTIME)
	$(GO) test ./dag -run '^$$' -fuzz FuzzTemplate -fuzztime $(FUZZTIME)

# Benchmarks compare maestro with a floor measured in the same run; see
# docs/BENCHMARKS.md for what each measures.
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./cli

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w .

# Build, then run the sample pipeline end to end in the foreground.
sample: build
	rm -rf sample_output/pipeline-demo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/maestro run -fg -y -s 1 -o sample_output/pipeline-demo samples/pipeline.yaml
	$(BIN)/maestro status --disable-pager sample_output/pipeline-demo

clean:
	rm -rf $(BIN) sample_output
