//! The identify unit's MQTT side: one file per topic it handles.
//!
//! - [`session_query`]: `modt/session/query` → `modt/session/info` (or a private reply).
//! - [`app_ready`]: `modt/app/ready` → the waiting page of that login.

pub mod app_ready;
pub mod session_query;
