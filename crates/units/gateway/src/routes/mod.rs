//! The route table: which HTTP calls the gateway forwards to which unit's topic, with what
//! auth, timeout, body and rate limits, and what the OpenAPI document says about them.
//!
//! - [`file`]: the TOML file's shape (`config/gateway-routes.toml` is the built-in default).
//! - `check`: turning a file into a [`RouteTable`], refusing bad files with a clear error.
//!
//! Matching a request ([`RouteTable::find`]) gives the route and its path parameters, or says
//! that the path exists with other methods (405) or not at all (404).

mod check;
pub(crate) mod file;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use axum::http::Method;
use modt::Topic;

pub use check::RouteError;

/// The route file built into the gateway: the shipped units' routes.
pub const BUILTIN: &str = include_str!("../../../../../config/gateway-routes.toml");

/// How long the gateway waits for a unit's reply when neither the route nor
/// `--gateway-timeout` says.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest timeout a route may have.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(120);
/// The largest request body a route accepts when it does not say.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;
/// The largest body limit a route may set: the forwarded request must fit one MQTT packet,
/// with room for the rest of the [`ApiRequest`](modt::protocol::ApiRequest).
pub const MAX_BODY_LIMIT: usize = modt::MAX_PACKET_BYTES / 2;
/// The rate limit of a route that does not say, per caller.
pub const DEFAULT_RATE: RateSpec = RateSpec {
    per_second: 20,
    burst: 40,
};
/// At most this many routes in one file.
pub const MAX_ROUTES: usize = 256;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone; a valid bearer token still names the caller.
    None,
    /// A logged-in user (bearer token or session cookie).
    User,
    /// An administrator.
    Admin,
}

impl Auth {
    /// The word in the route file.
    pub fn as_str(self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::User => "user",
            Auth::Admin => "admin",
        }
    }
}

/// A rate limit: `per_second` on average, `burst` at once (a token bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSpec {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests allowed at once.
    pub burst: u32,
}

/// What the OpenAPI document says about a route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteDoc {
    /// `operationId`.
    pub operation_id: Option<String>,
    /// One line.
    pub summary: Option<String>,
    /// The group it is listed under.
    pub tag: Option<String>,
    /// The request body's schema name (in [`RouteTable::schemas`]).
    pub request: Option<String>,
    /// The success body's schema name.
    pub response: Option<String>,
    /// The success status.
    pub status: u16,
    /// Documented query parameters.
    pub query: Vec<String>,
}

/// One route.
#[derive(Debug, Clone)]
pub struct Route {
    /// Its position in the table (rate limits are kept per route).
    pub index: usize,
    /// The HTTP method.
    pub method: Method,
    /// The path pattern, e.g. `/todos/{id}`.
    pub path: String,
    /// Its path parameters' names, in order.
    pub params: Vec<String>,
    /// Where the request goes.
    pub topic: Topic,
    /// The unit that serves it (its presence decides 503 before sending).
    pub unit: String,
    /// Who may call it.
    pub auth: Auth,
    /// How long to wait for the unit's reply.
    pub timeout: Duration,
    /// The largest body accepted, in bytes.
    pub body_limit: usize,
    /// The rate limit per caller.
    pub rate: RateSpec,
    /// What the OpenAPI document says.
    pub doc: RouteDoc,
}

impl Route {
    /// `METHOD /path`, as in the route file.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The validated route table.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<Route>,
    paths: matchit::Router<usize>,
    /// For each distinct path pattern: its methods and their route index.
    methods: Vec<Vec<(Method, usize)>>,
    schemas: BTreeMap<String, serde_json::Value>,
}

/// What a request matched.
#[derive(Debug)]
pub enum Found<'a> {
    /// A route, with the path parameters.
    Route(&'a Route, BTreeMap<String, String>),
    /// The path exists, for these methods only.
    WrongMethod(Vec<Method>),
    /// No route has this path.
    NotFound,
}

impl RouteTable {
    /// Reads the route file at `path`, or the [`BUILTIN`] one, and validates it. `timeout`
    /// (`--gateway-timeout`) applies to routes that set none.
    pub fn load(path: Option<&Path>, timeout: Duration) -> Result<RouteTable, RouteError> {
        match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| RouteError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                RouteTable::parse(&text, &path.display().to_string(), timeout)
            }
            None => RouteTable::parse(BUILTIN, "the built-in routes", timeout),
        }
    }

    /// Parses and validates route-file text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str, timeout: Duration) -> Result<RouteTable, RouteError> {
        check::parse(text, origin, timeout)
    }

    /// Every route, in file order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The JSON Schemas the routes' documentation names.
    pub fn schemas(&self) -> &BTreeMap<String, serde_json::Value> {
        &self.schemas
    }

    /// The units the routes need, each once.
    pub fn units(&self) -> Vec<String> {
        let mut units: Vec<String> = self.routes.iter().map(|r| r.unit.clone()).collect();
        units.sort();
        units.dedup();
        units
    }

    /// The route for `method` on `path`.
    pub fn find(&self, method: &Method, path: &str) -> Found<'_> {
        let Ok(matched) = self.paths.at(path) else {
            return Found::NotFound;
        };
        let Some(methods) = self.methods.get(*matched.value) else {
            return Found::NotFound;
        };
        match methods.iter().find(|(m, _)| m == method) {
            Some((_, index)) => match self.routes.get(*index) {
                Some(route) => {
                    let params = matched
                        .params
                        .iter()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect();
                    Found::Route(route, params)
                }
                None => Found::NotFound,
            },
            None => Found::WrongMethod(methods.iter().map(|(m, _)| m.clone()).collect()),
        }
    }
}

#[cfg(test)]
mod tests;
