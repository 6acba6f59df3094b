//! [`ClientLimit`]: a cap on live clients whose stream is not fed by a [`Fanout`]
//! (for instance the identify unit's waiting page, fed by its login handshake). A client
//! holds a [`ClientPermit`] for as long as its stream is open.
//!
//! [`Fanout`]: super::Fanout

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::PushError;

/// At most `max` clients at once. Cheap to clone; clones share the count.
#[derive(Debug, Clone)]
pub struct ClientLimit {
    slots: Arc<Semaphore>,
    max: usize,
}

/// One client's place; dropping it frees the place.
#[derive(Debug)]
pub struct ClientPermit {
    _permit: OwnedSemaphorePermit,
}

impl ClientLimit {
    /// A limit of `max` clients.
    pub fn new(max: usize) -> ClientLimit {
        ClientLimit {
            slots: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// A place for one more client, or [`PushError::TooManyClients`] (never waits).
    pub fn admit(&self) -> Result<ClientPermit, PushError> {
        self.slots
            .clone()
            .try_acquire_owned()
            .map(|p| ClientPermit { _permit: p })
            .map_err(|_| PushError::TooManyClients(self.max))
    }

    /// Clients admitted now.
    pub fn clients(&self) -> usize {
        self.max - self.slots.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_past_the_limit_is_refused_until_one_leaves() {
        let limit = ClientLimit::new(2);
        let a = limit.admit().unwrap();
        let _b = limit.admit().unwrap();
        assert_eq!(limit.admit().unwrap_err(), PushError::TooManyClients(2));
        assert_eq!(limit.clients(), 2);
        drop(a);
        assert!(limit.admit().is_ok());
    }
}
