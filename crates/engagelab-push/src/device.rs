//! `Device`: what `GET /v4/devices/{registration_id}` answers, the tags and
//! alias bound to a registration id, with the whole answer kept.

use serde_json::{Map, Value};

use crate::answer;
use crate::error::Error;
use crate::secret::Scrubber;

/// A device as EngageLab reports it (`GET /v4/devices/{registration_id}`,
/// [`Client::get_device`](crate::Client::get_device)): the tags and the alias
/// bound to its registration id, and the whole answer, unknown fields
/// included, so that a backup taken before deleting loses nothing.
///
/// EngageLab answers `{"tags":["tag1","tag2"],"alias":"user_alias"}`. A
/// missing or `null` `tags` is no tags; a missing or `null` `alias` is no
/// alias. An answer that is not a JSON object, whose `tags` is not a list of
/// strings, whose `alias` is not a string, or whose tag or alias contains a
/// NUL character (U+0000, which no EngageLab tag or alias can hold and a C
/// string would silently cut) is refused as `InvalidResponse`.
///
/// ```no_run
/// use engagelab_push::Client;
///
/// let client = Client::builder("my-app-key", "my-master-secret").build()?;
/// let device = client.get_device("1a0018970a5c4e0b")?;
/// println!("{} tags, alias {:?}", device.tags().len(), device.alias());
/// // Keep the answer exactly as it came before deleting the device.
/// std::fs::write("backup.json", device.raw_json()).expect("backup written");
/// # Ok::<(), engagelab_push::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    registration_id: String,
    tags: Vec<String>,
    alias: Option<String>,
    raw: Map<String, Value>,
    raw_json: String,
}

impl Device {
    /// Decodes the body of a 2xx answer to `GET /v4/devices/{registration_id}`.
    /// The error is `InvalidResponse` with the answer's HTTP status; its
    /// message names what is wrong but never quotes the body.
    pub(crate) fn from_answer(
        registration_id: &str,
        status: u16,
        body: &[u8],
    ) -> Result<Device, Error> {
        let (raw, text) = answer::json_object("GET /v4/devices", status, body)?;
        let invalid = |what: String| answer::invalid_json("GET /v4/devices", status, &what);
        let tags = match raw.get("tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut tags = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(tag) if tag.contains('\0') => {
                            return Err(invalid(format!("has a NUL character in tags[{i}]")));
                        }
                        Value::String(tag) => tags.push(tag.clone()),
                        other => {
                            return Err(invalid(format!(
                                "has {} in tags[{i}], not a string",
                                answer::type_name(other)
                            )));
                        }
                    }
                }
                tags
            }
            Some(other) => {
                return Err(invalid(format!(
                    "has {} as tags, not a list of strings",
                    answer::type_name(other)
                )));
            }
        };
        let alias = match raw.get("alias") {
            None | Some(Value::Null) => None,
            Some(Value::String(alias)) if alias.contains('\0') => {
                return Err(invalid("has a NUL character in alias".to_owned()));
            }
            Some(Value::String(alias)) => Some(alias.clone()),
            Some(other) => {
                return Err(invalid(format!(
                    "has {} as alias, not a string or null",
                    answer::type_name(other)
                )));
            }
        };
        Ok(Device {
            registration_id: registration_id.to_owned(),
            tags,
            alias,
            raw,
            raw_json: text.to_owned(),
        })
    }

    /// The registration id that was queried.
    pub fn registration_id(&self) -> &str {
        &self.registration_id
    }

    /// The tags bound to the device, in the order EngageLab gave them; empty
    /// when the answer had none (`tags` missing or `null`).
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// The alias bound to the device; `None` when the answer had none
    /// (`alias` missing or `null`).
    pub fn alias(&self) -> Option<&str> {
        self.alias.as_deref()
    }

    /// The whole answer as a JSON object (`serde_json` 1), `tags`, `alias` and
    /// every unknown field included. Parsed with `serde_json`'s defaults: keys
    /// are sorted, a duplicate key keeps its last value, and an integer beyond
    /// 64 bits becomes a float. For a byte-exact copy use
    /// [`raw_json`](Self::raw_json).
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// The answer's body exactly as it came: valid UTF-8 text of one JSON
    /// object, at most [`MAX_BODY_BYTES`](crate::MAX_BODY_BYTES) bytes. It
    /// holds no NUL byte (JSON escapes control characters in strings).
    pub fn raw_json(&self) -> &str {
        &self.raw_json
    }

    /// The device with every secret `scrubber` knows removed from the answer
    /// (a server or proxy that echoed the Authorization header back), so that
    /// no backup, `raw` or printed device holds one. Unchanged, byte for
    /// byte, when the answer holds none; otherwise `raw_json` is the scrubbed
    /// `raw` serialised.
    pub(crate) fn scrubbed(self, scrubber: &Scrubber, status: u16) -> Result<Device, Error> {
        if scrubber.scrub(&self.raw_json) == self.raw_json {
            return Ok(self);
        }
        let mut raw = Value::Object(self.raw);
        scrub_value(&mut raw, scrubber);
        Device::from_answer(&self.registration_id, status, raw.to_string().as_bytes())
    }
}

