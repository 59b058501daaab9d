//! `cargo xtask lib [--release]`: builds the C library and lays it out as it
//! ships, in `target/PROFILE/lib/`:
//! `libengagelab_push.so.MAJOR.MINOR.PATCH` (SONAME `libengagelab_push.so.MAJOR`),
//! the links `libengagelab_push.so.MAJOR` and `libengagelab_push.so`, and
//! `libengagelab_push.a`.

use std::fs;
use std::path::{Path, PathBuf};

/// The project's version: the workspace's, which every crate inherits.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The ABI major version, part of the SONAME.
pub(crate) const MAJOR: &str = env!("CARGO_PKG_VERSION_MAJOR");

/// The cargo target directory.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::root().join("target"))
}

/// Builds the whole workspace in debug, every target: the selection that
/// `cargo test --workspace` makes, so the dependencies are compiled once
/// with one set of features (a `-p` build would enable fewer features of
/// libc and a few others, and so compile everything above them again).
pub(crate) fn build_debug_workspace() -> Result<(), String> {
    let status = crate::process::cargo()
        .args(["build", "--quiet", "--workspace", "--all-targets"])
        .status()
        .map_err(|e| format!("cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("cargo build --workspace --all-targets failed".into())
    }
}

/// Builds the library and returns the directory holding it: in release, the
/// library alone (what the tests of the bindings, the C SDK and the install
/// need); in debug, with the whole workspace ([`build_debug_workspace`]).
pub(crate) fn build(release: bool) -> Result<PathBuf, String> {
    if release {
        release_build(&["-p", "engagelab-push-ffi", "--lib"])
    } else {
        build_debug_workspace()?;
        lay_out_profile("debug")
    }
}

/// The release library with the core's examples (the demo's and the
/// benchmark's Rust programs), in one selection, so that the dependencies
/// are compiled once for both. Examples bring the core's dev-dependencies
/// (the mock, proptest) with them, which is why [`build`] leaves them out.
pub(crate) fn build_with_examples() -> Result<PathBuf, String> {
    release_build(&[
        "-p",
        "engagelab-push-ffi",
        "-p",
        "engagelab-push",
        "--examples",
        "--lib",
    ])
}

fn release_build(selection: &[&str]) -> Result<PathBuf, String> {
    let status = crate::process::cargo()
        .args(["build", "--quiet", "--release"])
        .args(selection)
        .status()
        .map_err(|e| format!("cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build --release {} failed",
            selection.join(" ")
        ));
    }
    lay_out_profile("release")
}

fn lay_out_profile(profile: &str) -> Result<PathBuf, String> {
    let profile = target_dir().join(profile);
    let out = profile.join("lib");
    lay_out(&profile, &out)?;
    Ok(out)
}

/// Lays out the library cargo built in `profile` as it ships, in `out`.
pub(crate) fn lay_out(profile: &Path, out: &Path) -> Result<(), String> {
    fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let real = format!("libengagelab_push.so.{VERSION}");
    copy(&profile.join("libengagelab_push_ffi.so"), &out.join(&real))?;
    link(&real, &out.join(format!("libengagelab_push.so.{MAJOR}")))?;
    link(
        &format!("libengagelab_push.so.{MAJOR}"),
        &out.join("libengagelab_push.so"),
    )?;
    copy(
        &profile.join("libengagelab_push_ffi.a"),
        &out.join("libengagelab_push.a"),
    )
}

/// Copies `from` to `to` by way of a temporary file renamed over `to`: a
/// program that maps the old file keeps it, and a suite reading `to` in
/// another lane sees the old file or the new one, never none.
pub(crate) fn copy(from: &Path, to: &Path) -> Result<(), String> {
    let tmp = temporary(to);
    fs::copy(from, &tmp)
        .and_then(|_| fs::rename(&tmp, to))
        .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}

/// A symbolic link `at` -> `target`, replaced the same way.
fn link(target: &str, at: &Path) -> Result<(), String> {
    let tmp = temporary(at);
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)
        .and_then(|()| fs::rename(&tmp, at))
        .map_err(|e| format!("{}: {e}", at.display()))
}

/// A name beside `path` that only this process uses.
fn temporary(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}
