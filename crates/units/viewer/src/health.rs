//! Whether the viewer can show live keys right now, as its pages say it: connected to the
//! broker, and the state unit online (from its presence). The event stream sends a `status`
//! event with [`Health::as_str`] when the stream opens and on every change, so an open page
//! stops saying "Live" while the viewer itself is up but the broker or the state unit is not.

use modt::protocol::topics;
use modt::Directory;

/// What an open page can rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Changes made elsewhere appear, edits are saved.
    Live,
    /// The viewer has no broker connection: nothing can be read or saved.
    NoBroker,
    /// Every state unit that announced itself is offline. (The original db-unit announces
    /// nothing, so it never counts as offline here.)
    NoState,
}

impl Health {
    /// The viewer's health, given whether its client is connected to the broker now.
    pub fn now(connected: bool, directory: &Directory) -> Health {
        if !connected {
            Health::NoBroker
        } else if directory
            .all_servers_offline(topics::STATE_SET.as_str())
            .is_some()
        {
            Health::NoState
        } else {
            Health::Live
        }
    }

    /// The `status` event's data: `live`, `broker` or `state`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Live => "live",
            Health::NoBroker => "broker",
            Health::NoState => "state",
        }
    }
}
