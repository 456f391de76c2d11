# Troupe — the two commands of the README are `make run` and `make test`.
# Everything else here serves them or measures the project.

SWIFT ?= swift
# Release builds for benchmarks and the server; tests build in debug.
RELEASE := -c release
TSAN_SCRATCH := .build-tsan

.PHONY: all build test test-tsan fuzz bench bench-runtime bench-store bench-backend bench-server bench-server-deps run deps clean help

all: build

help:
	@echo "make run           build and start the server on 127.0.0.1:7070 (./troupe.db, admin account 'admin')"
	@echo "make test          build and run every test"
	@echo "make test-tsan     the test suite under ThreadSanitizer"
	@echo "make fuzz          the wire request parser under libFuzzer (FUZZ_SECONDS, default 60)"
	@echo "make bench         every benchmark (release)"
	@echo "make bench-runtime the actor runtime benchmarks (release)"
	@echo "make bench-store   the storage benchmarks (release; starts a throwaway PostgreSQL)"
	@echo "make bench-backend the backend benchmarks (release): SAY, LOGIN, memory per user"
	@echo "make bench-server  the TCP server against redis-server with redis-benchmark (release)"

# System packages the project needs, installed with apt-get when missing and running as root:
# the C libraries behind the shims (sqlite3, libpq, crypt(3), libcrypto's SHA-256), and the PostgreSQL
# server the storage tests start. Checked with dpkg; one update and one install for all
# missing ones. Not root and something missing: print the command and fail. Not Debian:
# nothing to check with, so say what is needed and go on.
DEB_PACKAGES := libsqlite3-dev libpq-dev libcrypt-dev libssl-dev postgresql

deps:
	@if ! command -v dpkg >/dev/null 2>&1; then \
		echo "deps: no dpkg here; make sure these (or your system's equivalents) are installed: $(DEB_PACKAGES)"; \
		exit 0; \
	fi; \
	missing=""; \
	for package in $(DEB_PACKAGES); do \
		dpkg -s "$$package" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$package"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "deps: missing system packages:$$missing"; \
		echo "deps: install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing"; \
		exit 1; \
	fi; \
	echo "deps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update && apt-get install -y --no-install-recommends $$missing

build: deps
	$(SWIFT) build

# A hung test must fail the run, not stall CI: each target's run is bounded.
TEST_TIMEOUT ?= 1200
# The test targets run one after another, each in its own process: the backend's load tests
# then never share the two cores with the runtime's real-time bounds (a timer due within
# 500 ms, a probe waiting 5 s), which they would starve under ThreadSanitizer.
# Every test target (a folder Tests/<Name>Tests), so a new one can never be left out.
TEST_TARGETS := $(notdir $(wildcard Tests/*Tests))

test: deps
	$(SWIFT) build --build-tests
	@for target in $(TEST_TARGETS); do \
		echo "== $$target"; \
		timeout --kill-after=30 $(TEST_TIMEOUT) $(SWIFT) test --skip-build --filter "^$$target\." || exit 1; \
	done

# ThreadSanitizer: its own scratch path so it never invalidates the normal build. The runtime
# uses pthread locks (TSan models them); the suppressions file lists the few false positives
# from uninstrumented Swift runtime code, each explained there.
test-tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path $(TSAN_SCRATCH)
	@for target in $(TEST_TARGETS); do \
		echo "== $$target (ThreadSanitizer)"; \
		TSAN_OPTIONS="suppressions=$(CURDIR)/Tests/Sanitizers/tsan.supp halt_on_error=0" \
			timeout --kill-after=30 $(TEST_TIMEOUT) $(SWIFT) test --skip-build --sanitize=thread --scratch-path $(TSAN_SCRATCH) \
			--filter "^$$target\." || exit 1; \
	done

# libFuzzer over the wire request parser: Tests/Fuzz/RequestParserFuzz.swift compiled with
# Sources/TroupeWire into one binary (not a SwiftPM target), with AddressSanitizer, for a
# bounded time and memory (a parser that allocated without bound would hit the malloc limit).
FUZZ_SECONDS ?= 60
FUZZ_DIR := .build/fuzz
fuzz:
	mkdir -p $(FUZZ_DIR)/corpus
	swiftc -sanitize=fuzzer,address -parse-as-library -O -use-ld=lld -module-name TroupeWire \
		Sources/TroupeWire/*.swift Tests/Fuzz/RequestParserFuzz.swift -o $(FUZZ_DIR)/request-parser
	printf '\003PING\r\n*2\r\n$$4\r\nECHO\r\n$$2\r\nhi\r\nSAY lobby "hi there\r\n' > $(FUZZ_DIR)/corpus/seed
	$(FUZZ_DIR)/request-parser -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 -malloc_limit_mb=64 $(FUZZ_DIR)/corpus

bench: bench-runtime bench-store bench-backend bench-server

bench-runtime: deps
	$(SWIFT) build $(RELEASE) --product TroupeBenchmarks
	$(SWIFT) run $(RELEASE) --skip-build TroupeBenchmarks runtime

bench-store: deps
	$(SWIFT) build $(RELEASE) --product TroupeBenchmarks
	$(SWIFT) run $(RELEASE) --skip-build TroupeBenchmarks store

bench-backend: deps
	$(SWIFT) build $(RELEASE) --product TroupeBenchmarks
	$(SWIFT) run $(RELEASE) --skip-build TroupeBenchmarks backend

# redis-benchmark against the in-process server and redis-servers started in the same run
# (skipped with a note when redis-tools is missing); the idle-connection figure runs the
# `troupe` binary as a child, so it is built too. TROUPE_NIO_PONG=<binary> adds the SwiftNIO
# peer (Documentation/Benchmarks.md says how to build it).
BENCH_SERVER_PACKAGES := redis-server redis-tools
bench-server-deps:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(BENCH_SERVER_PACKAGES)"

bench-server: deps bench-server-deps
	$(SWIFT) build $(RELEASE) --product TroupeBenchmarks
	$(SWIFT) build $(RELEASE) --product troupe
	$(SWIFT) run $(RELEASE) --skip-build TroupeBenchmarks server

# The server on 127.0.0.1:7070 over ./troupe.db, with an admin account `admin`. On the first
# start the backend creates it with a random password and prints it once in its log (set
# TROUPE_ADMIN_PASSWORD to choose it). Stop with Ctrl-C: a graceful shutdown.
run: deps
	$(SWIFT) build $(RELEASE) --product troupe
	@echo "run: starting troupe on 127.0.0.1:7070 (database ./troupe.db); try: nc localhost 7070  or  redis-cli -p 7070"
	"$$($(SWIFT) build $(RELEASE) --show-bin-path)/troupe" serve --host 127.0.0.1 --port 7070 --db sqlite:./troupe.db --admin admin

clean:
	rm -rf .build $(TSAN_SCRATCH)
