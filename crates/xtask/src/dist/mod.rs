//! `cargo xtask dist`: the release artifacts, in `dist/` (ignored by git),
//! for the four Linux targets of [`targets::TARGETS`] (x86_64 and aarch64,
//! glibc >= 2.17 and musl):
//!
//! ```text
//! engagelab_push-VERSION-cp39-abi3-manylinux_2_17_{x86_64,aarch64}.whl  maturin --zig
//! engagelab_push-VERSION-cp39-abi3-musllinux_1_2_{x86_64,aarch64}.whl   maturin --zig
//! engagelab_push-VERSION.tar.gz                  the sdist (maturin sdist)
//! engagelab-push-c-VERSION-TARGET.tar.gz          a C SDK per target (install::install_tree)
//! engagelab-push-node-VERSION.tgz                 the npm package, a prebuild per target (node.rs)
//! engagelab-push-VERSION.jar                      the Java binding, a native per target (java.rs)
//! engagelab-push-go-VERSION/                      the Go module tree, a static library per target (go.rs)
//! engagelab-push-VERSION.crate                    cargo package -p engagelab-push
//! SHA256SUMS                                      sha256sum -c compatible (the files above)
//! ```
//!
//! Everything native is built with zig: the gnu artifacts against glibc
//! 2.17's symbols and checked against that floor, so they serve every
//! manylinux2014 system without a Rust toolchain; `auditwheel show` must
//! agree with a wheel's tag before it is kept. `--host` builds only what the
//! `dist` test suite checks on every run (test/dist.rs): the x86_64 glibc
//! wheel, the sdist, the .crate and a C SDK from the host's release library;
//! the `targets` suite (test/targets.rs) runs every target's artifacts.

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
use targets::{Libc, TARGETS, Target};

pub(crate) mod go;
pub(crate) mod java;
pub(crate) mod node;
mod node_musl;
pub(crate) mod targets;

const MINOR: &str = env!("CARGO_PKG_VERSION_MINOR");

/// What `cargo xtask dist` builds.
pub(crate) struct Options {
    /// Every target (a release), or only the host's (the `dist` suite).
    pub(crate) all_targets: bool,
    /// `cargo package --allow-dirty`: for tests of uncommitted work, never
    /// for a release (the .crate records the commit it was made from).
    pub(crate) allow_dirty: bool,
    /// `cargo package` builds the packaged copy to prove it complete. The
    /// `dist` suite turns this off and checks instead that the package holds
    /// every source file the compiler read (its build would compile every
    /// dependency again, 45 s of CPU).
    pub(crate) verify_package: bool,
}

/// The files written into `dist/`.
pub(crate) struct Artifacts {
    pub(crate) dir: PathBuf,
    /// The x86_64 glibc wheel.
    pub(crate) wheel: PathBuf,
    pub(crate) sdist: PathBuf,
    /// The x86_64 glibc C SDK.
    pub(crate) c_sdk: PathBuf,
    pub(crate) krate: PathBuf,
    /// Per target, in the order of [`TARGETS`], the wheel and the C SDK
    /// (with `all_targets`; empty otherwise).
    pub(crate) per_target: Vec<(PathBuf, PathBuf)>,
    /// The Go module tree, the npm package and the jar (with `all_targets`).
    pub(crate) bindings: Option<[PathBuf; 3]>,
}

/// The C SDK's directory and tarball name for `target`.
pub(crate) fn c_sdk_name(target: &Target) -> String {
    format!("engagelab-push-c-{VERSION}-{}", target.name())
}

pub(crate) fn dir() -> PathBuf {
    crate::root().join("dist")
}

