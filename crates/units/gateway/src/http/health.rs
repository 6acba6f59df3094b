//! `GET /healthz` (the process answers) and `GET /readyz` (connected to the broker, and every
//! unit the routes need is online; else 503 naming what is missing).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::Gateway;

/// The body of both endpoints.
#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    broker_connected: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing_units: Vec<String>,
}

pub(crate) async fn healthz() -> Response {
    Json(Health {
        status: "ok",
        broker_connected: None,
        missing_units: Vec::new(),
    })
    .into_response()
}

pub(crate) async fn readyz(State(gw): State<Gateway>) -> Response {
    let connected = gw.presence.connected();
    let missing: Vec<String> = gw
        .table
        .units()
        .into_iter()
        .filter(|u| !gw.presence.is_online(u))
        .collect();
    let ready = connected && missing.is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Health {
        status: if ready { "ready" } else { "not_ready" },
        broker_connected: Some(connected),
        missing_units: missing,
    };
    (status, Json(body)).into_response()
}
