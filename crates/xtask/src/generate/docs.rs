//! The README's error table and `spec/error-model.md`.

use std::fmt::Write as _;

use super::{Model, NOTICE, Output};

pub(crate) fn outputs(model: &Model) -> Vec<Output> {
    vec![
        Output::Region("README.md", "error-table", readme_table(model)),
        Output::File("spec/error-model.md", error_model_md(model)),
    ]
}

fn readme_table(model: &Model) -> String {
    let mut s = format!("<!-- {NOTICE} -->\n");
    s.push_str("| category | C | Python | when | retried |\n|---|---|---|---|---|\n");
    for c in &model.categories {
        let py = match &c.python.also {
            Some(also) => format!(
                "`{}` (`{}`)",
                c.python.class,
                also.trim_start_matches("builtins.")
            ),
            None => format!("`{}`", c.python.class),
        };
        let _ = writeln!(
            s,
            "| `{}` | `EL_{}` {} | {} | {} | {} |",
            c.name, c.name, c.code, py, c.when, c.retried
        );
    }
    s
}

fn error_model_md(model: &Model) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "<!-- {NOTICE} -->\n");
    s.push_str(
        "# The error model

Every language reports a failed call with the same fields and the same
category, decided in one place, the Rust core; a binding maps, it never
decides. This page is generated from [`spec/error-model.toml`](../spec/error-model.toml),
the single source of the categories in every language.

## Fields

| field | Rust | C (`el_error`) | meaning |
|---|---|---|---|
| category | `kind()` | `status` | one of the categories below |
| HTTP status | `http_status()` | `http_status` (0: none) | the HTTP status of the final attempt's answer; none when no answer arrived |
| EngageLab code | `api_code()` | `api_code` (0: none) | EngageLab's `code` from the error body (wrapped `{\"error\":{...}}` or flat form) |
| message | `message()` | `message` | EngageLab's `message`, else a short excerpt of the body (valid UTF-8, control and bidi characters removed), else a description of the local failure; never holds the Master Secret or the Authorization header |
| attempts | `attempts()` | `attempts` | how many attempts were made (1 + retries), each a connection tried and, if it opened, a request sent: a refused connection counts; 0 when the call was rejected, or cancelled or out of time, before any attempt |
| retry after | `retry_after()` | `retry_after_ms` (0: none) | for `RATE_LIMITED`, the server's hint (`Retry-After`, `X-Rate-Limit-Reset`) |
| maybe deleted | `maybe_deleted()` | `maybe_deleted` | whether a request was written whose outcome is unknown, so the device may already be gone; always false for `get_device`, which never deletes |

Python, Go, Node, Java and PHP carry the same fields under their languages' names.

## Categories

Answers that are not 2xx are classified in this order; the first match wins:
",
    );
    let order: Vec<String> = model
        .classification
        .order
        .iter()
        .map(|n| format!("`{n}`"))
        .collect();
    let _ = writeln!(
        s,
        "{}, else `{}`. Both the HTTP status and EngageLab's code are kept raw.\n",
        order.join(", "),
        model.classification.fallback
    );
    s.push_str("| code | category | means | when | retried | sets maybe_deleted |\n|---|---|---|---|---|---|\n");
    for c in &model.categories {
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {} | {} | {} |",
            c.code, c.name, c.doc, c.when, c.retried, c.maybe_deleted
        );
    }
    s.push_str("\n## Names in each language\n\n| category | Rust `ErrorKind` | C | Python | Go | Node | Java |\n|---|---|---|---|---|---|---|\n");
    for c in &model.categories {
        let _ = writeln!(
            s,
            "| `{}` | `{}` | `EL_{}` | `{}` | `{}` / `Err{}` | `{}` | `{}` |",
            c.name,
            c.rust,
            c.name,
            c.python.class,
            c.go,
            c.go.trim_start_matches("Kind"),
            c.node,
            c.java
        );
    }
    s.push_str(
        "
## Retries

- Only categories marked retried above are tried again, and only while the
  overall deadline leaves room: backoff is exponential with full jitter,
  `Retry-After` and `X-Rate-Limit-Reset` are honoured but clamped.
- Some transport failures opt out although their category is retried: TLS
  failures and proxy refusals would fail the same way again.
- `DELETE` is idempotent, so a request whose answer was lost is retried too;
  the error then says `maybe_deleted`. A later `NOT_FOUND` (404, or 400 with
  code 27002, EngageLab's answer for an unknown id) can mean the first attempt
  worked.
- `GET` (`get_device`) is safe to repeat: a request whose answer was lost is
  retried, and `maybe_deleted` is never set.
- A cancelled call sends no further request and waits for nothing.

## Success

For `delete_device`, any 2xx answer is success, whatever its body
(`{\"success\":true}`, the text `success`, nothing). For `get_device`, a 2xx
answer is success when its body, at most `MAX_BODY_BYTES` (64 KiB), is a JSON
object whose `tags` is a list of strings, missing or null and whose `alias` is
a string, missing or null, neither holding a NUL character; any other 2xx is
`INVALID_RESPONSE` with its HTTP status, not retried.
",
    );
    s
}
