//! The todo unit over MQTT, as the gateway calls it: `ApiRequest`s with a verified caller on
//! `modt/todo/*`, answered with `ApiReply`s or error replies, through the embedded broker,
//! with the data in a real SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;
use std::time::Duration;

use modt::protocol::todo::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_TITLE_CHARS};
use modt::protocol::{topics, ErrorCode, Todo, TodoChanged, TodoOp, TodoPage};
use modt::{QoS, RequestOptions};
use modt_testkit::{recv_within, TestBroker};
use serde_json::json;
use support::*;

const WAIT: Duration = Duration::from_secs(10);

async fn create(c: &modt::Client, who: &modt::protocol::Caller, title: &str) -> Todo {
    let req = with_body(
        request("POST", "/todos", Some(who)),
        json!({ "title": title }),
    );
    body(&call(c, &topics::TODO_CREATE, &req).await.unwrap())
}

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

/// Every page of `sort` (`done` filter optional), `limit` per page, creating a todo for
/// `ann` after each page.
async fn walk(c: &modt::Client, sort: &str, done: Option<&str>, limit: usize) -> Vec<Todo> {
    let ann = user("ann");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for n in 0.. {
        let mut req = with_query(
            with_query(request("GET", "/todos", Some(&ann)), "sort", sort),
            "limit",
            &limit.to_string(),
        );
        if let Some(d) = done {
            req = with_query(req, "done", d);
        }
        if let Some(cur) = &cursor {
            req = with_query(req, "cursor", cur);
        }
        let page: TodoPage = body(&call(c, &topics::TODO_LIST, &req).await.unwrap());
        assert!(page.items.len() <= limit);
        seen.extend(page.items);
        create(c, &ann, &format!("added between pages {n}")).await;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    seen
}

#[tokio::test]
async fn pages_cover_every_todo_once_while_todos_are_added_between_them() {
    let broker = TestBroker::embedded();
    let (unit, c) = start(&broker, None).await;
    let ann = user("ann");
    let mut originals = Vec::new();
    for i in 0..25 {
        let t = create(&c, &ann, &format!("todo {i:02}")).await;
        if i % 3 == 0 {
            let patch = with_body(
                with_id(request("PATCH", "/todos/{id}", Some(&ann)), &t.id),
                json!({ "done": true }),
            );
            call(&c, &topics::TODO_UPDATE, &patch).await.unwrap();
        }
        originals.push(t);
    }
    // The default page.
    let first: TodoPage = body(
        &call(
            &c,
            &topics::TODO_LIST,
            &request("GET", "/todos", Some(&ann)),
        )
        .await
        .unwrap(),
    );
    assert_eq!(first.items.len(), DEFAULT_PAGE_SIZE);
    assert!(first.next_cursor.is_some());
    assert_eq!(first.items[0].title, "todo 24", "newest first by default");

    for sort in [
        "created", "-created", "updated", "-updated", "title", "-title",
    ] {
        let seen = walk(&c, sort, None, 7).await;
        let ids: Vec<&String> = seen.iter().map(|t| &t.id).collect();
        assert_eq!(
            ids.iter().collect::<HashSet<_>>().len(),
            ids.len(),
            "{sort}: nothing twice"
        );
        for t in &originals {
            assert!(ids.contains(&&t.id), "{sort}: {} shown", t.title);
        }
        if sort == "title" {
            let originals_in_order: Vec<&str> = seen
                .iter()
                .map(|t| t.title.as_str())
                .filter(|t| t.starts_with("todo"))
                .collect();
            let mut sorted = originals_in_order.clone();
            sorted.sort();
            assert_eq!(originals_in_order, sorted);
        }
    }
    let done = walk(&c, "title", Some("true"), MAX_PAGE_SIZE).await;
    assert_eq!(done.len(), 9);
    assert!(done.iter().all(|t| t.done));

    // A cursor of one order is refused by another.
    let req = with_query(
        with_query(request("GET", "/todos", Some(&ann)), "sort", "title"),
        "limit",
        "1",
    );
    let page: TodoPage = body(&call(&c, &topics::TODO_LIST, &req).await.unwrap());
    let other = with_query(
        with_query(request("GET", "/todos", Some(&ann)), "sort", "created"),
        "cursor",
        &page.next_cursor.unwrap(),
    );
    assert_eq!(
        fields(&call(&c, &topics::TODO_LIST, &other).await.unwrap_err()),
        ["cursor"]
    );
    unit.stop().await;
}

#[tokio::test]
async fn a_retried_request_is_answered_again_and_never_applied_twice() {
    let broker = TestBroker::embedded();
    let (unit, c) = start(&broker, None).await;
    let ann = user("ann");
    let mut events = c
        .subscribe(&topics::ALL_TODO_CHANGED, QoS::AtMostOnce)
        .await
        .unwrap();

    // The same MQTT request (its id and reply topic) sent twice, as after a reconnect.
    let req = with_body(
        request("POST", "/todos", Some(&ann)),
        json!({ "title": "once" }),
    );
    let once = || RequestOptions::new().request_id("retry-1");
    let first = call_with(&c, &topics::TODO_CREATE, &req, once())
        .await
        .unwrap();
    let again = call_with(&c, &topics::TODO_CREATE, &req, once())
        .await
        .unwrap();
    assert_eq!(first, again, "the same answer, etag and location included");

    // The same Idempotency-Key on two distinct requests (a client's retry over HTTP).
    let keyed = with_header(
        with_body(
            request("POST", "/todos", Some(&ann)),
            json!({ "title": "keyed" }),
        ),
        "idempotency-key",
        "k-1",
    );
    let a = call(&c, &topics::TODO_CREATE, &keyed).await.unwrap();
    let b = call(&c, &topics::TODO_CREATE, &keyed).await.unwrap();
    assert_eq!(body::<Todo>(&a).id, body::<Todo>(&b).id);
    // Keys are per user: bob's k-1 is his own.
    let bobs = with_header(
        with_body(
            request("POST", "/todos", Some(&user("bob"))),
            json!({ "title": "keyed" }),
        ),
        "idempotency-key",
        "k-1",
    );
    assert_ne!(
        body::<Todo>(&call(&c, &topics::TODO_CREATE, &bobs).await.unwrap()).id,
        body::<Todo>(&a).id
    );
    // The key again with another body: refused, nothing created.
    let reused = with_body(keyed.clone(), json!({ "title": "something else" }));
    assert_eq!(
        fields(&call(&c, &topics::TODO_CREATE, &reused).await.unwrap_err()),
        ["idempotency-key"]
    );

    // A PATCH retried with its key applies once (version 2, not 3).
    let id = body::<Todo>(&a).id;
    let patch = with_header(
        with_body(
            with_id(request("PATCH", "/todos/{id}", Some(&ann)), &id),
            json!({ "done": true }),
        ),
        "idempotency-key",
        "k-2",
    );
    call(&c, &topics::TODO_UPDATE, &patch).await.unwrap();
    let again: Todo = body(&call(&c, &topics::TODO_UPDATE, &patch).await.unwrap());
    assert_eq!(again.version, 2);

    let page: TodoPage = body(
        &call(
            &c,
            &topics::TODO_LIST,
            &request("GET", "/todos", Some(&ann)),
        )
        .await
        .unwrap(),
    );
    assert_eq!(page.items.len(), 2, "two todos for ann: once, keyed");
    // One event per applied change: ann's two creations, bob's, ann's update.
    let mut ops = Vec::new();
    for _ in 0..4 {
        let e: TodoChanged = recv_within(&mut events, WAIT, "a change event")
            .await
            .json()
            .unwrap();
        ops.push((e.user_id, e.op));
    }
    assert_eq!(
        ops,
        [
            ("ann".into(), TodoOp::Created),
            ("ann".into(), TodoOp::Created),
            ("bob".into(), TodoOp::Created),
            ("ann".into(), TodoOp::Updated)
        ]
    );
    // Nothing more: replays announce nothing (a marker change proves the stream is current).
    create(&c, &user("zed"), "marker").await;
    let e: TodoChanged = recv_within(&mut events, WAIT, "the marker")
        .await
        .json()
        .unwrap();
    assert_eq!(e.user_id, "zed");
    unit.stop().await;
}

#[tokio::test]
async fn each_commit_is_announced_to_its_owner_only() {
    let broker = TestBroker::embedded();
    let (unit, c) = start(&broker, None).await;
    let ann = user("ann");
    let mut anns = c
        .subscribe(
            &topics::todo_changed("ann").unwrap().to_filter(),
            QoS::AtMostOnce,
        )
        .await
        .unwrap();
    let mut bobs = c
        .subscribe(
            &topics::todo_changed("bob").unwrap().to_filter(),
            QoS::AtMostOnce,
        )
        .await
        .unwrap();

    let t = create(&c, &ann, "watch me").await;
    let e: TodoChanged = recv_within(&mut anns, WAIT, "created")
        .await
        .json()
        .unwrap();
    assert_eq!(
        (e.op, e.id.as_str(), e.version, e.todo.as_ref()),
        (TodoOp::Created, t.id.as_str(), 1, Some(&t))
    );

    let patch = with_body(
        with_id(request("PATCH", "/todos/{id}", Some(&ann)), &t.id),
        json!({ "title": "watched" }),
    );
    call(&c, &topics::TODO_UPDATE, &patch).await.unwrap();
    let e: TodoChanged = recv_within(&mut anns, WAIT, "updated")
        .await
        .json()
        .unwrap();
    assert_eq!((e.op, e.version), (TodoOp::Updated, 2));
    assert_eq!(e.todo.unwrap().title, "watched");

    // A refused change announces nothing.
    let stale = with_header(patch.clone(), "if-match", "\"1\"");
    call(&c, &topics::TODO_UPDATE, &stale).await.unwrap_err();

    let delete = with_id(request("DELETE", "/todos/{id}", Some(&ann)), &t.id);
    call(&c, &topics::TODO_DELETE, &delete).await.unwrap();
    let e: TodoChanged = recv_within(&mut anns, WAIT, "deleted")
        .await
        .json()
        .unwrap();
    assert_eq!((e.op, e.version, e.todo), (TodoOp::Deleted, 2, None));

    create(&c, &user("bob"), "bob's").await;
    let e: TodoChanged = recv_within(&mut bobs, WAIT, "bob's").await.json().unwrap();
    assert_eq!(e.user_id, "bob");
    assert!(anns.try_recv().is_none(), "ann hears nothing of bob's");
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
