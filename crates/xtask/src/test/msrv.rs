//! The declared minimum Rust version (`rust-version` in the workspace's
//! Cargo.toml): installs that toolchain with rustup and type-checks with it
//! every crate a user builds (the core, the C ABI, the Python module, the
//! CLI: their libraries and programs, what a user compiles; not their tests,
//! which only this project builds, with the stable toolchain) in its own
//! target directory (`target/msrv`) so the two toolchains do not rebuild
//! each other's artifacts. A check, not a test run: what a version can break
//! is whether the code compiles, and the stable toolchain runs the tests.

use crate::process::{at_root, run};

/// The workspace's `rust-version`, as a rustup toolchain name.
pub(crate) fn toolchain() -> Result<String, String> {
    let path = crate::root().join("Cargo.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: toml::Table = text
        .parse()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let version = doc
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("rust-version"))
        .and_then(|v| v.as_str())
        .ok_or("Cargo.toml: no workspace.package.rust-version")?;
    // rustup wants all three parts: 1.88 -> 1.88.0.
    Ok(match version.matches('.').count() {
        1 => format!("{version}.0"),
        _ => version.to_owned(),
    })
}

/// A command of the MSRV toolchain, free of the outer cargo's choices.
fn with_toolchain(program: &str, toolchain: &str) -> std::process::Command {
    let mut cmd = at_root(program);
    cmd.arg(format!("+{toolchain}"));
    free_of_outer_cargo(&mut cmd);
    cmd
}

/// Clears what the outer cargo set, and builds into `target/msrv`.
fn free_of_outer_cargo(cmd: &mut std::process::Command) {
    cmd.env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env("CARGO_TARGET_DIR", crate::clib::target_dir().join("msrv"));
}

pub(crate) fn install() -> Result<String, String> {
    let toolchain = toolchain()?;
    run(at_root("rustup").args(["toolchain", "install", &toolchain, "--profile", "minimal"]))?;
    run(with_toolchain("rustc", &toolchain).arg("--version"))?;
    Ok(toolchain)
}

pub(crate) fn check(toolchain: &str) -> Result<(), String> {
    let mut check = at_root("cargo");
    check.arg(format!("+{toolchain}"));
    check.args(["check", "--quiet", "--lib", "--bins", "--locked"]);
    for krate in CRATES {
        check.args(["-p", krate]);
    }
    free_of_outer_cargo(&mut check);
    run(&mut check)
}

/// What users build, so what must build on the declared version.
const CRATES: &[&str] = &[
    "engagelab-push",
    "engagelab-push-ffi",
    "engagelab-push-py",
    "engagelab-push-cli",
];
