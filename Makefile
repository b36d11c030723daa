# calport: `make run` and `make test` are all a newcomer needs.
SWIFT ?= swift
# The build folder; set it to keep several checkouts' builds apart (e.g. SCRATCH=.build-mine).
SCRATCH ?= .build
SWIFTPM = --scratch-path $(SCRATCH)

# Where `make install` puts calport: $(DESTDIR)$(PREFIX)/bin and so on.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
export PREFIX DESTDIR BINDIR MANDIR BASHCOMPDIR ZSHCOMPDIR FISHCOMPDIR SWIFT SCRATCH

# The release binary and what is installed with it (man pages, completions).
STAGE = $(SCRATCH)/stage

.PHONY: all deps build run test bench fuzz clean stage install uninstall deb check-install

all: build

# System packages (libical, libcurl, pkg-config, tzdata), installed when missing.
deps:
	@scripts/ensure-deps.sh

# The Swift runtime and Foundation linked in (--static-swift-stdlib): the binary needs only
# the system's libical, libcurl, SQLite and C libraries, not a Swift toolchain.
build: deps
	$(SWIFT) build $(SWIFTPM) -c release --static-swift-stdlib --product calport

# Converts the shipped sample calendar to Google JSON.
run: build
	"$$($(SWIFT) build $(SWIFTPM) -c release --show-bin-path)/calport" convert testdata/sample.ics

# One test at a time: several suites time what they test (timeouts, latency, bounded work),
# and on two cores side-by-side suites starve each other's servers. About 5 minutes, then
# the release build and the install and package checks (scripts/check-install.sh).
test: deps
	$(SWIFT) build $(SWIFTPM) --build-tests
	$(SWIFT) test $(SWIFTPM) --skip-build --no-parallel
	$(MAKE) check-install

# The release binary, man pages and completions in $(STAGE), which install and deb copy.
stage: build
	scripts/stage.sh "$$($(SWIFT) build $(SWIFTPM) -c release --show-bin-path)/calport" $(STAGE)

# PREFIX=/usr/local DESTDIR= by default; records what it wrote for `make uninstall`.
install: stage
	scripts/install.sh $(STAGE)

uninstall:
	scripts/install.sh --uninstall

# calport_<version>_<arch>.deb in $(SCRATCH)/deb, the same files under /usr.
deb: stage
	scripts/deb.sh $(STAGE) $(SCRATCH)/deb

# Installs into a temporary DESTDIR, builds the .deb, and runs both without the toolchain.
check-install: stage
	scripts/check-install.sh $(STAGE)

# Benchmarks against a bare libical parse; results go to .bench/results.md.
bench: deps
	bash bench/run.sh

# libFuzzer targets for the .ics and Google JSON readers (Linux), FUZZ_SECONDS each; see Fuzz/README.md.
FUZZ_SECONDS ?= 600
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash Fuzz/run.sh

clean:
	rm -rf $(SCRATCH) .bench
