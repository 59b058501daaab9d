//! The control API under `/__mock/`: how tests set up and inspect the mock over HTTP.

use serde::de::DeserializeOwned;
use serde_json::json;

use crate::config::{ConfigUpdate, Device};
use crate::http::Reply;
use crate::script::ScriptRequest;
use crate::state::State;

/// The path prefix reserved for the control API.
pub(crate) const PREFIX: &str = "/__mock/";

/// Answers a control request; `path` has its query cut.
pub(crate) fn answer(state: &State, method: &str, path: &str, body: &[u8]) -> Reply {
    match (method, path) {
        ("POST", "/__mock/reset") => {
            state.reset();
            ok()
        }
        ("GET", "/__mock/devices") => json_reply(&json!({ "registration_ids": state.devices() })),
        ("POST", "/__mock/devices") => match parse::<Device>(body, path) {
            Ok(device) => match device.validate() {
                Ok(()) => {
                    state.add_device(device);
                    ok()
                }
                Err(e) => bad(path, &e),
            },
            Err(reply) => reply,
        },
        ("POST", "/__mock/script") => match parse::<ScriptRequest>(body, path) {
            Ok(script) => {
                let target = match script.target() {
                    Ok(target) => target,
                    Err(e) => return bad(path, &e),
                };
                for (i, answer) in script.responses.iter().enumerate() {
                    if let Err(e) = answer.validate() {
                        return bad(path, &format!("responses[{i}].{e}"));
                    }
                }
                state.script(target, script.responses);
                ok()
            }
            Err(reply) => reply,
        },
        ("GET", "/__mock/log") => {
            #[derive(serde::Serialize)]
            struct Log {
                requests: Vec<crate::log::LoggedRequest>,
            }
            json_reply(&Log {
                requests: state.log(),
            })
        }
        ("GET", "/__mock/config") => json_reply(&state.settings()),
        ("POST", "/__mock/config") => match parse::<ConfigUpdate>(body, path) {
            Ok(update) => match update.validate() {
                Ok(()) => {
                    state.set_config(&update);
                    ok()
                }
                Err(e) => bad(path, &e),
            },
            Err(reply) => reply,
        },
        (
            _,
            "/__mock/reset" | "/__mock/devices" | "/__mock/script" | "/__mock/log"
            | "/__mock/config",
        ) => Reply::error(405, 405, &format!("method {method} not allowed on {path}")),
        _ => Reply::error(404, 404, &format!("no control endpoint {path}")),
    }
}

/// `200 {}`.
fn ok() -> Reply {
    Reply::new(200, &b"{}"[..])
}

/// `200` with this value as JSON.
fn json_reply<T: serde::Serialize>(value: &T) -> Reply {
    match serde_json::to_vec(value) {
        Ok(body) => Reply::new(200, body),
        Err(e) => Reply::error(500, 500, &format!("cannot encode the answer: {e}")),
    }
}

/// `400` naming what is wrong with the request to `path`.
fn bad(path: &str, problem: &str) -> Reply {
    Reply::error(400, 400, &format!("bad request to {path}: {problem}"))
}

/// Decodes a JSON body, or the `400` explaining why it cannot be decoded.
fn parse<T: DeserializeOwned>(body: &[u8], path: &str) -> Result<T, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(bad(path, "the body is empty; a JSON object is expected"));
    }
    let mut json = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let at = e.path().to_string();
        let problem = if at == "." {
            format!("invalid JSON: {}", e.inner())
        } else {
            format!("invalid JSON at {at}: {}", e.inner())
        };
        bad(path, &problem)
    })?;
    json.end()
        .map_err(|e| bad(path, &format!("invalid JSON: {e}")))?;
    Ok(value)
}
