//! Turning a route file into a [`RouteTable`]: every rule a route must follow, each broken one
//! named with the route and the file, so a bad file fails at start and never at a request.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::Method;
use modt::Topic;

use super::file::{RateEntry, RouteEntry, RouteFile};
use super::{
    Auth, RateSpec, Route, RouteDoc, RouteTable, DEFAULT_BODY_LIMIT, DEFAULT_RATE, MAX_BODY_LIMIT,
    MAX_ROUTES, MAX_TIMEOUT,
};

/// The methods a route may have.
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Why a route file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// The file cannot be read.
    #[error("cannot read the gateway routes {path} (--gateway-routes / MODT_GATEWAY_ROUTES)")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML of the route file's shape.
    #[error("{origin}: {message}")]
    Parse {
        /// The file.
        origin: String,
        /// What the TOML reader said (line and column included).
        message: String,
    },
    /// A route breaks a rule.
    #[error("{origin}: route {route:?}: {reason}")]
    Invalid {
        /// The file.
        origin: String,
        /// The route, as written.
        route: String,
        /// The rule it breaks.
        reason: String,
    },
}

/// Parses and validates `text`.
pub(super) fn parse(text: &str, origin: &str, timeout: Duration) -> Result<RouteTable, RouteError> {
    let file: RouteFile = toml::from_str(text).map_err(|e| RouteError::Parse {
        origin: origin.to_owned(),
        message: e.to_string(),
    })?;
    let invalid = |route: &str, reason: String| RouteError::Invalid {
        origin: origin.to_owned(),
        route: route.to_owned(),
        reason,
    };
    if file.routes.len() > MAX_ROUTES {
        return Err(invalid("*", format!("more than {MAX_ROUTES} routes")));
    }
    let mut schemas = BTreeMap::new();
    for (name, value) in &file.schemas {
        let json = serde_json::to_value(value)
            .map_err(|e| invalid(&format!("schema {name}"), e.to_string()))?;
        crate::openapi::check_schema(&json)
            .map_err(|e| invalid(&format!("schema {name}"), format!("not a JSON Schema: {e}")))?;
        schemas.insert(name.clone(), json);
    }
    let default_rate = match file.defaults.rate {
        Some(rate) => rate_spec(rate).map_err(|reason| invalid("[defaults]", reason))?,
        None => DEFAULT_RATE,
    };
    let default_body = file.defaults.body_limit.unwrap_or(DEFAULT_BODY_LIMIT);
    check_body_limit(default_body).map_err(|reason| invalid("[defaults]", reason))?;
    let mut routes = Vec::with_capacity(file.routes.len());
    for (index, entry) in file.routes.iter().enumerate() {
        let route = route(entry, index, timeout, default_body, default_rate, &schemas)
            .map_err(|reason| invalid(&entry.route, reason))?;
        routes.push(route);
    }
    let mut paths = matchit::Router::new();
    let mut methods: Vec<Vec<(Method, usize)>> = Vec::new();
    let mut path_index: BTreeMap<String, usize> = BTreeMap::new();
    for (i, route) in routes.iter().enumerate() {
        let slot = match path_index.get(&route.path) {
            Some(slot) => *slot,
            None => {
                let slot = methods.len();
                paths.insert(route.path.clone(), slot).map_err(|e| {
                    invalid(
                        &route.name(),
                        format!("its path conflicts with another: {e}"),
                    )
                })?;
                path_index.insert(route.path.clone(), slot);
                methods.push(Vec::new());
                slot
            }
        };
        let same = &mut methods[slot];
        if same.iter().any(|(m, _)| m == route.method) {
            return Err(invalid(&route.name(), "duplicate route".into()));
        }
        same.push((route.method.clone(), i));
    }
    let mut ids = BTreeMap::new();
    for route in &routes {
        if let Some(id) = &route.doc.operation_id {
            if let Some(other) = ids.insert(id.clone(), route.name()) {
                return Err(invalid(
                    &route.name(),
                    format!("operation_id {id:?} is also {other:?}'s"),
                ));
            }
        }
    }
    Ok(RouteTable {
        routes,
        paths,
        methods,
        schemas,
    })
}

