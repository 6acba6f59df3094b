//! The OpenAPI document of the shipped routes is checked in (docs/openapi/gateway.json); this
//! fails when the routes or the generator changed and the file was not regenerated.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use modt_gateway::routes::{RouteTable, DEFAULT_TIMEOUT};

#[test]
fn the_checked_in_document_matches_the_shipped_routes() {
    let table = RouteTable::load(None, DEFAULT_TIMEOUT).unwrap();
    let generated = modt_gateway::openapi::document(&table).unwrap() + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../docs/openapi/gateway.json");
    if std::env::var_os("MODT_UPDATE_OPENAPI").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "docs/openapi/gateway.json is out of date with config/gateway-routes.toml; regenerate it with\n  MODT_UPDATE_OPENAPI=1 cargo test -p modt-gateway --test openapi"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for schema in [
        "Todo",
        "TodoDraft",
        "TodoPatch",
        "TodoPage",
        "Credentials",
        "RefreshRequest",
        "TokenPair",
        "Error",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    let get = &doc["paths"]["/todos/{id}"]["get"];
    assert_eq!(get["operationId"], "getTodo");
    assert_eq!(
        get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Todo"
    );
    assert!(doc["paths"]["/auth/login"]["post"]
        .get("security")
        .is_none());
}
