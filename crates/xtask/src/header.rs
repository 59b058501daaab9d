//! `cargo xtask header [--check [FILE]]`: `include/engagelab_push.h` from
//! crates/engagelab-push-ffi, by cbindgen at a pinned version (so every
//! machine writes the same bytes), installed once per machine into the
//! user's cache (`$XDG_CACHE_HOME` or `~/.cache`, `engagelab-push/`), as
//! rustup keeps the MSRV toolchain and Go its build cache: a fresh clone
//! does not compile it again.

use std::fs;
use std::path::{Path, PathBuf};

use crate::process::{at_root, cargo, run, stdout};
use crate::scratch::Scratch;

const CBINDGEN: &str = "0.29.4";

/// The committed header.
pub(crate) fn committed() -> PathBuf {
    crate::root().join("include/engagelab_push.h")
}

/// Where pinned tools are installed, one folder per tool and version.
fn tool_cache() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map_or_else(
            || crate::root().join(".tools"),
            |c| c.join("engagelab-push"),
        )
}

/// cbindgen at the pinned version, installed when missing.
pub(crate) fn cbindgen() -> Result<PathBuf, String> {
    crate::process::exclusive("cbindgen", cbindgen_unlocked)
}

fn cbindgen_unlocked() -> Result<PathBuf, String> {
    let tools = tool_cache().join(format!("cbindgen-{CBINDGEN}"));
    let bin = tools.join("bin/cbindgen");
    let have = stdout(at_root(&bin).arg("--version")).unwrap_or_default();
    if have != format!("cbindgen {CBINDGEN}") {
        println!(
            "header: installing cbindgen {CBINDGEN} into {} (found {have:?})",
            tools.display()
        );
        run(cargo()
            .args([
                "install",
                "cbindgen",
                "--version",
                CBINDGEN,
                "--locked",
                "--quiet",
            ])
            .arg("--root")
            .arg(&tools))?;
    }
    Ok(bin)
}

fn generate(out: &Path) -> Result<(), String> {
    run(at_root(cbindgen()?)
        .args([
            "--quiet",
            "--config",
            "crates/engagelab-push-ffi/cbindgen.toml",
        ])
        .args(["--crate", "engagelab-push-ffi", "--output"])
        .arg(out)
        .arg("crates/engagelab-push-ffi"))
}

/// Writes the committed header.
pub(crate) fn write() -> Result<(), String> {
    generate(&committed())?;
    println!("header: wrote include/engagelab_push.h");
    // The PHP binding's declarations follow the header (gen --check checks them).
    let header = fs::read_to_string(committed()).map_err(|e| format!("header: {e}"))?;
    let php = crate::root().join(crate::generate::php::DECLARATIONS);
    fs::write(&php, crate::generate::php::php_declarations(&header)?)
        .map_err(|e| format!("{}: {e}", php.display()))?;
    println!("header: wrote {}", crate::generate::php::DECLARATIONS);
    Ok(())
}

/// Fails, showing a diff, when `header` is not what cbindgen writes now.
pub(crate) fn check(header: &Path) -> Result<(), String> {
    let scratch = Scratch::new("header")?;
    let fresh = scratch.join("engagelab_push.h");
    generate(&fresh)?;
    let now = fs::read(&fresh).map_err(|e| format!("{}: {e}", fresh.display()))?;
    let was = fs::read(header).map_err(|e| format!("{}: {e}", header.display()))?;
    if now == was {
        println!("header: {} is up to date", header.display());
        return Ok(());
    }
    // Show what differs; diff exits 1 on a difference, which is expected here.
    let _ = at_root("diff").arg("-u").arg(header).arg(&fresh).status();
    Err(format!(
        "{} is stale: run `cargo xtask header` and commit it",
        header.display()
    ))
}
