//! The bulk engine at the AppKey's quota, against engagelab-mock: the rate
//! held at the limit with few 429s, every retry paced, quota headers read
//! before any 429, and a run that stays rate-limited stopping. Loose
//! bounds: the exact figures live in the benchmark (BENCHMARKS.md).

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::time::{Duration, Instant};

use engagelab_mock::{Answer, Device, MockConfig, MockServer};
use engagelab_push::{BulkSummary, Client};

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("quota-{i:05}")).collect()
}

fn mock(devices: &[String], config: MockConfig) -> MockServer {
    MockServer::start(MockConfig {
        devices: devices.iter().map(Device::new).collect(),
        ..config
    })
    .expect("mock starts")
}

fn client(mock: &MockServer) -> Client {
    Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(mock.base_url())
        .backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .expect("client builds")
}

/// Requests the mock answered 429, as a share of all it logged.
fn limited_share(summary: &BulkSummary, mock: &MockServer) -> f64 {
    summary.rate_limited as f64 / mock.log().len() as f64
}

#[test]
fn at_the_limit_the_run_holds_the_rate_with_few_429s() {
    for burst in [None, Some(5)] {
        let all = ids(300);
        let mock = mock(
            &all,
            MockConfig {
                rate_limit_qps: Some(100),
                rate_limit_burst: burst,
                latency_ms: 20,
                ..MockConfig::default()
            },
        );
        let summary = client(&mock).bulk_delete().qps(100).run(all).expect("run");
        assert_eq!(summary.counts.deleted, 300, "{summary:?}");
        let share = limited_share(&summary, &mock);
        assert!(share <= 0.05, "burst {burst:?}: {share:.3} answered 429");
        assert!(
            summary.rate() >= 75.0,
            "burst {burst:?}: {:.1}/s against a 100/s limit",
            summary.rate()
        );
    }
}

#[test]
fn retries_of_server_errors_go_through_the_pacer() {
    let all = ids(20);
    let mock = mock(&all, MockConfig::default());
    for id in &all {
        mock.script(id, vec![Answer::status(503), Answer::status(503)]);
    }
    let start = Instant::now();
    let summary = client(&mock).bulk_delete().qps(40).run(all).expect("run");
    let took = start.elapsed();
    assert_eq!(summary.counts.deleted, 20, "{summary:?}");
    // 60 requests (two retries each) at 40/s take at least 59 slots of
    // 25 ms, less the pacer's 20 ms burst.
    assert_eq!(mock.log().len(), 60);
    assert!(took >= Duration::from_millis(1400), "{took:?}");
}

#[test]
fn quota_headers_pace_the_run_before_any_429() {
    let all = ids(120);
    let mock = mock(
        &all,
        MockConfig {
            rate_limit_qps: Some(40),
            rate_limit_headers: true,
            latency_ms: 2,
            ..MockConfig::default()
        },
    );
    let mut fastest: f64 = 0.0;
    let summary = client(&mock)
        .bulk_delete()
        .qps(400)
        .on_progress(|p| fastest = fastest.max(p.qps))
        .run(all)
        .expect("run");
    assert_eq!(summary.counts.deleted, 120, "{summary:?}");
    // Only the requests sent before the first answer came back can exceed
    // the stated limit.
    assert!(summary.rate_limited <= 8, "{summary:?}");
    assert!(fastest <= 40.0, "paced at {fastest}/s under a stated 40/s");
}

#[test]
fn a_run_rate_limited_with_no_progress_stops_and_says_why() {
    let all = ids(5);
    let mock = mock(
        &all,
        MockConfig {
            rate_limit_qps: Some(0),
            ..MockConfig::default()
        },
    );
    let summary = client(&mock)
        .bulk_delete()
        .qps(50)
        .stall_timeout(Duration::from_secs(1))
        .run(all)
        .expect("run");
    let why = summary.stopped.as_deref().expect("stopped");
    assert!(why.contains("rate-limited with no device deleted"), "{why}");
    assert_eq!(summary.counts.deleted, 0);
    assert!(summary.rate_limited > 0);
    assert!(!summary.is_success());
    assert!(!mock.devices().is_empty());
}
