//! The C ABI's suites: the header check catches a stale header; the scenario
//! runner, C API tests and C++ program under tests/c/ built by
//! CMake and run linked dynamically and statically (and, as the `sanitizers`
//! suite, under ASan+UBSan and under valgrind); the fault matrix (tests/contract/faults) through toxiproxy; the runner's
//! self-tests; the example against engagelab-mock;
//! the install into a scratch prefix and the pkg-config, find_package and
//! README static-link consumers built against the installed copy only.
//! (The header being up to date is checked by `lint`.)

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::apt::{self, Package};
use crate::clib::VERSION;
use crate::mock::Mock;
use crate::process::{at_root, capture, run, run_quiet, stdout};
use crate::scratch::Scratch;
use crate::steps::Steps;

/// Test-only packages: the library itself links only libc, pthread, dl, m.
const PACKAGES: &[Package] = &[
    Package::dpkg("libcjson-dev"),
    Package::dpkg("libcurl4-openssl-dev"),
    Package::program("cmake", "cmake"),
    Package::program("pkg-config", "pkg-config"),
    Package::program("valgrind", "valgrind"),
    Package::program("g++", "g++"),
    Package::program("make", "make"),
];

/// Devices the example and the consumers delete (they come back on a reset).
const DEVICES: &[&str] = &[
    "demo-device",
    "consumer-pkg-config",
    "consumer-cmake-shared",
    "consumer-cmake-static",
    "consumer-readme-static",
];

/// Valgrind fails on errors and on definite or indirect leaks; "possibly
/// lost" and "still reachable" are the one-time globals of the Rust runtime
/// and of libcurl/OpenSSL in the test helpers, and are not leaks.
const VALGRIND: &str = "valgrind;--quiet;--leak-check=full;--errors-for-leak-kinds=definite,indirect;\
--show-leak-kinds=definite,indirect;--error-exitcode=1";

/// What every C suite starts from: the test packages, the debug library and
/// a mock (with the devices the example and consumers delete). `None` when
/// any is missing (the steps say why).
fn prepare(steps: &mut Steps, suite: &str) -> Option<Mock> {
    let ready = steps.step(&format!("{suite}: test packages installed"), || {
        apt::ensure(
            PACKAGES,
            "the C test suites build with cJSON and libcurl, CMake, valgrind",
        )
    });
    let built = ready
        && steps.step(&format!("{suite}: cargo xtask lib (debug)"), || {
            crate::clib::build(false).map(|_| ())
        });
    let mut mock = None;
    if built {
        steps.step(&format!("{suite}: start engagelab-mock"), || {
            let m = Mock::start(DEVICES)?;
            println!("engagelab-mock at {}", m.url());
            mock = Some(m);
            Ok(())
        });
    }
    if mock.is_none() {
        steps.skipped(
            &format!("{suite}: the C suites"),
            "the library or the mock is missing",
        );
    }
    mock
}

/// The sanitizer builds of tests/c, a suite of their own so that they run
/// beside the others (`cargo xtask test sanitizers`): ASan+UBSan with leak
/// detection, and valgrind.
pub(crate) fn run_sanitizers(steps: &mut Steps) {
    let Some(mock) = prepare(steps, "sanitizers") else {
        return;
    };
    let url = mock.url();
    let build = crate::root().join("tests/c/build");
    // Leak detection on: anything left by the library or the tests fails.
    steps.step("sanitizers: C suites, ASan+UBSan", || {
        cmake_suite(
            &build,
            "asan",
            &["-DEL_LINK=shared", "-DEL_SANITIZE=ON"],
            &[
                (
                    "ASAN_OPTIONS",
                    "detect_leaks=1:abort_on_error=0:halt_on_error=1",
                ),
                ("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1"),
                ("ENGAGELAB_MOCK_URL", url),
            ],
        )
    });
    steps.step("sanitizers: C suites, valgrind", || {
        let launcher = format!("-DEL_LAUNCHER={VALGRIND}");
        cmake_suite(
            &build,
            "valgrind",
            &["-DEL_LINK=shared", &launcher],
            &[("ENGAGELAB_MOCK_URL", url)],
        )
    });
}

