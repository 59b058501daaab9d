//! `cargo xtask`: the project's tooling, in Rust rather than shell. One
//! module per command; `make` is a thin wrapper over these (see Makefile).

mod apt;
mod bench;
mod bindings;
mod clib;
mod demo;
mod dist;
mod generate;
mod header;
mod install;
mod lint;
mod mock;
mod process;
mod scratch;
mod steps;
mod test;
mod toxiproxy;
mod venv;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// The workspace root (this crate lives in `crates/xtask`).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

const USAGE: &str = "usage: cargo xtask <command>

commands:
  test [SUITE...] every test (what `make test` and CI run), or only the suites
                  named: lint, rust, msrv, c, sanitizers, python, dist,
                  bench (the harness in quick mode), go, java, node,
                  php (bindings: all four); targets (every target's
                  artifacts, only when named: `make dist-check`)
  demo            delete a device through Rust, C and Python against the mock
  lint            rustfmt, clippy -D warnings, gen --check, header --check, ruff
  gen [--check]   write the files generated from the tables in spec/
                  (error-model.toml, settings.toml)
                  (--check: fail if any is stale instead of writing)
  header [--check]
                  write include/engagelab_push.h with the pinned cbindgen
                  (--check: fail with a diff if it is stale)
  lib [--release] build the C library into target/PROFILE/lib/ as it ships:
                  libengagelab_push.so.VERSION, its SONAME and dev links, .a
  install PREFIX  install the release C library, header, pkg-config file and
                  CMake package under PREFIX (DESTDIR honoured)
  dist [--host] [--allow-dirty]
                  the release artifacts into dist/ for x86_64 and aarch64,
                  glibc >= 2.17 and musl: abi3 wheels, C SDKs, the npm
                  package, the jar, the Go module, the sdist, the .crate,
                  SHA256SUMS (--host: the host's wheel and C SDK only;
                  --allow-dirty: package uncommitted work)
  bench [--quick] the benchmarks (BENCHMARKS.md); --quick: small N into
                  target/bench-quick/
  bench --in-flight
                  the asynchronous calls with 1 and 64 in flight
                  (bench/in_flight.py; its section of BENCHMARKS.md)
  bench --bulk    the bulk-deletion benchmark alone (bench/bulk.py; its
                  section and targets of BENCHMARKS.md)
  binding LANG test|demo
                  run a language binding's tests or demo (bindings/LANG)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["test", suites @ ..] => test::run(suites),
        ["demo"] => demo::run_demo(),
        ["lint"] => {
            let start = Instant::now();
            let mut steps = steps::Steps::new();
            lint::run_all(&mut steps);
            steps.finish("lint", start)
        }
        ["gen"] => generate::run(false),
        ["gen", "--check"] => generate::run(true),
        ["header"] => header::write(),
        ["header", "--check"] => header::check(&header::committed()),
        ["lib"] => clib::build(false).map(|dir| println!("{}", dir.display())),
        ["lib", "--release"] => clib::build(true).map(|dir| println!("{}", dir.display())),
        ["install", prefix] => install::install(prefix),
        ["dist", options @ ..] => dist::main(options),
        ["bench"] => bench::run(false),
        ["bench", "--quick"] => bench::run(true),
        ["bench", "--bulk"] => bench::run_bulk(),
        ["bench", "--in-flight"] => bench::run_in_flight(),
        ["binding", language, action] => bindings::main(language, action),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
