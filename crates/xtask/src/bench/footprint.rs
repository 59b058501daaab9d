//! The footprint tables: library and package sizes, import times, the peak
//! RSS of one delete per client, and (full runs, when strace works) the
//! system calls per call of the Rust core and of libcurl.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use super::clients::{Clients, last_json};
use super::{Results, log, row};
use crate::process::{at_root, capture, run_quiet, stdout};

pub(crate) fn measure(clients: &Clients, results: &mut Results) -> Result<(), String> {
    sizes(clients, results)?;
    imports(clients, results);
    let bin = &clients.built.bin;
    let (tls, ca) = clients.server.endpoint("tls");
    let programs = [
        (
            "c-abi",
            "C program on libengagelab_push (bench/c/el_one.c)",
            bin.join("el_one"),
        ),
        (
            "libcurl",
            "C program on libcurl (bench/c/curl_one.c)",
            bin.join("curl_one"),
        ),
    ];
    for (client, label, program) in programs {
        let argv = vec![program.into(), tls.into(), ca.clone().into()];
        rss_one(clients, results, client, label, &argv);
    }
    let argv = clients.command("rust", "tls", "1", 1, 0);
    rss_one(
        clients,
        results,
        "rust",
        "Rust program on the core (bench/rust/bench.rs, 1 call)",
        &argv,
    );
    for client in ["py", "official", "requests", "httpx"] {
        let argv = clients.command(client, "tls", "1", 1, 0);
        let script = Path::new(&argv[1])
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        rss_one(
            clients,
            results,
            client,
            &format!("Python: `{script}`, 1 call"),
            &argv,
        );
    }
    if !clients.mode.quick {
        syscalls(clients, results);
    }
    Ok(())
}

fn size_row(label: &str, file: &Path, strip_to: &Path) -> Result<Value, String> {
    run_quiet(
        at_root("strip")
            .arg("--strip-all")
            .arg("-o")
            .arg(strip_to)
            .arg(file),
    )?;
    let bytes = fs::metadata(strip_to).map_err(|e| e.to_string())?.len();
    Ok(row("size", json!({ "label": label, "bytes": bytes })))
}

