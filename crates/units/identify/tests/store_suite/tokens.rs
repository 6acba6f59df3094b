//! Signing keys and refresh tokens, as every backend must keep them.

use std::sync::Arc;

use modt_identify::store::{
    IdentityStore, NewRefreshToken, RefreshRotation, RefreshUse, SigningKeyRecord,
};
use modt_identify::tokens::keys;
use modt_identify::{Role, UserChange};

type Store = Arc<dyn IdentityStore>;

fn active(keys: &[SigningKeyRecord]) -> Vec<&str> {
    keys.iter()
        .filter(|k| k.rotated_at.is_none())
        .map(|k| k.kid.as_str())
        .collect()
}

pub(crate) async fn one_key_is_active_and_rotation_replaces_it(s: Store) {
    assert!(s.signing_keys().await.unwrap().is_empty());
    let first = keys::generate(100).unwrap();
    assert!(s.add_first_signing_key(first.clone()).await.unwrap());
    let second_start = keys::generate(101).unwrap();
    assert!(
        !s.add_first_signing_key(second_start).await.unwrap(),
        "a second replica starting finds the first key"
    );
    let stored = s.signing_keys().await.unwrap();
    assert_eq!(
        stored,
        vec![first.clone()],
        "private and public halves kept as made"
    );

    let next = keys::generate(200).unwrap();
    s.rotate_signing_key(next.clone()).await.unwrap();
    let stored = s.signing_keys().await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].kid, first.kid);
    assert_eq!(
        stored[0].rotated_at,
        Some(200),
        "replaced when the new key was made"
    );
    assert_eq!(active(&stored), [next.kid.as_str()]);

    assert_eq!(s.drop_signing_keys(200).await.unwrap(), 0, "not before");
    assert_eq!(s.drop_signing_keys(201).await.unwrap(), 1);
    let stored = s.signing_keys().await.unwrap();
    assert_eq!(active(&stored), [next.kid.as_str()]);
    assert_eq!(stored.len(), 1, "the active key is never dropped");
}

fn token(hash: &str, family: &str, user_id: &str, now: i64) -> NewRefreshToken {
    NewRefreshToken {
        hash: hash.into(),
        family_id: family.into(),
        user_id: user_id.into(),
        created_at: now,
        expires_at: now + 1000,
    }
}

/// The grace of the rotations here, in seconds.
const GRACE: i64 = 5;

fn rotation(presented: &str, next: &str, now: i64) -> RefreshRotation {
    RefreshRotation {
        presented: presented.into(),
        next: next.into(),
        now,
        expires_at: now + 1000,
        reuse_grace: GRACE,
    }
}

pub(crate) async fn a_reuse_within_the_grace_gets_a_sibling_and_after_it_revokes(s: Store) {
    let u = s.create_user("ann", "h", Role::User).await.unwrap();
    s.create_refresh_token(token("t1", "f", &u.user_id, 10))
        .await
        .unwrap();
    let used = s.use_refresh_token(rotation("t1", "a", 20)).await.unwrap();
    assert_eq!(used, RefreshUse::Rotated(u.clone()));
    // The last second inside the window: a second tab gets a replacement of its own.
    let again = s
        .use_refresh_token(rotation("t1", "b", 20 + GRACE - 1))
        .await;
    assert_eq!(again.unwrap(), RefreshUse::Repeated(u.clone()));
    let a = s.use_refresh_token(rotation("a", "a2", 24)).await.unwrap();
    assert_eq!(
        a,
        RefreshUse::Rotated(u.clone()),
        "the first tab's token works"
    );
    // The window is counted from the first use, not from the repeat.
    let late = s.use_refresh_token(rotation("t1", "c", 20 + GRACE)).await;
    assert_eq!(
        late.unwrap(),
        RefreshUse::Reused {
            user_id: u.user_id.clone()
        },
        "at the end of the window a reuse is theft again"
    );
    for live in ["b", "a2", "c"] {
        let used = s.use_refresh_token(rotation(live, "x", 27)).await.unwrap();
        assert_eq!(used, RefreshUse::Invalid, "{live}: revoked with the family");
    }

    // A grace of 0: the first reuse revokes.
    s.create_refresh_token(token("g1", "g", &u.user_id, 30))
        .await
        .unwrap();
    s.use_refresh_token(rotation("g1", "g2", 30)).await.unwrap();
    let strict = RefreshRotation {
        reuse_grace: 0,
        ..rotation("g1", "g3", 30)
    };
    assert_eq!(
        s.use_refresh_token(strict).await.unwrap(),
        RefreshUse::Reused {
            user_id: u.user_id.clone()
        }
    );
}

