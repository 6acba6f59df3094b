//! The route file as written (TOML, `config/gateway-routes.toml`): its serde shape, before
//! validation turns it into a [`RouteTable`](super::RouteTable).

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RouteFile {
    #[serde(default)]
    pub(crate) defaults: Defaults,
    #[serde(default, rename = "route")]
    pub(crate) routes: Vec<RouteEntry>,
    /// JSON Schemas by name, for the OpenAPI document.
    #[serde(default)]
    pub(crate) schemas: BTreeMap<String, toml::Value>,
}

/// `[defaults]`: what a route does not say itself.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Defaults {
    pub(crate) body_limit: Option<usize>,
    pub(crate) rate: Option<RateEntry>,
}

/// One `[[route]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RouteEntry {
    /// `METHOD /path/{param}`.
    pub(crate) route: String,
    pub(crate) topic: String,
    pub(crate) unit: String,
    pub(crate) auth: String,
    pub(crate) timeout: Option<String>,
    pub(crate) body_limit: Option<usize>,
    pub(crate) rate: Option<RateEntry>,
    pub(crate) operation_id: Option<String>,
    pub(crate) summary: Option<String>,
    pub(crate) tag: Option<String>,
    pub(crate) request: Option<String>,
    pub(crate) response: Option<String>,
    pub(crate) status: Option<u16>,
    #[serde(default)]
    pub(crate) query: Vec<String>,
}

/// `rate = { per_second, burst }`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateEntry {
    pub(crate) per_second: u32,
    pub(crate) burst: u32,
}
