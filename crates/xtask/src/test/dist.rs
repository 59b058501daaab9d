//! The `dist` suite: `cargo xtask dist --host` (the host's artifacts only;
//! the `targets` suite, test/targets.rs, runs every target's),
//! then what a user of each artifact does with it:
//! - the wheel: `auditwheel show` agrees with its tag; its size, and `ldd` of
//!   the extension shows glibc only; installed into a fresh venv where no Rust
//!   toolchain is on the PATH, the Python example deletes a device on
//!   engagelab-mock (and the CLI answers `--version`, once it ships);
//! - the sdist: unpacked into an empty directory, `pip wheel` builds it;
//! - the C SDK tarball: unpacked, moved, then the pkg-config (C and C++) and
//!   find_package consumers build against it and run against the mock;
//! - SHA256SUMS checks with `sha256sum -c`;
//! - the crate: `cargo package --list` holds only what it needs, and every
//!   file the compiler read for the library (in place of cargo's
//!   verification build); the manifest has what crates.io shows;
//! - one version everywhere.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::apt::{self, Package};
use crate::clib::VERSION;
use crate::dist::{self, Artifacts};
use crate::mock::Mock;
use crate::process::{at_root, capture, cargo, run, stdout};
use crate::scratch::Scratch;
use crate::steps::Steps;
use crate::venv;

/// The wheel's size limit: it is about 1.5 MB; a jump means something
/// unintended got in (debug info, a bundled library).
const WHEEL_MAX_BYTES: u64 = 5 * 1024 * 1024;

/// What the extension module may link: glibc's libraries and libgcc_s (the
/// unwinder), nothing a user would have to install.
const GLIBC_ONLY: &[&str] = &[
    "linux-vdso.so",
    "libc.so",
    "libm.so",
    "libpthread.so",
    "libdl.so",
    "librt.so",
    "libgcc_s.so",
    "ld-linux-x86-64.so",
];

/// What the C SDK's consumers build with (also installed by the `c` suite;
/// here for `cargo xtask test dist` alone on a fresh machine).
const PACKAGES: &[Package] = &[
    Package::program("cmake", "cmake"),
    Package::program("pkg-config", "pkg-config"),
    Package::program("g++", "g++"),
    Package::program("make", "make"),
];

const DEVICES: &[&str] = &[
    "dist-python",
    "dist-python-oldest",
    "consumer-pkg-config",
    "consumer-cpp",
    "consumer-cmake-shared",
    "consumer-cmake-static",
];

pub(crate) fn run_suite(steps: &mut Steps) {
    steps.step("dist: packages for the C SDK consumers", || {
        apt::ensure(
            PACKAGES,
            "the C SDK's consumers build with pkg-config, CMake and g++",
        )
    });
    let mut artifacts = None;
    if !steps.step("dist: cargo xtask dist --host --allow-dirty", || {
        artifacts = Some(dist::build(&dist::Options {
            all_targets: false,
            // A test of the packaging, run on uncommitted work too.
            allow_dirty: true,
            // crate_package checks the package against the compiled sources.
            verify_package: false,
        })?);
        Ok(())
    }) {
        return steps.skipped("dist: the checks", "dist/ was not built");
    }
    let a = artifacts.expect("built");
    let scratch = match Scratch::new("dist-test") {
        Ok(s) => s,
        Err(e) => return steps.skipped("dist: the checks", &e),
    };
    let mut mock = None;
    if !steps.step("dist: start engagelab-mock", || {
        mock = Some(Mock::start(DEVICES)?);
        Ok(())
    }) {
        return steps.skipped("dist: the checks", "no mock");
    }
    let mock = mock.expect("started");
    let url = mock.url();
    let mut versions: Vec<(String, String)> = Vec::new();

    steps.step("dist: SHA256SUMS (sha256sum -c)", || {
        run(at_root("sha256sum")
            .current_dir(&a.dir)
            .args(["--check", "--strict", "SHA256SUMS"]))
    });
    steps.step("dist: auditwheel show accepts the wheel's tag", || {
        dist::check_wheel_tag(&a.wheel)
    });
    steps.step("dist: wheel size, ldd of the extension: glibc only", || {
        wheel_size_and_ldd(&a, &scratch)
    });
    steps.step("dist: wheel in a fresh venv, no Rust on the PATH", || {
        wheel_without_rust(&a, &scratch, url, &mut versions)
    });
    steps.step("dist: wheel on the oldest Python it claims (3.9)", || {
        wheel_on_oldest_python(&a, &scratch, url)
    });
    steps.step("dist: sdist builds from a clean unpacked copy", || {
        sdist_builds(&a, &scratch, &mut versions)
    });
    steps.step("dist: C SDK tarball, pkg-config and find_package", || {
        c_sdk_consumers(&a, &scratch, url, &mut versions)
    });
    steps.step("dist: cargo package contents and manifest", crate_package);
    steps.step("dist: one version everywhere", || {
        one_version(&a, &scratch, &mut versions)
    });
}

