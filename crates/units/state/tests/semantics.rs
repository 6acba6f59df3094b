//! The store's promises: the original's database is served, versions and `if_version`,
//! TTL expiry, limits with clear errors, concurrent writers, and change events.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use modt::protocol::*;
use modt::{MqttVersion, QoS};
use modt_testkit::{recv_within, wait_until, TestBroker};
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_written_by_the_original_is_opened_and_served() {
    let broker = TestBroker::embedded();
    let dir = tempfile::tempdir().unwrap();
    {
        // Exactly what the original db-unit executes (init_db and its INSERT OR REPLACE), with
        // values stored as it stored them: json.dumps for containers, str() for the rest.
        let conn = rusqlite::Connection::open(dir.path().join("modt_state.db")).unwrap();
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS states (
                user_id TEXT, key TEXT, value TEXT,
                updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                PRIMARY KEY (user_id, key))",
        )
        .unwrap();
        for (k, v) in [
            ("n", "5"),
            ("word", "hello"),
            ("flag", "True"),
            ("obj", r#"{"a": [1, 2]}"#),
            ("none", "None"),
        ] {
            conn.execute(
                "INSERT OR REPLACE INTO states (user_id, key, value, updated_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
                rusqlite::params!["py-user", k, v],
            )
            .unwrap();
        }
    }
    let (state, c) = support::start(&broker, MqttVersion::V5, Some(dir)).await;
    let all: StateAllValue = c
        .request_json(
            &topics::STATE_ALL_GET,
            &StateAllGet::new("py-user"),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    // Served as the original served them ("json.loads, else the raw string").
    assert_eq!(
        Value::Object(all.data),
        json!({"flag": "True", "n": 5, "none": "None", "obj": {"a": [1, 2]}, "word": "hello"})
    );
    assert_eq!(all.meta.unwrap()["n"].version, 1);
    // Writing to an old row continues its history.
    let ack: StateAck = support::ack(&c, &StateSet::new("py-user", "n", json!(6))).await;
    assert_eq!(ack.version, Some(2));
    c.shutdown().await;
    let dir = state.stop().await;

    // The upgraded file still takes the original's statements.
    let conn = rusqlite::Connection::open(dir.path().join("modt_state.db")).unwrap();
    conn.execute(
        "INSERT OR REPLACE INTO states (user_id, key, value, updated_at) VALUES ('py-user', 'late', 'x', CURRENT_TIMESTAMP)",
        [],
    )
    .unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM states WHERE user_id = 'py-user'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_version_conflicts_are_errors_and_change_nothing() {
    let broker = TestBroker::embedded();
    let (state, c) = support::start(&broker, MqttVersion::V311, None).await;
    let mut set = StateSet::new("u", "k", json!("first"));
    set.if_version = Some(0);
    support::ack(&c, &set).await;
    set.value = json!("second");
    let err = c
        .request_json::<_, StateAck>(&topics::STATE_SET, &set, modt::RequestOptions::new())
        .await
        .unwrap_err();
    match err.error_reply() {
        Some(body) => {
            assert_eq!(body.code, ErrorCode::Conflict);
            assert!(
                body.message.contains("expected version 0, found 1"),
                "{}",
                body.message
            );
        }
        other => panic!("{other:?}"),
    }
    let mut del = StateDelete::new("u", "k");
    del.if_version = Some(7);
    let err = c
        .request_json::<_, StateAck>(&topics::STATE_DELETE, &del, modt::RequestOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    // A bulk set with one stale entry writes none of its entries.
    let bulk = StateBulkSet {
        timestamp: None,
        user_id: "u".into(),
        entries: vec![
            BulkEntry {
                key: "fresh".into(),
                value: json!(1),
                if_version: None,
                ttl_secs: None,
            },
            BulkEntry {
                key: "k".into(),
                value: json!("x"),
                if_version: Some(5),
                ttl_secs: None,
            },
        ],
        correlation: Correlation::NONE,
    };
    assert_eq!(
        c.request_json::<_, StateAck>(&topics::STATE_BULK_SET, &bulk, modt::RequestOptions::new())
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Conflict
    );
    let v: StateValue = support::value(&c, &StateGet::new("u", "k")).await;
    assert_eq!((v.value, v.version), (json!("first"), Some(1)));
    let v: StateValue = support::value(&c, &StateGet::new("u", "fresh")).await;
    assert_eq!(v.status, ValueStatus::NotFound);
    c.shutdown().await;
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_with_a_ttl_vanish_from_get_keys_and_all() {
    let broker = TestBroker::embedded();
    let (state, c) = support::start(&broker, MqttVersion::V5, None).await;
    let mut set = StateSet::new("ttl", "brief", json!("soon gone"));
    set.ttl_secs = Some(1);
    support::ack(&c, &set).await;
    support::ack(&c, &StateSet::new("ttl", "stays", json!(1))).await;
    let v: StateValue = support::value(&c, &StateGet::new("ttl", "brief")).await;
    assert_eq!(v.status, ValueStatus::Valid);
    wait_until(Duration::from_secs(5), "the key to expire", || {
        let c = c.clone();
        async move {
            let v: StateValue = support::value(&c, &StateGet::new("ttl", "brief")).await;
            v.status == ValueStatus::NotFound
        }
    })
    .await;
    let l: StateKeysList = c
        .request_json(
            &topics::STATE_KEYS_QUERY,
            &StateKeysQuery::new("ttl"),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(l.keys, ["stays"]);
    let a: StateAllValue = c
        .request_json(
            &topics::STATE_ALL_GET,
            &StateAllGet::new("ttl"),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(Value::Object(a.data), json!({"stays": 1}));
    // Setting it again starts it afresh (no if_version conflict against the expired row).
    let mut again = StateSet::new("ttl", "brief", json!("back"));
    again.if_version = Some(0);
    support::ack(&c, &again).await;
    c.shutdown().await;
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_give_clear_errors_and_bad_payloads_are_dead_lettered() {
    let broker = TestBroker::embedded();
    let (state, c) = support::start(&broker, MqttVersion::V5, None).await;
    let dlq = topics::dead_letter(&state.unit_id).unwrap();
    let mut dead = c
        .subscribe(&dlq.to_filter(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let cases: Vec<(StateSet, &str)> = vec![
        (
            StateSet::new("u", "k".repeat(257), json!(1)),
            "key is 257 bytes; the limit is 256",
        ),
        (
            StateSet::new("u".repeat(129), "k", json!(1)),
            "user_id is 129 bytes; the limit is 128",
        ),
        (
            StateSet::new("u", "k", json!("v".repeat(256 * 1024))),
            "the limit is 262144",
        ),
    ];
    for (set, want) in cases {
        let err = c
            .request_json::<_, StateAck>(&topics::STATE_SET, &set, modt::RequestOptions::new())
            .await
            .unwrap_err();
        match err.error_reply() {
            Some(body) => {
                assert_eq!(body.code, ErrorCode::TooLarge);
                assert!(body.message.contains(want), "{} vs {want}", body.message);
            }
            other => panic!("{other:?}"),
        }
        let dl: DeadLetter = recv_within(&mut dead, T, "dead letter")
            .await
            .json()
            .unwrap();
        assert_eq!(dl.code, ErrorCode::TooLarge);
    }
    // Exactly at the limits is fine.
    support::ack(
        &c,
        &StateSet::new(
            "u".repeat(128),
            "k".repeat(256),
            json!("v".repeat(256 * 1024 - 2)),
        ),
    )
    .await;
    // Missing field, legacy style (no reply possible): dead-lettered, nothing written.
    c.publish(modt::Outgoing::new(
        topics::STATE_SET,
        br#"{"user_id": "u", "value": 1}"#.to_vec(),
    ))
    .await
    .unwrap();
    let dl: DeadLetter = recv_within(&mut dead, T, "dead letter")
        .await
        .json()
        .unwrap();
    assert!(dl.reason.contains("missing field `key`"), "{}", dl.reason);
    let l: StateKeysList = c
        .request_json(
            &topics::STATE_KEYS_QUERY,
            &StateKeysQuery::new("u"),
            modt::RequestOptions::new(),
        )
        .await
        .unwrap();
    assert!(l.keys.is_empty(), "{:?}", l.keys);
    // Bulk without reply_to is refused rather than dropped.
    c.publish_json(
        &topics::STATE_BULK_GET,
        &json!({"user_id": "u", "keys": ["a"]}),
    )
    .await
    .unwrap();
    let dl: DeadLetter = recv_within(&mut dead, T, "dead letter")
        .await
        .json()
        .unwrap();
    assert!(dl.reason.contains("reply_to"), "{}", dl.reason);
    c.shutdown().await;
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_to_one_key_lose_nothing() {
    let broker = TestBroker::embedded();
    let (state, c) = support::start(&broker, MqttVersion::V5, None).await;
    // Blind writes from 4 clients: every write gets its own version.
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(
            modt::Client::connect(broker.client_config("w", MqttVersion::V5))
                .await
                .unwrap(),
        );
    }
    let writes = clients.iter().enumerate().flat_map(|(w, cl)| {
        (0..25).map(move |i| {
            let cl = cl.clone();
            async move {
                let ack: StateAck =
                    support::ack(&cl, &StateSet::new("shared", "k", json!({"w": w, "i": i}))).await;
                ack.version.unwrap()
            }
        })
    });
    let mut versions = futures::future::join_all(writes).await;
    versions.sort_unstable();
    assert_eq!(
        versions,
        (1..=100).collect::<Vec<u64>>(),
        "100 writes, 100 distinct versions"
    );

    // Read-modify-write with if_version: a counter incremented 40 times by 4 clients ends at 40.
    support::ack(&c, &StateSet::new("shared", "counter", json!(0))).await;
    let increments = clients.iter().map(|cl| {
        let cl = cl.clone();
        async move {
            let mut done = 0;
            while done < 10 {
                let v: StateValue = support::value(&cl, &StateGet::new("shared", "counter")).await;
                let mut set =
                    StateSet::new("shared", "counter", json!(v.value.as_i64().unwrap() + 1));
                set.if_version = v.version;
                match cl
                    .request_json::<_, StateAck>(
                        &topics::STATE_SET,
                        &set,
                        modt::RequestOptions::new(),
                    )
                    .await
                {
                    Ok(_) => done += 1,
                    Err(e) => assert_eq!(e.code(), ErrorCode::Conflict),
                }
            }
        }
    });
    futures::future::join_all(increments).await;
    let v: StateValue = support::value(&c, &StateGet::new("shared", "counter")).await;
    assert_eq!(v.value, json!(40));
    for cl in clients {
        cl.shutdown().await;
    }
    c.shutdown().await;
    state.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_changes_are_announced_per_user() {
    let broker = TestBroker::embedded();
    let (state, c) = support::start(&broker, MqttVersion::V5, None).await;
    let mut events = c
        .subscribe(
            &topics::state_changed("a/b").unwrap().to_filter(),
            QoS::AtLeastOnce,
        )
        .await
        .unwrap();
    support::ack(&c, &StateSet::new("a/b", "k", json!([1]))).await;
    c.request_json::<_, StateAck>(
        &topics::STATE_DELETE,
        &StateDelete::new("a/b", "k"),
        modt::RequestOptions::new(),
    )
    .await
    .unwrap();
    c.request_json::<_, StateAck>(
        &topics::STATE_CLEAR,
        &StateClear::new("a/b"),
        modt::RequestOptions::new(),
    )
    .await
    .unwrap();
    let e: StateChanged = recv_within(&mut events, T, "set event")
        .await
        .json()
        .unwrap();
    assert_eq!(
        (e.op, e.key.as_deref(), e.value, e.version),
        (ChangeOp::Set, Some("k"), Some(json!([1])), Some(1))
    );
    let e: StateChanged = recv_within(&mut events, T, "delete event")
        .await
        .json()
        .unwrap();
    assert_eq!((e.op, e.version), (ChangeOp::Delete, Some(1)));
    let e: StateChanged = recv_within(&mut events, T, "clear event")
        .await
        .json()
        .unwrap();
    assert_eq!((e.op, e.user_id.as_str()), (ChangeOp::Clear, "a/b"));
    c.shutdown().await;
    state.stop().await;
}

/// A reply that would not fit one MQTT packet (1 MiB) is refused with a clear error that says
/// what to do instead; the unit and its connection carry on, and the smaller questions work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_over_the_packet_limit_get_a_too_large_error_with_a_way_out() {
    let broker = TestBroker::embedded();
    let (state, c) = support::start(&broker, MqttVersion::V5, None).await;
    // 4,200 keys of 255 bytes: a keys list of about 1.1 MB.
    for chunk in 0..5 {
        let entries = (0..840)
            .map(|i| BulkEntry {
                key: format!("{chunk}{i:0>254}"),
                value: json!(i),
                if_version: None,
                ttl_secs: None,
            })
            .collect();
        let set = StateBulkSet {
            timestamp: None,
            user_id: "many".into(),
            entries,
            correlation: Correlation::NONE,
        };
        let _: StateAck = c
            .request_json(&topics::STATE_BULK_SET, &set, modt::RequestOptions::new())
            .await
            .unwrap();
    }
    for (topic, query) in [
        (topics::STATE_KEYS_QUERY, json!({"user_id": "many"})),
        (topics::STATE_ALL_GET, json!({"user_id": "many"})),
    ] {
        let err = c
            .request_json::<_, Value>(&topic, &query, modt::RequestOptions::new())
            .await
            .unwrap_err();
        match err.error_reply() {
            Some(body) => {
                assert_eq!(body.code, ErrorCode::TooLarge, "{topic}");
                assert!(body.message.contains("packet limit"), "{}", body.message);
                assert!(body.message.contains("prefix"), "{}", body.message);
            }
            other => panic!("{topic}: {other:?}"),
        }
    }
    // The way out works: one prefix at a time.
    let mut total = 0;
    for chunk in 0..5 {
        let mut q = StateKeysQuery::new("many");
        q.prefix = Some(chunk.to_string());
        let list: StateKeysList = c
            .request_json(&topics::STATE_KEYS_QUERY, &q, modt::RequestOptions::new())
            .await
            .unwrap();
        total += list.keys.len();
    }
    assert_eq!(total, 4200);
    c.shutdown().await;
    state.stop().await;
}

/// The database and the WAL SQLite writes beside it are the owner's alone.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let broker = TestBroker::embedded();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let (state, c) = support::start(&broker, MqttVersion::V5, Some(dir)).await;
    support::ack(&c, &StateSet::new("u1", "k", json!(1))).await;
    for file in ["modt_state.db", "modt_state.db-wal"] {
        let mode = std::fs::metadata(path.join(file))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{file}");
    }
    c.shutdown().await;
    state.stop().await;
}
