//! The `targets` suite (`cargo xtask test targets`, not part of `make
//! test`: it cross-builds everything four times, about 20 minutes of CPU
//! here): `cargo xtask dist`, then each target's artifacts run as a user
//! would run them, against engagelab-mock on loopback. aarch64 programs run
//! under `qemu-aarch64-static -L SYSROOT` (no binfmt needed); the sysroots
//! are Debian's arm64 packages unpacked with `dpkg -x` into
//! `target/sysroots/`. What cannot run here says so in its step's output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::apt::{self, Package};
use crate::dist;
use crate::dist::targets::{GLIBC_FLOOR, Libc, TARGETS, Target};
use crate::mock::{APP_KEY, MASTER_SECRET, Mock};
use crate::process::{at_root, capture, run};
use crate::scratch::Scratch;
use crate::steps::Steps;
use crate::venv;

const PACKAGES: &[Package] = &[
    Package::program("qemu-user-static", "qemu-aarch64-static"),
    // glibc's aarch64 loader and libraries, in /usr/aarch64-linux-gnu.
    Package::dpkg("libc6-arm64-cross"),
    // musl's x86_64 loader, /lib/ld-musl-x86_64.so.1.
    Package::dpkg("musl"),
];

/// Debian's arm64 packages each sysroot is unpacked from.
const MUSL_ARM64: &[&str] = &["musl"];
const PYTHON_ARM64: &[&str] = &[
    "libc6",
    "python3.11-minimal",
    "libpython3.11-minimal",
    "libpython3.11-stdlib",
    "zlib1g",
    "libexpat1",
    "libffi8",
    "libssl3",
];

type Check = fn(&Path) -> Result<Vec<String>, String>;

pub(crate) fn run_suite(steps: &mut Steps) {
    steps.step("targets: qemu, glibc's aarch64 and musl's loaders", || {
        apt::ensure(
            PACKAGES,
            "the other targets' programs run under qemu-user and musl's loader",
        )
    });
    let mut artifacts = None;
    if !steps.step("targets: cargo xtask dist --allow-dirty", || {
        artifacts = Some(dist::build(&dist::Options {
            all_targets: true,
            allow_dirty: true,
            verify_package: true,
        })?);
        Ok(())
    }) {
        return steps.skipped("targets: the runs", "dist/ was not built");
    }
    let a = artifacts.expect("built");
    let devices: Vec<String> = TARGETS
        .iter()
        .flat_map(|t| {
            ["c-shared", "c-static", "python", "go"].map(|kind| format!("{kind}-{}", t.name()))
        })
        .collect();
    let ids: Vec<&str> = devices.iter().map(String::as_str).collect();
    let (scratch, mock) = match Scratch::new("targets").and_then(|s| Ok((s, Mock::start(&ids)?))) {
        Ok(both) => both,
        Err(e) => return steps.skipped("targets: the runs", &e),
    };
    steps.step("targets: SHA256SUMS (sha256sum -c)", || {
        run(at_root("sha256sum")
            .current_dir(&a.dir)
            .args(["--check", "--strict", "SHA256SUMS"]))
    });
    for (target, (wheel, sdk)) in TARGETS.iter().zip(&a.per_target) {
        let name = target.name();
        steps.step(&format!("targets: {name}: C SDK, glibc floor"), || {
            floor(target, &scratch, sdk)
        });
        steps.step(
            &format!("targets: {name}: C SDK, shared and static"),
            || c_sdk(target, &scratch, sdk, &mock),
        );
        steps.step(&format!("targets: {name}: Python wheel"), || {
            wheel_runs(target, &scratch, wheel, &mock)
        });
        if let Some([go, _, _]) = &a.bindings {
            steps.step(&format!("targets: {name}: Go module, no Rust"), || {
                go_module(target, &scratch, go, &mock)
            });
        }
    }
    if let Some([_, npm, jar]) = &a.bindings {
        for (what, check, file) in [
            ("npm package", dist::node::check as Check, npm),
            ("jar", dist::java::check, jar),
        ] {
            steps.step(&format!("targets: {what}, every target"), || {
                check(file)?.iter().for_each(|line| println!("  {line}"));
                Ok(())
            });
        }
    }
}

/// The SDK unpacked into `scratch`, and its root.
fn unpack(target: &Target, scratch: &Scratch, sdk: &Path) -> Result<PathBuf, String> {
    let into = scratch.join(&format!("sdk-{}", target.name()));
    dist::untar_gz(sdk, &into)?;
    Ok(into.join(dist::c_sdk_name(target)))
}

