//! Installing the system packages a step needs on a fresh Debian machine,
//! saying which and why before doing it.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::process::{on_path, run};

/// A Debian package and how to tell it is already there.
pub(crate) struct Package {
    pub name: &'static str,
    pub present: Presence,
}

pub(crate) enum Presence {
    /// A program on the PATH (or in /usr/sbin, for daemons).
    Program(&'static str),
    /// dpkg has it installed (libraries and headers).
    Dpkg,
}

impl Package {
    pub(crate) const fn program(name: &'static str, program: &'static str) -> Package {
        Package {
            name,
            present: Presence::Program(program),
        }
    }

    pub(crate) const fn dpkg(name: &'static str) -> Package {
        Package {
            name,
            present: Presence::Dpkg,
        }
    }

    fn is_present(&self) -> bool {
        match self.present {
            Presence::Program(p) => {
                on_path(p) || std::path::Path::new("/usr/sbin").join(p).is_file()
            }
            // Installed, not merely known: `dpkg -s` also succeeds for a
            // package removed with its configuration files left ("rc").
            Presence::Dpkg => Command::new("dpkg-query")
                .args(["-W", "-f=${db:Status-Status}\\n", self.name])
                .output()
                .is_ok_and(|o| {
                    o.status.success()
                        && String::from_utf8_lossy(&o.stdout)
                            .lines()
                            .any(|status| status == "installed")
                }),
        }
    }
}

/// Installs the packages of `wanted` that are missing, printing their names
/// and `why` first. Needs root (or sudo).
pub(crate) fn ensure(wanted: &[Package], why: &str) -> Result<(), String> {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|p| !p.is_present())
        .map(|p| p.name)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!(
        "==== installing system packages {} with apt-get: {why}",
        missing.join(" ")
    );
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    // Suites run side by side (test/lanes.rs) may install at once: flock(1)
    // takes turns between them, and dpkg's own lock is waited for rather than
    // failed on (another apt user of the machine).
    let lock = crate::clib::target_dir().join("apt.lock");
    let apt = |args: &[&str]| {
        let mut cmd = if root {
            Command::new("flock")
        } else {
            let mut c = Command::new("sudo");
            c.arg("flock");
            c
        };
        cmd.arg(&lock)
            .arg("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["-o", "DPkg::Lock::Timeout=600"])
            .args(args);
        cmd
    };
    run(&mut apt(&["update", "-qq"]))?;
    let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(&missing);
    run(&mut install).map_err(|e| format!("cannot install {}: {e}", missing.join(" ")))
}

/// `apt-get` with Debian's `suite` index alone (`types`: `deb` or
/// `deb-src`), for amd64 and arm64, in package lists of its own under
/// `dir`: the machine's apt configuration is left as it is. Runs `apt-get
/// update` once, then gives the command to run the rest with.
pub(crate) fn own_index(
    dir: &Path,
    types: &str,
    suite: &str,
) -> Result<impl Fn(&[&str]) -> Command, String> {
    let lists = dir.join("lists");
    let parts = dir.join("sources.list.d");
    let fail = |e: std::io::Error| format!("{}: {e}", dir.display());
    fs::create_dir_all(lists.join("partial")).map_err(fail)?;
    fs::create_dir_all(&parts).map_err(fail)?;
    let sources = format!(
        "Types: {types}\nURIs: http://deb.debian.org/debian\nSuites: {suite}\nComponents: main\n\
         Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    );
    fs::write(parts.join("own.sources"), sources).map_err(fail)?;
    let dir = dir.to_owned();
    let apt = move |args: &[&str]| {
        let mut cmd = Command::new("apt-get");
        cmd.current_dir(&dir).arg("-q");
        for option in [
            "Dir::Etc::SourceList=/dev/null".to_owned(),
            format!("Dir::Etc::SourceParts={}", parts.display()),
            format!("Dir::State::Lists={}", lists.display()),
            "APT::Architectures::=amd64".to_owned(),
            "APT::Architectures::=arm64".to_owned(),
        ] {
            cmd.arg("-o").arg(option);
        }
        cmd.args(args);
        cmd
    };
    crate::process::run_quiet(&mut apt(&["update"]))?;
    Ok(apt)
}

/// Debian `suite`'s `packages` (`NAME:ARCH`) unpacked into `root` with
/// `dpkg -x` (nothing installed), downloaded through [`own_index`] kept
/// under `index`.
pub(crate) fn unpack(
    index: &Path,
    suite: &str,
    packages: &[String],
    root: &Path,
) -> Result<(), String> {
    let apt = own_index(index, "deb", suite)?;
    // Emptied first: an older download of a package would be unpacked over
    // the new one.
    let debs = root.with_extension("debs");
    let fail = |e: std::io::Error| format!("{}: {e}", debs.display());
    let _ = fs::remove_dir_all(&debs);
    fs::create_dir_all(&debs).map_err(fail)?;
    let mut download = apt(&["download"]);
    crate::process::run_quiet(download.args(packages).current_dir(&debs))?;
    for deb in fs::read_dir(&debs).map_err(fail)? {
        run(Command::new("dpkg")
            .arg("-x")
            .arg(deb.map_err(fail)?.path())
            .arg(root))?;
    }
    fs::remove_dir_all(&debs).map_err(fail)
}
