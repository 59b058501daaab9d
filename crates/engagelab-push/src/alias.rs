//! What `GET /v4/aliases/{alias}` answers: the registration ids bound to an
//! alias.

use serde_json::Value;

use crate::answer;
use crate::error::Error;

const CALL: &str = "GET /v4/aliases";

/// Decodes the body of a 2xx answer to `GET /v4/aliases/{alias}`:
/// `{"registration_ids":["…","…"]}`, other fields ignored. The ids come in
/// the order EngageLab gave them, each as it was sent.
///
/// Strict, because an erasure acts on it: a body that is not a JSON object,
/// has no `registration_ids` list (missing or `null` included: an answer
/// that does not say which devices are bound must not read as "none"), or
/// holds an entry that is not a string or has a NUL character (which a C
/// string would silently cut) is `InvalidResponse` with the answer's HTTP
/// status. The message names what is wrong but never quotes the body.
pub(crate) fn registration_ids_from_answer(status: u16, body: &[u8]) -> Result<Vec<String>, Error> {
    let (raw, _) = answer::json_object(CALL, status, body)?;
    let invalid = |what: String| answer::invalid_json(CALL, status, &what);
    let items = match raw.get("registration_ids") {
        Some(Value::Array(items)) => items,
        None => return Err(invalid("has no registration_ids".to_owned())),
        Some(other) => {
            return Err(invalid(format!(
                "has {} as registration_ids, not a list of strings",
                answer::type_name(other)
            )));
        }
    };
    let mut ids = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(id) if id.contains('\0') => {
                return Err(invalid(format!(
                    "has a NUL character in registration_ids[{i}]"
                )));
            }
            Value::String(id) => ids.push(id.clone()),
            other => {
                return Err(invalid(format!(
                    "has {} in registration_ids[{i}], not a string",
                    answer::type_name(other)
                )));
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn ok(body: &str) -> Vec<String> {
        registration_ids_from_answer(200, body.as_bytes()).unwrap()
    }

    fn bad(body: &[u8]) -> String {
        let e = registration_ids_from_answer(200, body).unwrap_err();
        assert_eq!(
            (e.kind(), e.http_status()),
            (ErrorKind::InvalidResponse, Some(200))
        );
        e.message().to_owned()
    }

    #[test]
    fn ids_in_order_other_fields_ignored() {
        assert_eq!(ok(r#"{"registration_ids":["b","a","b"]}"#), ["b", "a", "b"]);
        assert_eq!(ok(r#"{"registration_ids":[],"x":1}"#), Vec::<String>::new());
    }

    #[test]
    fn anything_else_is_an_invalid_response_that_quotes_nothing() {
        assert!(bad(b"success").contains("not JSON"));
        assert!(bad(b"[]").contains("an array, not an object"));
        assert!(bad(b"{}").contains("has no registration_ids"));
        assert!(bad(br#"{"registration_ids":null}"#).contains("null as registration_ids"));
        assert!(bad(br#"{"registration_ids":"a"}"#).contains("a string as registration_ids"));
        assert!(bad(br#"{"registration_ids":["a",7]}"#).contains("registration_ids[1]"));
        let m = bad(br#"{"registration_ids":["secret\u0000"]}"#);
        assert!(m.contains("NUL") && !m.contains("secret"), "{m}");
        assert!(bad(b"\xff").contains("not UTF-8"));
    }
}
