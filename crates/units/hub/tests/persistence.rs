//! Live values survive a restart on the same SQLite file; defaults come from YAML or JSON
//! files, and a bad file is refused with an error that names it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use modt::protocol::{hub_status, HubMethod};
use modt::{HubClient, MqttVersion};
use modt_hub::{Defaults, DefaultsError, Limits};
use modt_testkit::TestBroker;
use serde_json::json;
use support::legacy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_values_survive_a_restart_on_the_same_file() {
    let broker = TestBroker::embedded();
    let dir = tempfile::tempdir().unwrap();
    let defaults = support::defaults_file(&dir, "d.yaml", "color: red\n");
    let (hub, c) = support::start(&broker, MqttVersion::V5, Some(dir), defaults.clone()).await;
    let db = hub.db_path();
    let client = HubClient::new(&c, "viewer").await.unwrap();
    for (k, v) in [
        ("color", json!("blue")),
        ("n", json!(5)),
        ("s", json!("5")),
        ("o", json!({"a": [1]})),
    ] {
        let a = client.post(k, v.clone()).await.unwrap();
        assert_eq!((a.status, a.value), (hub_status::LIVE, v));
    }
    c.shutdown().await;
    let dir = hub.stop().await;

    let (hub, c) = support::start(&broker, MqttVersion::V5, Some(dir), defaults).await;
    assert_eq!(hub.db_path(), db);
    let client = HubClient::new(&c, "monitor").await.unwrap();
    for (k, v) in [
        ("color", json!("blue")),
        ("n", json!(5)),
        ("s", json!("5")),
        ("o", json!({"a": [1]})),
    ] {
        let a = client.get(k).await.unwrap();
        assert_eq!((a.status, a.value), (hub_status::LIVE, v), "{k}");
    }
    c.shutdown().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_come_from_yaml_and_from_json() {
    let broker = TestBroker::embedded();
    let files = [
        ("site.yaml", "# site\ntitle: MoDT\nport: 8080\nratio: 0.5\nbeta: false\nzero: \"0\"\nmenu: [home, about]\n"),
        ("site.yml", "title: MoDT\nport: 8080\nratio: 0.5\nbeta: false\nzero: \"0\"\nmenu:\n  - home\n  - about\n"),
        ("site.json", r#"{"title": "MoDT", "port": 8080, "ratio": 0.5, "beta": false, "zero": "0", "menu": ["home", "about"]}"#),
    ];
    for (name, text) in files {
        let dir = tempfile::tempdir().unwrap();
        let defaults = support::defaults_file(&dir, name, text);
        let (hub, c) = support::start(&broker, MqttVersion::V5, Some(dir), defaults).await;
        for (i, (k, v)) in [
            ("title", json!("MoDT")),
            ("port", json!(8080)),
            ("ratio", json!(0.5)),
            ("beta", json!(false)),
            ("zero", json!("0")),
            ("menu", json!(["home", "about"])),
        ]
        .into_iter()
        .enumerate()
        {
            let id = format!("{name}-{i}");
            let a = legacy(
                &c,
                "web",
                HubMethod::Get,
                &id,
                &json!({"id": id, "key": k}).to_string(),
            )
            .await;
            assert_eq!((a.status, a.value), (hub_status::DEFAULT, v), "{name}: {k}");
        }
        let a = legacy(
            &c,
            "web",
            HubMethod::Get,
            "none",
            r#"{"id": "none", "key": "other"}"#,
        )
        .await;
        assert_eq!(a.status, hub_status::NOT_FOUND, "{name}");
        c.shutdown().await;
        hub.stop().await;
    }
}

#[test]
fn a_bad_defaults_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases = [
        (write("broken.yaml", "a: [1, 2\n"), "not a YAML map"),
        (write("list.json", "[1]"), "not a JSON map"),
        (write("dup.yml", "a: 1\na: 2\n"), "duplicate key \"a\""),
        (write("null.json", r#"{"a": null}"#), "cannot be null"),
        (
            write("defaults.txt", "a: 1"),
            "must end in .yaml, .yml or .json",
        ),
        (dir.path().join("missing.yaml"), "cannot read"),
    ];
    for (path, why) in cases {
        let e: DefaultsError = Defaults::load(&path, &Limits::default()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(&path.display().to_string()),
            "{text} names {}",
            path.display()
        );
        assert!(text.contains(why), "{text} says {why}");
    }
}
