//! `cargo xtask dist`: the release artifacts, in `dist/` (ignored by git):
//!
//! ```text
//! engagelab_push-VERSION-cp39-abi3-manylinux*_x86_64.whl   maturin --zig, manylinux2014
//! engagelab_push-VERSION-cp39-abi3-manylinux*_aarch64.whl  the same, cross-compiled (--aarch64)
//! engagelab_push-VERSION.tar.gz                            the sdist (maturin sdist)
//! engagelab-push-c-VERSION-linux-x86_64.tar.gz             the C SDK (install::install_tree)
//! engagelab-push-VERSION.crate                             cargo package -p engagelab-push
//! SHA256SUMS                                               sha256sum -c compatible
//! ```
//!
//! The wheels are built by maturin with zig as the linker, against glibc
//! 2.17's symbols, so one wheel serves every manylinux2014 system without a
//! Rust toolchain; `auditwheel show` must agree with the tag before a wheel is
//! kept. The checks that use these files are the `dist` test suite
//! (test/dist.rs).

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::Compression;
use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};

use crate::clib::{MAJOR, VERSION};
use crate::process::{at_root, cargo, run, stdout};
use crate::venv;

/// The one target the C SDK and the x86_64 wheel are built for.
pub(crate) const C_SDK: &str = concat!(
    "engagelab-push-c-",
    env!("CARGO_PKG_VERSION"),
    "-linux-x86_64"
);
const MINOR: &str = env!("CARGO_PKG_VERSION_MINOR");
const AARCH64: &str = "aarch64-unknown-linux-gnu";

/// What `cargo xtask dist` builds.
pub(crate) struct Options {
    /// The aarch64 wheel too (cross-compiled with zig).
    pub(crate) aarch64: bool,
    /// `cargo package --allow-dirty`: for tests of uncommitted work, never
    /// for a release (the .crate records the commit it was made from).
    pub(crate) allow_dirty: bool,
}

/// The files written into `dist/`.
pub(crate) struct Artifacts {
    pub(crate) dir: PathBuf,
    pub(crate) wheel: PathBuf,
    pub(crate) sdist: PathBuf,
    pub(crate) c_sdk: PathBuf,
    pub(crate) krate: PathBuf,
}

pub(crate) fn dir() -> PathBuf {
    crate::root().join("dist")
}

/// `cargo xtask dist [--no-aarch64] [--allow-dirty]`.
pub(crate) fn main(args: &[&str]) -> Result<(), String> {
    let mut options = Options {
        aarch64: true,
        allow_dirty: false,
    };
    for arg in args {
        match *arg {
            "--no-aarch64" => options.aarch64 = false,
            "--allow-dirty" => options.allow_dirty = true,
            _ => return Err(format!("dist: unknown option {arg}")),
        }
    }
    let artifacts = build(&options)?;
    println!("dist: {}", artifacts.dir.display());
    let mut names = list(&artifacts.dir)?;
    names.push("SHA256SUMS".into());
    for name in names {
        let size = fs::metadata(artifacts.dir.join(&name))
            .map_err(|e| format!("{name}: {e}"))?
            .len();
        println!("  {size:>10}  {name}");
    }
    Ok(())
}

/// Builds every artifact into a fresh `dist/`.
pub(crate) fn build(options: &Options) -> Result<Artifacts, String> {
    let dir = dir();
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    venv::ensure()?;

    println!("dist: wheel, x86_64 (maturin --zig, manylinux2014)");
    let wheel = build_wheel(&dir, None)?;
    check_wheel_tag(&wheel)?;
    if options.aarch64 {
        println!("dist: wheel, aarch64 (maturin --zig --target {AARCH64})");
        run(Command::new("rustup").args(["target", "add", AARCH64]))?;
        let arm = build_wheel(&dir, Some(AARCH64))?;
        check_wheel_tag(&arm)?;
    }

    println!("dist: sdist (maturin sdist)");
    let before = list(&dir)?;
    run(at_root(venv::tool("maturin"))
        .current_dir(crate::root().join("python"))
        .args(["sdist", "--out"])
        .arg(&dir))?;
    let sdist = dir.join(new_file(&dir, &before, ".tar.gz")?);

    println!("dist: C SDK tarball");
    let c_sdk = c_sdk(&dir)?;

    println!("dist: cargo package -p engagelab-push");
    let krate = package(&dir, options.allow_dirty)?;

    write_sums(&dir)?;
    Ok(Artifacts {
        dir,
        wheel,
        sdist,
        c_sdk,
        krate,
    })
}

/// The files of `dir`, sorted, but SHA256SUMS.
fn list(dir: &Path) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SHA256SUMS")
        .collect();
    names.sort();
    Ok(names)
}

/// The one file of `dir` ending in `suffix` that was not in `before`.
fn new_file(dir: &Path, before: &[String], suffix: &str) -> Result<String, String> {
    let new: Vec<String> = list(dir)?
        .into_iter()
        .filter(|n| !before.contains(n) && n.ends_with(suffix))
        .collect();
    match new.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!(
            "expected one new *{suffix} in dist/, found {new:?}"
        )),
    }
}

