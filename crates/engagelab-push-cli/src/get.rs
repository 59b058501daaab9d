//! `engagelab-push get ID...`: one JSON line per device on standard output,
//! `{"registration_id","tags","alias","raw"}`; a failure is one line on
//! standard error and exit code 1 (the other ids are still queried).

use serde_json::json;

use crate::args::GetArgs;
use crate::connect;
use crate::fail::{self, Failure};
use crate::out;

pub fn run(args: GetArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<i32, Failure> {
    let client = connect::client(&args.connection, env)?;
    let mut code = fail::OK;
    for id in &args.ids {
        match client.get_device(id) {
            Ok(d) => {
                let shown = out::line(json!({
                    "registration_id": d.registration_id(),
                    "tags": d.tags(),
                    "alias": d.alias(),
                    "raw": d.raw(),
                }));
                // Its reader is gone (`| head -1`): the other ids are not
                // queried for nobody.
                if !shown {
                    break;
                }
            }
            Err(e) => {
                say!("engagelab-push: {id:?}: {e}");
                code = fail::FAILED;
            }
        }
    }
    Ok(code)
}
