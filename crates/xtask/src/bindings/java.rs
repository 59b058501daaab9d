//! The Java binding (`bindings/java`), built and tested with Maven.
//!
//! `test`: `mvn verify` on JDK 17 (every JUnit test, the fault matrix through
//! a toxiproxy server started here, the jar with the library inside), the
//! same tests but the leak check again on Temurin 25, then the packaging proof: the
//! example run from an empty folder with only the jar, JNA's jar and a JDK on
//! the PATH, deleting a device from a freshly started mock.
//! `demo`: deletes one device through Java from a freshly started mock.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Env, run};
use crate::mock::Mock;

/// The JDK the build runs on: Java 17, the oldest the binding supports.
pub(crate) fn jdk17() -> Option<PathBuf> {
    find_jdk(
        "ENGAGELAB_JAVA17_HOME",
        &["java-17-openjdk-amd64", "temurin-17-jdk-amd64"],
    )
}

/// The newest JDK the tests also run on.
fn jdk25() -> Option<PathBuf> {
    find_jdk(
        "ENGAGELAB_JAVA25_HOME",
        &["temurin-25-jdk-amd64", "java-25-openjdk-amd64"],
    )
}

fn find_jdk(variable: &str, names: &[&str]) -> Option<PathBuf> {
    let given = std::env::var_os(variable).map(PathBuf::from);
    let known = names.iter().map(|n| Path::new("/usr/lib/jvm").join(n));
    given
        .into_iter()
        .chain(known)
        .find(|home| home.join("bin/java").is_file())
}

pub(crate) fn mvn(env: &Env, jdk: Option<&Path>, args: &[&str]) -> Command {
    let mut cmd = env.command("java", "mvn");
    cmd.args(["-q", "-B"]).args(args);
    if let Some(home) = jdk {
        cmd.env("JAVA_HOME", home);
    }
    cmd
}

pub(crate) fn test(env: &Env) -> Result<(), String> {
    let jdk17 = jdk17();
    // The fault matrix's runner (FaultsTest) uses this server.
    let toxiproxy = crate::toxiproxy::Toxiproxy::start()?;
    println!("java: mvn verify on {}", shown(jdk17.as_deref()));
    run(mvn(env, jdk17.as_deref(), &["verify"]).env("TOXIPROXY_URL", toxiproxy.url()))?;

    let jdk25 = jdk25().ok_or(
        "Temurin 25 not found under /usr/lib/jvm: install it or set ENGAGELAB_JAVA25_HOME",
    )?;
    println!(
        "java: the tests again on {}, but the leak check",
        jdk25.display()
    );
    let jvm = format!("-Djvm={}", jdk25.join("bin/java").display());
    // JDK 24+ warns when JNA loads a library unless native access is enabled.
    let arg_line = "-DargLine=--enable-native-access=ALL-UNNAMED";
    // The leak check measures the binding's frees, which no JVM changes; it
    // runs once, on JDK 17, above.
    run(mvn(
        env,
        jdk17.as_deref(),
        &["surefire:test", &jvm, arg_line, "-Dtest=!LeakTest"],
    )
    .env("TOXIPROXY_URL", toxiproxy.url()))?;
    drop(toxiproxy);

    packaging_proof(env, jdk17.as_deref())
}

fn shown(jdk: Option<&Path>) -> String {
    jdk.map_or_else(|| "the default JDK".into(), |p| p.display().to_string())
}

/// The jar and JNA's jar as `mvn package` leaves them.
fn jars(env: &Env) -> Result<(PathBuf, PathBuf), String> {
    let target = env.root.join("bindings/java/target");
    let jar = target.join(format!("engagelab-push-{}.jar", crate::clib::VERSION));
    if !jar.is_file() {
        return Err(format!("{} was not built", jar.display()));
    }
    let jna = std::fs::read_dir(target.join("lib"))
        .map_err(|e| format!("{}: {e}", target.join("lib").display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("jna-") && n.ends_with(".jar"))
        })
        .ok_or("JNA's jar is not in bindings/java/target/lib")?;
    Ok((jar, jna))
}

