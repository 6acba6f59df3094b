//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes), always on a
//! blocking thread so a login never stalls the async runtime, and never more at once than
//! the machine has cores ([`max_concurrent_hashes`]): 60 concurrent logins once took 1.25 GB
//! (19 MiB each) and every core. A hash that cannot start within [`HASH_WAIT`] is
//! [`HashError::Busy`], which pages and the API turn into 503 with `Retry-After`.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// Never for ordinary input: the OS random source or the runtime failed.
    #[error("password hashing failed: {0}")]
    Failed(String),
    /// Every hashing slot stayed taken for [`HASH_WAIT`]: retry in a moment.
    #[error("too many password checks at once")]
    Busy,
}

/// How long a login or registration waits for a hashing slot before it is told to retry.
pub const HASH_WAIT: Duration = Duration::from_secs(2);

/// Hashes computed at once: one per core.
pub fn max_concurrent_hashes() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

static SLOTS: LazyLock<Arc<Semaphore>> =
    LazyLock::new(|| Arc::new(Semaphore::new(max_concurrent_hashes())));

async fn slot() -> Result<OwnedSemaphorePermit, HashError> {
    match tokio::time::timeout(HASH_WAIT, SLOTS.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_)) | Err(_) => Err(HashError::Busy),
    }
}

/// A PHC-format argon2id hash of `password`.
pub async fn hash(password: String) -> Result<String, HashError> {
    let permit = slot().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| HashError::Failed(e.to_string()))
    })
    .await
    .map_err(|e| HashError::Failed(e.to_string()))?
}

/// Whether `password` matches `stored`. With no stored hash (unknown user) a fixed hash is
/// checked instead, so an unknown user name takes as long as a wrong password.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, HashError> {
    let permit = slot().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DECOY.to_string());
        let parsed = PasswordHash::new(&phc).map_err(|e| HashError::Failed(e.to_string()))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && ok)
    })
    .await
    .map_err(|e| HashError::Failed(e.to_string()))?
}

/// The argon2id hash of a random string nobody knows, with the default parameters.
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$OJ7P5c1XFl2v6mKzQx9h2m0n2Jq7k8s3lYvJqXqk3xA";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse".into(), Some(h.clone()))
            .await
            .unwrap());
        assert!(!verify("wrong horse".into(), Some(h)).await.unwrap());
    }

    /// More checks than cores: the rest wait for a slot (or, past [`HASH_WAIT`], are told to
    /// retry); never do more run at once than the bound, and every slot comes back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashes_never_run_more_than_the_cores_at_once() {
        let max = max_concurrent_hashes();
        let checks = futures::future::join_all((0..max * 3).map(|_| verify("x".into(), None)));
        let watch = async {
            let mut lowest = max;
            for _ in 0..200 {
                lowest = lowest.min(SLOTS.available_permits());
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            lowest
        };
        let (results, lowest) = tokio::join!(checks, watch);
        let done = results.iter().filter(|r| matches!(r, Ok(false))).count();
        let busy = results
            .iter()
            .filter(|r| matches!(r, Err(HashError::Busy)))
            .count();
        assert_eq!(done + busy, max * 3, "{results:?}");
        assert!(done >= max, "{results:?}");
        assert_eq!(lowest, 0, "all slots were in use at some point");
        // Other tests of this process hash too: wait for them before counting the slots.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while SLOTS.available_permits() < max && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(SLOTS.available_permits(), max, "every slot came back");
    }

    #[tokio::test]
    async fn unknown_user_never_matches() {
        assert!(!verify("anything".into(), None).await.unwrap());
    }
}
