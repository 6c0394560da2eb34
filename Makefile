# The two commands of the README: `make run` builds and starts cocreate, `make test` installs
# what the tests need and runs every test. Everything else here serves those two.

CARGO ?= cargo
INTEROP := server/tests/interop
WEB := web-client
DEPLOY_TEST := deploy/test

.PHONY: run build web test test-deps test-rust test-interop test-web test-deploy test-fuzz

## Build (release) and serve on 127.0.0.1:8080 with data in ./data, the web client at /, and
## sensemaking from the sentence encoder in target/sense-model (fetched if missing; without it,
## the server says so and serves without sensemaking).
run: web
	-scripts/sense-model.sh
	$(CARGO) run --release -p cocreate-server --bin cocreate -- serve --sense-model target/sense-model

build: web
	$(CARGO) build --release -p cocreate-server --bin cocreate

## The web client, built into web-client/dist (Node.js is installed if missing).
web:
	scripts/apt-ensure.sh node:nodejs npm:npm
	cd $(WEB) && npm ci --no-audit --no-fund && npm run build

## Install test prerequisites, then run the Rust tests, the JavaScript interop tests, the
## web client's tests (unit tests, then Playwright on headless Chromium), the deployment's
## (lint, then a rolling restart of two nodes behind nginx) and the fuzz targets.
test: test-deps test-rust test-interop test-web test-deploy test-fuzz

test-deps:
	scripts/install-test-deps.sh

# The sentence encoder's weights are fetched by pinned version and sha256 (sense/README.md).
test-rust:
	scripts/sense-model.sh
	$(CARGO) test --workspace --locked

# Built with the test targets so that features unify with `cargo test` and nothing recompiles.
test-interop:
	$(CARGO) build --workspace --all-targets --locked
	cd $(INTEROP) && npm ci --no-audit --no-fund && npm test

test-web:
	$(CARGO) build --workspace --all-targets --locked
	cd $(WEB) && npm ci --no-audit --no-fund && npm test

# deploy/: lint the Dockerfile, compose, Kubernetes and dashboard files against the binary's
# --help, then the rolling-restart test through nginx (deploy/README.md, Tests).
test-deploy:
	$(CARGO) build --workspace --all-targets --locked
	deploy/lint.sh
	cd $(DEPLOY_TEST) && npm ci --no-audit --no-fund && npm test

# fuzz/: each cargo-fuzz target for FUZZ_SECONDS from the committed seeds (fuzz/README.md),
# built like a release (-O: no debug assertions) under AddressSanitizer; a crash fails the
# build and leaves its input in fuzz/artifacts/. cargo-fuzz needs nightly `-Z` flags, which
# RUSTC_BOOTSTRAP lets the stable toolchain take. Allocations the system allocator
# would refuse fail as they do in production (yrs reserves declared lengths with try_reserve);
# memory actually used past 2 GiB, or one input taking over 10 s, is a crash.
FUZZ_SECONDS ?= 45
FUZZ_TARGETS := frame update room token
CARGO_FUZZ_VERSION := 0.13.2
test-fuzz:
	cargo fuzz --version 2>/dev/null | grep -q $(CARGO_FUZZ_VERSION) || \
		$(CARGO) install cargo-fuzz --locked --version $(CARGO_FUZZ_VERSION)
	RUSTC_BOOTSTRAP=1 cargo fuzz build -O
	for target in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/corpus/$$target fuzz/seeds/$$target && \
		ASAN_OPTIONS=allocator_may_return_null=1 RUSTC_BOOTSTRAP=1 cargo fuzz run -O $$target \
			fuzz/corpus/$$target fuzz/seeds/$$target -- -max_total_time=$(FUZZ_SECONDS) \
			-rss_limit_mb=2048 -malloc_limit_mb=65536 -timeout=10 -print_final_stats=1 || exit 1; \
	done
