//! The limits every web listener enforces, and the gate that admits or refuses a connection.
//!
//! A connection needs three slots before it is served: one of its listener's
//! [`ServeLimits::max_connections`], one of its address's [`ServeLimits::max_per_address`], and
//! one of the process's web file-descriptor budget ([`super::fds::web_budget`]), so web clients
//! can never take the descriptors the broker and the databases need. Slots are released when
//! the connection closes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a client has to send a request's headers, and how long an idle keep-alive
/// connection stays open waiting for the next request.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a request body may go without sending data before the request fails.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(15);
/// Open connections one listener serves at once; more are refused with 503.
pub const MAX_CONNECTIONS: usize = 1024;
/// Open connections one client address may hold on one listener; more are refused with 429.
pub const MAX_PER_ADDRESS: usize = 64;

/// What one listener allows. [`Default`] gives the constants of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// See [`HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// See [`BODY_TIMEOUT`].
    pub body_timeout: Duration,
    /// See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`MAX_PER_ADDRESS`].
    pub max_per_address: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_per_address: MAX_PER_ADDRESS,
        }
    }
}

/// Which limit refused a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The listener serves [`ServeLimits::max_connections`] already.
    Listener,
    /// The client's address holds [`ServeLimits::max_per_address`] already.
    Address,
    /// The process's web connections use their whole file-descriptor budget.
    Budget,
}

/// Admits connections within a listener's limits.
#[derive(Debug)]
pub(crate) struct Gate {
    listener: Arc<Semaphore>,
    budget: Arc<Semaphore>,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max_per_address: usize,
}

/// The slots an admitted connection holds; dropping it frees them.
#[derive(Debug)]
pub(crate) struct Pass {
    _listener: OwnedSemaphorePermit,
    _budget: OwnedSemaphorePermit,
    _address: AddressSlot,
}

#[derive(Debug)]
struct AddressSlot {
    ip: IpAddr,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

impl Gate {
    /// A gate for one listener, drawing on the process-wide `budget`.
    pub(crate) fn new(limits: &ServeLimits, budget: Arc<Semaphore>) -> Gate {
        Gate {
            listener: Arc::new(Semaphore::new(
                limits.max_connections.min(Semaphore::MAX_PERMITS),
            )),
            budget,
            per_address: Arc::default(),
            max_per_address: limits.max_per_address,
        }
    }

    /// Takes the slots for a connection from `ip`, or says which limit is reached.
    pub(crate) fn admit(&self, ip: IpAddr) -> Result<Pass, Refusal> {
        let listener = Arc::clone(&self.listener)
            .try_acquire_owned()
            .map_err(|_| Refusal::Listener)?;
        let address = self.take_address(ip)?;
        let budget = Arc::clone(&self.budget)
            .try_acquire_owned()
            .map_err(|_| Refusal::Budget)?;
        Ok(Pass {
            _listener: listener,
            _budget: budget,
            _address: address,
        })
    }

    fn take_address(&self, ip: IpAddr) -> Result<AddressSlot, Refusal> {
        let mut counts = self
            .per_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let n = counts.entry(ip).or_insert(0);
        if *n >= self.max_per_address {
            return Err(Refusal::Address);
        }
        *n += 1;
        Ok(AddressSlot {
            ip,
            counts: Arc::clone(&self.per_address),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_connections: usize, max_per_address: usize) -> ServeLimits {
        ServeLimits {
            max_connections,
            max_per_address,
            ..ServeLimits::default()
        }
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn an_address_gets_its_share_and_no_more() {
        let gate = Gate::new(&limits(10, 2), Arc::new(Semaphore::new(100)));
        let a1 = gate.admit(A);
        let _a2 = gate.admit(A);
        assert_eq!(gate.admit(A).err(), Some(Refusal::Address));
        assert!(gate.admit(B).is_ok(), "another address is not blocked");
        drop(a1);
        assert!(gate.admit(A).is_ok(), "a closed connection frees its slot");
    }

    #[test]
    fn the_listener_and_the_budget_are_shared_by_all_addresses() {
        let gate = Gate::new(&limits(2, 5), Arc::new(Semaphore::new(100)));
        let _a = gate.admit(A);
        let b = gate.admit(B);
        assert_eq!(gate.admit(B).err(), Some(Refusal::Listener));
        drop(b);
        let budget = Arc::new(Semaphore::new(1));
        let gate = Gate::new(&limits(10, 5), budget);
        let _a = gate.admit(A);
        assert_eq!(gate.admit(B).err(), Some(Refusal::Budget));
    }

    #[test]
    fn a_refusal_takes_no_slot() {
        let gate = Gate::new(&limits(10, 1), Arc::new(Semaphore::new(1)));
        let a = gate.admit(A);
        assert_eq!(gate.admit(B).err(), Some(Refusal::Budget));
        assert_eq!(gate.admit(A).err(), Some(Refusal::Address));
        drop(a);
        assert!(
            gate.admit(B).is_ok(),
            "the refused attempts released what they took"
        );
        assert_eq!(gate.per_address.lock().unwrap().get(&A), None);
    }
}
