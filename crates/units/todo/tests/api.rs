//! The todo unit over MQTT, as the gateway calls it: `ApiRequest`s with a verified caller on
//! `modt/todo/*`, answered with `ApiReply`s or error replies, through the embedded broker,
//! with the data in a real SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::protocol::todo::MAX_TITLE_CHARS;
use modt::protocol::{topics, ErrorCode, Todo, TodoPage};
use modt_testkit::TestBroker;
use serde_json::json;
use support::*;

#[tokio::test]
async fn a_todo_is_created_read_changed_and_deleted_with_etags() {
    let broker = TestBroker::embedded();
    let (unit, c) = start(&broker, None).await;
    let ann = user("ann");

    let req = with_body(
        request("POST", "/todos", Some(&ann)),
        json!({ "title": "buy milk", "notes": "2 litres" }),
    );
    let reply = call(&c, &topics::TODO_CREATE, &req).await.unwrap();
    assert_eq!(reply.status, 201);
    let todo: Todo = body(&reply);
    assert_eq!(
        (
            todo.title.as_str(),
            todo.notes.as_str(),
            todo.done,
            todo.version
        ),
        ("buy milk", "2 litres", false, 1)
    );
    assert_eq!(todo.owner, "ann");
    assert_eq!(reply.headers["etag"], "\"1\"");
    assert_eq!(reply.headers["location"], format!("/todos/{}", todo.id));

    let get = with_id(request("GET", "/todos/{id}", Some(&ann)), &todo.id);
    let reply = call(&c, &topics::TODO_GET, &get).await.unwrap();
    assert_eq!(
        (reply.status, reply.headers["etag"].as_str()),
        (200, "\"1\"")
    );
    assert_eq!(body::<Todo>(&reply), todo);

    // PATCH with the right If-Match: version 2, new etag.
    let patch = with_header(
        with_body(
            with_id(request("PATCH", "/todos/{id}", Some(&ann)), &todo.id),
            json!({ "done": true }),
        ),
        "if-match",
        "\"1\"",
    );
    let reply = call(&c, &topics::TODO_UPDATE, &patch).await.unwrap();
    let changed: Todo = body(&reply);
    assert_eq!(
        (reply.status, changed.version, changed.done),
        (200, 2, true)
    );
    assert_eq!(changed.title, "buy milk", "fields not given stay");
    assert_eq!(reply.headers["etag"], "\"2\"");

    // The same If-Match again: the todo moved on.
    let err = call(&c, &topics::TODO_UPDATE, &patch).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::PreconditionFailed);
    // No If-Match: unconditional.
    let mut unconditional = patch.clone();
    unconditional.headers.clear();
    unconditional.body = Some(json!({ "title": "buy oat milk" }));
    let reply = call(&c, &topics::TODO_UPDATE, &unconditional)
        .await
        .unwrap();
    assert_eq!(body::<Todo>(&reply).version, 3);

    let delete = with_header(
        with_id(request("DELETE", "/todos/{id}", Some(&ann)), &todo.id),
        "if-match",
        "\"2\"",
    );
    let err = call(&c, &topics::TODO_DELETE, &delete).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::PreconditionFailed);
    let delete = with_header(delete, "if-match", "*");
    let reply = call(&c, &topics::TODO_DELETE, &delete).await.unwrap();
    assert_eq!((reply.status, reply.body.clone()), (204, None));
    let err = call(&c, &topics::TODO_GET, &get).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = call(&c, &topics::TODO_DELETE, &delete).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    unit.stop().await;
}

#[tokio::test]
async fn without_a_caller_every_topic_is_unauthorized() {
    let broker = TestBroker::embedded();
    let (unit, c) = start(&broker, None).await;
    let id = uuid::Uuid::new_v4().to_string();
    let cases = [
        (topics::TODO_LIST, request("GET", "/todos", None)),
        (
            topics::TODO_CREATE,
            with_body(request("POST", "/todos", None), json!({ "title": "x" })),
        ),
        (
            topics::TODO_GET,
            with_id(request("GET", "/todos/{id}", None), &id),
        ),
        (
            topics::TODO_UPDATE,
            with_body(
                with_id(request("PATCH", "/todos/{id}", None), &id),
                json!({ "done": true }),
            ),
        ),
        (
            topics::TODO_DELETE,
            with_id(request("DELETE", "/todos/{id}", None), &id),
        ),
    ];
    for (topic, req) in cases {
        let err = call(&c, &topic, &req).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Unauthorized, "{topic}");
    }
    unit.stop().await;
}