fn route(
    entry: &RouteEntry,
    index: usize,
    timeout: Duration,
    default_body: usize,
    default_rate: RateSpec,
    schemas: &BTreeMap<String, serde_json::Value>,
) -> Result<Route, String> {
    let (method, path) = entry
        .route
        .split_once(' ')
        .ok_or("write it as \"METHOD /path\", e.g. \"GET /todos/{id}\"")?;
    if !METHODS.contains(&method) {
        return Err(format!(
            "bad method {method:?}: one of {}",
            METHODS.join(", ")
        ));
    }
    let method = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let params = path_params(path.trim())?;
    let topic = Topic::new(entry.topic.clone())
        .map_err(|e| format!("topic {:?} is not a topic: {e}", entry.topic))?;
    if !entry.topic.starts_with("modt/") {
        return Err(format!(
            "topic {:?} must start with modt/ (the namespace is the unit's client's)",
            entry.topic
        ));
    }
    if entry.unit.is_empty() || !entry.unit.chars().all(is_unit_char) {
        return Err(format!("unit {:?} is not a unit id", entry.unit));
    }
    let auth = match entry.auth.as_str() {
        "none" => Auth::None,
        "user" => Auth::User,
        "admin" => Auth::Admin,
        other => return Err(format!("auth {other:?}: one of none, user, admin")),
    };
    let timeout = match &entry.timeout {
        Some(t) => humantime::parse_duration(t).map_err(|e| format!("timeout {t:?}: {e}"))?,
        None => timeout,
    };
    if timeout.is_zero() || timeout > MAX_TIMEOUT {
        return Err(format!(
            "timeout {timeout:?}: more than 0 and at most {MAX_TIMEOUT:?}"
        ));
    }
    let body_limit = entry.body_limit.unwrap_or(default_body);
    check_body_limit(body_limit)?;
    let rate = match entry.rate {
        Some(rate) => rate_spec(rate)?,
        None => default_rate,
    };
    for name in [&entry.request, &entry.response].into_iter().flatten() {
        if !schemas.contains_key(name) {
            return Err(format!("schema {name:?} is not in [schemas]"));
        }
    }
    let status = entry.status.unwrap_or(200);
    if !(200..300).contains(&status) {
        return Err(format!("status {status}: a success status (2xx)"));
    }
    Ok(Route {
        index,
        method,
        path: path.trim().to_owned(),
        params,
        topic,
        unit: entry.unit.clone(),
        auth,
        timeout,
        body_limit,
        rate,
        doc: RouteDoc {
            operation_id: entry.operation_id.clone(),
            summary: entry.summary.clone(),
            tag: entry.tag.clone(),
            request: entry.request.clone(),
            response: entry.response.clone(),
            status,
            query: entry.query.clone(),
        },
    })
}

/// The parameter names of a path pattern, checking its shape: `/` then segments of
/// `[A-Za-z0-9._~-]` or one `{name}` each.
fn path_params(path: &str) -> Result<Vec<String>, String> {
    if !path.starts_with('/') {
        return Err(format!("path {path:?} must start with /"));
    }
    let mut params = Vec::new();
    if path == "/" {
        return Ok(params);
    }
    for segment in path[1..].split('/') {
        if segment.is_empty() {
            return Err(format!("path {path:?} has an empty segment"));
        }
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let good = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !good {
                return Err(format!(
                    "path parameter {{{name}}}: lower-case letters, digits and _"
                ));
            }
            if params.iter().any(|p| p == name) {
                return Err(format!("path parameter {{{name}}} appears twice"));
            }
            params.push(name.to_owned());
        } else if !segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~-".contains(c))
        {
            return Err(format!(
                "path segment {segment:?}: letters, digits, . _ ~ - or one {{param}}"
            ));
        }
    }
    Ok(params)
}

fn is_unit_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

fn check_body_limit(limit: usize) -> Result<(), String> {
    if limit > MAX_BODY_LIMIT {
        return Err(format!(
            "body_limit {limit}: at most {MAX_BODY_LIMIT} bytes (one MQTT packet)"
        ));
    }
    Ok(())
}

fn rate_spec(rate: RateEntry) -> Result<RateSpec, String> {
    if rate.per_second == 0 || rate.burst == 0 {
        return Err("rate: per_second and burst must be at least 1".into());
    }
    Ok(RateSpec {
        per_second: rate.per_second,
        burst: rate.burst,
    })
}