/// Scrubs every string of a JSON value, keys included.
fn scrub_value(value: &mut Value, scrubber: &Scrubber) {
    match value {
        Value::String(text) => *text = scrubber.scrub(text),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value(v, scrubber)),
        Value::Object(map) => {
            *map = std::mem::take(map)
                .into_iter()
                .map(|(key, mut v)| {
                    scrub_value(&mut v, scrubber);
                    (scrubber.scrub(&key), v)
                })
                .collect();
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn ok(body: &str) -> Device {
        Device::from_answer("id", 200, body.as_bytes()).unwrap()
    }

    #[test]
    fn an_echoed_secret_is_scrubbed_and_a_clean_answer_kept_byte_for_byte() {
        let scrubber = Scrubber::new(&["S3CRET-canary-7f3a", "ZGVtbzpTM0NSRVQtY2FuYXJ5"]);
        let clean = r#"{ "tags": ["t"], "alias": "a" }"#;
        let d = ok(clean).scrubbed(&scrubber, 200).unwrap();
        assert_eq!(d.raw_json(), clean);
        let echo = r#"{"tags":["S3CRET-canary-7f3a"],"alias":"a","echo":{"Basic ZGVtbzpTM0NSRVQtY2FuYXJ5":1}}"#;
        let d = ok(echo).scrubbed(&scrubber, 200).unwrap();
        for text in [
            d.raw_json().to_owned(),
            format!("{d:?}"),
            format!("{:?}", d.raw()),
        ] {
            assert!(!text.contains("S3CRET-canary"), "{text}");
            assert!(!text.contains("ZGVtbzpTM0NSRVQ"), "{text}");
        }
        assert_eq!(d.tags(), [crate::secret::REDACTED]);
        assert_eq!(d.alias(), Some("a"));
    }

    fn bad(body: &[u8]) -> Error {
        let e = Device::from_answer("id", 200, body).unwrap_err();
        assert_eq!(
            (e.kind(), e.http_status()),
            (ErrorKind::InvalidResponse, Some(200))
        );
        e
    }

    #[test]
    fn tags_and_alias() {
        let d = ok(r#"{"tags":["t1","t2"],"alias":"a"}"#);
        assert_eq!(d.registration_id(), "id");
        assert_eq!(d.tags(), ["t1", "t2"]);
        assert_eq!(d.alias(), Some("a"));
        assert_eq!(d.raw_json(), r#"{"tags":["t1","t2"],"alias":"a"}"#);
    }

    #[test]
    fn missing_and_null_fields_are_none() {
        for body in ["{}", r#"{"tags":null,"alias":null}"#, " {} \n"] {
            let d = ok(body);
            assert!(d.tags().is_empty());
            assert_eq!(d.alias(), None);
            assert_eq!(d.raw_json(), body);
        }
        assert_eq!(ok(r#"{"alias":""}"#).alias(), Some(""));
    }

    #[test]
    fn unknown_fields_are_kept() {
        let body = r#"{"tags":[],"platform":"ios","n":123456789012345678901234567890}"#;
        let d = ok(body);
        assert_eq!(d.raw()["platform"], "ios");
        assert!(d.raw().contains_key("n"));
        assert_eq!(d.raw_json(), body);
    }

    #[test]
    fn wrong_shapes_are_invalid_responses_that_quote_nothing() {
        assert!(bad(b"success").message().contains("not JSON"));
        assert!(bad(b"[1]").message().contains("an array, not an object"));
        assert!(bad(b"\xff{}").message().contains("not UTF-8"));
        assert!(bad(br#"{"tags":"t"}"#).message().contains("tags"));
        assert!(bad(br#"{"tags":["t",1]}"#).message().contains("tags[1]"));
        assert!(bad(br#"{"alias":7}"#).message().contains("alias"));
        assert!(bad(br#"{"tags":["a\u0000b"]}"#).message().contains("NUL"));
        let e = bad(br#"{"alias":"secret\u0000"}"#);
        assert!(!e.message().contains("secret"), "{}", e.message());
    }
}
