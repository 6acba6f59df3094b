//! `modt bench state --replicas 2 --database-url postgres://…` runs end to end on small
//! numbers (acked sets with one and two replicas, then the fail-over after a kill), says what
//! it measured, and drops its schema. Skipped with a reason without PostgreSQL, unless
//! `MODT_REQUIRE_POSTGRES=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::bench::{assert_mentions, assert_schemas_dropped, report};

#[tokio::test]
async fn the_replica_benchmark_runs_and_cleans_up() {
    let Some(db) = modt_testkit::postgres::test_database().await else {
        return;
    };
    let text = report(&[
        "bench",
        "state",
        "--embedded",
        "--replicas",
        "2",
        "--acked",
        "300",
        "--window",
        "32",
        "--database-url",
        &db.url,
        "--log",
        "warn",
    ])
    .await;
    assert_mentions(
        &text,
        &[
            "== state replicas on PostgreSQL",
            "replicas 1: 300 acked sets in",
            "replicas 2: 300 acked sets in",
            "fail-over: 2 replicas, one killed after 100 of 300 acked sets",
            "all acked once",
        ],
    );
    let refused = support::run(&["bench", "state", "--embedded", "--replicas", "2"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--database-url postgres://"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_schemas_dropped(&db.url).await;
}