pub(crate) async fn refresh_tokens_rotate_and_a_reuse_revokes_the_family(s: Store) {
    let u = s.create_user("ann", "h", Role::User).await.unwrap();
    s.create_refresh_token(token("h1", "f1", &u.user_id, 10))
        .await
        .unwrap();
    s.create_refresh_token(token("o1", "f2", &u.user_id, 10))
        .await
        .unwrap();

    let used = s.use_refresh_token(rotation("h1", "h2", 20)).await.unwrap();
    assert_eq!(used, RefreshUse::Rotated(u.clone()));
    let used = s.use_refresh_token(rotation("h2", "h3", 30)).await.unwrap();
    assert_eq!(
        used,
        RefreshUse::Rotated(u.clone()),
        "the replacement works once"
    );

    // h1 comes back: someone kept a copy. Its family (h1, h2, h3) ends; f2 stands.
    let reused = s.use_refresh_token(rotation("h1", "hx", 40)).await.unwrap();
    assert_eq!(
        reused,
        RefreshUse::Reused {
            user_id: u.user_id.clone()
        }
    );
    let after = s.use_refresh_token(rotation("h3", "h4", 41)).await.unwrap();
    assert_eq!(
        after,
        RefreshUse::Invalid,
        "the live token of the family is revoked too"
    );
    let used = s.use_refresh_token(rotation("hx", "hy", 42)).await.unwrap();
    assert_eq!(used, RefreshUse::Invalid, "the reuse issued nothing");
    let other = s.use_refresh_token(rotation("o1", "o2", 43)).await.unwrap();
    assert_eq!(
        other,
        RefreshUse::Rotated(u.clone()),
        "another login's family stands"
    );

    let unknown = s
        .use_refresh_token(rotation("nope", "n2", 44))
        .await
        .unwrap();
    assert_eq!(unknown, RefreshUse::Invalid);
    let expired = s
        .use_refresh_token(rotation("o2", "o3", 43 + 1000))
        .await
        .unwrap();
    assert_eq!(expired, RefreshUse::Invalid, "expired at its time");
}

pub(crate) async fn logout_revokes_a_family_and_logout_all_every_token(s: Store) {
    let ann = s.create_user("ann", "h", Role::User).await.unwrap();
    let bob = s.create_user("bob", "h", Role::User).await.unwrap();
    for (hash, family, user) in [
        ("a1", "fa", &ann),
        ("a2", "fb", &ann),
        ("a3", "fc", &ann),
        ("b1", "fd", &bob),
    ] {
        s.create_refresh_token(token(hash, family, &user.user_id, 10))
            .await
            .unwrap();
    }
    let whose = s.revoke_refresh_family("a1", 20).await.unwrap();
    assert_eq!(whose, Some(ann.user_id.clone()));
    assert_eq!(s.revoke_refresh_family("nope", 20).await.unwrap(), None);
    let used = s.use_refresh_token(rotation("a1", "x", 21)).await.unwrap();
    assert_eq!(used, RefreshUse::Invalid);
    let used = s
        .use_refresh_token(rotation("a2", "a2n", 22))
        .await
        .unwrap();
    assert_eq!(
        used,
        RefreshUse::Rotated(ann.clone()),
        "another login of ann's stands"
    );

    let n = s
        .revoke_user_refresh_tokens(&ann.user_id, 30)
        .await
        .unwrap();
    assert_eq!(n, 3, "a2 (used), its replacement and a3");
    for hash in ["a2n", "a3"] {
        let used = s.use_refresh_token(rotation(hash, "y", 31)).await.unwrap();
        assert_eq!(used, RefreshUse::Invalid, "{hash}");
    }
    let used = s.use_refresh_token(rotation("b1", "b2", 32)).await.unwrap();
    assert_eq!(used, RefreshUse::Rotated(bob), "other users' tokens stand");
}

pub(crate) async fn refresh_tokens_end_with_a_password_change_and_are_swept(s: Store) {
    let ann = s.create_user("ann", "h", Role::User).await.unwrap();
    s.create_refresh_token(token("a1", "fa", &ann.user_id, 10))
        .await
        .unwrap();
    s.create_refresh_token(token("a2", "fb", &ann.user_id, 500))
        .await
        .unwrap();
    assert_eq!(s.sweep_refresh_tokens(1009).await.unwrap(), 0);
    assert_eq!(s.sweep_refresh_tokens(1010).await.unwrap(), 1, "a1 expired");
    s.change_user("ann", UserChange::Password("new".into()))
        .await
        .unwrap();
    let used = s.use_refresh_token(rotation("a2", "x", 600)).await.unwrap();
    assert_eq!(used, RefreshUse::Invalid, "a new password ends every login");

    s.create_refresh_token(token("a3", "fc", &ann.user_id, 700))
        .await
        .unwrap();
    s.change_user("ann", UserChange::Delete).await.unwrap();
    let used = s.use_refresh_token(rotation("a3", "x", 701)).await.unwrap();
    assert_eq!(used, RefreshUse::Invalid, "gone with the account");
}
