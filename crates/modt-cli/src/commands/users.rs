//! `modt users add|list`: the identify unit's accounts, straight from its database.
//!
//! Works on the SQLite file in the data directory (the unit may be running: SQLite's WAL
//! lets both use it). Passwords never come from the command line, where `ps` and shell
//! history would keep them.

use std::io::IsTerminal as _;

use anyhow::{bail, Context as _};
use modt_identify::accounts::{check_password, check_username};
use modt_identify::store::IdentityStore as _;
use modt_identify::{Role, SqliteIdentityStore, StoreError};

use crate::cli::{UsersCmd, UsersOp};

pub(crate) async fn run(cmd: UsersCmd) -> anyhow::Result<()> {
    super::private_data_dir(&cmd.data_dir)?;
    let path = cmd.data_dir.join(modt_identify::unit::DB_FILE);
    let store = SqliteIdentityStore::open(&path)?;
    match cmd.op {
        UsersOp::Add {
            name,
            admin,
            password_file,
        } => {
            check_username(&name).with_context(|| format!("user name {name:?}"))?;
            let password = read_password(password_file.as_deref())?;
            check_password(&password).context("password")?;
            let hash = modt_identify::password::hash(password).await?;
            let role = if admin { Role::Admin } else { Role::User };
            match store.create_user(&name, &hash, role).await {
                Ok(user) => println!(
                    "created {} ({}) with id {}",
                    user.username,
                    role.as_str(),
                    user.user_id
                ),
                Err(StoreError::UsernameTaken(n)) => bail!("the user name {n:?} is taken"),
                Err(e) => return Err(e.into()),
            }
        }
        UsersOp::List { jsonl } => {
            let users = store.users().await?;
            if jsonl {
                for u in &users {
                    println!("{}", serde_json::to_string(u)?);
                }
            } else {
                println!("{:<32} {:<6} {:<36}", "USER NAME", "ROLE", "USER ID");
                for u in &users {
                    println!(
                        "{:<32} {:<6} {:<36}",
                        u.username,
                        u.role.as_str(),
                        u.user_id
                    );
                }
            }
        }
    }
    Ok(())
}

/// From the file, else `MODT_USER_PASSWORD`, else the terminal (twice, not echoed), else
/// one line of stdin.
fn read_password(file: Option<&std::path::Path>) -> anyhow::Result<String> {
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
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
