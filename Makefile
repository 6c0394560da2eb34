# The two commands of the README: `make run` builds and starts cocreate, `make test` installs
# what the tests need and runs every test. Everything else here serves those two.

CARGO ?= cargo
INTEROP := server/tests/interop

.PHONY: run build test test-deps test-rust test-interop

## Build (release) and serve on 127.0.0.1:8080 with data in ./data.
run:
	$(CARGO) run --release -p cocreate-server --bin cocreate -- serve

build:
	$(CARGO) build --release -p cocreate-server --bin cocreate

## Install test prerequisites, then run the Rust tests and the JavaScript interop tests.
test: test-deps test-rust test-interop

test-deps:
	scripts/install-test-deps.sh

test-rust:
	$(CARGO) test --workspace --locked

# Built with the test targets so that features unify with `cargo test` and nothing recompiles.
test-interop:
	$(CARGO) build --workspace --all-targets --locked
	cd $(INTEROP) && npm ci --no-audit --no-fund && npm test
