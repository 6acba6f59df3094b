//! The catch-all handler: match the route, then auth → rate limit → body → presence →
//! forward, each step's refusal an HTTP status (docs/protocol.md §7), and one log line per
//! request with its id, status and latency.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{ALLOW, CONTENT_LENGTH, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use modt::protocol::api::REQUEST_ID_HEADER;
use modt::protocol::ErrorCode;
use modt_web::api_error::ApiErrorBody;
use modt_web::ApiError;
use serde_json::value::RawValue;
use tracing::info;

use super::Gateway;
use crate::forward::{self, Call, OFFLINE_RETRY_AFTER};
use crate::routes::{Found, Route};

/// Most query parameters one request may have.
pub(crate) const MAX_QUERY_PARAMS: usize = 64;

/// No route for this path. A browser opening the gateway's own address (the "API gateway"
/// link in every page's header) is sent to the documentation instead of a JSON 404.
fn not_found(method: &Method, path: &str) -> Response {
    if path == "/" && (method == Method::GET || method == Method::HEAD) {
        return Redirect::to(super::DOCS_PATH).into_response();
    }
    ApiError::new(ErrorCode::NotFound, "no such route").into_response()
}

/// Handles every path the gateway does not serve itself.
pub(crate) async fn handle(
    State(gw): State<Gateway>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let request_id = crate::trace::new_request_id();
    let client_request_id = crate::trace::client_request_id(&headers);
    let trace = crate::trace::trace(&headers, &request_id);
    let (mut response, route) = match gw.table.find(&method, uri.path()) {
        Found::Route(route, params) => {
            let call = Admitted {
                route,
                params,
                peer,
                uri: &uri,
                headers: &headers,
                request_id: &request_id,
                trace: &trace,
            };
            let response = match call.run(&gw, &method, body).await {
                Ok(response) => response,
                Err(e) => refused(e),
            };
            (response, Some(route.name()))
        }
        Found::WrongMethod(methods) => (wrong_method(&methods), None),
        Found::NotFound => (not_found(&method, uri.path()), None),
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    info!(
        target: "modt_gateway::access",
        %method,
        path = %uri.path(),
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        %request_id,
        client_request_id = client_request_id.as_deref().unwrap_or("-"),
        trace_id = %trace.trace_id(),
        route = route.as_deref().unwrap_or("-"),
        client = %peer.ip(),
        "request"
    );
    response
}

/// A request that matched a route.
struct Admitted<'a> {
    route: &'a Route,
    params: BTreeMap<String, String>,
    peer: SocketAddr,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    request_id: &'a str,
    trace: &'a modt::trace::TraceContext,
}

impl Admitted<'_> {
    async fn run(self, gw: &Gateway, method: &Method, body: Body) -> Result<Response, ApiError> {
        let route = self.route;
        let caller = gw.auth.caller(route, method, self.headers).await?;
        let client_addr = self.peer.ip().to_string();
        let key = match &caller {
            Some(c) => format!("user:{}", c.user_id),
            None => format!("addr:{client_addr}"),
        };
        gw.limits.check(route, &key).map_err(|wait| {
            ApiError::new(ErrorCode::TooManyRequests, "too many requests; slow down")
                .retry_after(wait.max(Duration::from_secs(1)))
        })?;
        let body = read_json_body(route, self.headers, body).await?;
        let query = query_params(self.uri)?;
        if !gw.presence.is_online(&route.unit) {
            return Err(
                ApiError::unavailable(format!("unit {} is offline", route.unit))
                    .retry_after(OFFLINE_RETRY_AFTER),
            );
        }
        let call = Call {
            route,
            params: self.params,
            query,
            headers: self.headers,
            body,
            caller,
            client_addr,
            request_id: self.request_id,
            trace: self.trace,
        };
        forward::forward(&gw.client, call).await
    }
}

/// The body, checked to be JSON (kept as sent), within the route's limit: 413 over it, 400
/// when it is not JSON.
async fn read_json_body(
    route: &Route,
    headers: &HeaderMap,
    body: Body,
) -> Result<Option<Box<RawValue>>, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::TooLarge,
            format!("the body is larger than {} bytes", route.body_limit),
        )
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > route.body_limit as u64) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, route.body_limit)
        .await
        .map_err(|e| {
            let over = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if over {
                too_large()
            } else {
                ApiError::new(ErrorCode::BadRequest, "the body could not be read")
            }
        })?;
    if bytes.is_empty() {
        return Ok(None);
    }
    serde_json::from_slice::<Box<RawValue>>(&bytes)
        .map(Some)
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("the body is not JSON: {e}")))
}

/// The query parameters (the last value of a repeated one).
fn query_params(uri: &Uri) -> Result<BTreeMap<String, String>, ApiError> {
    let Some(query) = uri.query() else {
        return Ok(BTreeMap::new());
    };
    let mut params = BTreeMap::new();
    for (i, (k, v)) in url::form_urlencoded::parse(query.as_bytes()).enumerate() {
        if i >= MAX_QUERY_PARAMS {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("more than {MAX_QUERY_PARAMS} query parameters"),
            ));
        }
        params.insert(k.into_owned(), v.into_owned());
    }
    Ok(params)
}

/// An error response; a 401 says how to authenticate.
fn refused(e: ApiError) -> Response {
    let unauthorized = e.code() == ErrorCode::Unauthorized;
    let mut response = e.into_response();
    if unauthorized {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"modt\""),
        );
    }
    response
}

/// 405 with `Allow`, in the JSON error body every refusal has.
fn wrong_method(methods: &[Method]) -> Response {
    let allow = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let body: ApiErrorBody =
        ApiError::new(ErrorCode::BadRequest, format!("this path takes {allow}")).body();
    let mut response = (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(ALLOW, v);
    }
    response
}
