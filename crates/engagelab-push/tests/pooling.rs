//! Connections are pooled and shared: by sequential calls, by clones, by threads.

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use engagelab_mock::{Device, MockConfig, MockServer};
use engagelab_push::{Client, DEFAULT_USER_AGENT};

fn mock_with(ids: impl IntoIterator<Item = String>) -> MockServer {
    let mock = MockServer::start(MockConfig::default()).expect("mock starts");
    for id in ids {
        mock.add_device(Device::new(id));
    }
    mock
}

fn client(mock: &MockServer) -> Client {
    Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(mock.base_url())
        .build()
        .expect("client builds")
}

#[test]
fn sequential_calls_and_clones_reuse_one_connection() {
    let mock = mock_with((0..5).map(|i| format!("dev-{i}")));
    let client = client(&mock);
    let clone = client.clone();
    for i in 0..5 {
        let c = if i % 2 == 0 { &client } else { &clone };
        c.delete_device(&format!("dev-{i}")).expect("deleted");
    }
    let log = mock.log();
    assert_eq!(log.len(), 5);
    assert!(
        log.iter().all(|r| r.connection == log[0].connection),
        "every call should reuse the first connection: {:?}",
        log.iter().map(|r| r.connection).collect::<Vec<_>>()
    );
}

#[test]
fn error_answers_keep_the_connection_too() {
    let mock = mock_with([]);
    let client = client(&mock);
    for _ in 0..3 {
        let e = client.delete_device("unknown").unwrap_err();
        assert_eq!(e.api_code(), Some(27002));
    }
    let log = mock.log();
    assert!(log.iter().all(|r| r.connection == log[0].connection));
}

#[test]
fn eight_threads_share_one_client() {
    let ids: Vec<String> = (0..8 * 25).map(|i| format!("t-{i}")).collect();
    let mock = mock_with(ids.clone());
    let client = client(&mock);
    std::thread::scope(|s| {
        for chunk in ids.chunks(25) {
            let client = &client;
            s.spawn(move || {
                for id in chunk {
                    client.delete_device(id).expect("deleted");
                }
            });
        }
    });
    assert!(mock.devices().is_empty());
    let log = mock.log();
    let mut connections: Vec<u64> = log.iter().map(|r| r.connection).collect();
    connections.sort_unstable();
    connections.dedup();
    assert!(
        connections.len() <= 8,
        "at most one connection per thread: {}",
        connections.len()
    );
}

#[test]
fn sends_a_user_agent() {
    let mock = mock_with(["a".to_owned(), "b".to_owned()]);
    client(&mock).delete_device("a").unwrap();
    Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(mock.base_url())
        .user_agent("billing-cleanup/2.1")
        .build()
        .unwrap()
        .delete_device("b")
        .unwrap();
    let log = mock.log();
    assert!(DEFAULT_USER_AGENT.starts_with("engagelab-push/"));
    assert_eq!(log[0].header("user-agent"), Some(DEFAULT_USER_AGENT));
    assert_eq!(log[1].header("user-agent"), Some("billing-cleanup/2.1"));
}

#[test]
fn client_is_clone_send_sync_debug() {
    fn assert_traits<T: Clone + Send + Sync + std::fmt::Debug + 'static>() {}
    assert_traits::<Client>();
    assert_traits::<engagelab_push::Error>();
}

/// EngageLab, like any server behind a load balancer, closes keep-alive
/// connections that stay idle; engagelab-mock never did (until its
/// `idle_timeout_ms`), so every pooling test reused a live connection. A
/// pooled connection the server has closed must not carry the next call: a
/// DELETE written to it would be lost, failing with NETWORK and maybe_deleted
/// although the server never saw it.
#[test]
fn a_connection_the_server_closed_while_idle_is_not_reused() {
    let mock = mock_with(["dev-a".to_owned(), "dev-b".to_owned()]);
    mock.set_config(engagelab_mock::ConfigUpdate {
        idle_timeout_ms: Some(Some(300)),
        ..Default::default()
    });
    let client = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .expect("client builds");
    client.delete_device("dev-a").expect("deleted");
    std::thread::sleep(std::time::Duration::from_millis(1000));
    client
        .delete_device("dev-b")
        .expect("a fresh connection, not the closed one");
    let log = mock.log();
    assert_eq!(log.len(), 2);
    assert_ne!(log[0].connection, log[1].connection);
}
