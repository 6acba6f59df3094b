//! `modt users add|list|delete|passwd|role`: the identify unit's accounts, straight from its
//! database.
//!
//! Works where the identify unit keeps its data, found as `modt up` finds it: the database of
//! `--identify-database-url`, else of `--database-url` (PostgreSQL: the unit's schema), else
//! the SQLite file in the data directory (the unit may be running: SQLite's WAL lets both use
//! it); opened through `modt_identify::store::open`. Passwords never come from the command line, where `ps` and
//! shell history would keep them.

use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use modt_identify::accounts::{check_password, check_username};
use modt_identify::store::IdentityStore;
use modt_identify::{Role, StoreError, UserChange};
use modt_store::Location;

use crate::cli::{RoleArg, UsersCmd, UsersOp};

pub(crate) async fn run(cmd: UsersCmd) -> anyhow::Result<()> {
    let at = cmd.accounts.location(&cmd.data_dir)?;
    match cmd.op {
        UsersOp::List { jsonl } => return list(&at, jsonl).await,
        UsersOp::Add {
            name,
            admin,
            password_file,
        } => return add(&at, &name, admin, password_file.as_deref()).await,
        _ => {}
    }
    // Everything else changes an account that must exist: no database file means none does,
    // and nothing is created to find that out.
    if let Some(path) = missing_file(&at) {
        bail!(
            "no accounts: {} does not exist yet (`modt up` or `modt users add NAME` creates it)",
            path.display()
        );
    }
    let store = open(&at).await?;
    let done = change_account(store.as_ref(), cmd.op).await;
    store.close();
    done
}

/// `users delete|passwd|role`.
async fn change_account(store: &dyn IdentityStore, op: UsersOp) -> anyhow::Result<()> {
    match op {
        UsersOp::Delete { name } => {
            let user = change(store, &name, UserChange::Delete).await?;
            println!(
                "deleted {} (id {}); their sessions ended",
                user.username, user.user_id
            );
        }
        UsersOp::Passwd {
            name,
            password_file,
        } => {
            // Said before the password is asked for, not after.
            if store.credentials(&name).await?.is_none() {
                bail!("there is no user {name:?} (see `modt users list`)");
            }
            let hash = new_password_hash(password_file.as_deref()).await?;
            let user = change(store, &name, UserChange::Password(hash)).await?;
            println!(
                "changed the password of {}; their sessions ended",
                user.username
            );
        }
        UsersOp::Role { name, role } => {
            let role = match role {
                RoleArg::Admin => Role::Admin,
                RoleArg::User => Role::User,
            };
            let user = change(store, &name, UserChange::Role(role)).await?;
            println!(
                "{} is now {} (was {})",
                user.username,
                role.as_str(),
                user.role.as_str()
            );
        }
        UsersOp::List { .. } | UsersOp::Add { .. } => {}
    }
    Ok(())
}

/// The SQLite file `at` names, if it does not exist yet (a PostgreSQL schema is created on
/// open, empty).
pub(crate) fn missing_file(at: &Location) -> Option<&Path> {
    match at {
        Location::Sqlite { path } if !path.exists() => Some(path),
        _ => None,
    }
}

/// Opens the identify unit's store at `at`; a SQLite file's directory is made owner-only
/// first (the file holds password hashes).
async fn open(at: &Location) -> anyhow::Result<Arc<dyn IdentityStore>> {
    if let Location::Sqlite { path } = at {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            super::private_data_dir(dir)?;
        }
    }
    modt_identify::store::open(at)
        .await
        .with_context(|| format!("while opening the accounts at {at}"))
}

/// `users add`: the name and password are checked before anything is created on disk.
async fn add(
    at: &Location,
    name: &str,
    admin: bool,
    password_file: Option<&Path>,
) -> anyhow::Result<()> {
    check_username(name).with_context(|| format!("user name {name:?}"))?;
    let hash = new_password_hash(password_file).await?;
    let store = open(at).await?;
    let role = if admin { Role::Admin } else { Role::User };
    let created = store.create_user(name, &hash, role).await;
    store.close();
    match created {
        Ok(user) => println!(
            "created {} ({}) with id {}",
            user.username,
            role.as_str(),
            user.user_id
        ),
        Err(StoreError::UsernameTaken(n)) => bail!(
            "the user name {n:?} is taken (to change that account: `modt users role {n} \
             admin|user`, `modt users passwd {n}`)"
        ),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Lists the accounts without creating anything: a data directory without a database has none.
async fn list(at: &Location, jsonl: bool) -> anyhow::Result<()> {
    if let Some(path) = missing_file(at) {
        eprintln!(
            "no accounts: {} does not exist yet (`modt up` or `modt users add NAME` creates it)",
            path.display()
        );
        return Ok(());
    }
    let store = open(at).await?;
    let users = store.users().await;
    store.close();
    let users = users?;
    if jsonl {
        for u in &users {
            println!("{}", serde_json::to_string(u)?);
        }
        return Ok(());
    }
    println!("{:<32} {:<6} {:<36}", "USER NAME", "ROLE", "USER ID");
    for u in &users {
        println!(
            "{:<32} {:<6} {:<36}",
            u.username,
            u.role.as_str(),
            u.user_id
        );
    }
    Ok(())
}

async fn change(
    store: &dyn IdentityStore,
    name: &str,
    change: UserChange,
) -> anyhow::Result<modt_identify::User> {
    match store.change_user(name, change).await? {
        Some(user) => Ok(user),
        None => bail!("there is no user {name:?} (see `modt users list`)"),
    }
}

/// Reads a new password (see [`read_password`]), checks it and hashes it.
async fn new_password_hash(file: Option<&Path>) -> anyhow::Result<String> {
    let password = read_password(file)?;
    check_password(&password).context("password")?;
    Ok(modt_identify::password::hash(password).await?)
}

/// From the file, else `MODT_USER_PASSWORD`, else the terminal (twice, not echoed), else
/// one line of stdin.
fn read_password(file: Option<&Path>) -> anyhow::Result<String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?;
        return Ok(text.lines().next().unwrap_or_default().to_string());
    }
    if let Ok(p) = std::env::var("MODT_USER_PASSWORD") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Password again: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!(
            "no password: stdin is not a terminal and gave no line (use --password-file FILE, \
             MODT_USER_PASSWORD, or run it in a terminal to be asked)"
        );
    }
    Ok(password)
}
