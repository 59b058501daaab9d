//! The Node binding (`bindings/node`): `npm ci` from the registry, the
//! library copied into the package, `node --test` (the fault matrix through
//! a toxiproxy server started here), `tsc --noEmit`; the demo
//! deletes one device through Node against a fresh engagelab-mock.

use super::{Env, run};

const DIR: &str = "node";

/// `npm ci` (or `npm install` without a lock file) and the library copied in.
pub(crate) fn prepare(env: &Env) -> Result<(), String> {
    let lock = env.root.join("bindings/node/package-lock.json");
    let install = if lock.exists() { "ci" } else { "install" };
    run(env
        .command(DIR, "npm")
        .args([install, "--no-audit", "--no-fund", "--loglevel=error"]))?;
    run(env.command(DIR, "node").arg("scripts/copy-lib.cjs"))
}

pub(crate) fn test(env: &Env) -> Result<(), String> {
    node_version(env)?;
    prepare(env)?;
    println!("node: tsc --noEmit over the typed examples");
    run(env
        .command(DIR, "npx")
        .args(["--no-install", "tsc", "-p", "tsconfig.json"]))?;
    println!("node: node --test");
    // The fault matrix's runner (test/faults.test.cjs) uses this server.
    let toxiproxy = crate::toxiproxy::Toxiproxy::start()?;
    // One file at a time: the timing tests must not share two cores with the
    // leak check.
    run(env
        .command(DIR, "node")
        .args(["--test", "--test-concurrency=1", "test/"])
        .env("TOXIPROXY_URL", toxiproxy.url()))
}

pub(crate) fn demo(env: &Env) -> Result<(), String> {
    prepare(env)?;
    env.demo(
        DIR,
        "node",
        &["examples/delete-device.mjs"],
        "demo-node-device",
    )
}

/// Fails early, and clearly, without Node 20 or newer.
fn node_version(env: &Env) -> Result<(), String> {
    let out = env
        .command(DIR, "node")
        .arg("--version")
        .output()
        .map_err(|e| format!("node: {e} (the Node binding needs Node.js 20 or newer)"))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        return Err(format!(
            "node {version}: the Node binding needs Node.js 20 or newer"
        ));
    }
    println!("node: {version}");
    Ok(())
}
