//! `modt users add|list` on the identify unit's database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;

fn users(dir: &std::path::Path, args: &[&str], password: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modt"));
    cmd.arg("users").args(args).arg("--data-dir").arg(dir);
    match password {
        Some(p) => cmd.env("MODT_USER_PASSWORD", p),
        None => cmd.env_remove("MODT_USER_PASSWORD"),
    };
    cmd.output().expect("run modt users")
}

#[test]
fn add_and_list_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let out = users(
        dir.path(),
        &["add", "root", "--admin"],
        Some("a long password"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = users(dir.path(), &["add", "plain"], Some("another long one"));
    assert!(out.status.success());

    let out = users(dir.path(), &["list", "--jsonl"], None);
    assert!(out.status.success());
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0]["username"].as_str(), rows[0]["role"].as_str()),
        (Some("plain"), Some("user"))
    );
    assert_eq!(
        (rows[1]["username"].as_str(), rows[1]["role"].as_str()),
        (Some("root"), Some("admin"))
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("argon2"),
        "no hashes listed"
    );

    let taken = users(dir.path(), &["add", "ROOT"], Some("a long password"));
    assert!(!taken.status.success());
    assert!(String::from_utf8_lossy(&taken.stderr).contains("taken"));
    let short = users(dir.path(), &["add", "shorty"], Some("short"));
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8"));
    let bad = users(dir.path(), &["add", "no spaces"], Some("a long password"));
    assert!(!bad.status.success());

    // A password file: its first line.
    let file = dir.path().join("pw");
    std::fs::write(&file, "from a file!\nignored\n").unwrap();
    let out = users(
        dir.path(),
        &["add", "filed", "--password-file", file.to_str().unwrap()],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The data directory and the identity database (password hashes) are the owner's alone,
/// even when the directory was made before with a looser mode.
#[cfg(unix)]
#[test]
fn the_data_directory_and_database_are_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("modt-data");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = users(&dir, &["add", "root"], Some("a long password"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&dir), 0o700);
    let db = dir.join("modt_identify.db");
    assert_eq!(mode(&db), 0o600);
    for companion in ["modt_identify.db-wal", "modt_identify.db-shm"] {
        let p = dir.join(companion);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{companion}");
        }
    }
}

#[test]
fn accounts_are_managed_from_the_command_line_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("modt_identify.db");
    let text = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };

    // Listing a directory without data creates nothing.
    let out = users(dir.path(), &["list"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("no accounts"), "{}", text(&out));
    assert!(!db.exists(), "list created the database");

    // Changing an account where there are none: said so, nothing created.
    for op in [
        &["passwd", "bob"][..],
        &["role", "bob", "admin"],
        &["delete", "bob"],
    ] {
        let out = users(dir.path(), op, Some("first password"));
        assert!(!out.status.success());
        assert!(text(&out).contains("no accounts"), "{op:?}: {}", text(&out));
        assert!(!db.exists(), "{op:?} created the database");
    }

    // No password and no terminal: said so, not "too short", in one clean sentence, and
    // nothing is created.
    let out = users(dir.path(), &["add", "bob"], None);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("stdin is not a terminal"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains('\\'), "{}", text(&out));
    assert!(!db.exists(), "a failed add created the database");

    assert!(users(dir.path(), &["add", "bob"], Some("first password"))
        .status
        .success());
    let out = users(
        dir.path(),
        &["add", "bob", "--admin"],
        Some("first password"),
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("modt users role bob admin|user"),
        "{}",
        text(&out)
    );

    let out = users(dir.path(), &["role", "bob", "admin"], None);
    assert!(
        text(&out).contains("bob is now admin (was user)"),
        "{}",
        text(&out)
    );
    let list = text(&users(dir.path(), &["list", "--jsonl"], None));
    assert!(list.contains(r#""role":"admin""#), "{list}");

    let out = users(dir.path(), &["passwd", "bob"], Some("second password"));
    assert!(
        text(&out).contains("changed the password of bob"),
        "{}",
        text(&out)
    );
    let out = users(dir.path(), &["passwd", "bob"], Some("short"));
    assert!(!out.status.success(), "the password rules hold");

    let out = users(dir.path(), &["delete", "bob"], None);
    assert!(text(&out).contains("deleted bob"), "{}", text(&out));
    assert!(!text(&users(dir.path(), &["list"], None)).contains("bob"));
    let out = users(dir.path(), &["delete", "bob"], None);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("there is no user \"bob\""),
        "{}",
        text(&out)
    );
}

/// With `--database-url postgres://…` the accounts live in the identify unit's schema of that
/// database: added, listed and changed there, and nothing is written to the data directory.
#[tokio::test]
async fn accounts_on_postgresql_with_database_url() {
    let Some(db) = modt_testkit::postgres::test_database().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let on_pg = |args: &'static [&'static str], password: Option<&'static str>| {
        let (path, url) = (dir.path().to_path_buf(), db.url.clone());
        tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_modt"));
            cmd.arg("users").args(args).arg("--data-dir").arg(&path);
            cmd.env("MODT_DATABASE_URL", url);
            match password {
                Some(p) => cmd.env("MODT_USER_PASSWORD", p),
                None => cmd.env_remove("MODT_USER_PASSWORD"),
            };
            cmd.output().expect("run modt users")
        })
    };
    let out = on_pg(&["add", "pgroot", "--admin"], Some("a long password"))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = on_pg(&["role", "PGROOT", "user"], None).await.unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("pgroot is now user (was admin)"));
    let out = on_pg(&["list", "--jsonl"], None).await.unwrap();
    let list = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(list.contains(r#""username":"pgroot""#), "{list}");
    assert!(
        !dir.path().join("modt_identify.db").exists(),
        "nothing in the data directory"
    );
    let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let n: i64 = client
        .query_one("SELECT count(*) FROM modt_identify.users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1, "in the unit's schema");

    // The unit's own URL wins over the shared one, as for `modt up`.
    let own = dir.path().join("own.db");
    let own_url = format!("sqlite://{}", own.display());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_modt"))
            .args(["users", "add", "solo", "--identify-database-url", &own_url])
            .env("MODT_DATABASE_URL", "postgres://127.0.0.1:1/unreachable")
            .env("MODT_USER_PASSWORD", "a long password")
            .output()
            .expect("run modt users")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(own.exists(), "the account went to the unit's own file");
}
