//! Running a `modt bench …` on PostgreSQL from a test, shared by `bench_postgres.rs` and
//! `replicas_bench.rs`: the run (its report), what the report must say, and the check that the
//! benchmark dropped the schema it made.

/// Runs `modt` with `args` on a blocking thread (it takes a while) and returns what it printed;
/// fails the test when it fails.
pub(crate) async fn report(args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        super::run_ok(&args)
    })
    .await
    .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Fails the test unless `report` holds each of `lines`.
pub(crate) fn assert_mentions(report: &str, lines: &[&str]) {
    for expected in lines {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
}

/// Fails the test when a benchmark schema (`modt_bench_…`) is left in the database at `url`.
pub(crate) async fn assert_schemas_dropped(url: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
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
