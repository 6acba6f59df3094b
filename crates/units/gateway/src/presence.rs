//! Which units are online (a route to an offline unit is answered 503 without sending) and
//! which web origins are allowed (CORS with credentials, cookie-authenticated writes): the
//! trusted web units' announced addresses, the configured ones and the gateway's own. Kept
//! current from the [`Directory`] by [`follow`].

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use modt::client::ConnectionState;
use modt::directory::web_origin;
use modt::Directory;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// A cheap handle on what presence says now.
#[derive(Debug, Clone)]
pub(crate) struct Presence {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    online: RwLock<BTreeSet<String>>,
    web_origins: RwLock<BTreeSet<String>>,
    fixed_origins: BTreeSet<String>,
    connection: watch::Receiver<ConnectionState>,
}

impl Presence {
    /// Presence that allows `fixed_origins` (configured, and the gateway's own) besides the
    /// web units', with the broker connection watched through `connection`.
    pub(crate) fn new(
        fixed_origins: impl IntoIterator<Item = String>,
        connection: watch::Receiver<ConnectionState>,
    ) -> Presence {
        Presence {
            inner: Arc::new(Inner {
                online: RwLock::default(),
                web_origins: RwLock::default(),
                fixed_origins: fixed_origins
                    .into_iter()
                    .filter_map(|o| web_origin(&o))
                    .collect(),
                connection,
            }),
        }
    }

    /// Whether `unit`'s retained status says online.
    pub(crate) fn is_online(&self, unit: &str) -> bool {
        self.inner.online.read().is_ok_and(|o| o.contains(unit))
    }

    /// Whether the gateway is connected to the broker.
    pub(crate) fn connected(&self) -> bool {
        self.inner.connection.borrow().connected
    }

    /// Whether `origin` (an `Origin` header) may call with credentials.
    pub(crate) fn origin_allowed(&self, origin: &str) -> bool {
        self.inner.fixed_origins.contains(origin)
            || self
                .inner
                .web_origins
                .read()
                .is_ok_and(|o| o.contains(origin))
    }

    fn update(&self, directory: &Directory) {
        let online = directory
            .snapshot()
            .into_iter()
            .filter(|(_, e)| e.online)
            .map(|(id, _)| id)
            .collect();
        let origins = directory
            .online_with_url()
            .into_iter()
            .filter_map(|(_, info)| info.http_url.as_deref().and_then(web_origin))
            .collect();
        if let Ok(mut o) = self.inner.online.write() {
            *o = online;
        }
        if let Ok(mut o) = self.inner.web_origins.write() {
            *o = origins;
        }
    }
}

/// Keeps `presence` current from `directory` until `shutdown`.
pub(crate) async fn follow(presence: Presence, directory: Directory, shutdown: CancellationToken) {
    let mut changes = directory.changes();
    loop {
        changes.borrow_and_update();
        presence.update(&directory);
        tokio::select! {
            _ = shutdown.cancelled() => return,
            r = changes.changed() => if r.is_err() { return },
        }
    }
}