pub(crate) fn run_suite(steps: &mut Steps) {
    let scratch = match Scratch::new("c-test") {
        Ok(s) => s,
        Err(e) => return steps.skipped("c: the C suites", &e),
    };
    steps.step("c: header check fails on a stale header", || {
        stale_header_is_caught(&scratch)
    });
    let Some(mock) = prepare(steps, "c") else {
        return;
    };
    let url = mock.url();
    let build = crate::root().join("tests/c/build");

    // The C tests find the mock through ENGAGELAB_MOCK_URL.
    let with_mock = [("ENGAGELAB_MOCK_URL", url)];
    steps.step("c: suites, dynamic link", || {
        cmake_suite(&build, "shared", &["-DEL_LINK=shared"], &with_mock)
    });
    steps.step("c: suites, static link", || {
        cmake_suite(&build, "static", &["-DEL_LINK=static"], &with_mock)
    });
    steps.step("c: fault matrix through toxiproxy", || {
        let toxiproxy = crate::toxiproxy::Toxiproxy::start()?;
        run(at_root(build.join("shared/faults"))
            .arg("tests/contract/faults/matrix.json")
            .env("ENGAGELAB_MOCK_URL", url)
            .env("TOXIPROXY_URL", toxiproxy.url()))
    });
    let runner = build.join("shared/scenarios");
    steps.step("c: scenario runner fails wrong expectations", || {
        runner_catches_failures(&runner, url)
    });
    steps.step("c: example delete_device against the mock", || {
        example(&build.join("shared/delete_device"), url)
    });
    steps.step("c: example erase_users against the mock", || {
        erase_example(&build.join("shared/erase_users"), url, &scratch)
    });
    let prefix = scratch.join("prefix");
    if !steps.step("c: cargo xtask install (scratch prefix)", || {
        crate::install::install(prefix.to_str().ok_or("scratch path is not UTF-8")?)
    }) {
        return steps.skipped("c: consumers", "the install failed");
    }
    steps.step("c: consumer: pkg-config", || {
        pkg_config_consumer(&prefix, &scratch, url)
    });
    steps.step("c: consumer: find_package(EngageLabPush)", || {
        cmake_consumer(&prefix, &scratch, url)
    });
    steps.step("c: consumer: README static link line", || {
        readme_static_link(&prefix, &scratch, url)
    });
}

fn stale_header_is_caught(scratch: &Scratch) -> Result<(), String> {
    let header = fs::read_to_string(crate::header::committed()).map_err(|e| e.to_string())?;
    let stale = header.replace("EL_AUTH = 2,", "EL_AUTH = 20,");
    if stale == header {
        return Err("the header has no `EL_AUTH = 2,` to change".into());
    }
    let path = scratch.join("stale.h");
    fs::write(&path, stale).map_err(|e| e.to_string())?;
    match crate::header::check(&path) {
        Err(_) => Ok(()),
        Ok(()) => Err("header --check passed a stale header".into()),
    }
}

/// One CMake build of tests/c per variant, under tests/c/build (ignored by
/// git), then its ctest run with `env` set.
fn cmake_suite(
    build: &Path,
    variant: &str,
    defs: &[&str],
    env: &[(&str, &str)],
) -> Result<(), String> {
    let dir = build.join(variant);
    run_quiet(
        at_root("cmake")
            .args(["-S", "tests/c", "-B"])
            .arg(&dir)
            .arg(format!("-DEL_EXPECTED_VERSION={VERSION}"))
            .args(defs),
    )?;
    run_quiet(at_root("cmake").arg("--build").arg(&dir).args(["-j", "2"]))?;
    let mut ctest = at_root("ctest");
    ctest.arg("--test-dir").arg(&dir).arg("--output-on-failure");
    ctest.envs(env.iter().copied());
    run(&mut ctest)
}

fn runner_catches_failures(runner: &Path, url: &str) -> Result<(), String> {
    let out = capture(
        at_root(runner)
            .arg("tests/c/runner_selftest.json")
            .env("ENGAGELAB_MOCK_URL", url),
    )?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    let last = text.lines().last().unwrap_or("");
    if last == "scenarios: 0 passed, 6 failed" {
        Ok(())
    } else {
        Err(format!("the last line is {last:?}"))
    }
}

fn example(bin: &Path, url: &str) -> Result<(), String> {
    let with_env = || {
        let mut cmd = at_root(bin);
        cmd.env("ENGAGELAB_APP_KEY", crate::mock::APP_KEY)
            .env("ENGAGELAB_MASTER_SECRET", crate::mock::MASTER_SECRET)
            .env("ENGAGELAB_BASE_URL", url)
            .env_remove("ENGAGELAB_REGION");
        cmd
    };
    run(with_env().arg("demo-device"))?;
    // Deleted: a second call fails (the mock answers 400/27002 for unknown ids).
    expect_code(with_env().arg("demo-device"), 1)?;
    // Bad usage and missing credentials exit 2.
    expect_code(&mut with_env(), 2)?;
    expect_code(with_env().env_remove("ENGAGELAB_APP_KEY").arg("x"), 2)
}

