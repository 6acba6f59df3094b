//! Pushing what happens on the bus to open browser pages: one MQTT subscription fanned out
//! to many SSE or WebSocket clients, none of which can hold up the others.
//!
//! - [`Fanout`]: the hub. Each client has a bounded queue of [`FanoutConfig::per_client`]
//!   items and a filter. Sending never waits: an item for a client whose queue is full is
//!   skipped for that client and counted, and the client's next read starts with
//!   [`Delivery::Skipped`] — the marker that says "reload what you show". At most
//!   [`FanoutConfig::max_clients`] clients at once; one more is refused
//!   ([`PushError::TooManyClients`], a 503). [`Fanout::pump`] feeds it from a subscription until
//!   shutdown and then closes it, which ends every client's stream.
//! - [`feed`]: [`JsonFeed`], the usual source: one subscription whose JSON messages are
//!   decoded once into one type and fanned out, with [`feed::event`] to send an item as a
//!   server-sent event.
//! - [`sse`]: a stream of events as a server-sent event response that ends at shutdown.
//! - [`limit`]: [`ClientLimit`], a cap on clients for streams fed from elsewhere.
//!
//! ```
//! use modt_web::push::{Delivery, Fanout, FanoutConfig};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let fanout = Fanout::new(FanoutConfig { per_client: 1, max_clients: 8 });
//! let mut evens = fanout.subscribe(|n: &u32| n % 2 == 0).unwrap();
//! for n in 0..6 {
//!     fanout.send(&n); // 0 is queued; 2 and 4 find the queue full and are skipped
//! }
//! assert_eq!(evens.recv().await, Some(Delivery::Skipped(2)));
//! assert_eq!(evens.recv().await, Some(Delivery::Item(0)));
//! fanout.close();
//! assert_eq!(evens.recv().await, None);
//! # }
//! ```

pub mod fanout;
pub mod feed;
pub mod limit;
pub mod sse;

pub use fanout::{Delivery, Fanout, FanoutConfig, Receiver};
pub use feed::JsonFeed;
pub use limit::{ClientLimit, ClientPermit};

/// Why a client could not join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// As many clients as allowed are connected already.
    #[error("{0} live clients are connected already")]
    TooManyClients(usize),
    /// The source has stopped (the unit is shutting down).
    #[error("the live source has stopped")]
    Closed,
}

impl From<PushError> for crate::ApiError {
    fn from(e: PushError) -> crate::ApiError {
        crate::ApiError::new(
            modt::protocol::ErrorCode::Unavailable,
            match e {
                PushError::TooManyClients(_) => "too many live pages are open; retry later",
                PushError::Closed => "the unit is stopping",
            },
        )
        .caused_by(e)
    }
}
