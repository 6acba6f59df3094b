//! `GET /todos` over MQTT, as the gateway calls it: cursor pages in every order, filtered by
//! `done`, walked while todos are added between pages (nothing twice, nothing skipped), and a
//! cursor of one order refused by another.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;

use modt::protocol::todo::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use modt::protocol::{topics, Todo, TodoPage};
use modt_testkit::TestBroker;
use serde_json::json;
use support::*;

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