/// The erasure example erases an alias with no device (exit 0), leaving its
/// backup, report and journal 0600 where it runs; no alias is bad usage.
fn erase_example(bin: &Path, url: &str, scratch: &Scratch) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch.join("erase-example");
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let with_env = || {
        let mut cmd = Command::new(bin);
        cmd.current_dir(&dir)
            .env("ENGAGELAB_APP_KEY", crate::mock::APP_KEY)
            .env("ENGAGELAB_MASTER_SECRET", crate::mock::MASTER_SECRET)
            .env("ENGAGELAB_BASE_URL", url);
        cmd
    };
    let out = stdout(with_env().arg("nobody-in-c"))?;
    if !out.contains("nobody-in-c: no device bound") {
        return Err(format!("unexpected output:\n{out}"));
    }
    for name in [
        "erased.backup.jsonl",
        "erasure.report.jsonl",
        "erasure.journal",
    ] {
        let mode = fs::metadata(dir.join(name))
            .map_err(|e| format!("{name}: {e}"))?
            .permissions()
            .mode();
        if mode & 0o777 != 0o600 {
            return Err(format!("{name} is {:o}, not 600", mode & 0o777));
        }
    }
    expect_code(&mut with_env(), 2)
}

fn expect_code(cmd: &mut Command, code: i32) -> Result<(), String> {
    let out = capture(cmd)?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if out.status.code() == Some(code) {
        Ok(())
    } else {
        Err(format!(
            "`{}` exited {}, expected {code}",
            crate::process::shown(cmd),
            out.status
        ))
    }
}

pub(crate) fn pkg_config_consumer(
    prefix: &Path,
    scratch: &Scratch,
    url: &str,
) -> Result<(), String> {
    let pkg_config = |args: &[&str]| {
        let mut cmd = at_root("pkg-config");
        cmd.env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
            .args(args);
        stdout(&mut cmd)
    };
    let version = pkg_config(&["--modversion", "engagelab_push"])?;
    if version != VERSION {
        return Err(format!(
            "pkg-config says {version}, the workspace {VERSION}"
        ));
    }
    let flags = pkg_config(&["--cflags", "--libs", "engagelab_push"])?;
    let bin = scratch.join("consumer-pkg-config");
    run(at_root("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"])
        .arg("tests/c/consumer/consumer.c")
        .args(flags.split_whitespace())
        .arg("-o")
        .arg(&bin))?;
    let lib_dir = prefix.join("lib");
    let ldd = stdout(at_root("ldd").arg(&bin).env("LD_LIBRARY_PATH", &lib_dir))?;
    let want = format!(
        "libengagelab_push.so.0 => {}",
        lib_dir.join("libengagelab_push.so.0").display()
    );
    if !ldd.contains(&want) {
        return Err(format!("ldd does not show {want:?}:\n{ldd}"));
    }
    run(at_root(&bin)
        .env("LD_LIBRARY_PATH", &lib_dir)
        .args([url, "consumer-pkg-config"]))
}

pub(crate) fn cmake_consumer(prefix: &Path, scratch: &Scratch, url: &str) -> Result<(), String> {
    let dir = scratch.join("consumer-cmake");
    run_quiet(
        at_root("cmake")
            .args(["-S", "tests/c/consumer", "-B"])
            .arg(&dir)
            .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display())),
    )?;
    run_quiet(at_root("cmake").arg("--build").arg(&dir))?;
    run(at_root(dir.join("consumer_shared")).args([url, "consumer-cmake-shared"]))?;
    let statically = dir.join("consumer_static");
    let ldd = stdout(at_root("ldd").arg(&statically))?;
    if ldd.contains("libengagelab_push") {
        return Err(format!("consumer_static links the shared library:\n{ldd}"));
    }
    run(at_root(&statically).args([url, "consumer-cmake-static"]))
}

/// The static link line of crates/engagelab-push-ffi/README.md, verbatim but
/// for the paths.
fn readme_static_link(prefix: &Path, scratch: &Scratch, url: &str) -> Result<(), String> {
    let bin: PathBuf = scratch.join("consumer-static");
    run(at_root("cc")
        .arg("tests/c/consumer/consumer.c")
        .arg("-I")
        .arg(prefix.join("include"))
        .arg(prefix.join("lib/libengagelab_push.a"))
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&bin))?;
    run(at_root(&bin).args([url, "consumer-readme-static"]))
}