/// Runs the example from an empty temp folder holding only the two jars and
/// the example's source, with a bare environment: PATH is the JDK's bin
/// folder alone (no cargo, no rustc), no LD_LIBRARY_PATH, no library
/// installed. It must delete the seeded device, and a second run must fail,
/// so the first one really talked to the mock.
fn packaging_proof(env: &Env, jdk: Option<&Path>) -> Result<(), String> {
    let (jar, jna) = jars(env)?;
    let java_home = match jdk {
        Some(home) => home.to_path_buf(),
        None => {
            PathBuf::from(std::env::var("JAVA_HOME").map_err(|_| "no JDK 17 found; set JAVA_HOME")?)
        }
    };
    let dir = std::env::temp_dir().join(format!("engagelab-java-package-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = (|| {
        for file in [
            &jar,
            &jna,
            &env.root.join("bindings/java/examples/DeleteDevice.java"),
        ] {
            let to = dir.join(file.file_name().unwrap_or_default());
            std::fs::copy(file, &to).map_err(|e| format!("copying {}: {e}", file.display()))?;
        }
        let mock = Mock::spawn(&env.mock_bin, &["--device", "packaged-device-1"])?;
        let url = mock.url();
        let class_path = format!(
            "{}:{}",
            jar.file_name().unwrap_or_default().to_string_lossy(),
            jna.file_name().unwrap_or_default().to_string_lossy()
        );
        let example = |expect_success: bool| -> Result<(), String> {
            let mut cmd = Command::new(java_home.join("bin/java"));
            cmd.env_remove("LD_LIBRARY_PATH");
            cmd.current_dir(&dir)
                .env_clear()
                .env("PATH", java_home.join("bin"))
                .env("HOME", &dir)
                .env("ENGAGELAB_APP_KEY", crate::mock::APP_KEY)
                .env("ENGAGELAB_MASTER_SECRET", crate::mock::MASTER_SECRET)
                .env("ENGAGELAB_BASE_URL", url)
                .args(["-cp", &class_path, "DeleteDevice.java", "packaged-device-1"]);
            // Not {cmd:?}: it would print the Master Secret variable.
            println!(
                "java: packaging proof in {}: java -cp {class_path} DeleteDevice.java packaged-device-1 (PATH={}/bin only)",
                dir.display(),
                java_home.display()
            );
            let status = cmd.status().map_err(|e| format!("java: {e}"))?;
            if status.success() != expect_success {
                return Err(format!(
                    "the packaged example {} ({status})",
                    if expect_success {
                        "failed"
                    } else {
                        "succeeded twice"
                    }
                ));
            }
            Ok(())
        };
        example(true)?;
        let devices = mock.devices()?;
        if devices.iter().any(|d| d == "packaged-device-1") {
            return Err(format!("the device is still there: {devices:?}"));
        }
        example(false)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    println!("java: packaging proof passed: the jar ran with nothing but a JDK");
    Ok(())
}

pub(crate) fn demo(env: &Env) -> Result<(), String> {
    let jdk = jdk17();
    println!("java demo: building the jar (mvn package)");
    run(&mut mvn(env, jdk.as_deref(), &["package", "-DskipTests"]))?;
    let (jar, jna) = jars(env)?;
    let mock = Mock::spawn(&env.mock_bin, &["--device", "demo-device-0001"])?;
    let url = mock.url();
    println!("java demo: engagelab-mock at {url}, seeded with demo-device-0001");
    println!("java demo: devices before: {:?}", mock.devices()?);
    let java = jdk
        .as_ref()
        .map_or_else(|| PathBuf::from("java"), |h| h.join("bin/java"));
    let mut cmd = Command::new(java);
    cmd.env_remove("LD_LIBRARY_PATH");
    cmd.env("ENGAGELAB_APP_KEY", crate::mock::APP_KEY)
        .env("ENGAGELAB_MASTER_SECRET", crate::mock::MASTER_SECRET)
        .env("ENGAGELAB_BASE_URL", url)
        .arg("-cp")
        .arg(format!("{}:{}", jar.display(), jna.display()))
        .arg(env.root.join("bindings/java/examples/DeleteDevice.java"))
        .arg("demo-device-0001");
    // Not {cmd:?}: it would print the Master Secret variable.
    println!(
        "java demo: java -cp engagelab-push.jar:jna.jar examples/DeleteDevice.java demo-device-0001 (ENGAGELAB_BASE_URL={url})"
    );
    run(&mut cmd)?;
    println!("java demo: devices after: {:?}", mock.devices()?);
    Ok(())
}
