# Troupe — the two commands of the README are `make run` and `make test`.
# Everything else here serves them or measures the project.

SWIFT ?= swift
# Release builds for benchmarks and the server; tests build in debug.
RELEASE := -c release
TSAN_SCRATCH := .build-tsan

.PHONY: all build test test-tsan bench bench-runtime run deps clean help

all: build

help:
	@echo "make run           build and start (the embedding example until the server exists)"
	@echo "make test          build and run every test"
	@echo "make test-tsan     the test suite under ThreadSanitizer"
	@echo "make bench         every benchmark (release)"
	@echo "make bench-runtime the actor runtime benchmarks (release)"

# System packages the project needs, installed with apt-get when missing and running as root.
deps:
	@true

build: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# ThreadSanitizer: its own scratch path so it never invalidates the normal build.
test-tsan: deps
	$(SWIFT) test --sanitize=thread --scratch-path $(TSAN_SCRATCH)

bench: bench-runtime

bench-runtime: deps
	$(SWIFT) build $(RELEASE) --product TroupeBenchmarks
	$(SWIFT) run $(RELEASE) --skip-build TroupeBenchmarks runtime

run: deps
	$(SWIFT) run $(RELEASE) EmbeddedShop

clean:
	rm -rf .build $(TSAN_SCRATCH)
