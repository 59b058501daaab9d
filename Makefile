# The project's commands. `make demo` runs the main job, `make test` every test.
.PHONY: demo test test-rust test-c test-python lint header header-check install bench bench-quick

PREFIX ?= /usr/local

demo:
	scripts/demo.sh

test:
	scripts/test.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

test-rust:
	cargo test --workspace

test-c:
	scripts/c-test.sh

test-python:
	scripts/python-test.sh

header:
	scripts/c-header.sh

header-check:
	scripts/c-header.sh --check

install:
	scripts/c-install.sh "$(PREFIX)"

bench:
	scripts/bench.sh

bench-quick:
	scripts/bench.sh --quick
