//! `modt_todo::build`, as `modt up` and `modt unit todo` call it: where the data goes
//! (`--todo-database-url` over `--database-url`, else `modt_todo.db` in the data directory, or
//! the `modt_todo` schema of a shared PostgreSQL database), and bad settings named.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use modt::unit::Setup;
use modt_todo::Args;

fn setup(dir: &std::path::Path) -> Setup {
    let mut setup = Setup::new(dir);
    setup.web.first_port = Some(0);
    setup
}

#[tokio::test]
async fn by_default_the_data_is_its_own_file_in_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let unit = modt_todo::build(Args::default(), &setup(dir.path()))
        .await
        .unwrap();
    assert!(dir.path().join("modt_todo.db").exists());
    assert!(unit.web_address().is_some(), "the page is served");
}

#[tokio::test]
async fn its_own_url_wins_over_the_shared_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut setup = setup(dir.path());
    // Unreachable: never tried, since the unit's own URL wins.
    setup.database_url = Some("postgres://nobody:secret@127.0.0.1:1/none".into());
    let own = dir.path().join("elsewhere/todos.db");
    let args = Args {
        database_url: Some(
            modt_store::DatabaseUrl::parse(&format!("sqlite://{}", own.display())).unwrap(),
        ),
        ..Args::default()
    };
    modt_todo::build(args, &setup).await.unwrap();
    assert!(own.exists());
    assert!(!dir.path().join("modt_todo.db").exists());
}

#[tokio::test]
async fn a_bad_gateway_url_is_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let args = Args {
        gateway_url: Some("javascript:alert(1)".into()),
        ..Args::default()
    };
    let err = modt_todo::build(args, &setup(dir.path()))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("--todo-gateway-url"), "{err}");
}

#[tokio::test]
async fn a_shared_postgres_database_gets_the_units_own_schema() {
    let Some(db) = modt_testkit::postgres::test_database().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut setup = setup(dir.path());
    setup.database_url = Some(db.url.clone());
    modt_todo::build(Args::default(), &setup).await.unwrap();
    assert!(!dir.path().join("modt_todo.db").exists(), "no SQLite file");
    let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let row = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'modt_todo' AND table_name IN ('todos', 'requests')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 2);
}