/// The wheel's file names, read with the venv's Python (zipfile).
fn wheel_names(wheel: &Path) -> Result<Vec<String>, String> {
    let names = stdout(
        at_root(venv::python())
            .args([
                "-c",
                "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
            ])
            .arg(wheel),
    )?;
    Ok(names.lines().map(str::to_owned).collect())
}

fn wheel_size_and_ldd(a: &Artifacts, scratch: &Scratch) -> Result<(), String> {
    let size = fs::metadata(&a.wheel).map_err(|e| e.to_string())?.len();
    println!(
        "{}: {size} bytes",
        a.wheel.file_name().unwrap().to_string_lossy()
    );
    if size > WHEEL_MAX_BYTES {
        return Err(format!("the wheel is {size} bytes, over {WHEEL_MAX_BYTES}"));
    }
    let names = wheel_names(&a.wheel)?;
    for license in ["LICENSE-MIT", "LICENSE-APACHE"] {
        if !names.iter().any(|n| n.ends_with(&format!("/{license}"))) {
            return Err(format!("the wheel lacks {license}"));
        }
    }
    let module = names
        .iter()
        .find(|n| n.starts_with("engagelab_push/_engagelab_push") && n.ends_with(".so"))
        .ok_or("the wheel has no extension module")?;
    if !module.ends_with(".abi3.so") {
        return Err(format!("{module} is not an abi3 module"));
    }
    let dir = scratch.join("wheel-files");
    run(at_root(venv::python())
        .args([
            "-c",
            "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])",
        ])
        .arg(&a.wheel)
        .arg(module)
        .arg(&dir))?;
    let ldd = stdout(at_root("ldd").arg(dir.join(module)))?;
    println!("{ldd}");
    for line in ldd.lines() {
        let lib = line.split_whitespace().next().unwrap_or("");
        let lib = lib.rsplit('/').next().unwrap_or(lib);
        if !GLIBC_ONLY.iter().any(|ok| lib.starts_with(ok)) {
            return Err(format!("the extension links {lib}, not part of glibc"));
        }
    }
    Ok(())
}

/// A PATH without any Rust toolchain: every entry holding `cargo`, `rustc` or
/// `rustup` left out (~/.cargo/bin, rustup's toolchain dirs), and the
/// project's venv too (only a system Python remains).
fn path_without_rust() -> std::ffi::OsString {
    let venv_bin = crate::root().join(".venv/bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|dir| {
            *dir != venv_bin
                && !["cargo", "rustc", "rustup"]
                    .iter()
                    .any(|p| dir.join(p).exists())
        })
        .collect();
    std::env::join_paths(kept).expect("PATH entries join")
}

/// A command in an emptied environment: PATH without Rust, HOME in scratch,
/// nothing else inherited (no CARGO*, RUSTUP*, PYTHONPATH, VIRTUAL_ENV).
fn clean(program: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", path_without_rust())
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .current_dir(home);
    cmd
}

