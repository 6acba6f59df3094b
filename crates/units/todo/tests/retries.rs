//! Retried requests and change events over MQTT: the same request (by MQTT request id, or by
//! `Idempotency-Key`) answered again and never applied twice, and each commit announced once,
//! to its owner only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::{topics, Todo, TodoChanged, TodoOp, TodoPage};
use modt::{QoS, RequestOptions};
use modt_testkit::{recv_within, TestBroker};
use serde_json::json;
use support::*;

const WAIT: Duration = Duration::from_secs(10);

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
    // The same request id and body from another caller is not a retry of ann's: it never
    // gets ann's todo back.
    let bobs_copy = with_body(
        request("POST", "/todos", Some(&user("bob"))),
        json!({ "title": "once" }),
    );
    if let Ok(reply) = call_with(&c, &topics::TODO_CREATE, &bobs_copy, once()).await {
        assert_ne!(body::<Todo>(&reply).id, body::<Todo>(&first).id);
    }

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
