# The project's commands: a thin wrapper over `cargo xtask` (crates/xtask).
# `make demo` runs the main job, `make test` every test (what CI runs).
.PHONY: demo dist dist-check test test-rust test-c test-python lint header header-check install bench bench-quick

PREFIX ?= /usr/local

demo:
	cargo xtask demo

test:
	cargo xtask test

# The release artifacts into dist/ (crates/xtask/src/dist/mod.rs).
dist:
	cargo xtask dist

# The release artifacts of every target, each run (test/targets.rs): about
# 20 minutes of CPU, so not part of `make test`.
dist-check:
	cargo xtask test targets

lint:
	cargo xtask lint

test-rust:
	cargo xtask test rust

test-c:
	cargo xtask test c sanitizers

test-python:
	cargo xtask test python

header:
	cargo xtask header

header-check:
	cargo xtask header --check

install:
	cargo xtask install "$(PREFIX)"

bench:
	cargo xtask bench

bench-quick:
	cargo xtask bench --quick
