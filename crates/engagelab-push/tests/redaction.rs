//! The Master Secret and the Authorization header never appear in any Debug
//! output, Display or error message.

use base64::Engine as _;
use engagelab_mock::{Answer, MockConfig, MockServer};
use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use engagelab_push::Client;

const SECRET: &str = DEFAULT_MASTER_SECRET;

fn token() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{DEFAULT_APP_KEY}:{SECRET}"))
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "{what} shows the secret: {text}");
    assert!(
        !text.contains(&token()),
        "{what} shows the Authorization token: {text}"
    );
}

#[test]
fn builder_client_and_errors_never_show_secrets() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let builder = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .proxy(format!("http://user:{SECRET}@127.0.0.1:1"));
    assert_clean("builder Debug", &format!("{builder:?}"));
    let client = builder.build().unwrap();
    assert_clean("client Debug", &format!("{client:?}"));
    assert_clean("client pretty Debug", &format!("{client:#?}"));
    assert!(format!("{client:?}").contains("** redacted **"));

    let direct = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let echo = format!(
        "{{\"error\":{{\"code\":27002,\"message\":\"got Basic {} / {SECRET}\"}}}}",
        token()
    );
    mock.script("dev-echo", vec![Answer::body(400, echo)]);
    let e = direct.delete_device("dev-echo").unwrap_err();
    assert_clean("error message", e.message());
    assert_clean("error Display", &e.to_string());
    assert_clean("error Debug", &format!("{e:?}"));
    assert!(e.message().contains("** redacted **"), "{}", e.message());
}

/// Fails when `text` (with JSON's `\/` read as `/`) holds any 12 characters
/// in a row of `secret`.
fn assert_no_run_of(what: &str, text: &str, secret: &str) {
    let seen = text.replace("\\/", "/");
    for piece in secret.as_bytes().windows(12) {
        let piece = std::str::from_utf8(piece).unwrap();
        assert!(
            !seen.contains(piece),
            "{what} shows {piece:?} of a secret: {text}"
        );
    }
}

/// The message of the error a client with `secret` gets when the server
/// answers 400 with `body`.
fn message_for(secret: &str, body: String) -> String {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = Client::builder(DEFAULT_APP_KEY, secret)
        .base_url(mock.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    mock.script("dev-echo", vec![Answer::body(400, body)]);
    let e = client.delete_device("dev-echo").unwrap_err();
    e.message().to_owned()
}

#[test]
fn a_credential_echoed_cut_short_with_text_after_it_is_removed() {
    // A 24-character Master Secret, as EngageLab issues them.
    let secret = "b7c2e19fa04d4e5c8a1f3d6e";
    let token =
        base64::engine::general_purpose::STANDARD.encode(format!("{DEFAULT_APP_KEY}:{secret}"));
    for body in [
        format!("auth failed for Basic {}... (truncated)", &token[..40]),
        format!("master secret {}... rejected", &secret[..20]),
        format!(
            "{{\"error\":{{\"code\":21004,\"message\":\"secret {}... rejected\"}}}}",
            &secret[..20]
        ),
        format!("key ...{}... and more", &token[10..30]),
    ] {
        let m = message_for(secret, body.clone());
        assert_no_run_of(&body, &m, secret);
        assert_no_run_of(&body, &m, &token);
        assert!(m.contains("** redacted **"), "{m}");
        assert!(m.contains("..."), "the text around is kept: {m}");
    }
}

#[test]
fn a_token_json_escaped_with_backslash_slash_is_removed() {
    // A Master Secret whose Basic token holds `/`, which PHP's json_encode
    // writes as `\/`.
    let secret = "q?q?q?q?q?q?q?q?q?q?q?q?";
    let token =
        base64::engine::general_purpose::STANDARD.encode(format!("{DEFAULT_APP_KEY}:{secret}"));
    assert!(token.contains('/'));
    let escaped = token.replace('/', "\\/");
    for body in [
        format!("{{\"headers\":{{\"Authorization\":\"Basic {escaped}\"}},\"ok\":false}}"),
        format!("you sent Basic {escaped}"),
    ] {
        let m = message_for(secret, body.clone());
        assert_no_run_of(&body, &m, &token);
        assert!(m.contains("** redacted **"), "{m}");
    }
}

/// A mock, and a client without retries that reaches it through the mock
/// itself as a proxy, with `password` as the proxy's.
fn through_a_proxy(password: &str) -> (MockServer, Client) {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let proxy = mock
        .base_url()
        .replace("http://", &format!("http://user:{password}@"));
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .proxy(proxy)
        .max_retries(0)
        .build()
        .unwrap();
    (mock, client)
}

#[test]
fn a_proxys_credentials_echoed_back_are_removed() {
    let password = "PROXYPASS-canary-0123";
    let (mock, client) = through_a_proxy(password);
    let token = base64::engine::general_purpose::STANDARD.encode(format!("user:{password}"));
    let echo = format!(
        "{{\"error\":{{\"code\":27002,\"message\":\"Proxy-Authorization: Basic {token}; password {password}\"}}}}"
    );
    mock.script("dev-echo", vec![Answer::body(400, echo)]);
    let e = client.delete_device("dev-echo").unwrap_err();
    assert!(
        mock.log().iter().any(|r| r.method == "CONNECT"),
        "no tunnel"
    );
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(password), "{text}");
        assert!(!text.contains(&token), "{text}");
    }
}

