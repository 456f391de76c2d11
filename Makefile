# Troupe — the two commands of the README are `make run` and `make test`.
# Everything else here serves them or measures the project.

SWIFT ?= swift
# Release builds for benchmarks and the server; tests build in debug.
RELEASE := -c release
TSAN_SCRATCH := .build-tsan

.PHONY: all build test test-tsan fuzz bench bench-runtime bench-store bench-backend bench-server bench-server-deps run deps test-deps clean help

all: build

help:
	@echo "make run           build and start the server on 127.0.0.1:7070 (./troupe.db, admin account 'admin')"
	@echo "make test          build and run every test"
	@echo "make test-tsan     the test suite under ThreadSanitizer"
	@echo "make test-deps     install what the tests need beyond the build: redis-tools, the PyPI redis client"
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
# What only the tests need: the interop tests run the real redis-cli and redis-benchmark
# (Debian's redis-tools) and the PyPI `redis` client against the server. `make run` never
# installs these.
TEST_DEB_PACKAGES := redis-tools
TEST_PYTHON_MODULE := redis

# $(call install-debs,TARGET,PACKAGES): the check-and-install above, for one list.
define install-debs
	@if ! command -v dpkg >/dev/null 2>&1; then \
		echo "$(1): no dpkg here; make sure these (or your system's equivalents) are installed: $(2)"; \
		exit 0; \
	fi; \
	missing=""; \
	for package in $(2); do \
		dpkg -s "$$package" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$package"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "$(1): missing system packages:$$missing"; \
		echo "$(1): install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing"; \
		exit 1; \
	fi; \
	echo "$(1): installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update && apt-get install -y --no-install-recommends $$missing
endef

deps:
	$(call install-debs,deps,$(DEB_PACKAGES))

# The tests' tools: the Debian packages as `deps` does, then the Python client with pip into
# whichever python3 is first on PATH (the one the tests run). A pip that refuses (none
# installed, no network, an externally managed Python) fails with what to do instead.
test-deps: deps
	$(call install-debs,test-deps,$(TEST_DEB_PACKAGES))
	@if ! command -v python3 >/dev/null 2>&1; then \
		echo "test-deps: python3 is missing; install it (Debian: apt-get install python3 python3-pip)"; \
		exit 1; \
	fi; \
	if python3 -c 'import $(TEST_PYTHON_MODULE)' 2>/dev/null; then exit 0; fi; \
	echo "test-deps: installing the Python package $(TEST_PYTHON_MODULE) with pip"; \
	if ! PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check $(TEST_PYTHON_MODULE); then \
		echo "test-deps: 'python3 -m pip install $(TEST_PYTHON_MODULE)' failed; install the PyPI package $(TEST_PYTHON_MODULE) for $$(command -v python3)"; \
		echo "test-deps: (for example in a virtualenv first on PATH, or on Debian: apt-get install python3-redis)"; \
		exit 1; \
	fi

build: deps
	$(SWIFT) build

# A hung test must fail the run, not stall CI: each target's run is bounded.
TEST_TIMEOUT ?= 1200
# The test targets run one after another, each in its own process: the backend's load tests
# then never share the two cores with the runtime's real-time bounds (a timer due within
# 500 ms, a probe waiting 5 s), which they would starve under ThreadSanitizer.
# Every test target (a folder Tests/<Name>Tests), so a new one can never be left out.
TEST_TARGETS := $(notdir $(wildcard Tests/*Tests))

test: test-deps
	$(SWIFT) build --build-tests
	@for target in $(TEST_TARGETS); do \
		echo "== $$target"; \
		timeout --kill-after=30 $(TEST_TIMEOUT) $(SWIFT) test --skip-build --filter "^$$target\." || exit 1; \
	done

# ThreadSanitizer: its own scratch path so it never invalidates the normal build. The runtime
# uses pthread locks (TSan models them); the suppressions file lists the few false positives
# from uninstrumented Swift runtime code, each explained there.
test-tsan: test-deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path $(TSAN_SCRATCH)
	@for target in $(TEST_TARGETS); do \
		echo "== $$target (ThreadSanitizer)"; \
		TSAN_OPTIONS="suppressions=$(CURDIR)/Tests/Sanitizers/tsan.supp halt_on_error=0" TROUPE_TEST_TIME_SCALE=4 \
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
	$(call install-debs,bench-server-deps,$(BENCH_SERVER_PACKAGES))

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
