//! `modt bench state --replicas 2 --database-url postgres://…` runs end to end on small
//! numbers (acked sets with one and two replicas, then the fail-over after a kill), says what
//! it measured, and drops its schema. Skipped with a reason without PostgreSQL, unless
//! `MODT_REQUIRE_POSTGRES=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[tokio::test]
async fn the_replica_benchmark_runs_and_cleans_up() {
    let Some(db) = modt_testkit::postgres::test_database().await else {
        return;
    };
    let url = db.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        support::run_ok(&[
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
            &url,
            "--log",
            "warn",
        ])
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for expected in [
        "== state replicas on PostgreSQL",
        "replicas 1: 300 acked sets in",
        "replicas 2: 300 acked sets in",
        "fail-over: 2 replicas, one killed after 100 of 300 acked sets",
        "all acked once",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let refused = support::run(&["bench", "state", "--embedded", "--replicas", "2"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--database-url postgres://"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let left: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'modt_bench_%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the benchmark's schema is dropped");
}
