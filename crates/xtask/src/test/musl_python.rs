//! A CPython 3.11 for musl, x86_64 and aarch64, for the targets suite to run
//! the musllinux wheels on. No registry this machine reaches ships one (Debian
//! has no musl Python, PyPI no interpreters), so it is built from Debian's
//! CPython source package, fetched and signature-checked by `apt-get source`,
//! against Debian's musl 1.2.3: `musl-gcc` for x86_64; for aarch64, Debian's
//! aarch64 cross gcc with the musl-gcc specs of arm64 `musl-dev`. The modules
//! the package needs are built into the interpreter (`Modules/Setup.local`),
//! since CPython's setup.py mixes the build machine's glibc headers into a
//! cross build. Each takes about 2 minutes of CPU and is kept in
//! `target/sysroots/python-musl-ARCH/`.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::apt::{self, Package};
use crate::dist::targets::{Target, arm64_debs};
use crate::process::{once, run, run_quiet};

/// The Python that configures and cross-builds it; its minor version must be
/// the source's (Debian bookworm's python3.11).
const BUILD_PYTHON: &str = "/usr/bin/python3.11";

/// The extension modules the package and its example import (with what those
/// import), linked into the interpreter.
const SETUP_LOCAL: &str = "*static*
math mathmodule.c
_contextvars _contextvarsmodule.c
_struct _struct.c
_random _randommodule.c
_bisect _bisectmodule.c
_heapq _heapqmodule.c
_json _json.c
_socket socketmodule.c
select selectmodule.c
_asyncio _asynciomodule.c
_posixsubprocess _posixsubprocess.c
fcntl fcntlmodule.c
binascii binascii.c
_datetime _datetimemodule.c
_queue _queuemodule.c
array arraymodule.c
_opcode _opcode.c
unicodedata unicodedata.c
_typing _typingmodule.c
_sha512 sha512module.c
";

/// The answers configure cannot find by running a program in a cross build.
const CONFIG_SITE: &str = "ac_cv_file__dev_ptmx=yes
ac_cv_file__dev_ptc=no
ac_cv_buggy_getaddrinfo=no
";

/// The interpreter for `target` (a musl one), built on first use, and the
/// root its loader and libc come from under qemu (None: this machine's).
pub(crate) fn python(target: &Target) -> Result<(PathBuf, Option<PathBuf>), String> {
    let root = crate::clib::target_dir()
        .join("sysroots")
        .join(format!("python-musl-{}", target.arch));
    let python = root.join("opt/python/bin/python3.11");
    let libc = match target.arch {
        "x86_64" => None,
        _ => Some(arm64_debs("musl-dev", &["musl", "musl-dev"])?),
    };
    once("python-musl", &root, || {
        let cc = compiler(libc.as_deref())?;
        let source = source()?;
        let build = root.with_extension("build");
        let _ = fs::remove_dir_all(&build);
        fs::create_dir_all(build.join("Modules"))
            .map_err(|e| format!("{}: {e}", build.display()))?;
        write(&build.join("Modules/Setup.local"), SETUP_LOCAL)?;
        write(&build.join("config.site"), CONFIG_SITE)?;
        println!(
            "musl python: building CPython for {} (about 2 minutes of CPU)",
            target.arch
        );
        run_quiet(
            Command::new(source.join("configure"))
                .current_dir(&build)
                .env("CONFIG_SITE", build.join("config.site"))
                // The build machine's zlib and libffi would be found by pkg-config.
                .env("PKG_CONFIG", "/bin/false")
                .arg("--build=x86_64-pc-linux-gnu")
                .arg(format!("--host={}-linux-musl", target.arch))
                .arg(format!("CC={}", cc.display()))
                .arg(format!("AR={}", ar(target)))
                .arg("READELF=/usr/bin/readelf")
                .arg(format!("--with-build-python={BUILD_PYTHON}"))
                .args([
                    "--prefix=/opt/python",
                    "--without-ensurepip",
                    "--disable-test-modules",
                ]),
        )?;
        run_quiet(Command::new("make").current_dir(&build).arg("-j2"))?;
        run_quiet(
            Command::new("make")
                .current_dir(&build)
                .arg("install")
                .arg(format!("DESTDIR={}", root.display())),
        )?;
        fs::remove_dir_all(&build).map_err(|e| format!("{}: {e}", build.display()))
    })?;
    Ok((python, libc))
}

/// The C compiler: Debian's musl-gcc for x86_64 (no `libc`), or for aarch64 a wrapper
/// giving the cross gcc the specs of arm64 musl-dev, pointed at `libc`.
fn compiler(libc: Option<&Path>) -> Result<PathBuf, String> {
    let Some(libc) = libc else {
        apt::ensure(
            &[
                Package::program("musl-tools", "musl-gcc"),
                Package::dpkg("musl-dev"),
                python_package(),
            ],
            "a musl CPython to run the x86_64 musllinux wheel on",
        )?;
        return Ok(PathBuf::from("musl-gcc"));
    };
    apt::ensure(
        &[
            Package::program("gcc-aarch64-linux-gnu", "aarch64-linux-gnu-gcc"),
            python_package(),
        ],
        "a musl CPython to run the aarch64 musllinux wheel on",
    )?;
    let dev = libc.join("usr/lib/aarch64-linux-musl");
    let specs = fs::read_to_string(dev.join("musl-gcc.specs"))
        .map_err(|e| format!("{}: {e}", dev.display()))?
        .replace("/usr/", &format!("{}/usr/", libc.display()))
        // libc.so is in /lib, where the arm64 musl package puts it.
        .replace(
            &format!("-L{}/usr/lib", libc.display()),
            &format!(
                "-L{}/lib/aarch64-linux-musl -L{}/usr/lib",
                libc.display(),
                libc.display()
            ),
        );
    write(&libc.join("musl-gcc.specs"), &specs)?;
    let cc = libc.join("aarch64-linux-musl-gcc");
    let script = format!(
        "#!/bin/sh\nexec aarch64-linux-gnu-gcc \"$@\" -specs {}\n",
        libc.join("musl-gcc.specs").display()
    );
    write(&cc, &script)?;
    fs::set_permissions(&cc, fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", cc.display()))?;
    Ok(cc)
}

fn python_package() -> Package {
    Package::program("python3.11", BUILD_PYTHON)
}

fn ar(target: &Target) -> &'static str {
    match target.arch {
        "x86_64" => "ar",
        _ => "aarch64-linux-gnu-ar",
    }
}

/// CPython's source, the upstream tarball of Debian bookworm's python3.11
/// source package, unpacked once into `target/sysroots/cpython-src/`.
fn source() -> Result<PathBuf, String> {
    let dir = crate::clib::target_dir().join("sysroots/cpython-src");
    let tree = dir.join("Python-3.11");
    if tree.join("configure").exists() {
        return Ok(tree);
    }
    let _ = fs::remove_dir_all(&dir);
    let apt = apt::own_index(&dir, "deb-src", "bookworm")?;
    run_quiet(&mut apt(&["source", "--download-only", "python3.11"]))?;
    let orig = fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().contains(".orig.tar."))
        .ok_or("apt-get source python3.11 brought no .orig tarball")?;
    fs::create_dir_all(&tree).map_err(|e| format!("{}: {e}", tree.display()))?;
    run(Command::new("tar")
        .arg("-xf")
        .arg(&orig)
        .arg("-C")
        .arg(&tree)
        .arg("--strip-components=1"))?;
    Ok(tree)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
