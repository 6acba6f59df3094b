//! A bad route file or flag stops the gateway at start, naming the flag and what is wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use modt::unit::Setup;

async fn refusal(routes: &str, args: modt_gateway::Args) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("routes.toml");
    std::fs::write(&path, routes).unwrap();
    let mut setup = Setup::new(dir.path());
    setup.web.http_addr = Some("127.0.0.1:0".into());
    let args = modt_gateway::Args {
        routes: Some(path),
        ..args
    };
    let e = modt_gateway::build(args, &setup).await.unwrap_err();
    format!(
        "{e}: {}",
        std::error::Error::source(&e)
            .map(|s| s.to_string())
            .unwrap_or_default()
    )
}

const ONE: &str =
    "[[route]]\nroute = \"GET /a\"\ntopic = \"modt/a\"\nunit = \"a\"\nauth = \"none\"\n";

#[tokio::test]
async fn bad_settings_are_refused_at_start() {
    let e = refusal(&ONE.replace("GET /a", "GET /healthz"), Default::default()).await;
    assert!(
        e.contains("--gateway-routes") && e.contains("/healthz"),
        "{e}"
    );
    let e = refusal(&ONE.replace("GET /a", "BREW /a"), Default::default()).await;
    assert!(
        e.contains("--gateway-routes") && e.contains("bad method"),
        "{e}"
    );
    let e = refusal(
        ONE,
        modt_gateway::Args {
            allowed_origins: vec!["javascript:alert(1)".into()],
            ..Default::default()
        },
    )
    .await;
    assert!(e.contains("--gateway-allowed-origins"), "{e}");
    let e = refusal(
        ONE,
        modt_gateway::Args {
            timeout: Duration::ZERO,
            ..Default::default()
        },
    )
    .await;
    assert!(e.contains("--gateway-timeout"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let mut setup = Setup::new(dir.path());
    setup.web.http_addr = Some("127.0.0.1:0".into());
    let missing = modt_gateway::Args {
        routes: Some(dir.path().join("nope.toml")),
        ..Default::default()
    };
    let e = modt_gateway::build(missing, &setup)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("--gateway-routes"), "{e}");
}
