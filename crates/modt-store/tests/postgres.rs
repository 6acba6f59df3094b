//! The PostgreSQL pool on a real (throw-away) server: schema created, migrations applied once,
//! every connection confined to its unit's schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use modt_store::{Migration, PgPool, PostgresUrl};

const V1: Migration = Migration::new(1, "start", "CREATE TABLE items (name TEXT PRIMARY KEY)");
const V2: Migration = Migration::new(2, "count", "ALTER TABLE items ADD COLUMN n INTEGER");

#[tokio::test]
async fn each_unit_gets_its_schema_migrated_once() {
    let Some(db) = modt_testkit::postgres::test_database().await else {
        return;
    };
    let url = PostgresUrl::parse(&db.url).unwrap();
    let a = PgPool::open(&url, "modt_a", 2, &[V1]).await.unwrap();
    let b = PgPool::open(&url, "modt_b", 2, &[V1, V2]).await.unwrap();
    a.get()
        .await
        .unwrap()
        .execute("INSERT INTO items (name) VALUES ('only in a')", &[])
        .await
        .unwrap();
    let in_b: i64 = b
        .get()
        .await
        .unwrap()
        .query_one("SELECT count(*) FROM items", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(in_b, 0, "schemas are separate");
    // Reopening applies only what is new, and keeps the data.
    let a = PgPool::open(&url, "modt_a", 2, &[V1, V2]).await.unwrap();
    let conn = a.get().await.unwrap();
    let row = conn
        .query_one("SELECT name, current_schema() FROM items", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "only in a");
    assert_eq!(row.get::<_, String>(1), "modt_a");
    let recorded: i64 = conn
        .query_one("SELECT count(*) FROM modt_schema_history", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, 2);
}

#[tokio::test]
async fn unreachable_servers_and_bad_schemas_are_clear_errors() {
    let url = PostgresUrl::parse("postgres://u:s3cret@127.0.0.1:1/none?connect_timeout=2").unwrap();
    let err = PgPool::open(&url, "modt_x", 1, &[V1]).await.unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("s3cret"), "{text}");
    assert!(text.contains("127.0.0.1"), "{text}");
    let err = PgPool::open(&url, "Bad-Name", 1, &[V1]).await.unwrap_err();
    assert!(matches!(err, modt_store::Error::Schema(_)), "{err}");
}
