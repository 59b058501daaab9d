//! Asynchronous calls against the mock: each completes once, off the
//! caller's thread; threads and their connections are reused from call to
//! call; the core's answer is the blocking call's.

use std::collections::HashSet;
use std::sync::mpsc;
use std::time::Duration;

use engagelab_mock::{Device, MockServer};
use engagelab_push::settings::ASYNC_THREADS;
use engagelab_push::{CallOptions, ErrorKind};

mod common {
    pub mod helpers;
}
use common::helpers::client;

fn mock_with(ids: impl IntoIterator<Item = String>) -> MockServer {
    common::helpers::mock_with(ids.into_iter().map(Device::new).collect())
}

#[test]
fn many_calls_complete_once_on_reused_threads_and_connections() {
    let ids: Vec<String> = (0..300).map(|i| format!("bg-{i}")).collect();
    let mock = mock_with(ids.clone());
    let client = client(&mock);
    let (tx, rx) = mpsc::channel();
    for id in &ids {
        let tx = tx.clone();
        let id2 = id.clone();
        client
            .delete_device_async(id, &CallOptions::new(), move |r| {
                let _ = tx.send((id2, r.map_err(|e| e.kind()), std::thread::current().id()));
            })
            .unwrap();
    }
    drop(tx);
    let done: Vec<_> = rx.iter().collect();
    assert_eq!(done.len(), 300, "every call completes exactly once");
    assert!(done.iter().all(|(_, r, _)| r.is_ok()));
    let named: HashSet<_> = done.iter().map(|(id, _, _)| id.clone()).collect();
    assert_eq!(named.len(), 300);
    let threads: HashSet<_> = done.iter().map(|(_, _, t)| *t).collect();
    assert!(!threads.contains(&std::thread::current().id()));
    assert!(threads.len() <= ASYNC_THREADS, "{} threads", threads.len());
    let connections: HashSet<_> = mock.log().iter().map(|r| r.connection).collect();
    assert!(
        connections.len() <= ASYNC_THREADS,
        "{} connections for 300 calls",
        connections.len()
    );
    assert!(mock.devices().is_empty());
}

#[test]
fn results_are_the_blocking_calls() {
    let mock = mock_with(["bg-get".to_owned()]);
    let client = client(&mock);
    let (tx, rx) = mpsc::channel();
    client
        .get_device_async("bg-get", &CallOptions::new(), move |r| {
            let _ = tx.send(r);
        })
        .unwrap();
    let device = rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
    assert_eq!(
        device.raw_json(),
        client.get_device("bg-get").unwrap().raw_json()
    );

    let (tx, rx) = mpsc::channel();
    client
        .get_alias_async("nobody", &[], &CallOptions::new(), move |r| {
            let _ = tx.send(r);
        })
        .unwrap();
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap(),
        Vec::<String>::new()
    );

    let (tx, rx) = mpsc::channel();
    client
        .delete_device_async("bg-missing", &CallOptions::new(), move |r| {
            let _ = tx.send(r);
        })
        .unwrap();
    let e = rx
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
        .unwrap_err();
    let blocking = client.delete_device("bg-missing").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(
        (e.kind(), e.http_status(), e.api_code(), e.message()),
        (
            blocking.kind(),
            blocking.http_status(),
            blocking.api_code(),
            blocking.message()
        )
    );
}
