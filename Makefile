# maestro: build, test, benchmark and lint.
GO        ?= go
BIN       ?= bin
FUZZTIME  ?= 30s
BENCHTIME ?= 3x
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DIST      ?= dist
# The CPUs of today's clusters.
PLATFORMS ?= linux/amd64 linux/arm64 linux/ppc64le

.PHONY: build install dist test unit fuzz bench lint fmt sample clean

build:
	$(GO) build -o $(BIN)/maestro ./cmd/maestro
	$(GO) build -o $(BIN)/conductor ./cmd/conductor

# maestro and its conductor go side by side: maestro starts the conductor
# beside it.
install: build
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(BIN)/maestro $(BIN)/conductor $(DESTDIR)$(BINDIR)/

# Static binaries (no cgo, no libc) for each platform, in
# $(DIST)/maestro-<os>-<arch>/, with a tarball each: copy one to a login
# node and run it, no Go needed.
dist:
	rm -rf $(DIST)
	@set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; d=$(DIST)/maestro-$$os-$$arch; \
		echo "building $$d"; \
		for cmd in maestro conductor; do \
			CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags='-s -w' -o $$d/$$cmd ./cmd/$$cmd; \
		done; \
		tar -C $(DIST) -czf $$d.tar.gz maestro-$$os-$$arch; \
	done

# The test command CI runs: vet, gofmt, every test with the race detector,
# and a bounded fuzz run of the spec loader. With SLURM_CONF set (see
# .ci/run) the Slurm tests run against the real cluster.
test: lint unit fuzz

unit:
	$(GO) test -race -count=1 -timeout 30m ./...

fuzz:
	$(GO) test ./spec -run '^$$' -fuzz FuzzLoadSpec -fuzztime $(FUZZTIME)
	$(GO) test ./dag -run '^$$' -fuzz FuzzTemplate -fuzztime $(FUZZTIME)

# Benchmarks compare maestro with a floor measured in the same run; see
# docs/BENCHMARKS.md for what each measures.
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./cli
	$(GO) test -run '^$$' -bench . -benchtime 1x ./adapters/slurm

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
	rm -rf $(BIN) $(DIST) sample_output