#[test]
fn a_secret_echoed_in_a_device_answer_is_removed() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let echo = format!(
        "{{\"tags\":[\"t\"],\"alias\":\"a\",\"echo\":{{\"authorization\":\"Basic {}\",\"secret\":\"{SECRET}\"}}}}",
        token()
    );
    mock.script("dev-echo", vec![Answer::body(200, echo)]);
    let device = client.get_device("dev-echo").unwrap();
    assert_eq!(
        (device.tags(), device.alias()),
        (&["t".to_owned()][..], Some("a"))
    );
    assert_clean("raw_json", device.raw_json());
    assert_clean("raw", &format!("{:?}", device.raw()));
    assert_clean("Debug", &format!("{device:?}"));

    // A proxy password is scrubbed from messages only: as short as a tag, it
    // could be one, and a device's data is kept as it is.
    let via_proxy = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .proxy(mock.base_url().replace("http://", "http://u:vip1@"))
        .build()
        .unwrap();
    let tagged = r#"{"tags":["vip1"],"alias":null}"#;
    mock.script("dev-tag", vec![Answer::body(200, tagged)]);
    let device = via_proxy.get_device("dev-tag").unwrap();
    assert_eq!(
        (device.tags(), device.raw_json()),
        (&["vip1".to_owned()][..], tagged)
    );
}

#[test]
fn an_escape_split_by_an_invisible_character_is_seen_through_in_every_report() {
    // `%\u200b64` reads as `%64` ("d") once the invisible character is
    // stripped, as excerpts strip it and as a reader sees it.
    let (mock, client) = through_a_proxy("Pa55word");
    let echo = "got %\\u200b50a55word and %\\u200b64emo-mast%\\u200b65r-secret here";
    let body = format!("{{\"error\":{{\"code\":27003,\"message\":\"{echo}\"}}}}");
    mock.script("dev-echo", vec![Answer::body(400, body.clone())]);
    let e = client.delete_device("dev-echo").unwrap_err();
    mock.script("dev-echo", vec![Answer::body(400, body)]);
    let report = client
        .check(&engagelab_push::CheckOptions::new().device("dev-echo"))
        .unwrap();
    let messages: Vec<String> = report
        .probes()
        .iter()
        .map(|p| p.message().to_owned())
        .collect();
    for text in [
        e.to_string(),
        report.to_json().to_string(),
        messages.join(" | "),
    ] {
        let seen = text.replace('\u{200b}', "");
        for leak in ["%50a55word", "a55word", "emo-mast%65r-secret", "r-secret"] {
            assert!(!seen.contains(leak), "{leak:?} in {text}");
        }
    }
    assert!(
        messages.iter().any(|m| m.contains("** redacted **")),
        "{messages:?}"
    );
}
