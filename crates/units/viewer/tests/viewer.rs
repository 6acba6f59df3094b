//! The viewer against a real state unit, identify unit and broker: edits are acknowledged
//! and visible, bad input is explained, access is enforced, forms need their CSRF token,
//! outages are pages not hangs, and changes from elsewhere are pushed live.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::protocol::{topics, StateSet};
use modt_identify::Role;
use serde_json::json;
use support::system::{cell, read_until, system, user, WAIT};

#[tokio::test]
async fn add_update_delete_and_clear_are_acknowledged_and_shown() {
    let sys = system().await;
    let (b, user_id) = user(&sys, "olga", Role::User).await;
    let (status, html) = b.get("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("No keys yet"), "{html}");
    assert!(clear_hidden(&html), "no keys, nothing to delete: {html}");
    let t = b.csrf().await;

    let (status, loc, _) = b
        .post(
            "/set",
            &[
                ("csrf_token", &t),
                ("user", ""),
                ("key", "theme"),
                ("value", "dark mode"),
            ],
        )
        .await;
    assert_eq!((status, loc.as_str()), (303, "/?saved=theme"));
    b.post(
        "/set",
        &[
            ("csrf_token", &t),
            ("user", ""),
            ("key", "size"),
            ("value", "5"),
        ],
    )
    .await;
    b.post(
        "/set",
        &[
            ("csrf_token", &t),
            ("user", ""),
            ("key", "zip"),
            ("value", "5"),
            ("as_text", "1"),
        ],
    )
    .await;
    b.post(
        "/set",
        &[
            ("csrf_token", &t),
            ("user", ""),
            ("key", "obj"),
            ("value", r#"{"a": [1, true]}"#),
        ],
    )
    .await;
    let (_, html) = b.get("/?saved=obj").await;
    assert!(html.contains("Saved obj"), "{html}");
    assert!(!clear_hidden(&html), "keys to delete: {html}");
    assert_eq!(
        cell(&html, "theme").as_deref(),
        Some("&quot;dark mode&quot;")
    );
    assert_eq!(cell(&html, "size").as_deref(), Some("5"));
    assert_eq!(cell(&html, "zip").as_deref(), Some("&quot;5&quot;"));
    assert!(cell(&html, "obj").unwrap().contains("&quot;a&quot;: ["));

    // The types reached the state unit as typed JSON.
    let value: modt::protocol::StateValue = sys
        .client
        .request_json(
            &topics::STATE_GET,
            &modt::protocol::StateGet::new(&user_id, "size"),
            modt::RequestOptions::new().timeout(WAIT),
        )
        .await
        .unwrap();
    assert_eq!(value.value, json!(5));

    // Update: version 2, and the editor opens with the current value.
    b.post(
        "/set",
        &[
            ("csrf_token", &t),
            ("user", ""),
            ("key", "size"),
            ("value", "6"),
        ],
    )
    .await;
    let (_, html) = b.get("/?edit=size").await;
    assert_eq!(cell(&html, "size").as_deref(), Some("6"));
    assert!(html.contains(">6</textarea>"), "{html}");

    let (status, loc, _) = b
        .post(
            "/delete",
            &[("csrf_token", &t), ("user", ""), ("key", "theme")],
        )
        .await;
    assert_eq!((status, loc.as_str()), (303, "/?deleted=theme"));
    assert_eq!(cell(&b.get("/").await.1, "theme"), None);

    // Clear asks first …
    let (status, _, html) = b.post("/clear", &[("csrf_token", &t), ("user", "")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("Delete all keys?"), "{html}");
    assert!(
        cell(&b.get("/").await.1, "size").is_some(),
        "nothing deleted yet"
    );
    // … then deletes everything.
    let (status, loc, _) = b
        .post(
            "/clear",
            &[("csrf_token", &t), ("user", ""), ("confirm", "yes")],
        )
        .await;
    assert_eq!((status, loc.as_str()), (303, "/?cleared=1"));
    let html = b.get("/").await.1;
    assert!(
        html.contains("No keys yet") && clear_hidden(&html),
        "{html}"
    );
}

/// Whether the page's "Delete all keys" form is hidden.
fn clear_hidden(html: &str) -> bool {
    let (_, after) = html
        .split_once(r#"data-testid="clear-all""#)
        .expect("the page has the clear form");
    let tag = &after[..after.find('>').expect("the form tag ends")];
    tag.contains("hidden")
}

#[tokio::test]
async fn bad_json_is_explained_and_nothing_is_stored() {
    let sys = system().await;
    let (b, _) = user(&sys, "pablo", Role::User).await;
    let t = b.csrf().await;
    let (status, _, html) = b
        .post(
            "/set",
            &[
                ("csrf_token", &t),
                ("user", ""),
                ("key", "k"),
                ("value", r#"{"a": }"#),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        html.contains("This looks like JSON but is not valid (line 1, column 7)"),
        "{html}"
    );
    assert!(
        html.contains("&quot;a&quot;: }</textarea>"),
        "the input is kept: {html}"
    );
    let (status, _, html) = b
        .post(
            "/set",
            &[
                ("csrf_token", &t),
                ("user", ""),
                ("key", ""),
                ("value", "1"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert!(html.contains("Please enter a key"));
    let long = "k".repeat(300);
    let (status, _, html) = b
        .post(
            "/set",
            &[
                ("csrf_token", &t),
                ("user", ""),
                ("key", &long),
                ("value", "1"),
            ],
        )
        .await;
    assert_eq!(status, 400, "the state unit's key limit, explained");
    assert!(html.contains("256"), "{html}");
    assert!(b.get("/").await.1.contains("No keys yet"));
}

#[tokio::test]
async fn forms_need_their_token_and_users_only_see_their_own_keys() {
    let sys = system().await;
    let (alice, alice_id) = user(&sys, "alice", Role::User).await;
    let (bob, _) = user(&sys, "bob", Role::User).await;
    let (admin, _) = user(&sys, "root", Role::Admin).await;
    let t = alice.csrf().await;
    alice
        .post(
            "/set",
            &[
                ("csrf_token", &t),
                ("user", ""),
                ("key", "secret"),
                ("value", "1"),
            ],
        )
        .await;

    // No token, a wrong token, another site: refused, nothing changed.
    let (status, _, _) = alice
        .post("/set", &[("user", ""), ("key", "x"), ("value", "1")])
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = alice
        .post(
            "/delete",
            &[
                ("csrf_token", &"0".repeat(64)),
                ("user", ""),
                ("key", "secret"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    let cross = alice
        .http
        .post(format!("{}/clear", alice.base))
        .header("origin", "http://evil.example")
        .form(&[("csrf_token", t.as_str()), ("user", ""), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert!(cell(&alice.get("/").await.1, "secret").is_some());

    // Bob may not open Alice's keys, nor write them.
    let (status, html) = bob.get(&format!("/?user={alice_id}")).await;
    assert_eq!(status, 403);
    assert!(html.contains("Only administrators"), "{html}");
    let bt = bob.csrf().await;
    let (status, _, _) = bob
        .post(
            "/set",
            &[
                ("csrf_token", &bt),
                ("user", &alice_id),
                ("key", "secret"),
                ("value", "2"),
            ],
        )
        .await;
    assert_eq!(status, 403);

    // An admin may.
    let (status, html) = admin.get(&format!("/?user={alice_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(cell(&html, "secret").as_deref(), Some("1"));
}

#[tokio::test]
async fn outages_and_strangers_get_clear_pages() {
    let mut sys = system().await;
    let anon = reqwest::Client::new()
        .get(format!("{}/", sys.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
    let html = anon.text().await.unwrap();
    assert!(html.contains("Please log in"), "{html}");
    assert!(
        html.contains(&format!("{}/login", sys.identify_url).replace('/', "&#x2f;")),
        "{html}"
    );

    let (b, _) = user(&sys, "quinn", Role::User).await;
    sys.state.take().unwrap().stop().await.unwrap();
    let (status, html) = b.get("/").await;
    assert_eq!(status, 503);
    assert!(html.contains("The state unit is not answering"), "{html}");
}

#[tokio::test]
async fn changes_from_elsewhere_are_pushed_live() {
    let sys = system().await;
    let (b, user_id) = user(&sys, "rosa", Role::User).await;
    let (_, other_id) = user(&sys, "sam", Role::User).await;
    let res = b.open("/events").await;
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut events = res.bytes_stream();
    // Another user's change is not announced on Rosa's page; hers is.
    for (uid, key) in [(&other_id, "elsewhere"), (&user_id, "from-cli")] {
        let set = StateSet::new(uid.as_str(), key, json!("x"));
        let _: modt::protocol::StateAck = sys
            .client
            .request_json(
                &topics::STATE_SET,
                &set,
                modt::RequestOptions::new().timeout(WAIT),
            )
            .await
            .unwrap();
    }
    let mut seen = String::new();
    read_until(&mut events, &mut seen, "event: change").await;
    assert!(seen.contains("data: set"), "{seen}");
    let (_, table) = b.get("/table").await;
    assert!(
        table.contains("from-cli") && !table.contains("elsewhere"),
        "{table}"
    );
}
