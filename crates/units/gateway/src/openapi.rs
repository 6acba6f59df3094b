//! The OpenAPI 3.1 document of the route table, built at run time with utoipa's builders:
//! one operation per route (its `operation_id`, `summary`, `tag`, path and query parameters,
//! request and success bodies by schema name, the error statuses the gateway can answer), the
//! route file's JSON Schemas and the error body as components, and the two ways to log in
//! (bearer JWT, session cookie) as security schemes.
//!
//! The shipped routes' document is checked in at `docs/openapi/gateway.json`; a test fails
//! when it drifts (regenerate with `MODT_UPDATE_OPENAPI=1 cargo test -p modt-gateway`).

use serde_json::{json, Value};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{ResponseBuilder, ResponsesBuilder};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, Content, InfoBuilder, OpenApiBuilder, Paths, Ref, RefOr, Required,
};

use crate::routes::{Auth, Route, RouteTable};

/// The component name of the error body.
pub const ERROR_SCHEMA: &str = "Error";
/// The security scheme of bearer access tokens.
pub const BEARER: &str = "bearerAuth";
/// The security scheme of the session cookie.
pub const COOKIE: &str = "cookieAuth";

/// Why a schema in the route file is not one the document can hold.
pub(crate) fn check_schema(schema: &Value) -> Result<(), serde_json::Error> {
    serde_json::from_value::<RefOr<Schema>>(schema.clone()).map(|_| ())
}

/// The document of `table`, as pretty JSON.
pub fn document(table: &RouteTable) -> Result<String, serde_json::Error> {
    let mut paths = Paths::new();
    for route in table.routes() {
        paths.add_path_operation(&route.path, vec![http_method(route)], operation(route)?);
    }
    let mut components = ComponentsBuilder::new()
        .schema(ERROR_SCHEMA, schema(error_schema())?)
        .security_scheme(
            BEARER,
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An EdDSA access token from POST /auth/login"))
                    .build(),
            ),
        )
        .security_scheme(
            COOKIE,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                modt_web::cookies::SESSION_COOKIE,
                "The identify unit's session cookie (browsers logged in there)",
            ))),
        );
    for (name, value) in table.schemas() {
        components = components.schema(name, schema(value.clone())?);
    }
    let info = InfoBuilder::new()
        .title("MoDT API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "HTTP calls the MoDT gateway forwards to units over MQTT (docs/protocol.md §7).",
        ))
        .build();
    let doc = OpenApiBuilder::new()
        .info(info)
        .paths(paths)
        .components(Some(components.build()))
        .build();
    doc.to_pretty_json()
}

fn http_method(route: &Route) -> HttpMethod {
    match route.method.as_str() {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

fn operation(route: &Route) -> Result<utoipa::openapi::path::Operation, serde_json::Error> {
    let doc = &route.doc;
    let mut op = OperationBuilder::new()
        .operation_id(doc.operation_id.clone())
        .summary(doc.summary.clone())
        .tags(doc.tag.clone().map(|t| vec![t]));
    for name in &route.params {
        op = op.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(schema(json!({"type": "string"}))?)),
        );
    }
    for name in &doc.query {
        op = op.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .schema(Some(schema(json!({"type": "string"}))?)),
        );
    }
    if let Some(request) = &doc.request {
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content("application/json", json_content(request))
                .build(),
        ));
    }
    let mut success = ResponseBuilder::new().description(success_text(doc.status));
    if let Some(response) = &doc.response {
        success = success.content("application/json", json_content(response));
    }
    let mut responses = ResponsesBuilder::new().response(doc.status.to_string(), success.build());
    for (status, text) in error_statuses(route) {
        responses = responses.response(
            status.to_string(),
            ResponseBuilder::new()
                .description(text)
                .content("application/json", json_content(ERROR_SCHEMA))
                .build(),
        );
    }
    op = op.responses(responses.build());
    if route.auth != Auth::None {
        op = op
            .security(SecurityRequirement::new(BEARER, Vec::<String>::new()))
            .security(SecurityRequirement::new(COOKIE, Vec::<String>::new()));
    }
    Ok(op.build())
}

fn json_content(schema_name: &str) -> Content {
    Content::new(Some(Ref::from_schema_name(schema_name)))
}

fn success_text(status: u16) -> &'static str {
    match status {
        201 => "Created",
        204 => "Done; no body",
        _ => "OK",
    }
}

/// The statuses the gateway (or the unit) may answer a route with besides its success.
fn error_statuses(route: &Route) -> Vec<(u16, &'static str)> {
    let mut out = vec![(400, "Bad request (e.g. a body that is not JSON)")];
    if route.auth != Auth::None {
        out.push((401, "No valid access token or session"));
        out.push((
            403,
            "Not allowed (role, or a cookie write from another origin)",
        ));
    }
    if !route.params.is_empty() {
        out.push((404, "Not found"));
    }
    if route.doc.request.is_some() {
        out.push((413, "Body larger than the route's limit"));
        out.push((
            422,
            "Body fails the unit's rules (error.details names the fields)",
        ));
    }
    out.push((429, "Rate limited; see Retry-After"));
    out.push((503, "The unit is offline; see Retry-After"));
    out.push((504, "The unit did not answer in time"));
    out
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["status", "error"],
        "properties": {
            "status": {"type": "string", "enum": ["error"]},
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "a protocol error code (docs/protocol.md §5)"},
                    "message": {"type": "string"},
                    "details": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["field", "reason"],
                            "properties": {
                                "field": {"type": "string"},
                                "reason": {"type": "string"}
                            }
                        }
                    },
                    "retry_after": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "seconds to wait before trying again (also sent as Retry-After)"
                    }
                }
            }
        }
    })
}

fn schema(value: Value) -> Result<RefOr<Schema>, serde_json::Error> {
    serde_json::from_value(value)
}
