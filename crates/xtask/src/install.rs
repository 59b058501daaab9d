//! `cargo xtask install PREFIX`: the release C library, its header, a
//! pkg-config file and a CMake package under PREFIX (`DESTDIR` honoured, for
//! packagers):
//!
//! ```text
//! lib/libengagelab_push.so.VERSION (+ the links .so.MAJOR and .so)
//! lib/libengagelab_push.a  include/engagelab_push.h  include/engagelab_push.hpp
//! lib/pkgconfig/engagelab_push.pc
//! lib/cmake/EngageLabPush/EngageLabPushConfig.cmake (+ ConfigVersion)
//! ```
//!
//! The C SDK tarball of `cargo xtask dist` is the same tree, installed by
//! [`install_tree`] with a relocatable pkg-config file.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use crate::clib::{MAJOR, VERSION};

const MINOR: &str = env!("CARGO_PKG_VERSION_MINOR");

pub(crate) fn install(prefix: &str) -> Result<(), String> {
    if prefix.is_empty() {
        return Err("usage: cargo xtask install PREFIX".into());
    }
    let prefix = std::path::absolute(prefix).map_err(|e| format!("{prefix}: {e}"))?;
    // DESTDIR/PREFIX receives the files; PREFIX is what they say.
    let dest = match std::env::var_os("DESTDIR").filter(|d| !d.is_empty()) {
        Some(destdir) => PathBuf::from(destdir).join(prefix.strip_prefix("/").unwrap_or(&prefix)),
        None => prefix.clone(),
    };
    let prefix_text = prefix
        .to_str()
        .ok_or_else(|| format!("{}: not UTF-8", prefix.display()))?;
    install_tree(&crate::clib::build(true)?, &dest, prefix_text)?;
    println!(
        "install: engagelab_push {VERSION} installed under {}",
        dest.display()
    );
    Ok(())
}

/// What the pkg-config file's `prefix` says when the tree is relocatable:
/// the directory two levels above the `.pc` file, wherever it was unpacked
/// (pkg-config and pkgconf both define `pcfiledir`; a consumer can still
/// override it with `--define-variable=prefix=DIR`). The CMake package is
/// relocatable anyway: it finds its prefix from `CMAKE_CURRENT_LIST_DIR`.
pub(crate) const RELOCATABLE_PREFIX: &str = "${pcfiledir}/../..";

/// Installs the tree of the library laid out in `lib` into `dest`, with
/// `prefix` written into the pkg-config file (an absolute path, or
/// [`RELOCATABLE_PREFIX`]).
pub(crate) fn install_tree(lib: &Path, dest: &Path, prefix_text: &str) -> Result<(), String> {
    let root = crate::root();
    let pkg = root.join("crates/engagelab-push-ffi/pkg");
    let cmake = dest.join("lib/cmake/EngageLabPush");
    for dir in [
        dest.join("lib/pkgconfig"),
        cmake.clone(),
        dest.join("include"),
    ] {
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let real = format!("libengagelab_push.so.{VERSION}");
    copy(&lib.join(&real), &dest.join("lib").join(&real), 0o755)?;
    link(
        &real,
        &dest.join(format!("lib/libengagelab_push.so.{MAJOR}")),
    )?;
    link(
        &format!("libengagelab_push.so.{MAJOR}"),
        &dest.join("lib/libengagelab_push.so"),
    )?;
    copy(
        &lib.join("libengagelab_push.a"),
        &dest.join("lib/libengagelab_push.a"),
        0o644,
    )?;
    copy(
        &crate::header::committed(),
        &dest.join("include/engagelab_push.h"),
        0o644,
    )?;
    // The header-only C++17 API over the C one.
    copy(
        &root.join("include/engagelab_push.hpp"),
        &dest.join("include/engagelab_push.hpp"),
        0o644,
    )?;
    for (template, out) in [
        (
            "engagelab_push.pc.in",
            dest.join("lib/pkgconfig/engagelab_push.pc"),
        ),
        (
            "EngageLabPushConfig.cmake.in",
            cmake.join("EngageLabPushConfig.cmake"),
        ),
        (
            "EngageLabPushConfigVersion.cmake.in",
            cmake.join("EngageLabPushConfigVersion.cmake"),
        ),
    ] {
        fill(&pkg.join(template), &out, prefix_text)?;
    }
    Ok(())
}

/// Writes `template` to `out` with `@PREFIX@`, `@VERSION@`,
/// `@VERSION_MAJOR@` and `@VERSION_MINOR@` filled in.
fn fill(template: &Path, out: &Path, prefix: &str) -> Result<(), String> {
    let text = fs::read_to_string(template).map_err(|e| format!("{}: {e}", template.display()))?;
    let text = text
        .replace("@PREFIX@", prefix)
        .replace("@VERSION_MAJOR@", MAJOR)
        .replace("@VERSION_MINOR@", MINOR)
        .replace("@VERSION@", VERSION);
    fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))?;
    chmod(out, 0o644)
}

fn copy(from: &Path, to: &Path, mode: u32) -> Result<(), String> {
    let _ = fs::remove_file(to);
    fs::copy(from, to)
        .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))?;
    chmod(to, mode)
}

fn chmod(path: &Path, mode: u32) -> Result<(), String> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn link(target: &str, at: &Path) -> Result<(), String> {
    let _ = fs::remove_file(at);
    symlink(target, at).map_err(|e| format!("{}: {e}", at.display()))
}
