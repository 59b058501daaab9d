//! The Master Secret and the Authorization header never appear in any Debug
//! output, Display or error message.

use base64::Engine as _;
use engagelab_mock::{Answer, MockConfig, MockServer};
use engagelab_push::Client;

const SECRET: &str = "demo-master-secret";

fn token() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("demo-app-key:{SECRET}"))
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
    let builder = Client::builder("demo-app-key", SECRET)
        .base_url(mock.base_url())
        .proxy(format!("http://user:{SECRET}@127.0.0.1:1"));
    assert_clean("builder Debug", &format!("{builder:?}"));
    let client = builder.build().unwrap();
    assert_clean("client Debug", &format!("{client:?}"));
    assert_clean("client pretty Debug", &format!("{client:#?}"));
    assert!(format!("{client:?}").contains("** redacted **"));

    let direct = Client::builder("demo-app-key", SECRET)
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
