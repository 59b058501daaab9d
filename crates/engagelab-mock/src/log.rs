//! The request log: every request outside the control API, in arrival order.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// How many requests the log keeps; older ones are dropped first.
pub const LOG_CAPACITY: usize = 10_000;

/// One request as the mock received it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// The request method, as sent.
    pub method: String,
    /// The raw request target, exactly as sent (absolute-form included).
    pub path: String,
    /// Header names (lower-cased) and values, in the order sent.
    pub headers: Vec<(String, String)>,
    /// Bytes of request body received.
    pub body_size: u64,
    /// Id of the TCP connection the request came on, counting from 1 per server.
    pub connection: u64,
}

impl LoggedRequest {
    /// The value of the first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A bounded list of logged requests.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: VecDeque<LoggedRequest>,
}

impl RequestLog {
    /// Appends a request, dropping the oldest past [`LOG_CAPACITY`].
    pub fn push(&mut self, request: LoggedRequest) {
        if self.entries.len() >= LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(request);
    }

    /// A copy of the logged requests, oldest first.
    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries.iter().cloned().collect()
    }

    /// Forgets every request.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_drops_oldest_past_capacity() {
        let mut log = RequestLog::default();
        for i in 0..LOG_CAPACITY + 5 {
            log.push(LoggedRequest {
                method: "GET".into(),
                path: format!("/{i}"),
                headers: Vec::new(),
                body_size: 0,
                connection: 1,
            });
        }
        let entries = log.snapshot();
        assert_eq!(entries.len(), LOG_CAPACITY);
        assert_eq!(entries[0].path, "/5");
        assert_eq!(
            entries[LOG_CAPACITY - 1].path,
            format!("/{}", LOG_CAPACITY + 4)
        );
    }
}
