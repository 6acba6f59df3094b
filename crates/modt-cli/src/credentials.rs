//! Local broker credentials: one random password per account of the broker policy, made on
//! first use in `DATA_DIR/credentials/` (directory 0700, files 0600) and never printed.
//!
//! `modt up` logs each unit in with its own account; the command-line tools use the `cli`
//! account when no credentials are given; `modt broker config` hashes the same passwords
//! into Mosquitto's `password_file`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use modt::env::BrokerArgs;
use modt::Secret;
use modt_broker::BrokerPolicy;

/// The account the command-line tools use.
pub(crate) const CLI_ACCOUNT: &str = "cli";
/// Random bytes in a generated password (hex-encoded).
const PASSWORD_BYTES: usize = 32;

/// The credentials directory inside a data directory.
pub(crate) fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("credentials")
}

/// The password file of `account`.
pub(crate) fn password_path(data_dir: &Path, account: &str) -> PathBuf {
    dir(data_dir).join(format!("{account}.password"))
}

/// Every account's password, generating the missing ones.
pub(crate) fn ensure(
    data_dir: &Path,
    policy: &BrokerPolicy,
) -> anyhow::Result<BTreeMap<String, Secret>> {
    let dir = dir(data_dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    restrict(&dir, 0o700)?;
    let mut out = BTreeMap::new();
    for account in policy.account_names() {
        let path = password_path(data_dir, account);
        let password = if path.exists() {
            read(&path)?
        } else {
            let p = random_password()?;
            write_private(&path, &format!("{p}\n"))?;
            p
        };
        out.insert(account.to_string(), Secret::new(password));
    }
    Ok(out)
}

/// [`PASSWORD_BYTES`] from the OS's random source, hex-encoded.
fn random_password() -> anyhow::Result<String> {
    let mut bytes = [0u8; PASSWORD_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
    Ok(hex::encode(bytes))
}

fn read(path: &Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let password = text.lines().next().unwrap_or_default().trim().to_string();
    anyhow::ensure!(!password.is_empty(), "{} is empty", path.display());
    Ok(password)
}

/// Writes `text` to `path`, readable by the owner only.
pub(crate) fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    restrict(path, 0o600)
}

fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot restrict the permissions of {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// The password file for the broker (Mosquitto's format, also read by the embedded broker).
pub(crate) fn hashed(
    passwords: &BTreeMap<String, Secret>,
) -> anyhow::Result<BTreeMap<String, String>> {
    passwords
        .iter()
        .map(|(user, p)| {
            let h = modt_broker::passwd::hash(p.expose().as_bytes())
                .map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
            Ok((user.clone(), h))
        })
        .collect()
}

/// `broker`, or, when it gives no credentials at all, `account`'s password file in
/// `data_dir` if one was made there.
pub(crate) fn local_account(broker: &BrokerArgs, data_dir: &Path, account: &str) -> BrokerArgs {
    let mut broker = broker.clone();
    let given =
        broker.username.is_some() || broker.password.is_some() || broker.password_file.is_some();
    let path = password_path(data_dir, account);
    if !given && path.exists() {
        broker.username = Some(account.to_string());
        broker.password_file = Some(path);
    }
    broker
}

/// `broker` with the local `account` (the tools' [`CLI_ACCOUNT`]; `modt sim devices` logs in
/// as `devices`) filled in when no credentials were given and `data_dir` has them; and the
/// client id prefix that account needs.
pub(crate) fn for_account(
    broker: &BrokerArgs,
    data_dir: &Path,
    account: &str,
    prefix: &str,
) -> (BrokerArgs, String) {
    let broker = local_account(broker, data_dir, account);
    // The embedded broker accepts only client ids that start with the account's name.
    let prefix = match &broker.username {
        Some(user) => format!("{user}-{prefix}"),
        None => prefix.to_string(),
    };
    (broker, prefix)
}
