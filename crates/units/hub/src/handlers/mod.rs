//! One file per verb family, each in three steps: decode and check (in arrival order, on the
//! receive loop), queue the store job (so jobs keep that order), then answer once it is done.
//!
//! - `get`: `modt/{unit}/GET` → live value (200), default (203) or nothing (404).
//! - `post_put`: `modt/{unit}/POST` (create or replace) and `modt/{unit}/PUT` (replace a known key).
//!
//! Bad input (not JSON, a missing field, an empty key, a limit exceeded) is refused before the
//! store sees it: the runtime dead-letters it and, when the request carries `reply_to`, sends an
//! error reply. A legacy request refused so gets no answer on `modt/{unit}/response`: the legacy
//! statuses (200/203/404/408) have no word for it, and the dead letter records why.

pub(crate) mod get;
pub(crate) mod post_put;

use std::sync::Arc;

use modt::protocol::{topics, ErrorCode, HubRequest};
use modt::{Context, HandlerError, Message, Topic};

use crate::store::{HubStore, StoreError};
use crate::{Defaults, Limits};

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn HubStore>,
    pub(crate) defaults: Defaults,
    pub(crate) limits: Limits,
}

/// A decoded, checked request and the legacy topic its answer goes to.
pub(crate) struct Request {
    /// `modt/{unit}/response` for the requesting unit.
    pub(crate) response: Topic,
    pub(crate) body: HubRequest,
}

/// Decodes and checks a request on `modt/{unit}/{verb}`.
pub(crate) fn decode(h: &Shared, ctx: &Context, msg: &Message) -> Result<Request, HandlerError> {
    let (unit, _) = topics::hub_request_parts(&msg.topic).ok_or_else(|| {
        HandlerError::bad_request(format!("{} is not a hub request topic", msg.topic))
    })?;
    let response = topics::hub_response(unit)
        .map_err(|e| HandlerError::bad_request(format!("no response topic for {unit:?}: {e}")))?;
    let body: HubRequest = ctx.decode(msg)?;
    h.limits.id(&body.id)?;
    h.limits.key(&body.key)?;
    Ok(Request { response, body })
}

/// Store errors as the wire sees them (the only place this mapping lives).
pub(crate) fn store_error(e: StoreError) -> HandlerError {
    let code = match &e {
        StoreError::Unavailable(_) => ErrorCode::Unavailable,
        StoreError::Open { .. } | StoreError::Storage(_) => ErrorCode::Internal,
    };
    HandlerError::new(code, e.to_string())
}
