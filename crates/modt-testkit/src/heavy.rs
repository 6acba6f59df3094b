//! Tests that start many processes take turns within their test binary.
//!
//! `cargo test` runs a binary's tests on as many threads as the machine has cores. A test that
//! starts a 3-node broker cluster, three unit processes and PostgreSQL already keeps the 2-core
//! CI machine busy; two of them at once double every process's latency, and the bounded waits
//! of both (fail-over, a retried write's last attempt) run out. A test that holds
//! [`heavy_test`]'s guard runs alone among the tests of its binary that also ask for it; the
//! others (light, in-process) still run beside it.

use tokio::sync::{Mutex, MutexGuard};

/// The turn of a heavy test: held for the whole test, dropped at its end (or its panic).
pub type HeavyTurn = MutexGuard<'static, ()>;

/// Waits until no other heavy test of this binary runs, and returns the turn.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let _turn = modt_testkit::heavy_test().await;
/// // start the cluster, the units, the load…
/// # }
/// ```
pub async fn heavy_test() -> HeavyTurn {
    static TURN: Mutex<()> = Mutex::const_new(());
    TURN.lock().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn heavy_tests_never_overlap() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(async move {
                    let _turn = heavy_test().await;
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
    }
}