fn wheel_without_rust(
    a: &Artifacts,
    scratch: &Scratch,
    url: &str,
    versions: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let home = scratch.join("home");
    fs::create_dir_all(&home).map_err(|e| e.to_string())?;
    let env = scratch.join("venv-wheel");
    let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run(clean(Path::new(&base), &home)
        .args(["-m", "venv"])
        .arg(&env))?;
    let py = env.join("bin/python");
    run(clean(&py, &home).args([
        "-c",
        "import shutil, sys; found = [p for p in ('cargo', 'rustc', 'rustup') if shutil.which(p)]; \
         sys.exit(f'on the PATH: {found}' if found else 0)",
    ]))?;
    // --no-index: pip may not fall back to any source build.
    let start = Instant::now();
    run(clean(&py, &home)
        .args(crate::venv::PIP_INSTALL)
        .args(["--no-index", "--no-deps"])
        .arg(&a.wheel))?;
    println!(
        "pip install of the wheel: {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let version = stdout(clean(&py, &home).args([
        "-c",
        "import engagelab_push; print(engagelab_push.__version__)",
    ]))?;
    versions.push(("engagelab_push.__version__ (wheel)".into(), version));
    let example = |id: &str| {
        let mut cmd = clean(&py, &home);
        cmd.arg(crate::root().join("python/examples/delete_device.py"))
            .arg(id)
            .env("ENGAGELAB_APP_KEY", crate::mock::APP_KEY)
            .env("ENGAGELAB_MASTER_SECRET", crate::mock::MASTER_SECRET)
            .env("ENGAGELAB_BASE_URL", url);
        cmd
    };
    run(&mut example("dist-python"))?;
    // Deleted: a second call fails with the example's exit status 1.
    let again = capture(&mut example("dist-python"))?;
    if again.status.code() != Some(1) {
        return Err(format!("deleting twice exited {}, not 1", again.status));
    }
    let cli = env.join("bin/engagelab-push");
    if cli.exists() {
        let out = stdout(clean(&cli, &home).arg("--version"))?;
        println!("engagelab-push --version: {out}");
        versions.push(("engagelab-push --version".into(), last_word(&out)));
    } else {
        println!("note: the wheel has no engagelab-push console script yet; CLI not run");
    }
    Ok(())
}

/// The oldest Python the wheel claims (`requires-python`): `python3.9` on
/// the PATH (not a pyenv shim, which needs pyenv on the cleaned PATH), else
/// pyenv's own.
fn oldest_python() -> Option<PathBuf> {
    let on_path = std::env::split_paths(&std::env::var_os("PATH")?)
        .filter(|dir| !dir.ends_with("shims"))
        .map(|dir| dir.join("python3.9"))
        .find(|p| p.is_file());
    let pyenv = || {
        let versions = PathBuf::from(std::env::var_os("HOME")?).join(".pyenv/versions");
        let mut found: Vec<PathBuf> = fs::read_dir(versions)
            .ok()?
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("3.9."))
            .map(|e| e.path().join("bin/python3.9"))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found.pop()
    };
    on_path.or_else(pyenv)
}

/// The wheel installed into a venv of the oldest Python it claims, where
/// the package must import and the example delete a device: the abi3
/// extension gives native classes fewer introspection details there.
fn wheel_on_oldest_python(a: &Artifacts, scratch: &Scratch, url: &str) -> Result<(), String> {
    let Some(base) = oldest_python() else {
        println!("note: no Python 3.9 here (python3.9 on the PATH or pyenv's); not run");
        return Ok(());
    };
    let home = scratch.join("home");
    fs::create_dir_all(&home).map_err(|e| e.to_string())?;
    let env = scratch.join("venv-oldest");
    run(clean(&base, &home).args(["-m", "venv"]).arg(&env))?;
    let py = env.join("bin/python");
    run(clean(&py, &home)
        .args(crate::venv::PIP_INSTALL)
        .args(["--no-index", "--no-deps"])
        .arg(&a.wheel))?;
    run(clean(&py, &home)
        .arg(crate::root().join("python/examples/delete_device.py"))
        .arg("dist-python-oldest")
        .env("ENGAGELAB_APP_KEY", crate::mock::APP_KEY)
        .env("ENGAGELAB_MASTER_SECRET", crate::mock::MASTER_SECRET)
        .env("ENGAGELAB_BASE_URL", url))
}

fn last_word(text: &str) -> String {
    text.split_whitespace().last().unwrap_or("").to_owned()
}

