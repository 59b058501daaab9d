//! `cargo xtask demo`: the main job. Starts the bundled test server and
//! deletes one device through each language (Rust, C, Python), shows that an
//! unknown id fails clearly in each, with the core's one sentence, then checks
//! what the server has left.
//! Needs nothing configured: credentials and base URL point at the mock.

use std::process::Command;

use crate::mock::Mock;
use crate::process::{at_root, run};

const KEEP: &str = "keep/../me";

/// A language's example program, as a fresh command each time.
type Example<'a> = (&'a str, Box<dyn Fn() -> Command + 'a>);

pub(crate) fn run_demo() -> Result<(), String> {
    let root = crate::root();
    println!("== building (the first run takes a few minutes)");
    // The library and the core's examples, delete_device among them.
    let lib = crate::clib::build_with_examples()?;
    let demo = crate::clib::target_dir().join("demo");
    std::fs::create_dir_all(&demo).map_err(|e| format!("{}: {e}", demo.display()))?;
    let c_bin = demo.join("delete_device_c");
    run(at_root("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-I", "include"])
        .arg("crates/engagelab-push-ffi/examples/delete_device.c")
        .arg(lib.join("libengagelab_push.a"))
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&c_bin))?;
    crate::venv::ensure()?;
    crate::venv::install_package()?;

    let mock = Mock::start(&[
        "demo-device-rust",
        "demo-device-c",
        "demo-device-python",
        KEEP,
    ])?;
    println!(
        "== engagelab-mock at {} with devices: {}",
        mock.url(),
        mock.devices()?.join(", ")
    );
    let rust_bin = crate::clib::target_dir().join("release/examples/delete_device");
    let python = || {
        let mut cmd = at_root(crate::venv::python());
        cmd.arg(root.join("python/examples/delete_device.py"));
        cmd
    };
    let languages: [Example; 3] = [
        ("rust", Box::new(|| at_root(&rust_bin))),
        ("c", Box::new(|| at_root(&c_bin))),
        ("python", Box::new(python)),
    ];
    let with_env = |mut cmd: Command| {
        cmd.env("ENGAGELAB_APP_KEY", crate::mock::APP_KEY)
            .env("ENGAGELAB_MASTER_SECRET", crate::mock::MASTER_SECRET)
            .env("ENGAGELAB_BASE_URL", mock.url())
            .env_remove("ENGAGELAB_REGION");
        cmd
    };
    for (language, command) in &languages {
        run(with_env(command()).arg(format!("demo-device-{language}")))?;
    }
    println!("== an unknown id fails clearly, with the core's one sentence in every language:");
    let mut sentences = Vec::new();
    for (language, command) in &languages {
        let out = with_env(command())
            .arg("no-such-device")
            .output()
            .map_err(|e| format!("{language}: {e}"))?;
        let err = String::from_utf8_lossy(&out.stderr);
        eprint!("{err}");
        if out.status.success() {
            return Err(format!("{language}: deleting an unknown id succeeded"));
        }
        let prefix = format!("{language}: no-such-device not deleted (NOT_FOUND): ");
        sentences.push(err.trim_end().strip_prefix(&prefix).map(str::to_owned));
    }
    if sentences.iter().any(|s| s.is_none() || *s != sentences[0]) {
        return Err("the languages describe the unknown id differently (above)".into());
    }
    let left = mock.devices()?;
    println!("== devices left on the server: {}", left.join(", "));
    if left != [KEEP] {
        return Err(format!("unexpected devices left: {left:?}"));
    }
    println!("== demo ok: one device deleted through Rust, C and Python each");
    drop(mock);
    let env = crate::bindings::Env::build()?;
    for (language, _, demo) in crate::bindings::known() {
        println!("== {language}: one device deleted through the C ABI");
        demo(&env)?;
    }
    let names: Vec<&str> = crate::bindings::known()
        .iter()
        .map(|(n, _, _)| *n)
        .collect();
    println!("== demo ok: and through {} too", names.join(", "));
    Ok(())
}