/// The SDK's shared library asks for no glibc above the floor (none at all
/// for musl), and is built for the target's machine.
fn floor(target: &Target, scratch: &Scratch, sdk: &Path) -> Result<(), String> {
    let root = unpack(target, scratch, sdk)?;
    let so = root.join(format!("lib/libengagelab_push.so.{}", crate::clib::VERSION));
    println!(
        "{}: {}",
        target.name(),
        crate::dist::targets::check_object(target, &so)?
    );
    match target.libc {
        Libc::Gnu => println!(
            "{}: needs glibc {} (floor {GLIBC_FLOOR})",
            target.name(),
            dist::glibc_needed(&so)?
        ),
        Libc::Musl => println!("{}: needs {}, no glibc", target.name(), target.musl_libc()),
    }
    Ok(())
}

/// The consumer of the C suite (tests/c/consumer/consumer.c) compiled with
/// zig for the target against the unpacked SDK, once with the shared library
/// and once with the static one (fully static for musl), each deleting a
/// device on the mock.
fn c_sdk(target: &Target, scratch: &Scratch, sdk: &Path, mock: &Mock) -> Result<(), String> {
    let root = unpack(target, scratch, sdk)?;
    let lib = root.join("lib");
    for linkage in ["shared", "static"] {
        let exe = scratch.join(&format!("consumer-{}-{linkage}", target.name()));
        let mut cc = zig_cc(target);
        cc.arg(crate::root().join("tests/c/consumer/consumer.c"))
            .arg("-I")
            .arg(root.join("include"))
            .arg("-o")
            .arg(&exe);
        match (linkage, target.libc) {
            ("shared", _) => {
                cc.arg("-L").arg(&lib).arg("-lengagelab_push");
            }
            // The unwinder Rust's panics need: gcc links libgcc_s or
            // libgcc_eh on its own, zig needs its libunwind named.
            (_, Libc::Musl) => {
                cc.arg("-static")
                    .arg(lib.join("libengagelab_push.a"))
                    .arg("-lunwind");
            }
            (_, Libc::Gnu) => {
                cc.arg(lib.join("libengagelab_push.a")).args([
                    "-lunwind",
                    "-lpthread",
                    "-ldl",
                    "-lm",
                ]);
            }
        }
        run(&mut cc)?;
        let device = format!("c-{linkage}-{}", target.name());
        let sysroot = sysroot(target)?;
        let mut cmd = on_target(target, sysroot.as_deref(), &exe);
        cmd.args([mock.url(), &device]).env("LD_LIBRARY_PATH", &lib);
        deleted(
            mock,
            &device,
            &format!("{linkage}: {}", exe.display()),
            &capture(&mut cmd)?,
        )?;
        println!(
            "{} {linkage}: deleted {device} ({})",
            target.name(),
            how(target, linkage)
        );
    }
    Ok(())
}

