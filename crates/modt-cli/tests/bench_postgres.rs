//! `modt bench state --database-url postgres://…`: the state benchmark runs the in-process
//! unit on SQLite and then on PostgreSQL (the test kit's throw-away cluster), verifies both,
//! and drops the schema it used. Skipped with a reason without PostgreSQL, unless
//! `MODT_REQUIRE_POSTGRES=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[tokio::test]
async fn the_state_benchmark_runs_on_sqlite_and_postgres_in_one_run() {
    let Some(db) = modt_testkit::postgres::test_database().await else {
        return;
    };
    let url = db.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        support::run_ok(&[
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
            &url,
            "--log",
            "warn",
        ])
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for expected in [
        "== state unit on SQLite",
        "in-process (SQLite, WAL, synchronous=FULL)",
        "== state unit on PostgreSQL",
        "synchronous_commit=on",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
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
