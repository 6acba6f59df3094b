//! Checking a login and making an account: the steps the pages (`/login`, `/register`,
//! `POST /api/login`) and the token API (`modt/auth/token/login|register`) share, so both
//! use the same accounts, password hashing and throttle.
//!
//! A login is throttled before its password is checked (no hashing for a locked name or
//! address), and an unknown name and a wrong password get the same answer. A registration is
//! checked against the account rules first, then counted against its address, then hashed.
//! What happens after (a session and its cookie, or a token pair) is the caller's.

use std::time::Duration;

use tracing::{info, warn};

use crate::accounts::{check_password, check_username, Role, RuleError, MAX_PASSWORD_BYTES};
use crate::core::Identity;
use crate::password::{self, HashError};
use crate::store::{StoreError, User};
use crate::throttle::ThrottleError;

/// Longest user name looked up at login (longer ones name no account; no hashing for them).
pub const MAX_LOGIN_NAME_BYTES: usize = 64;

/// Why a login or registration could not be judged (the store or the hashing failed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed (never for ordinary input).
    #[error(transparent)]
    Hash(HashError),
}

/// How a login attempt ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum Checked {
    /// The name and password are right.
    Valid(User),
    /// Unknown name or wrong password (never said which).
    Wrong,
    /// Too many failures: retry after this long.
    Throttled(Duration),
    /// Every password-hashing slot is taken: retry in a moment.
    Busy,
}

/// Checks `username` and `password` for a client at `address`.
pub async fn check(
    identity: &Identity,
    username: &str,
    password: String,
    address: &str,
) -> Result<Checked, LoginError> {
    // Counted before the password is checked, in one step with the check: concurrent guesses
    // cannot all pass it.
    let attempt = match identity.throttle.begin_login(username, address).await {
        Ok(a) => a,
        Err(ThrottleError::Wait(wait)) => {
            warn!(%address, "login throttled");
            return Ok(Checked::Throttled(wait));
        }
        Err(ThrottleError::Store(e)) => return Err(e.into()),
    };
    let plausible = !username.is_empty()
        && username.len() <= MAX_LOGIN_NAME_BYTES
        && password.len() <= MAX_PASSWORD_BYTES;
    let stored = match plausible {
        true => identity.store.credentials(username).await?,
        false => None,
    };
    let hash = stored.as_ref().map(|c| c.password_hash.clone());
    let matches = match plausible {
        false => false,
        true => match password::verify(password, hash).await {
            Ok(m) => m,
            Err(HashError::Busy) => {
                identity
                    .throttle
                    .login_withdrawn(username, address, attempt)
                    .await;
                warn!(%address, "login refused: every password-hashing slot is busy");
                return Ok(Checked::Busy);
            }
            Err(e) => return Err(LoginError::Hash(e)),
        },
    };
    let Some(user) = stored.filter(|_| matches).map(|c| c.user) else {
        info!(%address, "login failed");
        return Ok(Checked::Wrong);
    };
    identity
        .throttle
        .login_succeeded(username, address, attempt)
        .await;
    Ok(Checked::Valid(user))
}

/// How a registration ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum Registered {
    /// The account was made (role `user`).
    Created(User),
    /// Registration is closed (`--registration false`).
    Closed,
    /// The name or password breaks a rule; the field (`username` or `password`) and the rule.
    Rule(&'static str, RuleError),
    /// The name is taken (in any case).
    Taken,
    /// Too many registrations from this address: retry after this long.
    Throttled(Duration),
    /// Every password-hashing slot is taken: retry in a moment.
    Busy,
}

/// Makes an account named `username` for a client at `address`.
pub async fn register(
    identity: &Identity,
    username: &str,
    password: String,
    address: &str,
) -> Result<Registered, LoginError> {
    if !identity.config.registration {
        return Ok(Registered::Closed);
    }
    if let Err(e) = check_username(username) {
        return Ok(Registered::Rule("username", e));
    }
    if let Err(e) = check_password(&password) {
        return Ok(Registered::Rule("password", e));
    }
    // Checked before hashing, counted once hashing is due: a flood costs no hashes.
    match identity.throttle.begin_registration(address).await {
        Ok(()) => {}
        Err(ThrottleError::Wait(wait)) => {
            warn!(%address, "registration throttled");
            return Ok(Registered::Throttled(wait));
        }
        Err(ThrottleError::Store(e)) => return Err(e.into()),
    }
    let hash = match password::hash(password).await {
        Ok(h) => h,
        Err(HashError::Busy) => {
            warn!(%address, "registration refused: every password-hashing slot is busy");
            return Ok(Registered::Busy);
        }
        Err(e) => return Err(LoginError::Hash(e)),
    };
    match identity
        .store
        .create_user(username, &hash, Role::User)
        .await
    {
        Ok(user) => {
            info!(user_id = %user.user_id, "account created");
            Ok(Registered::Created(user))
        }
        Err(StoreError::UsernameTaken(_)) => Ok(Registered::Taken),
        Err(e) => Err(e.into()),
    }
}
