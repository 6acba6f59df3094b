//! `modt auth rotate-key|keys` on the identify unit's database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn modt(dir: &std::path::Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_modt"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("MODT_USER_PASSWORD", "a long password")
        .env_remove("MODT_DATABASE_URL")
        .env_remove("MODT_IDENTIFY_DATABASE_URL")
        .output()
        .expect("run modt");
    out
}

fn keys(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let out = modt(dir, &["auth", "keys", "--jsonl"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn rotate_key_adds_an_active_key_and_the_old_one_retires() {
    let dir = tempfile::tempdir().unwrap();
    let missing = modt(dir.path(), &["auth", "rotate-key"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("does not exist yet"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );

    assert!(modt(dir.path(), &["users", "add", "root"]).status.success());
    assert!(keys(dir.path()).is_empty());

    let out = modt(dir.path(), &["auth", "rotate-key"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    let first = keys(dir.path());
    assert_eq!(first.len(), 1);
    let kid = first[0]["kid"].as_str().unwrap().to_string();
    assert!(said.contains(&kid), "{said}");
    assert_eq!(first[0]["status"], "active");

    assert!(modt(dir.path(), &["auth", "rotate-key"]).status.success());
    let both = keys(dir.path());
    assert_eq!(both.len(), 2);
    assert_eq!(
        (both[0]["kid"].as_str(), both[0]["status"].as_str()),
        (Some(kid.as_str()), Some("retiring"))
    );
    assert!(both[0]["rotated_at"].is_i64());
    assert_eq!(both[1]["status"], "active");
    for k in &both {
        let fields: Vec<&str> = k.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            ["kid", "created_at", "rotated_at", "status"],
            "no private key"
        );
    }

    let table = modt(dir.path(), &["auth", "keys"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("retiring") && table.contains("active"),
        "{table}"
    );
}