/// `cargo xtask dist [--host] [--allow-dirty]`.
pub(crate) fn main(args: &[&str]) -> Result<(), String> {
    let mut options = Options {
        all_targets: true,
        allow_dirty: false,
        verify_package: true,
    };
    for arg in args {
        match *arg {
            "--host" => options.all_targets = false,
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
    let [host, ..] = &TARGETS;
    if options.all_targets {
        targets::build_libs(&TARGETS.iter().collect::<Vec<_>>())?;
    }

    println!("dist: wheel, {} (maturin --zig)", host.triple);
    let wheel = build_wheel(&dir, host)?;
    check_wheel_tag(&wheel)?;
    let mut per_target = Vec::new();
    if options.all_targets {
        for target in &TARGETS {
            let wheel = if target.triple == host.triple {
                wheel.clone()
            } else {
                println!("dist: wheel, {} (maturin --zig)", target.triple);
                let other = build_wheel(&dir, target)?;
                check_wheel_tag(&other)?;
                other
            };
            println!("dist: C SDK, {}", target.triple);
            per_target.push((wheel, c_sdk(&dir, target, &target.lib_dir())?));
        }
    }

    println!("dist: sdist (maturin sdist)");
    let before = list(&dir)?;
    run(at_root(venv::tool("maturin"))
        .current_dir(crate::root().join("python"))
        .args(["sdist", "--out"])
        .arg(&dir))?;
    let sdist = dir.join(new_file(&dir, &before, ".tar.gz")?);

    let c_sdk = match per_target.first() {
        Some((_, sdk)) => sdk.clone(),
        None => {
            println!("dist: C SDK, {} (the host's release build)", host.triple);
            c_sdk(&dir, host, &crate::clib::build(true)?)?
        }
    };

    println!("dist: cargo package -p engagelab-push");
    let krate = package(&dir, options)?;

    let bindings = if options.all_targets {
        println!("dist: the Go module tree, the npm package, the jar");
        Some([
            go::module_tree(&dir)?,
            node::package(&dir)?,
            java::package(&dir)?,
        ])
    } else {
        None
    };

    write_sums(&dir)?;
    Ok(Artifacts {
        dir,
        wheel,
        sdist,
        c_sdk,
        krate,
        per_target,
        bindings,
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
    build_wheel(&dir, &TARGETS[0])
}

/// Where the wheels are compiled: apart from `target/release`, because
/// zig as the C compiler makes cc-built crates (ring) rebuild, and all that
/// depends on them, whenever a plain release build ran in between.
pub(crate) fn zig_target_dir() -> PathBuf {
    crate::clib::target_dir().join("zig")
}

/// `maturin build --release --zig` for `target`: manylinux2014 for glibc,
/// musllinux_1_2 for musl. maturin finds zig as `python3 -m ziglang` (the
/// ziglang package of the dev group), hence the venv first on the PATH.
///
/// One build at a time, through flock(1): maturin stages the extension at a
/// fixed path under the shared target directory, so two suites building a
/// wheel side by side (the Python suite's and the benchmark's) would pack
/// each other's half-written file.
fn build_wheel(dir: &Path, target: &Target) -> Result<PathBuf, String> {
    let before = list(dir)?;
    let lock = zig_target_dir().join("maturin.lock");
    fs::create_dir_all(zig_target_dir()).map_err(|e| format!("{}: {e}", lock.display()))?;
    let mut cmd = at_root("flock");
    cmd.arg(&lock).arg(venv::tool("maturin"));
    cmd.current_dir(crate::root().join("python"))
        .env("CARGO_TARGET_DIR", zig_target_dir())
        .args(["build", "--release", "--zig", "--compatibility"])
        .arg(match target.libc {
            Libc::Gnu => "manylinux2014",
            Libc::Musl => "musllinux_1_2",
        })
        .arg("--out")
        .arg(dir)
        .env("PATH", venv::first_on_path());
    if target.triple != TARGETS[0].triple {
        run(Command::new("rustup").args(["target", "add", target.triple]))?;
        cmd.args(["--target", target.triple]);
    }
    run(&mut cmd)?;
    let wheel = dir.join(new_file(dir, &before, ".whl")?);
    if target.libc == Libc::Musl {
        musl_wheel_soname(&wheel, target)?;
    }
    Ok(wheel)
}

/// The musl wheel's extension made to need musl's libc by Alpine's name
/// ([`Target::musl_soname`]), repacked in place with `wheel pack` (which
/// writes RECORD's hashes anew).
fn musl_wheel_soname(wheel: &Path, target: &Target) -> Result<(), String> {
    let stage = crate::clib::target_dir().join("musl-wheel");
    let _ = fs::remove_dir_all(&stage);
    run(at_root(venv::python())
        .args(["-m", "wheel", "unpack", "-d"])
        .arg(&stage)
        .arg(wheel))?;
    let unpacked = stage.join(format!("engagelab_push-{VERSION}"));
    let module = unpacked.join("engagelab_push/_engagelab_push.abi3.so");
    target.musl_soname(&module)?;
    fs::remove_file(wheel).map_err(|e| format!("{}: {e}", wheel.display()))?;
    run(at_root(venv::python())
        .args(["-m", "wheel", "pack", "-d"])
        .arg(wheel.parent().expect("in dist/"))
        .arg(&unpacked))?;
    fs::remove_dir_all(&stage).map_err(|e| format!("{}: {e}", stage.display()))
}

/// A wheel's platform tag, `manylinux_X_Y_ARCH` or `musllinux_X_Y_ARCH`.
#[derive(Debug, PartialEq)]
pub(crate) struct Tag {
    /// `manylinux` or `musllinux`.
    pub(crate) family: String,
    pub(crate) version: (u32, u32),
    pub(crate) arch: String,
}

impl Tag {
    fn parse(tag: &str) -> Option<Tag> {
        let (family, rest) = tag.split_once('_')?;
        if family != "manylinux" && family != "musllinux" {
            return None;
        }
        let mut parts = rest.splitn(3, '_');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some(Tag {
            family: family.into(),
            version: (major, minor),
            arch: parts.next()?.to_owned(),
        })
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (major, minor) = self.version;
        write!(f, "{}_{major}_{minor}_{}", self.family, self.arch)
    }
}

/// The wheel's platform tag, from its file name.
pub(crate) fn wheel_tag(wheel: &Path) -> Result<Tag, String> {
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
        .find_map(Tag::parse)
        .ok_or_else(|| format!("{name}: no manylinux or musllinux tag"))
}

/// `auditwheel show` must find the wheel consistent with a tag of the same
/// family and architecture, at least as old as the one it claims.
pub(crate) fn check_wheel_tag(wheel: &Path) -> Result<(), String> {
    let claimed = wheel_tag(wheel)?;
    let out = stdout(at_root(venv::tool("auditwheel")).arg("show").arg(wheel))?;
    // `... is consistent with the following platform tag: "manylinux_2_17_x86_64".`
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let agreed = flat
        .split_once("consistent with the following platform tag:")
        .and_then(|(_, rest)| rest.split('"').nth(1))
        .and_then(Tag::parse)
        .ok_or_else(|| format!("auditwheel show gave no platform tag:\n{out}"))?;
    if agreed.family != claimed.family
        || agreed.arch != claimed.arch
        || agreed.version > claimed.version
    {
        return Err(format!(
            "{} claims {claimed}, auditwheel show allows only {agreed}:\n{out}",
            wheel.display()
        ));
    }
    println!("auditwheel show: consistent with {agreed}");
    Ok(())
}

/// The C SDK of `target` from its library in `lib`: the `cargo xtask
/// install` tree with a relocatable pkg-config file, the licenses and a
/// README, as `NAME/...` in a reproducible tarball (sorted entries, no
/// owners, fixed times).
fn c_sdk(dir: &Path, target: &Target, lib: &Path) -> Result<PathBuf, String> {
    let root = crate::root();
    let name = c_sdk_name(target);
    let stage = crate::clib::target_dir().join("dist-stage");
    let _ = fs::remove_dir_all(&stage);
    let top = stage.join(&name);
    crate::install::install_tree(lib, &top, crate::install::RELOCATABLE_PREFIX)?;
    for license in ["LICENSE-MIT", "LICENSE-APACHE"] {
        fs::copy(root.join(license), top.join(license)).map_err(|e| format!("{license}: {e}"))?;
    }
    let so = top.join(format!("lib/libengagelab_push.so.{VERSION}"));
    let needs = match target.libc {
        Libc::Gnu => format!("glibc >= {}", glibc_needed(&so)?),
        Libc::Musl => "musl libc >= 1.2 (Alpine 3.13 and later)".into(),
    };
    let template = root.join("crates/engagelab-push-ffi/pkg/SDK-README.md.in");
    let readme = fs::read_to_string(&template)
        .map_err(|e| format!("{}: {e}", template.display()))?
        .replace("@NEEDS@", &needs)
        .replace("@TARGET@", &target.name())
        .replace("@VERSION_MAJOR@", MAJOR)
        .replace("@VERSION_MINOR@", MINOR)
        .replace("@VERSION@", VERSION);
    fs::write(top.join("README.md"), readme).map_err(|e| format!("README.md: {e}"))?;
    let out = dir.join(format!("{name}.tar.gz"));
    tar_gz(&stage, &name, &out)?;
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
/// verify it, unless told not to), the .crate copied into `dist/`.
fn package(dir: &Path, options: &Options) -> Result<PathBuf, String> {
    let mut cmd = cargo();
    cmd.args(["package", "-p", "engagelab-push"]);
    if options.allow_dirty {
        cmd.arg("--allow-dirty");
    }
    if !options.verify_package {
        cmd.arg("--no-verify");
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
        if dir.join(&name).is_dir() {
            continue; // the Go module tree: a tag of the repository, not a download
        }
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