fn sizes(clients: &Clients, results: &mut Results) -> Result<(), String> {
    let stripped = clients.server.scratch_file("stripped");
    let lib = clients
        .built
        .lib_dir
        .as_ref()
        .map(|dir| dir.join(format!("libengagelab_push.so.{}", crate::clib::VERSION)));
    match (lib, &clients.built.ffi_note) {
        (Some(lib), None) => results.record(size_row(
            "libengagelab_push.so, stripped (C ABI; rustls + ring inside, no other dependency)",
            &lib,
            &stripped,
        )?),
        (_, note) => results.record(row(
            "size",
            json!({
                "label": "libengagelab_push.so, stripped",
                "skipped": note.clone().unwrap_or_else(|| "not built".into()),
            }),
        )),
    }
    if clients.py_module_note.is_none() {
        let file = stdout(at_root(clients.py).args([
            "-c",
            "import engagelab_push._engagelab_push as m; print(m.__file__)",
        ]))?;
        let name = Path::new(&file)
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        results.record(size_row(
            &format!("Python extension {name}, stripped"),
            Path::new(&file),
            &stripped,
        )?);
    }
    // The libcurl program's shared libraries as installed (Debian strips them).
    let ldd = stdout(at_root("ldd").arg(clients.built.bin.join("curl_bench")))?;
    let (mut total, mut names) = (0u64, Vec::new());
    for line in ldd.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [name, "=>", path, ..] = fields.as_slice()
            && ["libcurl", "libssl", "libcrypto"]
                .iter()
                .any(|l| name.starts_with(l))
        {
            total += fs::metadata(path)
                .map_err(|e| format!("{path}: {e}"))?
                .len();
            names.push(
                Path::new(path)
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    results.record(row(
        "size",
        json!({
            "label": format!(
                "for comparison: {} (libcurl and its TLS, as installed; more libraries load with them)",
                names.join(" ")
            ),
            "bytes": total,
        }),
    ));
    let out = stdout(at_root(clients.py).arg("bench/tools/package_sizes.py"))?;
    for line in out.lines() {
        results.record(
            serde_json::from_str(line).map_err(|e| format!("package_sizes.py: {e}: {line}"))?,
        );
    }
    Ok(())
}

fn imports(clients: &Clients, results: &mut Results) {
    for module in ["engagelab_push", "engagelab", "requests", "httpx"] {
        if let (Some(note), "engagelab_push") = (clients.py_module_note, module) {
            results.record(row("import", json!({ "client": module, "skipped": note })));
            continue;
        }
        let argv = vec![
            clients.py.into(),
            crate::root().join("bench/tools/import_time.py").into(),
            module.into(),
            clients.mode.import_runs.to_string().into(),
        ];
        match capture(&mut clients.process(&argv, true))
            .ok()
            .and_then(|o| last_json(&o.stdout))
        {
            Some(line) => {
                log(format!("import {module}: {line}"));
                results.record(line);
            }
            None => results.failed(row(
                "import",
                json!({ "client": module, "error": "failed" }),
            )),
        }
    }
}

fn rss_one(
    clients: &Clients,
    results: &mut Results,
    client: &str,
    label: &str,
    argv: &[std::ffi::OsString],
) {
    let tag = json!({ "client": client, "label": label });
    let with = |key: &str, value: Value| {
        let mut r = row("rss1", tag.clone());
        r[key] = value;
        r
    };
    if let Some(note) = clients.note(client) {
        results.record(with("skipped", json!(note)));
        return;
    }
    let out = capture(&mut clients.process(argv, true));
    if let Ok(o) = &out {
        let _ = fs::write(
            clients.mode.out.join(format!("rss1-{client}.stderr")),
            &o.stderr,
        );
    }
    let kb = out
        .ok()
        .and_then(|o| last_json(&o.stdout))
        .and_then(|r| r.get("maxrss_kb").and_then(Value::as_u64));
    match kb {
        Some(kb) => {
            log(format!("one delete, {client}: {kb} KiB"));
            results.record(with("maxrss_kb", json!(kb)));
        }
        None => results.failed(with("error", json!("failed"))),
    }
}

/// Where the time goes: system calls per call of the Rust core and libcurl
/// (`strace -f -c` over 2000 calls, set-up included), when strace is there.
fn syscalls(clients: &Clients, results: &mut Results) {
    if !crate::process::on_path("strace") {
        results.record(row(
            "syscalls",
            json!({ "skipped": "strace is not installed" }),
        ));
        return;
    }
    const CALLS: u32 = 2000;
    for transport in ["plain", "tls"] {
        for client in ["rust", "libcurl"] {
            if clients.note(client).is_some() {
                continue;
            }
            // No warm-up: every call is counted.
            let argv = clients.command(client, transport, &CALLS.to_string(), 1, 0);
            let file = clients
                .mode
                .out
                .join(format!("strace-{client}-{transport}.txt"));
            let mut strace = vec![
                "strace".into(),
                "-f".into(),
                "-c".into(),
                "-o".into(),
                file.clone().into(),
            ];
            strace.extend(argv);
            let tag = json!({ "client": client, "transport": transport });
            let traced =
                capture(&mut clients.process(&strace, false)).is_ok_and(|o| o.status.success());
            let counts = traced.then(|| fs::read_to_string(&file).ok()).flatten();
            let Some(counts) = counts else {
                let mut r = row("syscalls", tag);
                r["skipped"] = json!("strace failed (no ptrace here?)");
                results.record(r);
                continue;
            };
            results.record(per_call(&counts, tag, CALLS));
        }
    }
}

/// strace's `-c` table as calls per delete.
fn per_call(table: &str, tag: Value, calls: u32) -> Value {
    let mut per: BTreeMap<String, u64> = BTreeMap::new();
    for line in table.lines() {
        let t: Vec<&str> = line.split_whitespace().collect();
        let numeric = t
            .first()
            .and_then(|f| f.chars().next())
            .is_some_and(|c| c.is_ascii_digit());
        if matches!(t.len(), 5 | 6)
            && numeric
            && t[t.len() - 1] != "total"
            && let Ok(n) = t[3].parse()
        {
            per.insert(t[t.len() - 1].to_owned(), n);
        }
    }
    let round2 = |v: f64| (v * 100.0).round() / 100.0;
    // bench/report.py lists them most frequent first.
    let per_call: serde_json::Map<String, Value> = per
        .iter()
        .map(|(name, n)| (name.clone(), json!(round2(*n as f64 / f64::from(calls)))))
        .collect();
    let total: u64 = per.values().sum();
    let mut r = row("syscalls", tag);
    r["calls"] = json!(calls);
    r["per_call"] = json!(per_call);
    r["total_per_call"] = json!(round2(total as f64 / f64::from(calls)));
    r
}
