//! # modt-identify — the gatekeeper
//!
//! Accounts, sessions and login pages; the answer to "who is this session?" over MQTT; and the
//! login → app-ready → redirect handshake (docs/protocol.md §2).
//!
//! - [`config`]: [`IdentifyConfig`], every setting with its default.
//! - [`accounts`]: user name and password rules, roles.
//! - [`password`]: argon2id hashing, off the async runtime.
//! - [`sessions`]: session ids (random, 256 bits) and the keys they are stored under.
//! - [`store`]: the backend-neutral [`IdentityStore`] trait (accounts, sessions, throttle
//!   counters, login handshakes), its SQLite and PostgreSQL implementations, [`store::open`].
//! - [`throttle`]: failed-login limits per user name and per client address (counts in the store).
//! - [`handshake`]: which app answered which login, for the waiting page (records in the store).
//! - [`login`]: checking a login and making an account, shared by the pages and the token API.
//! - [`tokens`]: the token API's signing keys, JWK Set, access and refresh tokens.
//! - [`mqtt`]: the handlers of `modt/session/query`, `modt/app/ready` and `modt/auth/token/*`.
//! - [`web`]: the pages (`/login`, `/register`, `/logout`, `/waiting`), `POST /api/login` and
//!   `GET /.well-known/jwks.json`.
//! - [`unit`]: puts it together as a [`modt::Unit`].
//! - [`args`]: the unit's flags ([`Args`]); [`build`]: the unit for a program ([`build()`]).

pub mod accounts;
pub mod args;
pub mod build;
pub mod config;
pub mod core;
pub mod handshake;
pub mod login;
pub mod mqtt;
pub mod password;
pub mod sessions;
pub mod store;
pub mod throttle;
pub mod tokens;
pub mod unit;
pub mod web;

pub use accounts::Role;
pub use args::{Args, ABOUT};
pub use build::build;
pub use config::IdentifyConfig;
pub use store::{
    IdentityStore, PostgresIdentityStore, SqliteIdentityStore, StoreError, User, UserChange,
};
pub use unit::{unit, NAME};
