//! The fault matrix: every case of `tests/contract/faults/matrix.json` (network faults
//! injected by toxiproxy between the client and engagelab-mock) as its own
//! test, checking the category, `maybe_deleted`, the wall time against the
//! deadline, and that the server saw at most 1 + max_retries requests.
//!
//! Needs the toxiproxy server: `TOXIPROXY_BIN`, else
//! `.tools/bin/toxiproxy-server` (installed by `cargo xtask test`). Without
//! it every case is reported as ignored, saying why.

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use engagelab_mock::{Device, MockConfig, MockServer};
use engagelab_push::Client;
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Value, json};

const DEVICE: &str = "fault-device";

/// The API host of a case run through a proxy (`through_proxy`): never
/// resolved, the proxy is asked for it.
const PROXIED_HOST: &str = "push.example.invalid";

/// POSTs `body` to the mock's control API at `path`.
fn mock_control(mock: &MockServer, path: &str, body: &Value) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(format!("{}{path}", mock.base_url()))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    if status != 200 {
        let text = response.body_mut().read_to_string().unwrap_or_default();
        return Err(format!("mock {path}: HTTP {status}: {text}"));
    }
    Ok(())
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running toxiproxy server, stopped on drop.
struct Toxiproxy {
    child: Child,
    api: String,
    agent: ureq::Agent,
}

impl Toxiproxy {
    fn start(bin: &PathBuf) -> Toxiproxy {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(bin)
            .args(["-host", "127.0.0.1", "-port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("toxiproxy starts");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .build()
            .into();
        let toxiproxy = Toxiproxy {
            child,
            api: format!("http://127.0.0.1:{port}"),
            agent,
        };
        let started = Instant::now();
        while toxiproxy.call("GET", "/version", None).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "toxiproxy did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        toxiproxy
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.api);
        let result = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            (_, Some(body)) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.to_string()),
            (_, None) => self.agent.post(&url).send_empty(),
        };
        let mut response = result.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| e.to_string())?;
        if !(200..300).contains(&status) {
            return Err(format!("toxiproxy {method} {path}: HTTP {status}: {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

impl Drop for Toxiproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn toxiproxy_bin() -> Option<PathBuf> {
    let path = std::env::var_os("TOXIPROXY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".tools/bin/toxiproxy-server"));
    path.exists().then_some(path)
}

/// Runs one case; the mismatches, if any.
fn run_case(toxi: &Toxiproxy, mock: &MockServer, doc: &Value, case: &Value) -> Result<(), Failed> {
    mock.reset();
    mock.add_device(Device::new(DEVICE));
    toxi.call("POST", "/reset", None)?;
    let listen = toxi.call("GET", "/proxies/engagelab", None)?["listen"]
        .as_str()
        .ok_or("no listen address")?
        .to_owned();
    if let Some(config) = case.get("mock_config") {
        mock_control(mock, "/__mock/config", config)?;
    }
    if case["toxic"].is_object() {
        let mut toxic = case["toxic"].clone();
        toxic["name"] = json!("fault");
        toxic["toxicity"] = json!(1.0);
        toxi.call("POST", "/proxies/engagelab/toxics", Some(toxic))?;
    }

    let c = &doc["client"];
    let ms = |name: &str| Duration::from_millis(c[name].as_u64().unwrap_or_default());
    let max_retries = c["max_retries"].as_u64().unwrap_or_default() as u32;
    let builder = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET);
    // Through a proxy, toxiproxy stands before the mock as a CONNECT proxy.
    let builder = match case["through_proxy"].as_str() {
        Some(scheme) => builder
            .base_url(format!("{scheme}://{PROXIED_HOST}"))
            .allow_insecure_http(true)
            .proxy(format!("http://{listen}")),
        None => builder.base_url(format!("http://{listen}")),
    };
    let client = builder
        .timeout(ms("timeout_ms"))
        .connect_timeout(ms("connect_timeout_ms"))
        .max_retries(max_retries)
        .backoff(ms("backoff_base_ms"), ms("backoff_max_ms"))
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let result = client.delete_device(DEVICE);
    let elapsed = started.elapsed();
    // Let the proxy pass on what it still holds before reading the log.
    toxi.call("POST", "/reset", None)?;
    std::thread::sleep(Duration::from_millis(50));

    let expect = &case["expect"];
    let mut wrong = Vec::new();
    let (status, maybe_deleted) = match &result {
        Ok(()) => ("OK", false),
        Err(e) => (e.kind().name(), e.maybe_deleted()),
    };
    if expect["status"] != status {
        wrong.push(format!(
            "status {status} ({result:?}), want {}",
            expect["status"]
        ));
    }
    if let Some(want) = expect["maybe_deleted"].as_bool()
        && want != maybe_deleted
    {
        wrong.push(format!("maybe_deleted {maybe_deleted}, want {want}"));
    }
    let limit =
        ms("timeout_ms") + Duration::from_millis(doc["deadline_slack_ms"].as_u64().unwrap_or(150));
    if elapsed > limit {
        wrong.push(format!(
            "took {elapsed:?}, past the deadline plus slack ({limit:?})"
        ));
    }
    if let Some(min) = expect["min_elapsed_ms"].as_u64()
        && elapsed < Duration::from_millis(min)
    {
        wrong.push(format!("took {elapsed:?}, less than {min} ms"));
    }
    let seen = mock.log().len() as u32;
    if seen > 1 + max_retries {
        wrong.push(format!(
            "the server saw {seen} requests, more than 1 + {max_retries}"
        ));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; ").into())
    }
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let path = root().join("tests/contract/faults/matrix.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("matrix.json"))
        .expect("matrix.json is JSON");
    let cases = doc["cases"].as_array().expect("cases").clone();
    let Some(bin) = toxiproxy_bin() else {
        eprintln!("faults: toxiproxy not found (set TOXIPROXY_BIN, or run `cargo xtask test`)");
        let trials = cases
            .iter()
            .map(|c| {
                Trial::test(c["name"].as_str().unwrap_or("?"), || Ok(())).with_ignored_flag(true)
            })
            .collect();
        return libtest_mimic::run(&args, trials).exit_code();
    };
    // One server, one mock, one proxy for the whole matrix; the cases run one
    // at a time because they share them.
    let toxi = std::sync::Arc::new(Toxiproxy::start(&bin));
    let mock = std::sync::Arc::new(MockServer::start(MockConfig::default()).expect("mock starts"));
    toxi.call(
        "POST",
        "/proxies",
        Some(json!({"name": "engagelab", "listen": "127.0.0.1:0", "upstream": mock.addr().to_string()})),
    )
    .expect("proxy created");
    let doc = std::sync::Arc::new(doc);
    let trials = cases
        .into_iter()
        .map(|case| {
            let (toxi, mock, doc) = (toxi.clone(), mock.clone(), doc.clone());
            let name = case["name"].as_str().unwrap_or("?").to_owned();
            Trial::test(name, move || run_case(&toxi, &mock, &doc, &case))
        })
        .collect();
    let mut args = args;
    args.test_threads = Some(1);
    libtest_mimic::run(&args, trials).exit_code()
}
