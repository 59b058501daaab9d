//! The benchmark's installs and builds: system packages, the `.venv-bench`
//! virtualenv, the release artifacts of each client.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Mode, log};
use crate::apt::{self, Package};
use crate::process::{at_root, capture, run};

const PACKAGES: &[Package] = &[
    Package::program("nginx", "nginx"),
    Package::program("wrk", "wrk"),
    Package::dpkg("libcurl4-openssl-dev"),
    Package::program("openssl", "openssl"),
    Package::program("binutils", "strip"),
    Package::program("strace", "strace"),
];

pub(crate) fn install_system() -> Result<(), String> {
    apt::ensure(
        PACKAGES,
        "the benchmark's server (nginx), load generator (wrk), libcurl client, throwaway CA \
         (openssl), size measurements (strip) and system-call counts (strace)",
    )
}

/// `.venv-bench` with bench/requirements.txt; returns its interpreter.
pub(crate) fn install_python() -> Result<PathBuf, String> {
    let venv = crate::root().join(".venv-bench");
    let py = venv.join("bin/python");
    if !py.is_file() {
        log("creating .venv-bench");
        crate::venv::create(&venv)?;
    }
    let requirements = crate::root().join("bench/requirements.txt");
    let stamp = venv.join(".bench-requirements");
    let wanted = fs::read(&requirements).map_err(|e| format!("{}: {e}", requirements.display()))?;
    if fs::read(&stamp).ok() != Some(wanted.clone()) {
        log("pip install -r bench/requirements.txt");
        run(at_root(&py)
            .args([
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements))?;
        fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    }
    Ok(py)
}

/// The project's module, the release wheel (`dist::host_wheel`, shared with
/// the Python suite); a note when it cannot be installed or imported (the
/// Python rows are then skipped).
pub(crate) fn install_py_module(py: &Path, out: &Path) -> Option<String> {
    log("pip install the release wheel (maturin build --release --zig)");
    let log_path = out.join("pip-python-module.log");
    let install = crate::dist::host_wheel("bench").and_then(|wheel| {
        capture(
            at_root(py)
                .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
                .args(["--no-deps", "--force-reinstall"])
                .arg(wheel),
        )
    });
    let imported = || {
        capture(
            at_root(py)
                .current_dir(out)
                .args(["-c", "import engagelab_push; engagelab_push.Client"]),
        )
    };
    let note = match install {
        Ok(o) if o.status.success() => match imported() {
            Ok(i) if i.status.success() => return None,
            Ok(i) => {
                let _ = fs::write(&log_path, &i.stderr);
                "engagelab_push installed but does not import"
            }
            Err(_) => "engagelab_push installed but does not import",
        },
        Ok(o) => {
            let _ = fs::write(&log_path, [o.stdout, o.stderr].concat());
            "pip install of the wheel failed"
        }
        Err(e) => {
            let _ = fs::write(&log_path, e);
            "the wheel did not build"
        }
    };
    Some(format!("{note} (see {})", log_path.display()))
}

/// What `build_native` produced, and why a client cannot run.
pub(crate) struct Built {
    pub bin: PathBuf,
    pub rust_bin: PathBuf,
    pub lib_dir: Option<PathBuf>,
    pub rust_note: Option<String>,
    pub ffi_note: Option<String>,
}

const CFLAGS: &[&str] = &["-O2", "-std=c99", "-Wall", "-Wextra", "-Werror"];

pub(crate) fn build_native(mode: &Mode) -> Result<Built, String> {
    let bin = mode.out.join("bin");
    fs::create_dir_all(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    log("cargo xtask lib --release (with the core's examples, bench_sequential among them)");
    let rust_note = crate::clib::build(true)
        .err()
        .map(|e| format!("cargo build of examples/bench_sequential failed: {e}"));
    log("cc bench/c/curl_bench.c, bench/c/curl_one.c (libcurl)");
    for name in ["curl_bench", "curl_one"] {
        run(at_root("cc")
            .args(CFLAGS)
            .arg(format!("bench/c/{name}.c"))
            .arg("-lcurl")
            .arg("-o")
            .arg(bin.join(name)))?;
    }
    log("cargo xtask lib --release; cc bench/c/el_bench.c, bench/c/el_one.c");
    let (lib_dir, ffi_note) = match crate::clib::build(true) {
        Err(e) => (None, Some(format!("cargo xtask lib --release failed: {e}"))),
        Ok(lib) => {
            let mut note = None;
            for name in ["el_bench", "el_one"] {
                let built = run(at_root("cc")
                    .args(CFLAGS)
                    .arg(format!("bench/c/{name}.c"))
                    .arg("-Iinclude")
                    .arg(format!("-L{}", lib.display()))
                    .arg(format!("-Wl,-rpath,{}", lib.display()))
                    .arg("-lengagelab_push")
                    .arg("-o")
                    .arg(bin.join(name)));
                if let Err(e) = built {
                    note = Some(format!("compiling bench/c/{name}.c failed: {e}"));
                }
            }
            (Some(lib), note)
        }
    };
    Ok(Built {
        rust_bin: crate::clib::target_dir().join("release/examples/bench_sequential"),
        bin,
        lib_dir,
        rust_note,
        ffi_note,
    })
}

/// The language bindings' bench clients (`bench/{go,node,java}`, over
/// `bindings/{go,node,java}`), each ready to run or with the reason it is not.
pub(crate) struct Bindings {
    /// `go build -o bin/go_bench .` in bench/go (and `bin/go_bulk`, the
    /// bulk benchmark's client, beside it).
    pub go: Result<PathBuf, String>,
    /// bindings/node after `npm ci` and the library copied in (bench/node
    /// imports it by relative path).
    pub node: Result<(), String>,
    /// The `java` program and the class path of the bench clients
    /// (bench/java compiled against the binding's classes and jars).
    pub java: Result<(PathBuf, String), String>,
}

impl Bindings {
    /// Every binding skipped with `why` (quick mode).
    pub(crate) fn skipped(why: &str) -> Bindings {
        Bindings {
            go: Err(why.to_owned()),
            node: Err(why.to_owned()),
            java: Err(why.to_owned()),
        }
    }
}

/// Builds the Go, Node and Java bench clients over the release library; a
/// binding whose toolchain or build is missing gets a note instead.
pub(crate) fn build_bindings(mode: &Mode, built: &Built) -> Bindings {
    let Some(lib_dir) = built.lib_dir.clone() else {
        return Bindings::skipped("the release library did not build");
    };
    let env = crate::bindings::Env {
        root: crate::root(),
        lib_dir,
        // The bench clients never start the mock.
        mock_bin: PathBuf::new(),
    };
    let bin = mode.out.join("bin");
    let logged = |name: &str, what: &str, result: Result<(), String>| {
        result.map_err(|e| {
            let path = mode.out.join(format!("build-{name}.log"));
            let _ = fs::write(&path, &e);
            format!("{what} failed (see {})", path.display())
        })
    };

    log("bindings/go: library copied in; bench/go: go build . ./bulk");
    let go = if !crate::process::on_path("go") {
        Err("no Go toolchain (`go`) on the PATH".to_owned())
    } else {
        let out = bin.join("go_bench");
        let build = |exe: &Path, package: &str| {
            build_output(
                env.command("go", "go")
                    .current_dir(env.root.join("bench/go"))
                    .args(["build", "-o"])
                    .arg(exe)
                    .arg(package),
            )
        };
        logged(
            "go",
            "go build . ./bulk (bench/go)",
            crate::bindings::go::prepare(&env)
                .and_then(|_| build(&out, "."))
                .and_then(|()| build(&bin.join("go_bulk"), "./bulk")),
        )
        .map(|()| out)
    };

    log("bindings/node: npm ci; node scripts/copy-lib.cjs");
    let node = if !crate::process::on_path("node") || !crate::process::on_path("npm") {
        Err("no Node.js (`node`, `npm`) on the PATH".to_owned())
    } else {
        logged("node", "npm ci", crate::bindings::node::prepare(&env))
    };

    log("bindings/java: mvn package -DskipTests; javac bench/java/*.java");
    let jdk = crate::bindings::java::jdk17();
    let java_bin = jdk
        .as_ref()
        .map_or_else(|| PathBuf::from("java"), |home| home.join("bin/java"));
    let java = if !crate::process::on_path("mvn")
        || (jdk.is_none() && !crate::process::on_path("java"))
    {
        Err("no JDK 17+ and Maven (`java`, `mvn`) on the PATH".to_owned())
    } else {
        logged(
            "java",
            "mvn package",
            build_output(&mut crate::bindings::java::mvn(
                &env,
                jdk.as_deref(),
                &["package", "-DskipTests"],
            )),
        )
        .and_then(|()| {
            let target = env.root.join("bindings/java/target");
            let classes = mode.out.join("java-bench");
            let mut cp = vec![target.join("classes")];
            let jars = fs::read_dir(target.join("lib")).map_err(|e| format!("target/lib: {e}"))?;
            let mut jars: Vec<PathBuf> = jars
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "jar"))
                .collect();
            jars.sort();
            cp.extend(jars);
            let javac = match &jdk {
                Some(home) => home.join("bin/javac"),
                None => PathBuf::from("javac"),
            };
            let sources =
                ["Bench.java", "BulkBench.java"].map(|f| env.root.join("bench/java").join(f));
            let build_cp = std::env::join_paths(&cp).map_err(|e| e.to_string())?;
            logged(
                "java",
                "javac bench/java",
                build_output(
                    std::process::Command::new(javac)
                        .arg("-cp")
                        .arg(&build_cp)
                        .arg("-d")
                        .arg(&classes)
                        .args(sources),
                ),
            )?;
            cp.insert(0, classes);
            let cp = std::env::join_paths(cp).map_err(|e| e.to_string())?;
            Ok((java_bin, cp.to_string_lossy().into_owned()))
        })
    };
    Bindings { go, node, java }
}

/// Runs a build, its output kept for the error.
fn build_output(cmd: &mut std::process::Command) -> Result<(), String> {
    let out = capture(cmd)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
