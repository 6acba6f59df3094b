//! Editing as people meet it: a save that ran into a change made elsewhere shows both values
//! and overwrites nothing unseen; long values are folded; a body past the limit is a styled
//! page; the event stream says when the state unit is gone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::protocol::{topics, StateAck, StateSet};
use modt_identify::Role;
use serde_json::{json, Value};
use support::system::{cell, read_until, system, user, System, WAIT};

/// Sets `key` of `user_id` the way another client would (the CLI, an app).
async fn set_elsewhere(sys: &System, user_id: &str, key: &str, value: Value) -> u64 {
    let set = StateSet::new(user_id, key, value);
    let ack: StateAck = sys
        .client
        .request_json(
            &topics::STATE_SET,
            &set,
            modt::RequestOptions::new().timeout(WAIT),
        )
        .await
        .unwrap();
    ack.version.unwrap()
}

/// The value of hidden field `name` in `html` (the first one).
fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))? + name.len() + 15;
    let end = html[at..].find('"')? + at;
    Some(html[at..end].to_string())
}

#[tokio::test]
async fn a_save_after_a_change_elsewhere_shows_both_values_and_keeps_the_input() {
    let sys = system().await;
    let (b, user_id) = user(&sys, "tess", Role::User).await;
    set_elsewhere(&sys, &user_id, "theme", json!("light")).await;

    // Tess opens the editor on `theme` at version 1…
    let (_, html) = b.get("/?edit=theme").await;
    assert_eq!(hidden(&html, "opened_key").as_deref(), Some("theme"));
    assert_eq!(hidden(&html, "opened_version").as_deref(), Some("1"));
    let csrf = b.csrf().await;
    // …meanwhile it changes elsewhere…
    set_elsewhere(&sys, &user_id, "theme", json!("dark")).await;
    // …and her save does not overwrite it.
    let form = |value: &'static str, version: &'static str| {
        [
            ("csrf_token", csrf.clone()),
            ("user", String::new()),
            ("key", "theme".into()),
            ("value", value.into()),
            ("opened_key", "theme".into()),
            ("opened_version", version.into()),
        ]
    };
    let fields = form("solarized", "1");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = b.post("/set", &fields).await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("data-testid=\"conflict\""), "{html}");
    assert!(
        html.contains("&quot;dark&quot;"),
        "the stored value: {html}"
    );
    assert!(html.contains(">solarized</pre>"), "hers: {html}");
    assert!(
        html.contains(">solarized</textarea>"),
        "her input is kept: {html}"
    );
    assert_eq!(
        hidden(&html, "opened_version").as_deref(),
        Some("2"),
        "saving again names what is stored now"
    );
    assert_eq!(
        cell(&b.get("/").await.1, "theme").unwrap(),
        "&quot;dark&quot;"
    );

    // "Save mine over it" replaces what she has now seen.
    let fields = form("solarized", "2");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location, _) = b.post("/set", &fields).await;
    assert_eq!(status, 303);
    assert!(location.contains("saved=theme"), "{location}");
    assert_eq!(
        cell(&b.get("/").await.1, "theme").unwrap(),
        "&quot;solarized&quot;"
    );

    // A key renamed in the editor is a new write: the old version does not apply to it.
    let mut fields = form("x", "1");
    fields[2].1 = "other".into();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post("/set", &fields).await.0, 303);
}

#[tokio::test]
async fn a_deleted_key_and_a_stale_delete_are_conflicts_too() {
    let sys = system().await;
    let (b, user_id) = user(&sys, "ugo", Role::User).await;
    set_elsewhere(&sys, &user_id, "k", json!(1)).await;
    let csrf = b.csrf().await;
    set_elsewhere(&sys, &user_id, "k", json!(2)).await;
    let (status, _, html) = b
        .post(
            "/delete",
            &[
                ("csrf_token", &csrf),
                ("user", ""),
                ("key", "k"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("was changed elsewhere"), "{html}");
    assert_eq!(cell(&b.get("/").await.1, "k").unwrap(), "2", "not deleted");

    // Deleted elsewhere while the editor was open: the page says so.
    sys.client
        .request_json::<_, StateAck>(
            &topics::STATE_DELETE,
            &modt::protocol::StateDelete::new(user_id.as_str(), "k"),
            modt::RequestOptions::new().timeout(WAIT),
        )
        .await
        .unwrap();
    let (status, _, html) = b
        .post(
            "/set",
            &[
                ("csrf_token", &csrf),
                ("user", ""),
                ("key", "k"),
                ("value", "3"),
                ("opened_key", "k"),
                ("opened_version", "2"),
            ],
        )
        .await;
    assert_eq!(status, 409);
    assert!(html.contains("It was deleted meanwhile"), "{html}");
    assert_eq!(hidden(&html, "opened_version").as_deref(), Some("0"));
}

#[tokio::test]
async fn long_values_are_folded_and_oversized_forms_get_a_page() {
    let sys = system().await;
    let (b, user_id) = user(&sys, "vera", Role::User).await;
    let long = "x".repeat(100 * 1024);
    set_elsewhere(&sys, &user_id, "big", json!(long)).await;
    set_elsewhere(&sys, &user_id, "small", json!("s")).await;
    let (_, html) = b.get("/").await;
    let big = html.find("data-key=\"big\"").unwrap();
    let small = html.find("data-key=\"small\"").unwrap();
    assert!(html[big..small].contains("<details data-testid=\"folded\">"));
    assert!(html[big..small].contains("Show all (102402 bytes)"));
    assert!(!html[small..].contains("<details"));

    // 2 MB: refused before any state call, as a page in the visitor's language.
    let csrf = b.csrf().await;
    let huge = "y".repeat(2 * 1024 * 1024);
    let res = b
        .http
        .post(format!("{}/set?lang=ja", b.base))
        .header("origin", &b.base)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("user", ""),
            ("key", "huge"),
            ("value", &huge),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = res.text().await.unwrap();
    assert!(page.contains("data-testid=\"too-large\""), "{page}");
    assert!(page.contains("送信された内容が大きすぎます"), "{page}");
    assert!(!b.get("/").await.1.contains("data-key=\"huge\""));

    // The page checks the size before sending, with the state unit's limit.
    assert!(b.get("/").await.1.contains(&format!(
        "data-max-bytes=\"{}\"",
        modt_state::limits::MAX_VALUE_BYTES
    )));
}

#[tokio::test]
async fn the_event_stream_says_when_the_state_unit_is_gone() {
    let mut sys = system().await;
    let (b, _) = user(&sys, "wen", Role::User).await;
    let res = b.open("/events").await;
    let mut events = res.bytes_stream();
    let mut seen = String::new();
    read_until(&mut events, &mut seen, "event: status\ndata: live").await;
    sys.state.take().unwrap().stop().await.unwrap();
    read_until(&mut events, &mut seen, "event: status\ndata: state").await;
}
