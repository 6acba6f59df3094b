//! File descriptors: raising the process's limit at start, and the share of it web
//! connections may use.
//!
//! Every open connection is a file descriptor. If web clients could take them all, the broker
//! could not accept units and the databases could not open files ("Too many open files").
//! So all web listeners of a process together hold at most [`WEB_SHARE_PERCENT`] of the
//! process's limit; the rest stays for the broker, the units' MQTT connections and storage.

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

/// The share of the process's file-descriptor limit all web connections together may hold.
pub const WEB_SHARE_PERCENT: u64 = 50;
/// The limit assumed where it cannot be read.
const FALLBACK_LIMIT: u64 = 1024;

/// Raises the soft limit on open files to the hard limit, where the system allows it, and
/// returns the limit in force. Call once at start, before listeners open.
pub fn raise_limit() -> std::io::Result<u64> {
    #[cfg(unix)]
    {
        rlimit::increase_nofile_limit(u64::MAX)
    }
    #[cfg(not(unix))]
    {
        Ok(FALLBACK_LIMIT)
    }
}

/// The process's current limit on open files.
pub fn limit() -> u64 {
    #[cfg(unix)]
    {
        rlimit::Resource::NOFILE
            .get_soft()
            .unwrap_or(FALLBACK_LIMIT)
    }
    #[cfg(not(unix))]
    {
        FALLBACK_LIMIT
    }
}

/// How many connections all web listeners of this process may hold at once: the share of the
/// limit in force when the first listener started serving.
pub fn web_budget() -> Arc<Semaphore> {
    static BUDGET: OnceLock<Arc<Semaphore>> = OnceLock::new();
    Arc::clone(BUDGET.get_or_init(|| Arc::new(Semaphore::new(budget_for(limit())))))
}

fn budget_for(limit: u64) -> usize {
    let share = u128::from(limit) * u128::from(WEB_SHARE_PERCENT) / 100;
    usize::try_from(share)
        .unwrap_or(usize::MAX)
        .clamp(1, Semaphore::MAX_PERMITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_connections_get_half_of_the_limit() {
        assert_eq!(budget_for(1024), 512);
        assert_eq!(budget_for(1), 1);
        assert_eq!(budget_for(u64::MAX), Semaphore::MAX_PERMITS);
    }

    #[test]
    fn the_limit_is_raised_and_readable() {
        let raised = raise_limit().unwrap();
        assert_eq!(limit(), raised);
    }
}
