//! Waiting for conditions with a deadline, instead of sleeping.

use std::future::Future;
use std::time::Duration;

use modt::{Message, Subscription};

/// Polls `cond` every 20 ms until it returns true; panics with `what` after `timeout`.
pub async fn wait_until<F, Fut>(timeout: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if cond().await {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The next message on `sub`, or a panic naming `what` after `timeout`.
pub async fn recv_within(sub: &mut Subscription, timeout: Duration, what: &str) -> Message {
    match tokio::time::timeout(timeout, sub.recv()).await {
        Ok(Some(m)) => m,
        Ok(None) => panic!("subscription closed while waiting for {what}"),
        Err(_) => panic!("timed out after {timeout:?} waiting for {what}"),
    }
}

/// How long [`wait_status`] waits for a unit's status. Generous: a unit started as its own
/// process on a loaded 2-core machine (a cluster test under CI's parallel tests) took over 15 s
/// to be seen online across broker nodes; a healthy run takes well under a second.
pub const STATUS_WITHIN: Duration = Duration::from_secs(30);

/// Waits until `unit_id`'s retained status reads `online`.
pub async fn wait_online(client: &modt::Client, unit_id: &str) {
    wait_status(client, unit_id, modt::protocol::presence_status::ONLINE).await
}

/// Waits until `unit_id`'s retained status reads `status` (`online` / `offline`).
pub async fn wait_status(client: &modt::Client, unit_id: &str, status: &str) {
    let topic = modt::protocol::topics::unit_status(unit_id).expect("valid unit id");
    let mut sub = client
        .subscribe(&topic.to_filter(), modt::QoS::AtLeastOnce)
        .await
        .expect("subscribe to status");
    let deadline = tokio::time::Instant::now() + STATUS_WITHIN;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let msg = recv_within(&mut sub, left, &format!("{unit_id} to be {status}")).await;
        if msg.payload.as_ref() == status.as_bytes() {
            return;
        }
    }
}
