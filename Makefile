# The two commands of the README: `make run` builds and starts cocreate, `make test` installs
# what the tests need and runs every test. Everything else here serves those two.

CARGO ?= cargo
INTEROP := server/tests/interop
WEB := web-client
DEPLOY_TEST := deploy/test

.PHONY: run build web test test-deps test-rust test-interop test-web test-deploy

## Build (release) and serve on 127.0.0.1:8080 with data in ./data, the web client at /.
run: web
	$(CARGO) run --release -p cocreate-server --bin cocreate -- serve

build: web
	$(CARGO) build --release -p cocreate-server --bin cocreate

## The web client, built into web-client/dist (Node.js is installed if missing).
web:
	scripts/apt-ensure.sh node:nodejs npm:npm
	cd $(WEB) && npm ci --no-audit --no-fund && npm run build

## Install test prerequisites, then run the Rust tests, the JavaScript interop tests, the
## web client's tests (unit tests, then Playwright on headless Chromium) and the deployment's
## (lint, then a rolling restart of two nodes behind nginx).
test: test-deps test-rust test-interop test-web test-deploy

test-deps:
	scripts/install-test-deps.sh

test-rust:
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
