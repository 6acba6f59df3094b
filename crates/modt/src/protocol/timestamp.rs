//! The `timestamp` field senders add to every payload (docs/protocol.md §1).

use serde::{Deserialize, Serialize};

/// The wire format of the original Python SDK: `time.strftime("%Y-%m-%dT%H:%M:%S")`.
/// MoDT writes it in UTC. Receivers never require or interpret it.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// An ISO 8601 timestamp as carried on the wire. Kept as the sender wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub String);

impl Timestamp {
    /// The current time in the original SDK's format ([`TIMESTAMP_FORMAT`], UTC).
    ///
    /// Formatted field by field: every message carries one, and chrono's format-string
    /// interpreter showed up in profiles of the state unit.
    ///
    /// The text changes once a second, so each thread keeps the last one it made and reuses
    /// it within the same second.
    pub fn now() -> Self {
        thread_local! {
            static LAST: std::cell::RefCell<(i64, String)> =
                const { std::cell::RefCell::new((i64::MIN, String::new())) };
        }
        let now = chrono::Utc::now();
        let secs = now.timestamp();
        LAST.with(|last| match last.try_borrow_mut() {
            Ok(mut last) => {
                if last.0 != secs {
                    *last = (secs, Timestamp::at(now).0);
                }
                Timestamp(last.1.clone())
            }
            // Unreachable (no re-entry), but never worth a panic.
            Err(_) => Timestamp::at(now),
        })
    }

    /// `t` in the original SDK's format ([`TIMESTAMP_FORMAT`]).
    pub fn at(t: chrono::DateTime<chrono::Utc>) -> Self {
        use chrono::{Datelike, Timelike};
        Timestamp(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ))
    }
}

impl Default for Timestamp {
    fn default() -> Self {
        Timestamp::now()
    }
}

/// Serde default for optional received timestamps.
pub(crate) fn now_opt() -> Option<Timestamp> {
    Some(Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_the_current_second() {
        let before = chrono::Utc::now().timestamp();
        let a = Timestamp::now();
        let b = Timestamp::now();
        let after = chrono::Utc::now().timestamp();
        for t in [a, b] {
            let secs = chrono::NaiveDateTime::parse_from_str(&t.0, TIMESTAMP_FORMAT)
                .unwrap()
                .and_utc()
                .timestamp();
            assert!(
                (before..=after).contains(&secs),
                "{} not in {before}..={after}",
                t.0
            );
        }
    }

    #[test]
    fn same_text_as_the_format_string() {
        for secs in [0_i64, 1_700_000_000, 4_102_444_799, 951_782_400] {
            let t = chrono::DateTime::from_timestamp(secs, 999_000_000).unwrap();
            assert_eq!(
                Timestamp::at(t).0,
                t.format(TIMESTAMP_FORMAT).to_string(),
                "{secs}"
            );
        }
    }
}
