//! `modt users add|list|delete|passwd|role`: the identify unit's accounts, straight from its
//! database.
//!
//! Works on the SQLite file in the data directory (the unit may be running: SQLite's WAL
//! lets both use it). Passwords never come from the command line, where `ps` and shell
//! history would keep them.

use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::{bail, Context as _};
use modt_identify::accounts::{check_password, check_username};
use modt_identify::store::IdentityStore as _;
use modt_identify::{Role, SqliteIdentityStore, StoreError, UserChange};

use crate::cli::{RoleArg, UsersCmd, UsersOp};

pub(crate) async fn run(cmd: UsersCmd) -> anyhow::Result<()> {
    let path = cmd.data_dir.join(modt_identify::unit::DB_FILE);
    match cmd.op {
        UsersOp::List { jsonl } => return list(&path, jsonl).await,
        UsersOp::Add {
            name,
            admin,
            password_file,
        } => return add(&cmd.data_dir, &path, &name, admin, password_file.as_deref()).await,
        _ => {}
    }
    // Everything else changes an account that must exist: no database means none does, and
    // nothing is created to find that out.
    if !path.exists() {
        bail!(
            "no accounts: {} does not exist yet (`modt up` or `modt users add NAME` creates it)",
            path.display()
        );
    }
    super::private_data_dir(&cmd.data_dir)?;
    let store = SqliteIdentityStore::open(&path)?;
    match cmd.op {
        UsersOp::Delete { name } => {
            let user = change(&store, &name, UserChange::Delete).await?;
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
            let user = change(&store, &name, UserChange::Password(hash)).await?;
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
            let user = change(&store, &name, UserChange::Role(role)).await?;
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

/// `users add`: the name and password are checked before anything is created on disk.
async fn add(
    data_dir: &Path,
    path: &Path,
    name: &str,
    admin: bool,
    password_file: Option<&Path>,
) -> anyhow::Result<()> {
    check_username(name).with_context(|| format!("user name {name:?}"))?;
    let hash = new_password_hash(password_file).await?;
    super::private_data_dir(data_dir)?;
    let store = SqliteIdentityStore::open(path)?;
    let role = if admin { Role::Admin } else { Role::User };
    match store.create_user(name, &hash, role).await {
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
async fn list(path: &Path, jsonl: bool) -> anyhow::Result<()> {
    if !path.exists() {
        eprintln!(
            "no accounts: {} does not exist yet (`modt up` or `modt users add NAME` creates it)",
            path.display()
        );
        return Ok(());
    }
    let users = SqliteIdentityStore::open(path)?.users().await?;
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
    store: &SqliteIdentityStore,
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
