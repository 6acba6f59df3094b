//! Accounts and sessions, as every backend must keep them.

use std::sync::Arc;
use std::time::Duration;

use modt_identify::sessions::SessionKey;
use modt_identify::store::{IdentityStore, NewSession};
use modt_identify::{Role, StoreError, UserChange};

type Store = Arc<dyn IdentityStore>;

fn session(key: &SessionKey, user_id: &str, now: i64, expires_at: i64) -> NewSession {
    NewSession {
        key: key.clone(),
        user_id: user_id.to_string(),
        now,
        expires_at,
    }
}

pub(crate) async fn user_names_are_unique_regardless_of_case(s: Store) {
    let u = s.create_user("Alice", "h", Role::User).await.unwrap();
    assert!(matches!(
        s.create_user("alice", "h", Role::User).await,
        Err(StoreError::UsernameTaken(name)) if name == "alice"
    ));
    let c = s.credentials("ALICE").await.unwrap().unwrap();
    assert_eq!(c.user, u);
    assert_eq!(c.password_hash, "h");
    assert!(s.credentials("alicia").await.unwrap().is_none());
    // Anything a login form sends is a question, never an error (PostgreSQL text holds no NUL).
    assert!(s.credentials("ali\0ce").await.unwrap().is_none());
    let change = s.change_user("ali\0ce", UserChange::Delete).await.unwrap();
    assert_eq!(change, None);
    assert_eq!(s.users().await.unwrap(), vec![u]);
}

pub(crate) async fn users_are_listed_by_name(s: Store) {
    for name in ["carol", "Bob", "alice", "Dave"] {
        s.create_user(name, "h", Role::User).await.unwrap();
    }
    let names: Vec<String> = s
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(
        names,
        ["alice", "Bob", "carol", "Dave"],
        "in any case, as given"
    );
}

pub(crate) async fn changing_an_account_ends_its_sessions_where_it_must(s: Store) {
    let u = s.create_user("carol", "old", Role::User).await.unwrap();
    let idle = Duration::from_secs(100);
    let (a, b) = (SessionKey::of("a"), SessionKey::of("b"));
    s.create_session(session(&a, &u.user_id, 1000, 5000))
        .await
        .unwrap();
    let before = s
        .change_user("CAROL", UserChange::Role(Role::Admin))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.role, Role::User, "the account as it was");
    let live = s.session_user(&a, 1001, idle).await.unwrap().unwrap();
    assert_eq!(live.role, Role::Admin, "a role change shows at once");
    s.change_user("carol", UserChange::Password("new".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.session_user(&a, 1001, idle).await.unwrap(),
        None,
        "a new password ends the sessions"
    );
    assert_eq!(
        s.credentials("carol").await.unwrap().unwrap().password_hash,
        "new"
    );
    s.create_session(session(&b, &u.user_id, 1000, 5000))
        .await
        .unwrap();
    s.change_user("carol", UserChange::Delete)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.session_user(&b, 1001, idle).await.unwrap(), None);
    assert!(s.users().await.unwrap().is_empty());
    assert_eq!(
        s.change_user("carol", UserChange::Delete).await.unwrap(),
        None
    );
}

pub(crate) async fn sessions_expire_idle_absolute_and_revoked(s: Store) {
    let u = s.create_user("bob", "h", Role::Admin).await.unwrap();
    let idle = Duration::from_secs(100);
    let key = SessionKey::of("sid");
    s.create_session(session(&key, &u.user_id, 1000, 1500))
        .await
        .unwrap();
    // Used at 1070 (≥ 60 s after the last write), so its last use moves to 1070 …
    assert_eq!(
        s.session_user(&key, 1070, idle).await.unwrap(),
        Some(u.clone())
    );
    // … and it is still live at 1160, which would be idle counted from login.
    assert!(s.session_user(&key, 1160, idle).await.unwrap().is_some());
    // Unused for more than 100 s after 1160: idle.
    assert_eq!(s.session_user(&key, 1261, idle).await.unwrap(), None);

    let key2 = SessionKey::of("sid2");
    s.create_session(session(&key2, &u.user_id, 1000, 1100))
        .await
        .unwrap();
    assert!(s.session_user(&key2, 1099, idle).await.unwrap().is_some());
    assert_eq!(
        s.session_user(&key2, 1100, idle).await.unwrap(),
        None,
        "absolute expiry"
    );

    let key3 = SessionKey::of("sid3");
    s.create_session(session(&key3, &u.user_id, 1000, 5000))
        .await
        .unwrap();
    assert!(s.revoke_session(&key3, 1001).await.unwrap());
    assert!(!s.revoke_session(&key3, 1002).await.unwrap());
    assert_eq!(s.session_user(&key3, 1002, idle).await.unwrap(), None);

    let key4 = SessionKey::of("sid4");
    s.create_session(session(&key4, &u.user_id, 1250, 5000))
        .await
        .unwrap();
    assert_eq!(
        s.sweep(1300, idle).await.unwrap(),
        3,
        "all but the live one"
    );
    assert!(s.session_user(&key4, 1300, idle).await.unwrap().is_some());
    assert_eq!(s.sweep(1300, idle).await.unwrap(), 0);
}

pub(crate) async fn a_session_s_last_use_is_written_at_most_once_a_minute(s: Store) {
    let u = s.create_user("erin", "h", Role::User).await.unwrap();
    let idle = Duration::from_secs(100);
    let key = SessionKey::of("sid");
    s.create_session(session(&key, &u.user_id, 1000, 9000))
        .await
        .unwrap();
    // Used at 1059: less than a minute after the last write, so its last use stays 1000 …
    assert!(s.session_user(&key, 1059, idle).await.unwrap().is_some());
    // … and it goes idle 100 s after 1000, not after 1059.
    assert_eq!(s.session_user(&key, 1100, idle).await.unwrap(), None);
}
