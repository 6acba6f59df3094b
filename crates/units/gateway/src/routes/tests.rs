#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const T: Duration = DEFAULT_TIMEOUT;

fn refused(text: &str) -> String {
    RouteTable::parse(text, "test.toml", T)
        .unwrap_err()
        .to_string()
}

#[test]
fn the_builtin_routes_load_and_match() {
    let table = RouteTable::load(None, T).unwrap();
    assert_eq!(table.units(), ["identify", "ingest", "todo"]);
    match table.find(&Method::GET, "/todos/42") {
        Found::Route(route, params) => {
            assert_eq!(route.topic.as_str(), "modt/todo/get");
            assert_eq!(route.auth, Auth::User);
            assert_eq!(route.timeout, DEFAULT_TIMEOUT);
            assert_eq!(route.body_limit, DEFAULT_BODY_LIMIT);
            assert_eq!(params["id"], "42");
        }
        other => panic!("{other:?}"),
    }
    match table.find(&Method::PUT, "/todos/42") {
        Found::WrongMethod(methods) => {
            assert_eq!(methods, [Method::GET, Method::PATCH, Method::DELETE])
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(table.find(&Method::GET, "/nope"), Found::NotFound));
    assert!(matches!(
        table.find(&Method::POST, "/auth/login"),
        Found::Route(r, _) if r.auth == Auth::None && r.rate.burst == 10
    ));
}

#[test]
fn a_route_timeout_wins_over_the_global_one() {
    let text = r#"
        [[route]]
        route = "GET /a"
        topic = "modt/a"
        unit = "a"
        auth = "none"
        timeout = "250ms"
        [[route]]
        route = "GET /b"
        topic = "modt/b"
        unit = "b"
        auth = "none"
    "#;
    let table = RouteTable::parse(text, "t", Duration::from_secs(9)).unwrap();
    assert_eq!(table.routes()[0].timeout, Duration::from_millis(250));
    assert_eq!(table.routes()[1].timeout, Duration::from_secs(9));
}

fn one(route: &str, topic: &str, auth: &str) -> String {
    format!("[[route]]\nroute = {route:?}\ntopic = {topic:?}\nunit = \"u\"\nauth = {auth:?}\n")
}

#[test]
fn bad_files_are_refused_with_the_route_named() {
    let e = refused(&one("FETCH /a", "modt/a", "none"));
    assert!(
        e.contains("\"FETCH /a\"") && e.contains("bad method"),
        "{e}"
    );
    let e = refused(&one("GET /a", "modt/+/a", "none"));
    assert!(e.contains("not a topic"), "{e}");
    let e = refused(&one("GET /a", "other/a", "none"));
    assert!(e.contains("must start with modt/"), "{e}");
    let e = refused(&one("GET /a", "modt/a", "root"));
    assert!(e.contains("auth \"root\""), "{e}");
    let e = refused(&one("GET a", "modt/a", "none"));
    assert!(e.contains("must start with /"), "{e}");
    let e = refused(&one("GET /a/{Id}", "modt/a", "none"));
    assert!(e.contains("path parameter"), "{e}");
    let twice = one("GET /a", "modt/a", "none") + &one("GET /a", "modt/b", "none");
    let e = refused(&twice);
    assert!(e.contains("duplicate route"), "{e}");
    let clash = one("GET /a/{id}", "modt/a", "none") + &one("PUT /a/{key}", "modt/b", "none");
    let e = refused(&clash);
    assert!(e.contains("conflicts"), "{e}");
    let e = refused("[[route]]\nroute = \"GET /a\"\n");
    assert!(
        e.starts_with("test.toml: ") && e.contains("missing field"),
        "{e}"
    );
    let e = refused(&(one("GET /a", "modt/a", "none") + "colour = \"red\"\n"));
    assert!(e.contains("unknown field"), "{e}");
    let big = format!(
        "{}body_limit = {}\n",
        one("POST /a", "modt/a", "none"),
        MAX_BODY_LIMIT + 1
    );
    assert!(refused(&big).contains("body_limit"));
    let slow = format!("{}timeout = \"1h\"\n", one("GET /a", "modt/a", "none"));
    assert!(refused(&slow).contains("timeout"));
    let schema = format!("{}response = \"Nope\"\n", one("GET /a", "modt/a", "none"));
    assert!(refused(&schema).contains("\"Nope\" is not in [schemas]"));
}