/// Unpacks the sdist into an empty directory and builds a wheel from it with
/// pip (maturin from PyPI as the PEP 517 backend, in build isolation). The
/// registry crates come from the wheel's release build (the same target
/// directory); the project's own crates compile from the unpacked copy.
fn sdist_builds(
    a: &Artifacts,
    scratch: &Scratch,
    versions: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let src = scratch.join("sdist");
    dist::untar_gz(&a.sdist, &src)?;
    let top = src.join(format!("engagelab_push-{VERSION}"));
    if !top.join("pyproject.toml").is_file() {
        return Err(format!("{}: no pyproject.toml", top.display()));
    }
    let out = scratch.join("sdist-wheel");
    run(at_root(venv::python())
        .current_dir(&src)
        .args([
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--no-deps", "--wheel-dir"])
        .arg(&out)
        .arg(&top)
        // A debug build into the workspace's own target/: what this proves
        // (the sdist holds every file a PEP 517 build needs) does not depend
        // on the profile, and most dependencies are then already compiled,
        // where a release build from scratch cost a minute and a half of
        // both cores.
        .env("CARGO_TARGET_DIR", crate::clib::target_dir())
        .env("MATURIN_PEP517_ARGS", "--profile dev"))?;
    let wheels: Vec<String> = fs::read_dir(&out)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let [wheel] = wheels.as_slice() else {
        return Err(format!("pip wheel made {wheels:?}"));
    };
    println!("built {wheel} from the sdist");
    versions.push((
        "wheel built from the sdist".into(),
        wheel.split('-').nth(1).unwrap_or("").to_owned(),
    ));
    Ok(())
}

fn c_sdk_consumers(
    a: &Artifacts,
    scratch: &Scratch,
    url: &str,
    versions: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let unpacked = scratch.join("c-sdk");
    dist::untar_gz(&a.c_sdk, &unpacked)?;
    // Moved after unpacking: nothing may depend on where it was made or first put.
    let prefix = scratch.join("opt/engagelab-push");
    fs::create_dir_all(scratch.join("opt")).map_err(|e| e.to_string())?;
    fs::rename(
        unpacked.join(dist::c_sdk_name(&dist::targets::TARGETS[0])),
        &prefix,
    )
    .map_err(|e| e.to_string())?;
    for file in [
        format!("lib/libengagelab_push.so.{VERSION}"),
        "lib/libengagelab_push.a".into(),
        "include/engagelab_push.h".into(),
        "include/engagelab_push.hpp".into(),
        "lib/pkgconfig/engagelab_push.pc".into(),
        "lib/cmake/EngageLabPush/EngageLabPushConfig.cmake".into(),
        "lib/cmake/EngageLabPush/EngageLabPushConfigVersion.cmake".into(),
        "LICENSE-MIT".into(),
        "LICENSE-APACHE".into(),
        "README.md".into(),
    ] {
        if !prefix.join(&file).is_file() {
            return Err(format!("the C SDK lacks {file}"));
        }
    }
    for (link, target) in [
        (
            "lib/libengagelab_push.so.0",
            format!("libengagelab_push.so.{VERSION}"),
        ),
        ("lib/libengagelab_push.so", "libengagelab_push.so.0".into()),
    ] {
        let read = fs::read_link(prefix.join(link)).map_err(|e| format!("{link}: {e}"))?;
        if read != Path::new(&target) {
            return Err(format!("{link} -> {}, not {target}", read.display()));
        }
    }
    let tree = fs::read_to_string(prefix.join("lib/pkgconfig/engagelab_push.pc"))
        .map_err(|e| e.to_string())?
        + &fs::read_to_string(prefix.join("lib/cmake/EngageLabPush/EngageLabPushConfig.cmake"))
            .map_err(|e| e.to_string())?;
    let built_in = crate::clib::target_dir().to_string_lossy().into_owned();
    if tree.contains(&built_in) || tree.contains(&*crate::root().to_string_lossy()) {
        return Err("the pkg-config or CMake file names the build directory".into());
    }
    // The C and CMake consumers of the C suite, against the moved prefix.
    super::c::pkg_config_consumer(&prefix, scratch, url)?;
    // The same with an explicit prefix, as the README offers.
    let flags = stdout(
        at_root("pkg-config")
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
            .arg(format!("--define-variable=prefix={}", prefix.display()))
            .args(["--cflags", "--libs", "engagelab_push"]),
    )?;
    let want = format!("-I{}/include", prefix.display());
    if !flags.split_whitespace().any(|f| f == want) {
        return Err(format!("--define-variable=prefix gave {flags:?}"));
    }
    // The C++17 header from the tarball.
    let cpp = scratch.join("consumer-cpp");
    run(at_root("c++")
        .args(["-std=c++17", "-Wall", "-Wextra", "-Werror"])
        .arg("tests/c/consumer/consumer.cpp")
        .args(flags.split_whitespace())
        .arg("-o")
        .arg(&cpp))?;
    run(at_root(&cpp)
        .env("LD_LIBRARY_PATH", prefix.join("lib"))
        .args([url, "consumer-cpp"]))?;
    super::c::cmake_consumer(&prefix, scratch, url)?;
    // el_version() of the shipped library and the header's EL_VERSION_*: the
    // consumer prints both before it deletes (an unknown id here: exit 1).
    let out = capture(
        at_root(scratch.join("consumer-pkg-config"))
            .env("LD_LIBRARY_PATH", prefix.join("lib"))
            .args([url, "no-such-device"]),
    )?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next().unwrap_or("");
    // `engagelab_push 0.1.0 (header 0.1.0)`
    let mut words = line.split(['(', ')', ' ']).filter(|w| !w.is_empty());
    let (Some("engagelab_push"), Some(lib), Some("header"), Some(header)) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(format!("the consumer printed {line:?}"));
    };
    versions.push(("el_version() of the C SDK's library".into(), lib.into()));
    versions.push(("EL_VERSION_* of the C SDK's header".into(), header.into()));
    let pc = stdout(
        at_root("pkg-config")
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
            .args(["--modversion", "engagelab_push"]),
    )?;
    versions.push(("pkg-config --modversion".into(), pc));
    Ok(())
}

/// The packaged file list (only the library, examples, README and licenses)
/// and the manifest fields crates.io shows.
fn crate_package() -> Result<(), String> {
    let list =
        stdout(cargo().args(["package", "-p", "engagelab-push", "--list", "--allow-dirty"]))?;
    let files: Vec<&str> = list.lines().collect();
    println!("{} files in the package", files.len());
    let top = [
        ".cargo_vcs_info.json",
        "Cargo.lock",
        "Cargo.toml",
        "Cargo.toml.orig",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ];
    for file in &files {
        let ok = top.contains(file)
            || (file.starts_with("src/") && file.ends_with(".rs"))
            || (file.starts_with("examples/") && file.ends_with(".rs"));
        if !ok {
            return Err(format!("the package holds {file}"));
        }
    }
    for needed in ["src/lib.rs", "README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        if !files.contains(&needed) {
            return Err(format!("the package lacks {needed}"));
        }
    }
    // What `cargo package`'s verification build would prove: every file the
    // compiler read for the library (its dep-info, from the debug build the
    // suites share) is in the package.
    crate::clib::build_debug_workspace()?;
    let dep_info = crate::clib::target_dir().join("debug/libengagelab_push.d");
    let text = fs::read_to_string(&dep_info).map_err(|e| format!("{}: {e}", dep_info.display()))?;
    let (_, sources) = text
        .split_once(": ")
        .ok_or_else(|| format!("{}: no `target: sources` line", dep_info.display()))?;
    let krate = crate::root().join("crates/engagelab-push");
    let mut read = 0;
    for source in sources
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
    {
        let path = Path::new(source);
        let inside = path
            .strip_prefix(&krate)
            .map_err(|_| format!("the library reads {source}, outside its crate"))?;
        let name = inside.to_string_lossy();
        if !files.contains(&name.as_ref()) {
            return Err(format!("the library reads {name}, which the package lacks"));
        }
        read += 1;
    }
    if read == 0 {
        return Err(format!("{}: no source files", dep_info.display()));
    }
    println!("the package holds all {read} files the library is compiled from");
    let metadata = stdout(cargo().args(["metadata", "--no-deps", "--format-version", "1"]))?;
    let metadata: serde_json::Value = serde_json::from_str(&metadata).map_err(|e| e.to_string())?;
    let package = metadata["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "engagelab-push"))
        .ok_or("cargo metadata: no engagelab-push")?;
    for field in ["description", "license", "repository", "readme"] {
        if package[field].as_str().is_none_or(str::is_empty) {
            return Err(format!("engagelab-push's manifest has no {field}"));
        }
    }
    for field in ["keywords", "categories"] {
        if package[field].as_array().is_none_or(Vec::is_empty) {
            return Err(format!("engagelab-push's manifest has no {field}"));
        }
    }
    Ok(())
}

/// Cargo.toml's `[workspace.package] version` (the one source, compiled into
/// xtask as VERSION) against every other place a version shows.
fn one_version(
    a: &Artifacts,
    scratch: &Scratch,
    versions: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let root = crate::root();
    let metadata = stdout(cargo().args(["metadata", "--no-deps", "--format-version", "1"]))?;
    let metadata: serde_json::Value = serde_json::from_str(&metadata).map_err(|e| e.to_string())?;
    for package in metadata["packages"].as_array().into_iter().flatten() {
        versions.push((
            format!("crate {}", package["name"].as_str().unwrap_or("?")),
            package["version"].as_str().unwrap_or("").to_owned(),
        ));
    }
    let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    versions.push((
        "wheel file name".into(),
        name(&a.wheel).split('-').nth(1).unwrap_or("").into(),
    ));
    let metadata_file = format!("engagelab_push-{VERSION}.dist-info/METADATA");
    let dir = scratch.join("metadata");
    run(at_root(venv::python())
        .args([
            "-c",
            "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])",
        ])
        .arg(&a.wheel)
        .arg(&metadata_file)
        .arg(&dir))
    .map_err(|e| format!("the wheel has no {metadata_file}: {e}"))?;
    let text = fs::read_to_string(dir.join(&metadata_file)).map_err(|e| e.to_string())?;
    let field = text
        .lines()
        .find_map(|l| l.strip_prefix("Version: "))
        .unwrap_or("");
    versions.push(("wheel METADATA Version".into(), field.into()));
    versions.push((
        "sdist file name".into(),
        name(&a.sdist)
            .trim_end_matches(".tar.gz")
            .rsplit('-')
            .next()
            .unwrap_or("")
            .into(),
    ));
    versions.push((
        "C SDK file name".into(),
        name(&a.c_sdk)
            .strip_prefix("engagelab-push-c-")
            .and_then(|n| n.strip_suffix("-linux-x86_64.tar.gz"))
            .unwrap_or("")
            .into(),
    ));
    versions.push((
        ".crate file name".into(),
        name(&a.krate)
            .strip_prefix("engagelab-push-")
            .and_then(|n| n.strip_suffix(".crate"))
            .unwrap_or("")
            .into(),
    ));
    let node: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(root.join("bindings/node/package.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    versions.push((
        "bindings/node/package.json".into(),
        node["version"].as_str().unwrap_or("").into(),
    ));
    // The project's own <version>: the first one after </artifactId>, before
    // any <dependencies> or <parent>.
    let pom = fs::read_to_string(root.join("bindings/java/pom.xml")).map_err(|e| e.to_string())?;
    let java = pom
        .split_once("<artifactId>engagelab-push</artifactId>")
        .and_then(|(_, rest)| rest.split_once("<version>"))
        .and_then(|(_, rest)| rest.split_once("</version>"))
        .map(|(v, _)| v.trim().to_owned())
        .unwrap_or_default();
    versions.push(("bindings/java/pom.xml".into(), java));

    let mut wrong = Vec::new();
    for (place, version) in versions.iter() {
        let mark = if version == VERSION { "ok  " } else { "DIFF" };
        println!("  {mark} {version:<8} {place}");
        if version != VERSION {
            wrong.push(place.as_str());
        }
    }
    for needed in [
        "engagelab_push.__version__ (wheel)",
        "el_version() of the C SDK's library",
    ] {
        if !versions.iter().any(|(p, _)| p == needed) {
            return Err(format!("{needed} was not read (an earlier step failed)"));
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Cargo.toml says {VERSION}; these differ: {}",
            wrong.join(", ")
        ))
    }
}
