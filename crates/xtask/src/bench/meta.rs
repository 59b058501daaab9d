//! meta.json: the machine, the tools' versions and the run's settings, which
//! bench/report.py prints with the figures.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::Mode;

/// A command's output (stdout, else stderr), first line only when `first`.
fn version_of(program: &str, args: &[&str], first: bool) -> String {
    let Ok(out) = Command::new(program).args(args).output() else {
        return format!("{program}: not found");
    };
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    if first {
        text.lines().next().unwrap_or("").to_owned()
    } else {
        text
    }
}

/// The value of `key:` in a /proc file such as /proc/cpuinfo.
fn proc_field(file: &str, key: &str) -> String {
    fs::read_to_string(file)
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "?".into())
}

fn os_name() -> String {
    fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "?".into())
}

/// The benchmark's Python packages as installed, `name==version`.
fn python_packages(py: &Path) -> String {
    const WANTED: &[&str] = &[
        "requests",
        "httpx",
        "engagelab-apppush",
        "engagelab-push",
        "urllib3",
        "httpcore",
        "matplotlib",
        "maturin",
    ];
    let out = Command::new(py)
        .args([
            "-m",
            "pip",
            "list",
            "--format=json",
            "--disable-pip-version-check",
        ])
        .output();
    let list: Vec<Value> = out
        .ok()
        .and_then(|o| serde_json::from_slice(&o.stdout).ok())
        .unwrap_or_default();
    let mut found: Vec<String> = list
        .iter()
        .filter_map(|p| Some((p.get("name")?.as_str()?, p.get("version")?.as_str()?)))
        .filter(|(name, _)| WANTED.contains(&name.to_lowercase().replace('_', "-").as_str()))
        .map(|(name, version)| format!("{}=={version}", name.to_lowercase()))
        .collect();
    found.sort();
    found.join(", ")
}

pub(crate) fn write(mode: &Mode, py: &Path, load_before: &str) -> Result<(), String> {
    let nginx = if crate::process::on_path("nginx") {
        "nginx"
    } else {
        "/usr/sbin/nginx"
    };
    let meta = json!({
        "command": mode.command,
        "quick": mode.quick,
        "date": version_of("date", &["-u", "+%Y-%m-%d %H:%M UTC"], true),
        "cpu": proc_field("/proc/cpuinfo", "model name"),
        "nproc": std::thread::available_parallelism().map_or(1, |n| n.get()).to_string(),
        "memory": proc_field("/proc/meminfo", "MemTotal"),
        "kernel": fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        "os": os_name(),
        "load_before": load_before,
        "rustc": version_of("rustc", &["--version"], false),
        "cc": version_of("cc", &["--version"], true),
        "python": version_of(&py.display().to_string(), &["--version"], false),
        "nginx": version_of(nginx, &["-v"], false).replace("nginx version: ", ""),
        "wrk": version_of("wrk", &["-v"], true),
        "openssl": version_of("openssl", &["version"], false),
        "libcurl": version_of("curl-config", &["--version"], false),
        "python_packages": python_packages(py),
        "warmup": mode.warmup,
        "rounds": mode.rounds,
        "pinned": mode.pin,
        "duration_text": mode.duration_text(),
        "wrk_duration": format!("{}s", mode.wrk_seconds),
        "png_rel": mode.png_rel,
    });
    let path = mode.out.join("meta.json");
    let text = serde_json::to_string_pretty(&meta).map_err(|e| e.to_string())?;
    fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}
