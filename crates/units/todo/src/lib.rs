//! # modt-todo — the todo unit
//!
//! A TODO service that owns its database: SQLite (`modt_todo.db`) by default, or its own
//! schema (`modt_todo`) of a PostgreSQL database. Clients reach it only through the API
//! gateway, which forwards each HTTP call as an [`ApiRequest`](modt::protocol::ApiRequest)
//! with the verified caller on `modt/todo/{list,create,get,update,delete}`; every commit is
//! announced on `modt/todo/changed/{user_id}`. Its web page lists and edits the visitor's
//! todos by calling that REST API through the gateway, live across tabs.
//!
//! - [`store`]: the [`TodoStore`](store::TodoStore) trait on SQLite or PostgreSQL, with
//!   remembered request keys (a retried request is never applied twice).
//! - `api`: one file per topic — decode the `ApiRequest` → check → apply → reply → announce.
//! - [`rules`]: the validation of bodies, queries and `If-Match`, as field errors.
//! - [`cursor`]: opaque page cursors (sort key and id).
//! - [`web`]: the page and its live-update stream.
//! - [`mod@unit`]: wiring it into a [`modt::Unit`]; [`args`]: its flags ([`Args`]);
//!   [`mod@build`]: the unit for a program ([`build()`]).

mod api;
pub mod args;
pub mod build;
pub mod cursor;
pub mod rules;
pub mod store;
pub mod unit;
pub mod web;

pub use args::{Args, ABOUT};
pub use build::{build, DATA, DEFAULT_PORT};
pub use unit::{unit, TodoConfig, KIND, NAME};
