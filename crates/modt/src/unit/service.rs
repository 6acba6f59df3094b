//! Long-running tasks a unit owns besides its topic handlers, such as a web server.
//!
//! A service starts once the unit is online, gets the unit's [`Client`] and a shutdown
//! token, and must return when the token fires. The unit waits for its services before it
//! publishes `offline`. A service that fails stops the whole unit, so a dead web side is never
//! hidden behind a unit that still says `online`.

use std::future::Future;
use std::pin::Pin;

use tokio_util::sync::CancellationToken;

use crate::directory::{Directory, WebUnits};
use crate::{Client, Error};

/// The error a service ends with.
pub type ServiceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a service is handed when the unit is online.
#[derive(Debug, Clone)]
pub struct ServiceContext {
    /// The unit's connected client (publish, request, subscribe).
    pub client: Client,
    /// Fires when the unit stops; the service must return soon after.
    pub shutdown: CancellationToken,
    /// The unit's id.
    pub unit_id: String,
    /// Whose web addresses the unit may show or follow ([`crate::Unit::web_units`]).
    pub web_units: WebUnits,
}

impl ServiceContext {
    /// A [`Directory`] of the other units, kept current until the unit stops, trusting the web
    /// addresses of [`ServiceContext::web_units`] only.
    pub async fn directory(&self) -> Result<Directory, Error> {
        Directory::watch_trusting(&self.client, self.shutdown.clone(), self.web_units.clone()).await
    }
}

/// A boxed service future.
pub(crate) type ServiceFuture = Pin<Box<dyn Future<Output = Result<(), ServiceError>> + Send>>;

/// A service not yet started.
pub(crate) struct Service {
    pub(crate) name: String,
    pub(crate) start: Box<dyn FnOnce(ServiceContext) -> ServiceFuture + Send>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
