//! The identify unit's MQTT side: one file per topic it handles.
//!
//! - [`session_query`]: `modt/session/query` → `modt/session/info` (or a private reply).
//! - [`app_ready`]: `modt/app/ready` → the waiting page of that login.
//! - [`token`]: `modt/auth/token/*`, the token API (register, login, refresh, logout).

pub mod app_ready;
pub mod session_query;
pub mod token;
