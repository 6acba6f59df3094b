//! MoDT patch 3: a gate that stops the event loop reading from the network while it is closed.
//!
//! An application that falls behind can close it: the event loop then stops reading (it still
//! writes requests, acknowledgements and pings), TCP's window fills, and the broker holds what
//! is not yet read, instead of the application's memory. Opening it resumes reading at once.
//! Pings still go out while it is closed, so the broker keeps the connection however long the
//! application takes to catch up; their answers are read once it opens.

use std::sync::Arc;

use tokio::sync::watch;

/// The application's handle: open or close the gate. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ReadGate {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for ReadGate {
    fn default() -> Self {
        ReadGate {
            tx: Arc::new(watch::Sender::new(true)),
        }
    }
}

impl ReadGate {
    /// A new, open gate.
    pub fn new() -> ReadGate {
        ReadGate::default()
    }

    /// Stops reading (after what is being read now).
    pub fn close(&self) {
        self.tx.send_if_modified(|open| std::mem::replace(open, false));
    }

    /// Resumes reading.
    pub fn open(&self) {
        self.tx.send_if_modified(|open| !std::mem::replace(open, true));
    }

    /// Whether reading is allowed.
    pub fn is_open(&self) -> bool {
        *self.tx.borrow()
    }

    pub(crate) fn watch(&self) -> GateWatch {
        GateWatch {
            rx: self.tx.subscribe(),
        }
    }
}

/// The event loop's side of a [`ReadGate`].
#[derive(Debug)]
pub(crate) struct GateWatch {
    rx: watch::Receiver<bool>,
}

impl GateWatch {
    /// Whether reading is allowed now; a later change wakes [`GateWatch::changed`].
    pub(crate) fn open_now(&mut self) -> bool {
        *self.rx.borrow_and_update()
    }

    /// Resolves when the gate changes (never, if every handle is gone).
    pub(crate) async fn changed(&mut self) {
        if self.rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Whether `gate` allows reading (no gate: always).
pub(crate) fn open_now(gate: &mut Option<GateWatch>) -> bool {
    gate.as_mut().is_none_or(GateWatch::open_now)
}

/// Resolves when `gate` changes; never without a gate.
pub(crate) async fn changed(gate: &mut Option<GateWatch>) {
    match gate {
        Some(g) => g.changed().await,
        None => std::future::pending().await,
    }
}
