//! No public API panics on any input: builders with arbitrary settings, region
//! names, and calls with arbitrary ids, aliases and platform lists (against a
//! closed loopback port).

use std::net::TcpListener;
use std::time::Duration;

use engagelab_push::{Client, Platform, Region};
use proptest::prelude::*;

/// A loopback URL where nothing listens.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::MAX),
        Just(engagelab_push::MAX_DURATION),
        Just(engagelab_push::MAX_DURATION + Duration::from_nanos(1)),
        (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        (0u64..50).prop_map(Duration::from_millis),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,40}",
        "(https?|socks4a?|socks5|ftp)://[a-z0-9.:@\\[\\]]{0,24}",
        Just("x".repeat(300)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn building_never_panics(
        app_key in text(), master_secret in text(), base_url in proptest::option::of(text()),
        proxy in proptest::option::of(text()), user_agent in proptest::option::of(text()),
        region in text(), timeout in duration(), connect_timeout in duration(),
        base in duration(), max in duration(), max_retry_after in duration(),
        max_retries in any::<u32>(), insecure in any::<bool>(),
    ) {
        let _ = region.parse::<Region>();
        let mut b = Client::builder(app_key, master_secret)
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .backoff(base, max)
            .max_retry_after(max_retry_after)
            .max_retries(max_retries)
            .allow_insecure_http(insecure);
        if let Some(u) = base_url { b = b.base_url(u); }
        if let Some(p) = proxy { b = b.proxy(p); }
        if let Some(ua) = user_agent { b = b.user_agent(ua); }
        let _ = format!("{b:?}");
        if let Ok(client) = b.build() {
            let _ = format!("{client:?}");
        }
    }

    #[test]
    fn calls_never_panic(
        app_key in text(), master_secret in text(), user_agent in text(),
        id in prop_oneof![any::<String>(), "[!-~]{1,300}"],
        timeout in duration(), connect_timeout in duration(),
        max_retry_after in duration(), max_retries in 0u32..3,
    ) {
        let b = Client::builder(app_key, master_secret)
            .base_url(closed_port_url())
            .user_agent(user_agent)
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .backoff(Duration::from_millis(1), Duration::from_millis(2))
            .max_retry_after(max_retry_after)
            .max_retries(max_retries);
        if let Ok(client) = b.build()
            && let Err(e) = client.delete_device(&id)
        {
            let _ = (e.to_string(), format!("{e:?}"));
        }
    }

    #[test]
    fn alias_lookups_and_platform_lists_never_panic(
        alias in prop_oneof![any::<String>(), "[!-~]{0,60}", "\\PC{0,20}"],
        platforms in proptest::collection::vec(
            prop_oneof![any::<String>(), "(android|ios|hmos|web|)"], 0..4),
    ) {
        let client = Client::builder("k", "s")
            .base_url(closed_port_url())
            .max_retries(0)
            .build()
            .unwrap();
        let platforms: Result<Vec<Platform>, _> = platforms.iter().map(|p| p.parse()).collect();
        if let Ok(platforms) = platforms
            && let Err(e) = client.get_alias(&alias, &platforms)
        {
            let _ = (e.to_string(), format!("{e:?}"));
        }
    }
}