#[tokio::test]
async fn broken_rules_are_unprocessable_with_every_field_named() {
    let broker = TestBroker::embedded();
    let (unit, c) = start(&broker, None).await;
    let ann = user("ann");
    let post = |b| with_body(request("POST", "/todos", Some(&ann)), b);

    let err = call(&c, &topics::TODO_CREATE, &post(json!({ "title": "  " })))
        .await
        .unwrap_err();
    assert_eq!(fields(&err), ["/title"]);
    let long = "x".repeat(MAX_TITLE_CHARS + 1);
    let err = call(
        &c,
        &topics::TODO_CREATE,
        &post(json!({ "title": long, "notes": 1, "done": "no", "due": "today" })),
    )
    .await
    .unwrap_err();
    assert_eq!(fields(&err), ["/title", "/notes", "/done", "/due"]);
    let err = call(
        &c,
        &topics::TODO_CREATE,
        &request("POST", "/todos", Some(&ann)),
    )
    .await
    .unwrap_err();
    assert_eq!(fields(&err), [""]);

    let t = create(&c, &ann, "fine").await;
    let patch = with_body(
        with_id(request("PATCH", "/todos/{id}", Some(&ann)), &t.id),
        json!({}),
    );
    let err = call(&c, &topics::TODO_UPDATE, &patch).await.unwrap_err();
    assert_eq!(fields(&err), [""]);

    let list = |k: &str, v: &str| with_query(request("GET", "/todos", Some(&ann)), k, v);
    for (k, v) in [
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "x"),
        ("done", "yes"),
        ("sort", "size"),
        ("cursor", "nope"),
        ("page", "2"),
    ] {
        let err = call(&c, &topics::TODO_LIST, &list(k, v)).await.unwrap_err();
        assert_eq!(fields(&err), [k], "{k}={v}");
    }
    let key = with_header(
        post(json!({ "title": "x" })),
        "idempotency-key",
        &"k".repeat(256),
    );
    let err = call(&c, &topics::TODO_CREATE, &key).await.unwrap_err();
    assert_eq!(fields(&err), ["idempotency-key"]);
    // Nothing of the refused ones was stored.
    let page: TodoPage = body(
        &call(
            &c,
            &topics::TODO_LIST,
            &request("GET", "/todos", Some(&ann)),
        )
        .await
        .unwrap(),
    );
    assert_eq!(page.items, [t]);
    unit.stop().await;
}

#[tokio::test]
async fn users_reach_only_their_own_todos_and_admins_reach_all() {
    let broker = TestBroker::embedded();
    let (unit, c) = start(&broker, None).await;
    let (ann, bob, root) = (user("ann"), user("bob"), admin("root"));
    let anns = create(&c, &ann, "ann's").await;
    create(&c, &bob, "bob's").await;

    // Bob: ann's id answers exactly as an id that does not exist.
    let missing = uuid::Uuid::new_v4().to_string();
    for id in [&anns.id, &missing] {
        let get = with_id(request("GET", "/todos/{id}", Some(&bob)), id);
        assert_eq!(
            call(&c, &topics::TODO_GET, &get).await.unwrap_err().code,
            ErrorCode::NotFound
        );
        let patch = with_body(
            with_id(request("PATCH", "/todos/{id}", Some(&bob)), id),
            json!({ "title": "mine" }),
        );
        assert_eq!(
            call(&c, &topics::TODO_UPDATE, &patch)
                .await
                .unwrap_err()
                .code,
            ErrorCode::NotFound
        );
        let delete = with_id(request("DELETE", "/todos/{id}", Some(&bob)), id);
        assert_eq!(
            call(&c, &topics::TODO_DELETE, &delete)
                .await
                .unwrap_err()
                .code,
            ErrorCode::NotFound
        );
    }
    let bobs: TodoPage = body(
        &call(
            &c,
            &topics::TODO_LIST,
            &request("GET", "/todos", Some(&bob)),
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        bobs.items
            .iter()
            .map(|t| t.title.as_str())
            .collect::<Vec<_>>(),
        ["bob's"]
    );
    let peek = with_query(request("GET", "/todos", Some(&bob)), "owner", "ann");
    assert_eq!(
        call(&c, &topics::TODO_LIST, &peek).await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    let own = with_query(request("GET", "/todos", Some(&bob)), "owner", "bob");
    assert_eq!(
        body::<TodoPage>(&call(&c, &topics::TODO_LIST, &own).await.unwrap())
            .items
            .len(),
        1
    );

    // The administrator reads, lists and changes ann's; she still owns it.
    let get = with_id(request("GET", "/todos/{id}", Some(&root)), &anns.id);
    assert_eq!(
        body::<Todo>(&call(&c, &topics::TODO_GET, &get).await.unwrap()),
        anns
    );
    let list = with_query(request("GET", "/todos", Some(&root)), "owner", "ann");
    assert_eq!(
        body::<TodoPage>(&call(&c, &topics::TODO_LIST, &list).await.unwrap()).items,
        std::slice::from_ref(&anns)
    );
    let patch = with_body(
        with_id(request("PATCH", "/todos/{id}", Some(&root)), &anns.id),
        json!({ "done": true }),
    );
    let changed: Todo = body(&call(&c, &topics::TODO_UPDATE, &patch).await.unwrap());
    assert_eq!((changed.owner.as_str(), changed.done), ("ann", true));
    let roots: TodoPage = body(
        &call(
            &c,
            &topics::TODO_LIST,
            &request("GET", "/todos", Some(&root)),
        )
        .await
        .unwrap(),
    );
    assert!(
        roots.items.is_empty(),
        "an administrator's own list is their own"
    );
    let delete = with_id(request("DELETE", "/todos/{id}", Some(&root)), &anns.id);
    assert_eq!(
        call(&c, &topics::TODO_DELETE, &delete)
            .await
            .unwrap()
            .status,
        204
    );
    unit.stop().await;
}
#[tokio::test]
async fn todos_survive_a_restart_of_the_unit() {
    let broker = TestBroker::embedded();
    let (unit, c) = start(&broker, None).await;
    let t = create(&c, &user("ann"), "persist").await;
    let dir = unit.stop().await;
    let (unit, c) = start(&broker, Some(dir)).await;
    let get = with_id(request("GET", "/todos/{id}", Some(&user("ann"))), &t.id);
    assert_eq!(
        body::<Todo>(&call(&c, &topics::TODO_GET, &get).await.unwrap()),
        t
    );
    unit.stop().await;
}