/// The x86_64 release wheel (the same build as `dist/`'s) in
/// `target/python-wheels/FOR/`: what the Python suite, the demo and the
/// benchmarks install. cargo compiles the extension once; each later call
/// finds it fresh and only packs the wheel again, into its own directory,
/// so suites running side by side never read a wheel another is writing.
pub(crate) fn host_wheel(for_: &str) -> Result<PathBuf, String> {
    venv::ensure()?;
    let dir = crate::clib::target_dir().join("python-wheels").join(for_);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    build_wheel(&dir, None)
}

/// Where the wheels are compiled: apart from `target/release`, because
/// zig as the C compiler makes cc-built crates (ring) rebuild, and all that
/// depends on them, whenever a plain release build ran in between.
pub(crate) fn zig_target_dir() -> PathBuf {
    crate::clib::target_dir().join("zig")
}

/// `maturin build --release --zig --compatibility manylinux2014`, for the
/// host or for `target`. maturin finds zig as `python3 -m ziglang` (the
/// ziglang package of the dev group), hence the venv first on the PATH.
///
/// One build at a time, through flock(1): maturin stages the extension at a
/// fixed path under the shared target directory, so two suites building a
/// wheel side by side (the Python suite's and the benchmark's) would pack
/// each other's half-written file.
fn build_wheel(dir: &Path, target: Option<&str>) -> Result<PathBuf, String> {
    let before = list(dir)?;
    let lock = zig_target_dir().join("maturin.lock");
    fs::create_dir_all(zig_target_dir()).map_err(|e| format!("{}: {e}", lock.display()))?;
    let mut cmd = at_root("flock");
    cmd.arg(&lock).arg(venv::tool("maturin"));
    cmd.current_dir(crate::root().join("python"))
        .env("CARGO_TARGET_DIR", zig_target_dir())
        .args([
            "build",
            "--release",
            "--zig",
            "--compatibility",
            "manylinux2014",
        ])
        .arg("--out")
        .arg(dir)
        .env("PATH", venv_first_path());
    if let Some(target) = target {
        cmd.args(["--target", target]);
    }
    run(&mut cmd)?;
    Ok(dir.join(new_file(dir, &before, ".whl")?))
}

fn venv_first_path() -> std::ffi::OsString {
    let venv_bin = crate::root().join(".venv/bin");
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(venv_bin).chain(std::env::split_paths(&rest)))
        .expect("PATH entries join")
}

/// `manylinux_X_Y_ARCH` as (X, Y, ARCH).
fn manylinux(tag: &str) -> Option<(u32, u32, String)> {
    let rest = tag.strip_prefix("manylinux_")?;
    let mut parts = rest.splitn(3, '_');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor, parts.next()?.to_owned()))
}

/// The wheel's `manylinux_X_Y_ARCH` platform tag, from its file name.
pub(crate) fn wheel_tag(wheel: &Path) -> Result<(u32, u32, String), String> {
    let name = wheel
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("a wheel without a name")?;
    let platforms = name
        .strip_suffix(".whl")
        .and_then(|n| n.rsplit('-').next())
        .ok_or_else(|| format!("{name}: not a wheel name"))?;
    platforms
        .split('.')
        .find_map(manylinux)
        .ok_or_else(|| format!("{name}: no manylinux_X_Y tag"))
}

/// `auditwheel show` must find the wheel consistent with a manylinux tag at
/// least as old as the one it claims, for the same architecture.
pub(crate) fn check_wheel_tag(wheel: &Path) -> Result<(), String> {
    let (major, minor, arch) = wheel_tag(wheel)?;
    let out = stdout(at_root(venv::tool("auditwheel")).arg("show").arg(wheel))?;
    // `... is consistent with the following platform tag: "manylinux_2_17_x86_64".`
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let agreed = flat
        .split_once("consistent with the following platform tag:")
        .and_then(|(_, rest)| rest.split('"').nth(1))
        .and_then(manylinux)
        .ok_or_else(|| format!("auditwheel show gave no platform tag:\n{out}"))?;
    if agreed.2 != arch || (agreed.0, agreed.1) > (major, minor) {
        return Err(format!(
            "{} claims manylinux_{major}_{minor}_{arch}, auditwheel show allows only \
             manylinux_{}_{}_{}:\n{out}",
            wheel.display(),
            agreed.0,
            agreed.1,
            agreed.2
        ));
    }
    println!(
        "auditwheel show: consistent with manylinux_{}_{}_{}",
        agreed.0, agreed.1, agreed.2
    );
    Ok(())
}

