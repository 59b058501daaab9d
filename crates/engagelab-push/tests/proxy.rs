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

#[test]
fn proxy_environment_variables_are_ignored() {
    // This test binary holds only tests that tolerate these variables.
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        // SAFETY: set before any thread of this test binary reads the environment.
        unsafe { std::env::set_var(var, "http://127.0.0.1:1") };
    }
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