/// Ok when `what` exited 0 and the mock no longer holds `device`; its
/// output otherwise.
fn deleted(mock: &Mock, device: &str, what: &str, out: &Output) -> Result<(), String> {
    if out.status.success() && !mock.devices()?.iter().any(|d| d == device) {
        return Ok(());
    }
    Err(format!(
        "{what} exited {}, device {device} still there:\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// How a program of `target` ran here, for the step's output.
fn how(target: &Target, linkage: &str) -> String {
    match (target.emulator(), target.libc, linkage) {
        (None, Libc::Gnu, _) => "native".into(),
        (None, Libc::Musl, "static") => "native, static".into(),
        (None, Libc::Musl, _) => "native, musl's loader".into(),
        (Some(qemu), _, "static") if target.libc == Libc::Musl => format!("{qemu}, static"),
        (Some(qemu), _, _) => format!("{qemu} -L sysroot"),
    }
}

/// `python -m ziglang cc -target T` with the venv's Python.
fn zig_cc(target: &Target) -> Command {
    let mut cc = at_root(venv::python());
    cc.args(["-m", "ziglang", "cc", "-target"])
        .arg(target.zig_cc_target())
        .args(["-O1", "-Wall", "-Werror"]);
    cc
}

/// A command running `program` of `target` here: directly, or under qemu
/// with `sysroot` as its root for the loader and libraries.
fn on_target(target: &Target, sysroot: Option<&Path>, program: &Path) -> Command {
    match target.emulator() {
        None => at_root(program),
        Some(qemu) => {
            let mut cmd = at_root(qemu);
            if let Some(root) = sysroot {
                cmd.arg("-L").arg(root);
            }
            cmd.arg(program);
            cmd
        }
    }
}

/// The root an aarch64 program's loader and libraries come from.
fn sysroot(target: &Target) -> Result<Option<PathBuf>, String> {
    match (target.emulator(), target.libc) {
        (None, _) => Ok(None),
        (Some(_), Libc::Gnu) => Ok(Some(PathBuf::from("/usr/aarch64-linux-gnu"))),
        (Some(_), Libc::Musl) => dist::targets::arm64_debs("musl", MUSL_ARM64).map(Some),
    }
}

/// The wheel's package imported by a Python for the target, and the
/// Python example deleting a device. x86_64 glibc: the host's Python;
/// aarch64 glibc: Debian's arm64 CPython 3.11 under qemu; musl: CPython
/// built from Debian's source against Debian's musl (`musl_python.rs`), the
/// aarch64 one under qemu. The wheel is unpacked onto the path.
fn wheel_runs(target: &Target, scratch: &Scratch, wheel: &Path, mock: &Mock) -> Result<(), String> {
    let device = format!("python-{}", target.name());
    let unpacked = scratch.join(&format!("wheel-{}", target.name()));
    run(at_root(venv::python())
        .args(["-m", "zipfile", "-e"])
        .arg(wheel)
        .arg(&unpacked))?;
    let example = crate::root().join("python/examples/delete_device.py");
    let mut cmd = match (target.emulator(), target.libc) {
        (None, Libc::Gnu) => at_root(venv::python()),
        (_, Libc::Musl) => {
            let (python, root) = super::musl_python::python(target)?;
            on_target(target, root.as_deref(), &python)
        }
        (Some(_), Libc::Gnu) => {
            let root = dist::targets::arm64_debs("python", PYTHON_ARM64)?;
            on_target(target, Some(&root), &root.join("usr/bin/python3.11"))
        }
    };
    // -S: no site-packages, so the package can only come from the wheel.
    cmd.arg("-S")
        .arg(&example)
        .arg(&device)
        .env("PYTHONPATH", &unpacked)
        .env("ENGAGELAB_APP_KEY", APP_KEY)
        .env("ENGAGELAB_MASTER_SECRET", MASTER_SECRET)
        .env("ENGAGELAB_BASE_URL", mock.url());
    deleted(mock, &device, "the example", &capture(&mut cmd)?)?;
    println!(
        "{}: the wheel deleted {device} ({})",
        target.name(),
        how(target, "shared")
    );
    Ok(())
}

/// What a Go user of a release tag does, with no Rust on the PATH: an empty
/// module requiring the binding, replaced by the module tree, builds the
/// binding's delete_device example for the target with cgo and zig cc
/// (`-tags musl` and a fully static link for musl), which then deletes a
/// device on the mock.
fn go_module(target: &Target, scratch: &Scratch, tree: &Path, mock: &Mock) -> Result<(), String> {
    let app = scratch.join(&format!("go-{}", target.name()));
    fs::create_dir_all(&app).map_err(|e| format!("{}: {e}", app.display()))?;
    let example = crate::root().join("bindings/go/examples/delete_device/main.go");
    fs::copy(&example, app.join("main.go")).map_err(|e| format!("{}: {e}", example.display()))?;
    let module = dist::go::MODULE;
    fs::write(
        app.join("go.mod"),
        format!(
            "module example.com/app\n\ngo 1.22\n\nrequire {module} v{}\n\nreplace {module} => {}\n",
            crate::clib::VERSION,
            tree.display()
        ),
    )
    .map_err(|e| e.to_string())?;
    let cc = app.join("zig-cc");
    fs::write(
        &cc,
        format!(
            "#!/bin/sh\nexec '{}' -m ziglang cc -target {} \"$@\"\n",
            venv::python().display(),
            target.zig_cc_target()
        ),
    )
    .map_err(|e| e.to_string())?;
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    fs::set_permissions(&cc, executable).map_err(|e| format!("{}: {e}", cc.display()))?;
    let path = without_rust()?;
    let mut build = Command::new("go");
    build
        .current_dir(&app)
        .args(["build", "-o", "app"])
        .env("PATH", &path)
        .env("GOFLAGS", "-mod=mod")
        .env("CGO_ENABLED", "1")
        .env("GOOS", "linux")
        .env("GOARCH", target.goarch)
        .env("CC", &cc);
    if target.libc == Libc::Musl {
        build.args([
            "-tags",
            "musl",
            "-ldflags",
            "-linkmode external -extldflags -static",
        ]);
    }
    run(&mut build)?;
    let device = format!("go-{}", target.name());
    let sysroot = sysroot(target)?;
    let out = capture(
        on_target(target, sysroot.as_deref(), &app.join("app"))
            .arg(&device)
            .env("ENGAGELAB_APP_KEY", APP_KEY)
            .env("ENGAGELAB_MASTER_SECRET", MASTER_SECRET)
            .env("ENGAGELAB_BASE_URL", mock.url()),
    )?;
    deleted(mock, &device, "the Go example", &out)?;
    let linkage = if target.libc == Libc::Musl {
        "static"
    } else {
        "shared"
    };
    println!(
        "{}: the Go module deleted {device} ({})",
        target.name(),
        how(target, linkage)
    );
    Ok(())
}

/// The PATH without the directories that hold cargo or rustc.
fn without_rust() -> Result<std::ffi::OsString, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept = std::env::split_paths(&path)
        .filter(|dir| !dir.join("cargo").exists() && !dir.join("rustc").exists());
    std::env::join_paths(kept).map_err(|e| e.to_string())
}
