//! The project's Python virtualenv, `.venv`: CPython >= 3.9 with the pinned
//! dev tools of python/pyproject.toml's `dev` dependency group (maturin,
//! pytest, mypy, ruff). Created on first use, reused after.

use std::fs;
use std::path::{Path, PathBuf};

use crate::process::{at_root, run, stdout};

/// The venv's interpreter.
pub(crate) fn python() -> PathBuf {
    crate::root().join(".venv/bin/python")
}

/// A program installed into the venv (`ruff`, `maturin`, ...).
pub(crate) fn tool(name: &str) -> PathBuf {
    crate::root().join(".venv/bin").join(name)
}

/// The `dev` dependency group, read from python/pyproject.toml.
fn dev_requirements() -> Result<Vec<String>, String> {
    let path = crate::root().join("python/pyproject.toml");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: toml::Table = text
        .parse()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let group = doc
        .get("dependency-groups")
        .and_then(|g| g.get("dev"))
        .and_then(|d| d.as_array())
        .ok_or("python/pyproject.toml: no [dependency-groups] dev")?;
    group
        .iter()
        .map(|r| {
            r.as_str().map(str::to_owned).ok_or_else(|| {
                format!("python/pyproject.toml: dev group entry {r} is not a string")
            })
        })
        .collect()
}

/// Makes `.venv` and installs the dev group into it when it changed.
pub(crate) fn ensure() -> Result<(), String> {
    crate::process::exclusive("venv", ensure_unlocked)
}

fn ensure_unlocked() -> Result<(), String> {
    let root = crate::root();
    let venv = root.join(".venv");
    let py = python();
    let usable = stdout(at_root(&py).args(["-c", "import sys; print(sys.version_info >= (3, 9))"]))
        .is_ok_and(|s| s == "True");
    if !usable {
        println!("venv: creating .venv");
        create(&venv)?;
    }
    let wanted = dev_requirements()?;
    let stamp = venv.join(".dev-requirements");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(&*wanted.join("\n")) {
        return Ok(());
    }
    println!("venv: pip install {}", wanted.join(" "));
    run(at_root(&py).args(PIP_INSTALL).args(&wanted))?;
    fs::write(&stamp, wanted.join("\n")).map_err(|e| format!("{}: {e}", stamp.display()))
}

/// The arguments of a quiet `python -m pip install`.
pub(crate) const PIP_INSTALL: [&str; 5] = [
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
];

/// A new virtualenv at `dir` with pip, made by `$PYTHON` (default python3).
pub(crate) fn create(dir: &Path) -> Result<(), String> {
    let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let _ = fs::remove_dir_all(dir);
    if run(at_root(&base).args(["-m", "venv"]).arg(dir)).is_ok() {
        return Ok(());
    }
    // Debian without python3-venv: a venv without pip, then the system pip
    // (>= 22.3) installs pip into it.
    let _ = fs::remove_dir_all(dir);
    run(at_root(&base)
        .args(["-m", "venv", "--without-pip"])
        .arg(dir))?;
    run(at_root(&base)
        .args(["-m", "pip", "--python"])
        .arg(dir.join("bin/python"))
        .args(["install", "--quiet", "pip"]))
}

/// The release wheel (`dist::host_wheel`, built once for the demo, the
/// Python suite and the benchmarks) installed into the venv, then checked
/// to import from outside the source tree. Building from source, as `pip
/// install ./python` does, is the `dist` suite's sdist check.
pub(crate) fn install_package() -> Result<(), String> {
    let wheel = crate::dist::host_wheel("venv")?;
    run(at_root(python())
        .args(PIP_INSTALL)
        .args(["--force-reinstall", "--no-deps"])
        .arg(&wheel))?;
    let version = stdout(at_root(python()).current_dir("/").args([
        "-c",
        "import engagelab_push; print(engagelab_push.__version__)",
    ]))?;
    if version != crate::clib::VERSION {
        return Err(format!(
            "engagelab_push {version} installed, the workspace is {}",
            crate::clib::VERSION
        ));
    }
    println!("engagelab_push {version} installed into .venv");
    Ok(())
}

/// The PATH with the venv's `bin` first: maturin and cargo-zigbuild find
/// zig as `python3 -m ziglang`.
pub(crate) fn first_on_path() -> std::ffi::OsString {
    let venv_bin = crate::root().join(".venv/bin");
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(venv_bin).chain(std::env::split_paths(&rest)))
        .expect("PATH entries join")
}
