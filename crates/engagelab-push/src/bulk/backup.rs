//! The backup file: one JSON line per device, taken by GET before it is
//! deleted, on disk (fsync'd) before the DELETE is sent.
//!
//! Each line is `{"registration_id":..,"tags":[..],"alias":..|null,
//! "raw":{the whole answer},"fetched_at":"2026-01-31T12:00:00.000Z"}`.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::synced::SyncedLog;
use crate::device::Device;

pub(crate) struct Backup {
    log: SyncedLog,
}

impl Backup {
    pub fn open(path: &Path) -> std::io::Result<Backup> {
        Ok(Backup {
            log: SyncedLog::open(path)?,
        })
    }

    /// Appends the device; returns once the line is on disk.
    pub fn keep(&self, device: &Device) -> std::io::Result<()> {
        let line = json!({
            "registration_id": device.registration_id(),
            "tags": device.tags(),
            "alias": device.alias(),
            "raw": device.raw(),
            "fetched_at": utc_now(),
        });
        self.log.append(format!("{line}\n").as_bytes())
    }
}

/// Now as RFC 3339 UTC with milliseconds.
fn utc_now() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(since.as_secs(), since.subsec_millis())
}

fn rfc3339(secs: u64, millis: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(rfc3339(1_767_225_599, 999), "2025-12-31T23:59:59.999Z");
    }
}