/// The C SDK: the `cargo xtask install` tree with a relocatable pkg-config
/// file, the licenses and a README, as `C_SDK/...` in a reproducible
/// tarball (sorted entries, no owners, fixed times).
fn c_sdk(dir: &Path) -> Result<PathBuf, String> {
    let root = crate::root();
    let stage = crate::clib::target_dir().join("dist-stage");
    let _ = fs::remove_dir_all(&stage);
    let top = stage.join(C_SDK);
    crate::install::install_tree(&top, crate::install::RELOCATABLE_PREFIX)?;
    for license in ["LICENSE-MIT", "LICENSE-APACHE"] {
        fs::copy(root.join(license), top.join(license)).map_err(|e| format!("{license}: {e}"))?;
    }
    let so = top.join(format!("lib/libengagelab_push.so.{VERSION}"));
    let template = root.join("crates/engagelab-push-ffi/pkg/SDK-README.md.in");
    let readme = fs::read_to_string(&template)
        .map_err(|e| format!("{}: {e}", template.display()))?
        .replace("@GLIBC@", &glibc_needed(&so)?)
        .replace("@VERSION_MAJOR@", MAJOR)
        .replace("@VERSION_MINOR@", MINOR)
        .replace("@VERSION@", VERSION);
    fs::write(top.join("README.md"), readme).map_err(|e| format!("README.md: {e}"))?;
    let out = dir.join(format!("{C_SDK}.tar.gz"));
    tar_gz(&stage, C_SDK, &out)?;
    Ok(out)
}

/// The newest `GLIBC_2.N` symbol version a binary asks for, as `2.N`.
pub(crate) fn glibc_needed(binary: &Path) -> Result<String, String> {
    let bytes = fs::read(binary).map_err(|e| format!("{}: {e}", binary.display()))?;
    let needle = b"GLIBC_2.";
    let mut newest: Option<Vec<u32>> = None;
    for start in 0..bytes.len().saturating_sub(needle.len()) {
        if &bytes[start..start + needle.len()] != needle {
            continue;
        }
        let tail = &bytes[start + needle.len() - 2..];
        let end = tail
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b'.'))
            .unwrap_or(tail.len());
        let text = String::from_utf8_lossy(&tail[..end]);
        let version: Option<Vec<u32>> = text.split('.').map(|p| p.parse().ok()).collect();
        if let Some(version) = version
            && newest.as_ref().is_none_or(|n| version > *n)
        {
            newest = Some(version);
        }
    }
    let newest = newest.ok_or_else(|| format!("{}: no GLIBC_ version", binary.display()))?;
    Ok(newest
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join("."))
}

/// `parent/top`, recursively, into `out` as a gzipped tarball whose entries
/// all start with `top/`. Symlinks stay links; owners and times are left out
/// (tar's deterministic header mode), so the same tree gives the same bytes.
fn tar_gz(parent: &Path, top: &str, out: &Path) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", out.display());
    let file = File::create(out).map_err(fail)?;
    let gz = flate2::GzBuilder::new().write(file, Compression::best());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    tar.follow_symlinks(false);
    let mut paths = vec![PathBuf::from(top)];
    walk(&parent.join(top), Path::new(top), &mut paths)?;
    paths.sort();
    for path in paths {
        tar.append_path_with_name(parent.join(&path), &path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    tar.into_inner().map_err(fail)?.finish().map_err(fail)?;
    Ok(())
}

fn walk(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let rel = rel.join(entry.file_name());
        out.push(rel.clone());
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            walk(&entry.path(), &rel, out)?;
        }
    }
    Ok(())
}

/// Unpacks a `.tar.gz` into `into` (symlinks kept).
pub(crate) fn untar_gz(archive: &Path, into: &Path) -> Result<(), String> {
    let file = File::open(archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    tar::Archive::new(GzDecoder::new(file))
        .unpack(into)
        .map_err(|e| format!("unpacking {}: {e}", archive.display()))
}

/// `cargo package -p engagelab-push` (which builds the packaged copy to
/// verify it), the .crate copied into `dist/`.
fn package(dir: &Path, allow_dirty: bool) -> Result<PathBuf, String> {
    let mut cmd = cargo();
    cmd.args(["package", "-p", "engagelab-push"]);
    if allow_dirty {
        cmd.arg("--allow-dirty");
    }
    run(&mut cmd)?;
    let name = format!("engagelab-push-{VERSION}.crate");
    let from = crate::clib::target_dir().join("package").join(&name);
    let to = dir.join(&name);
    fs::copy(&from, &to).map_err(|e| format!("{}: {e}", from.display()))?;
    Ok(to)
}

/// `dist/SHA256SUMS`: one `HASH  NAME` line per file, as `sha256sum` writes
/// them (so `sha256sum -c SHA256SUMS` checks them).
fn write_sums(dir: &Path) -> Result<(), String> {
    let mut text = String::new();
    for name in list(dir)? {
        text.push_str(&format!("{}  {name}\n", sha256(&dir.join(&name))?));
    }
    let out = dir.join("SHA256SUMS");
    fs::write(&out, text).map_err(|e| format!("{}: {e}", out.display()))
}

fn sha256(path: &Path) -> Result<String, String> {
    let mut file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
