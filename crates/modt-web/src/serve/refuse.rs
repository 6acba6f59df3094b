//! Refusing a connection politely: a complete HTTP response that says why and when to come
//! back, then close.
//!
//! Refusals run in their own small tasks, at most [`MAX_REFUSING`] at once per listener (past
//! that, connections are closed without a word), each bounded by [`REFUSE_TIME`].

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

use super::limits::Refusal;

/// Refusals being written at once, per listener.
pub const MAX_REFUSING: usize = 64;
/// How long a refusal may take to write and to let the client read it.
pub const REFUSE_TIME: Duration = Duration::from_secs(1);
/// Seconds a refused client is told to wait (`Retry-After`).
pub const RETRY_AFTER_SECS: u32 = 5;

/// The response for `why`, in full.
pub(crate) fn response(why: Refusal) -> String {
    let (status, text) = match why {
        Refusal::Address => (
            "429 Too Many Requests",
            "Too many open connections from your address. Close some and try again.\n",
        ),
        Refusal::Listener | Refusal::Budget => (
            "503 Service Unavailable",
            "The server has too many open connections. Try again in a few seconds.\n",
        ),
    };
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Retry-After: {RETRY_AFTER_SECS}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )
}

/// Refuses `stream` for `why` in a task of `tracker`, if fewer than [`MAX_REFUSING`] run.
pub(crate) fn refuse(
    stream: TcpStream,
    why: Refusal,
    slots: &Arc<Semaphore>,
    tracker: &TaskTracker,
) {
    let Ok(slot) = Arc::clone(slots).try_acquire_owned() else {
        return; // dropping the stream closes it
    };
    tracker.spawn(async move {
        let _slot = slot;
        let _ = tokio::time::timeout(REFUSE_TIME, say_and_close(stream, why)).await;
    });
}

async fn say_and_close(mut stream: TcpStream, why: Refusal) -> std::io::Result<()> {
    stream.write_all(response(why).as_bytes()).await?;
    stream.shutdown().await?;
    // Read what the client sent until it closes, so the close is not a reset that could
    // discard the response before the client reads it.
    let mut sink = [0u8; 4096];
    while stream.read(&mut sink).await? > 0 {}
    Ok(())
}
