//! `modt auth rotate-key|keys`: the identify unit's token signing keys, straight from its
//! database (found as `modt users` finds it: `--identify-database-url`, else `--database-url`,
//! else the SQLite file in the data directory).
//!
//! `rotate-key` adds a new active key. A running identify unit (every replica) picks it up
//! within its reload period (`modt_identify::tokens::KEY_RELOAD_EVERY`), publishes the new JWK
//! Set and only then signs with it. The replaced key stays in the set until every token it
//! signed has expired, then the unit drops it. Private keys are never printed.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use modt_identify::store::{IdentityStore, SigningKeyRecord};
use modt_identify::tokens::{self, TokenConfig};
use modt_store::Location;

use crate::cli::AccountsArgs;

/// `modt auth`.
#[derive(Debug, Args)]
pub(crate) struct AuthCmd {
    /// Directory holding the identify unit's database.
    #[arg(
        long,
        global = true,
        env = "MODT_DATA_DIR",
        default_value = "./modt-data"
    )]
    pub(crate) data_dir: PathBuf,
    /// Where the identify unit's data lives.
    #[command(flatten)]
    pub(crate) accounts: AccountsArgs,
    #[command(subcommand)]
    pub(crate) op: AuthOp,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuthOp {
    /// Make a new access-token signing key the active one; the old one stays published until
    /// the tokens it signed have expired.
    RotateKey,
    /// List the signing keys: id, when made, active or retiring.
    Keys {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        jsonl: bool,
    },
}

pub(crate) async fn run(cmd: AuthCmd) -> anyhow::Result<()> {
    let at = cmd.accounts.location(&cmd.data_dir)?;
    if let Some(path) = super::users::missing_file(&at) {
        bail!(
            "no identify database: {} does not exist yet (`modt up` creates it, with its first key)",
            path.display()
        );
    }
    let store = open(&at).await?;
    let done = match cmd.op {
        AuthOp::RotateKey => rotate(store.as_ref()).await,
        AuthOp::Keys { jsonl } => keys(store.as_ref(), jsonl).await,
    };
    store.close();
    done
}

async fn open(at: &Location) -> anyhow::Result<Arc<dyn IdentityStore>> {
    modt_identify::store::open(at)
        .await
        .with_context(|| format!("while opening the identify database at {at}"))
}

async fn rotate(store: &dyn IdentityStore) -> anyhow::Result<()> {
    let now = modt_identify::store::unix_now();
    let kid = tokens::rotate_key(store, now).await?;
    let defaults = TokenConfig::default();
    println!("new signing key {kid}");
    println!(
        "running identify units publish it and sign with it within {}; the key it replaces \
         stays published for {} (with the default --access-token-ttl {}), then is dropped",
        humantime::format_duration(defaults.key_reload_every),
        humantime::format_duration(defaults.key_retire_after()),
        humantime::format_duration(defaults.access_ttl),
    );
    Ok(())
}

/// A key as listed (never its private half).
#[derive(Debug, serde::Serialize)]
struct Listed<'a> {
    kid: &'a str,
    created_at: i64,
    rotated_at: Option<i64>,
    status: &'static str,
}

fn listed(k: &SigningKeyRecord) -> Listed<'_> {
    Listed {
        kid: &k.kid,
        created_at: k.created_at,
        rotated_at: k.rotated_at,
        status: if k.rotated_at.is_none() {
            "active"
        } else {
            "retiring"
        },
    }
}

fn when(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|| unix.to_string())
}

async fn keys(store: &dyn IdentityStore, jsonl: bool) -> anyhow::Result<()> {
    let keys = store.signing_keys().await?;
    if jsonl {
        for k in &keys {
            println!("{}", serde_json::to_string(&listed(k))?);
        }
        return Ok(());
    }
    if keys.is_empty() {
        eprintln!("no signing keys yet (the identify unit makes the first when it starts)");
        return Ok(());
    }
    println!(
        "{:<24} {:<22} {:<9} REPLACED",
        "KEY ID", "CREATED", "STATUS"
    );
    for k in &keys {
        let l = listed(k);
        let replaced = k.rotated_at.map(when).unwrap_or_default();
        println!(
            "{:<24} {:<22} {:<9} {}",
            l.kid,
            when(k.created_at),
            l.status,
            replaced
        );
    }
    Ok(())
}
