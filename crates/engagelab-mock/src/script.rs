//! Scripted answers: what a test queues for a registration id or an alias instead of normal
//! behaviour.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::check_status;

/// What the mock does with a request that takes a scripted answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Send the HTTP response described by the answer.
    #[default]
    Respond,
    /// Read the request, then close the connection without answering.
    Drop,
    /// Read the request, then abort the connection with a TCP reset (RST).
    Reset,
    /// Write `THIS IS NOT HTTP\r\n\r\n`, then close the connection.
    Garbage,
}

/// One scripted answer; every field is optional in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Answer {
    /// HTTP status (default 200).
    pub status: u16,
    /// Body (default empty).
    pub body: String,
    /// Exact body length in bytes: `body` repeated and cut, or `x` bytes when `body` is empty.
    pub body_size: Option<u64>,
    /// Response headers, sent as given and in this order.
    #[serde(
        serialize_with = "serialize_headers",
        deserialize_with = "deserialize_headers"
    )]
    pub headers: Vec<(String, String)>,
    /// Milliseconds to wait before acting.
    pub delay_ms: u64,
    /// What to do (default: respond).
    pub action: Action,
}

impl Default for Answer {
    fn default() -> Self {
        Answer {
            status: 200,
            body: String::new(),
            body_size: None,
            headers: Vec::new(),
            delay_ms: 0,
            action: Action::Respond,
        }
    }
}

impl Answer {
    /// A response with this status and an empty body.
    pub fn status(status: u16) -> Self {
        Answer {
            status,
            ..Answer::default()
        }
    }

    /// A response with this status and body.
    pub fn body(status: u16, body: impl Into<String>) -> Self {
        Answer {
            status,
            body: body.into(),
            ..Answer::default()
        }
    }

    /// Closes the connection after reading the request, without answering.
    pub fn drop_connection() -> Self {
        Answer {
            action: Action::Drop,
            ..Answer::default()
        }
    }

    /// Aborts the connection with a TCP reset after reading the request.
    pub fn reset_connection() -> Self {
        Answer {
            action: Action::Reset,
            ..Answer::default()
        }
    }

    /// Answers with bytes that are not HTTP, then closes the connection.
    pub fn garbage() -> Self {
        Answer {
            action: Action::Garbage,
            ..Answer::default()
        }
    }

    /// This answer with one more header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// This answer with a body of exactly `size` bytes.
    pub fn with_body_size(mut self, size: u64) -> Self {
        self.body_size = Some(size);
        self
    }

    /// This answer, given after waiting `delay_ms` milliseconds.
    pub fn with_delay_ms(mut self, delay_ms: u64) -> Self {
        self.delay_ms = delay_ms;
        self
    }

    /// Why this answer cannot be sent as valid HTTP framing, if it cannot.
    pub fn validate(&self) -> Result<(), String> {
        check_status(self.status).map_err(|e| format!("status: {e}"))?;
        for (name, value) in &self.headers {
            let token = |b: u8| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b);
            if name.is_empty() || !name.bytes().all(token) {
                return Err(format!("headers: {name:?} is not a valid header name"));
            }
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(format!(
                    "headers: the value of {name:?} contains CR, LF or NUL"
                ));
            }
        }
        Ok(())
    }
}

/// What a script is queued for: one device path or one alias path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    /// `/v4/devices/{id}`, by decoded id.
    Device(String),
    /// `/v4/aliases/{alias}`, by decoded alias.
    Alias(String),
}

/// The JSON body of `POST /__mock/script`: exactly one of `registration_id`
/// and `alias`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScriptRequest {
    /// The decoded registration id the answers are queued under.
    #[serde(default)]
    pub registration_id: Option<String>,
    /// The decoded alias the answers are queued under.
    #[serde(default)]
    pub alias: Option<String>,
    /// Answers, first to be used first.
    pub responses: Vec<Answer>,
}

impl ScriptRequest {
    /// What the answers are queued for, or why the request names none or both.
    pub fn target(&self) -> Result<Target, String> {
        match (&self.registration_id, &self.alias) {
            (Some(id), None) => Ok(Target::Device(id.clone())),
            (None, Some(alias)) => Ok(Target::Alias(alias.clone())),
            _ => Err("give exactly one of registration_id and alias".to_owned()),
        }
    }
}

fn serialize_headers<S: Serializer>(headers: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(headers.len()))?;
    for (name, value) in headers {
        map.serialize_entry(name, value)?;
    }
    map.end()
}

fn deserialize_headers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    struct Ordered;
    impl<'de> Visitor<'de> for Ordered {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of header name to string value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut headers = Vec::new();
            while let Some(entry) = map.next_entry::<String, String>()? {
                headers.push(entry);
            }
            Ok(headers)
        }
    }
    d.deserialize_map(Ordered)
}
