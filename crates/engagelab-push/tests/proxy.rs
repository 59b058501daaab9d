//! Proxies are used only when configured: the environment is ignored.

use engagelab_mock::{Device, MockConfig, MockServer};
use engagelab_push::Client;

#[test]
fn a_configured_proxy_carries_the_request() {
    // The mock answers CONNECT like an HTTP proxy and tunnels to itself.
    let proxy = MockServer::start(MockConfig::default()).unwrap();
    proxy.add_device(Device::new("dev-p"));
    let client = Client::builder("demo-app-key", "demo-master-secret")
        .base_url("http://push.example.invalid")
        .allow_insecure_http(true)
        .proxy(proxy.base_url())
        .build()
        .unwrap();
    client
        .delete_device("dev-p")
        .expect("deleted through the proxy");
    let log = proxy.log();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("CONNECT", "push.example.invalid:80")
    );
    assert_eq!(
        (log[1].method.as_str(), log[1].path.as_str()),
        ("DELETE", "/v4/devices/dev-p")
    );
    assert_eq!(log[1].connection, log[0].connection);
    assert!(proxy.devices().is_empty());
}

/// Set in the child process that runs the environment test.
const CHILD: &str = "ENGAGELAB_PUSH_PROXY_ENV_CHILD";

#[test]
fn proxy_environment_variables_are_ignored() {
    // Proxy variables pointing at a dead port are given to a child run of this
    // very test (setting them here would race with other tests).
    if std::env::var_os(CHILD).is_none() {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args(["--exact", "proxy_environment_variables_are_ignored"])
            .env(CHILD, "1");
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            child.env(var, "http://127.0.0.1:1");
        }
        child.env_remove("NO_PROXY").env_remove("no_proxy");
        let out = child.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("1 passed"), "the child ran no test:\n{text}");
        return;
    }
    assert_eq!(
        std::env::var("HTTP_PROXY").as_deref(),
        Ok("http://127.0.0.1:1")
    );
    let mock = MockServer::start(MockConfig::default()).unwrap();
    mock.add_device(Device::new("dev-env"));
    let client = Client::builder("demo-app-key", "demo-master-secret")
        .base_url(mock.base_url())
        .build()
        .unwrap();
    client
        .delete_device("dev-env")
        .expect("direct, not through the env proxy");
    assert_eq!(mock.log()[0].path, "/v4/devices/dev-env");
}
