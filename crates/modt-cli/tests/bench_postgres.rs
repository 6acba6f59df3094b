//! `modt bench state --database-url postgres://…`: the state benchmark runs the in-process
//! unit on SQLite and then on PostgreSQL (the test kit's throw-away cluster), verifies both,
//! and drops the schema it used. Skipped with a reason without PostgreSQL, unless
//! `MODT_REQUIRE_POSTGRES=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::bench::{assert_mentions, assert_schemas_dropped, report};

#[tokio::test]
async fn the_state_benchmark_runs_on_sqlite_and_postgres_in_one_run() {
    let Some(db) = modt_testkit::postgres::test_database().await else {
        return;
    };
    let text = report(&[
        "bench",
        "state",
        "--embedded",
        "--gets",
        "20",
        "--sets",
        "500",
        "--acked",
        "200",
        "--database-url",
        &db.url,
        "--log",
        "warn",
    ])
    .await;
    assert_mentions(
        &text,
        &[
            "== state unit on SQLite",
            "in-process (SQLite, WAL, synchronous=FULL)",
            "== state unit on PostgreSQL",
            "synchronous_commit=on",
        ],
    );
    assert_eq!(
        text.matches("read back s499 ok, 500 keys listed").count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.matches("acked sets (window 256): 200 in").count(),
        2,
        "{text}"
    );
    assert_schemas_dropped(&db.url).await;
}
