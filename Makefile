# calport: `make run` and `make test` are all a newcomer needs.
SWIFT ?= swift

.PHONY: all deps build run test bench fuzz clean

all: build

# System packages (libical, libcurl, pkg-config, tzdata), installed when missing.
deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build -c release --product calport

# Converts the shipped sample calendar to Google Calendar JSON.
run: build
	"$$($(SWIFT) build -c release --show-bin-path)/calport" convert testdata/sample.ics

# One test at a time: several suites time what they test (timeouts, latency, bounded work),
# and on two cores side-by-side suites starve each other's servers. About 5 minutes.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

# Benchmarks against a bare libical parse; results go to .bench/results.md.
bench: deps
	bash bench/run.sh

# libFuzzer targets for the .ics and Google JSON readers (Linux), FUZZ_SECONDS each; see Fuzz/README.md.
FUZZ_SECONDS ?= 600
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash Fuzz/run.sh

clean:
	rm -rf .build .bench
