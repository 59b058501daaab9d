//! The Go binding (`bindings/go`, module
//! `github.com/engagelab-push/engagelab-push/bindings/go`).
//!
//! cgo links `libengagelab_push.a` statically from
//! `bindings/go/lib/GOOS_GOARCH/` and compiles against
//! `bindings/go/include/engagelab_push.h`; both are copied there from the
//! build (and are gitignored: a release commits them into its tag).

use std::fs;
use std::path::{Path, PathBuf};

use super::{Env, run};
use crate::mock::Mock;

const DIR: &str = "go";

/// `go env GOOS` + `_` + `go env GOARCH`, e.g. `linux_amd64`.
fn platform(env: &Env) -> Result<String, String> {
    let out = env
        .command(DIR, "go")
        .args(["env", "GOOS", "GOARCH"])
        .output()
        .map_err(|e| format!("go: {e} (install Go 1.22 or later)"))?;
    if !out.status.success() {
        return Err("`go env GOOS GOARCH` failed".into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let parts: Vec<&str> = text.split_whitespace().collect();
    match parts.as_slice() {
        [os, arch] => Ok(format!("{os}_{arch}")),
        _ => Err(format!("`go env GOOS GOARCH` printed {text:?}")),
    }
}

/// Into a directory made as needed, replaced by rename (`clib::copy`): the
/// benchmark's Go client may place the library while the tests link it.
fn copy(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::clib::copy(from, to)
}

/// Places the static library and the header where cgo looks for them.
pub(crate) fn prepare(env: &Env) -> Result<PathBuf, String> {
    let module = env.root.join("bindings").join(DIR);
    let platform = platform(env)?;
    copy(
        &env.lib_dir.join("libengagelab_push.a"),
        &module
            .join("lib")
            .join(&platform)
            .join("libengagelab_push.a"),
    )?;
    copy(
        &env.root.join("include/engagelab_push.h"),
        &module.join("include/engagelab_push.h"),
    )?;
    println!(
        "go: placed libengagelab_push.a in bindings/go/lib/{platform}/ and the header in bindings/go/include/"
    );
    Ok(module)
}

/// Every check: gofmt, go vet, the tests (scenarios, the fault matrix through
/// toxiproxy, concurrency, bad input, cancellation, leak check, packaging
/// proof, examples), the tests again under the race detector and with
/// cgocheck2, and a short run of the benchmark.
pub(crate) fn test(env: &Env) -> Result<(), String> {
    prepare(env)?;
    // The module has no requirements beyond the standard library; this
    // fetches whatever a future go.mod lists, from the module proxy.
    run(env.command(DIR, "go").args(["mod", "download"]))?;
    run(env.command(DIR, "go").args(["mod", "verify"]))?;

    let out = env
        .command(DIR, "gofmt")
        .args(["-l", "."])
        .output()
        .map_err(|e| format!("gofmt: {e}"))?;
    let unformatted = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !unformatted.trim().is_empty() {
        return Err(format!("gofmt -l: not formatted: {}", unformatted.trim()));
    }
    run(env.command(DIR, "go").args(["vet", "./..."]))?;
    let toxiproxy = crate::toxiproxy::Toxiproxy::start()?;
    run(env
        .command(DIR, "go")
        .args(["test", "-count=1", "./..."])
        .env("TOXIPROXY_URL", toxiproxy.url()))?;
    drop(toxiproxy);
    // The leak check, the packaging build and the fault matrix skip
    // themselves here (-short and the race detector): they ran above.
    run(env
        .command(DIR, "go")
        .args(["test", "-race", "-short", "-count=1", "./..."]))?;
    // GODEBUG=cgocheck=2 moved to build time in Go 1.21: GOEXPERIMENT=cgocheck2
    // checks every pointer the binding hands to C or writes into C memory.
    run(env
        .command(DIR, "go")
        .env("GOEXPERIMENT", "cgocheck2")
        .args(["test", "-short", "-count=1", "./..."]))?;

    // The benchmark still builds and runs: one second each, over TLS, with
    // unknown ids answered 200 so that every call succeeds.
    let target = crate::clib::target_dir();
    fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    let ca = target.join("go-bench-ca.pem");
    let ca_arg = ca.to_string_lossy().into_owned();
    let mock = Mock::spawn(&env.mock_bin, &["--tls", "--ca-out", &ca_arg])?;
    for imp in ["binding", "nethttp"] {
        let out = env
            .command(DIR, "go")
            .current_dir(env.root.join("bench/go"))
            .args(["run", ".", "-url", mock.url(), "-ca", &ca_arg])
            .args(["-seconds", "1", "-impl", imp, "-mock-unknown-ok"])
            .output()
            .map_err(|e| format!("go run . (bench/go): {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !text.contains("\"calls_per_sec\"") {
            return Err(format!(
                "bench -impl {imp} failed: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        print!("go bench (1 s smoke run): {text}");
    }
    Ok(())
}

/// Deletes one device through Go against a fresh mock seeded with it.
pub(crate) fn demo(env: &Env) -> Result<(), String> {
    prepare(env)?;
    env.demo(
        DIR,
        "go",
        &["run", "./examples/delete_device"],
        "demo-device-go",
    )
}
