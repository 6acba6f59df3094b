//! Throttle counters and login handshakes, as every backend must keep them. Times are given
//! explicitly (Unix ms), so nothing waits.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use modt_identify::handshake::ReadyApp;
use modt_identify::sessions::SessionKey;
use modt_identify::store::{IdentityStore, NewHandshake, ThrottleTake};

type Store = Arc<dyn IdentityStore>;

const WINDOW: Duration = Duration::from_secs(60);

fn take(limits: &[(&str, usize)], now_ms: i64) -> ThrottleTake {
    ThrottleTake {
        limits: limits.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
        window: WINDOW,
        now_ms,
        max_keys: 1000,
    }
}

fn keys(names: &[&str]) -> Vec<String> {
    names.iter().map(|k| k.to_string()).collect()
}

pub(crate) async fn throttle_counts_until_a_limit_and_reopens_after_the_window(s: Store) {
    let limits = [("ua:alice/1.1.1.1", 3), ("a:1.1.1.1", 5)];
    for at in [1_000, 2_000, 3_000] {
        assert_eq!(s.throttle_take(take(&limits, at)).await.unwrap(), Ok(()));
    }
    assert_eq!(
        s.throttle_take(take(&limits, 11_000)).await.unwrap(),
        Err(Duration::from_secs(50)),
        "until the oldest leaves the window"
    );
    assert_eq!(s.throttle_tracked().await.unwrap(), 2);
    // A refusal counts nothing: the address (limit 5) still holds 3.
    let address = [("a:1.1.1.1", 4)];
    assert_eq!(
        s.throttle_take(take(&address, 11_000)).await.unwrap(),
        Ok(())
    );
    assert!(s
        .throttle_take(take(&address, 11_000))
        .await
        .unwrap()
        .is_err());
    // One left the window at 61 000.
    assert_eq!(
        s.throttle_take(take(&limits, 61_000)).await.unwrap(),
        Ok(())
    );
    // A wait is at least a second.
    let one = [("r:9.9.9.9", 1)];
    s.throttle_take(take(&one, 0)).await.unwrap().unwrap();
    assert_eq!(
        s.throttle_take(take(&one, 59_999)).await.unwrap(),
        Err(Duration::from_secs(1))
    );
}

pub(crate) async fn concurrent_takes_never_pass_a_limit(s: Store) {
    let limits = [("ua:dana/1.1.1.1", 5), ("u:dana", 50), ("a:1.1.1.1", 20)];
    let tries = join_all((0..40).map(|_| s.throttle_take(take(&limits, 1_000)))).await;
    let passed = tries
        .into_iter()
        .filter(|r| matches!(r, Ok(Ok(()))))
        .count();
    assert_eq!(passed, 5);
}

pub(crate) async fn uncounting_and_forgetting(s: Store) {
    let limits = [("u:erin", 2), ("a:2.2.2.2", 2)];
    s.throttle_take(take(&limits, 1_000))
        .await
        .unwrap()
        .unwrap();
    s.throttle_take(take(&limits, 2_000))
        .await
        .unwrap()
        .unwrap();
    assert!(s
        .throttle_take(take(&limits, 3_000))
        .await
        .unwrap()
        .is_err());
    s.throttle_uncount(keys(&["u:erin", "a:2.2.2.2"]), 2_000)
        .await
        .unwrap();
    s.throttle_take(take(&limits, 3_000))
        .await
        .unwrap()
        .unwrap();
    // Uncounting a time that was never counted changes nothing.
    s.throttle_uncount(keys(&["a:2.2.2.2", "u:nobody"]), 7)
        .await
        .unwrap();
    assert!(s
        .throttle_take(take(&limits, 3_500))
        .await
        .unwrap()
        .is_err());
    s.throttle_forget(keys(&["u:erin"])).await.unwrap();
    assert!(
        s.throttle_take(take(&[("u:erin", 2)], 4_000))
            .await
            .unwrap()
            .is_ok(),
        "forgotten"
    );
    assert!(
        s.throttle_take(take(&[("a:2.2.2.2", 2)], 4_000))
            .await
            .unwrap()
            .is_err(),
        "the other key keeps its counts"
    );
    // A key whose last event is taken back is no longer tracked.
    s.throttle_take(take(&[("r:5.5.5.5", 9)], 5_000))
        .await
        .unwrap()
        .unwrap();
    let before = s.throttle_tracked().await.unwrap();
    s.throttle_uncount(keys(&["r:5.5.5.5"]), 5_000)
        .await
        .unwrap();
    assert_eq!(s.throttle_tracked().await.unwrap(), before - 1);
}

pub(crate) async fn tracked_keys_stay_bounded(s: Store) {
    let bounded = |key: String, now_ms| ThrottleTake {
        limits: vec![(key, 5)],
        window: WINDOW,
        now_ms,
        max_keys: 10,
    };
    // Ten keys whose events left the window, then ten live ones.
    for i in 0..10 {
        s.throttle_take(bounded(format!("old{i}"), i))
            .await
            .unwrap()
            .unwrap();
    }
    for i in 0..10 {
        let at = 100_000 + i;
        s.throttle_take(bounded(format!("new{i}"), at))
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        s.throttle_tracked().await.unwrap(),
        10,
        "the expired went first"
    );
    // Full of live keys: the stalest tenth (one) goes.
    s.throttle_take(bounded("newest".into(), 100_100))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.throttle_tracked().await.unwrap(), 10);
    let limit_one = |key: &str| ThrottleTake {
        limits: vec![(key.to_string(), 1)],
        window: WINDOW,
        now_ms: 100_200,
        max_keys: 1000,
    };
    assert!(
        s.throttle_take(limit_one("new0")).await.unwrap().is_ok(),
        "the stalest live key was forgotten"
    );
    assert!(s.throttle_take(limit_one("new9")).await.unwrap().is_err());
}

fn handshake(session: &str, id: &str, now_ms: i64) -> NewHandshake {
    NewHandshake {
        key: SessionKey::of(session),
        handshake_id: id.to_string(),
        now_ms,
        deadline_ms: now_ms + 10_000,
        keep_ms: 300_000,
        max: 100,
    }
}

pub(crate) async fn the_first_app_answers_a_handshake(s: Store) {
    let key = SessionKey::of("s1");
    s.begin_handshake(handshake("s1", "h1", 1_000))
        .await
        .unwrap();
    let r = s.handshake(&key).await.unwrap().unwrap();
    assert_eq!(
        (r.handshake_id.as_str(), r.deadline_ms, r.app),
        ("h1", 11_000, None)
    );
    assert_eq!(
        s.handshake_ready("s1", "by session id", "http://x/")
            .await
            .unwrap(),
        None,
        "only the handshake id answers"
    );
    assert_eq!(
        s.handshake_ready("h1", "one", "http://one/").await.unwrap(),
        Some(key.clone())
    );
    assert_eq!(
        s.handshake_ready("h1", "two", "http://two/").await.unwrap(),
        None
    );
    let app = s.handshake(&key).await.unwrap().unwrap().app;
    let one = ReadyApp {
        app_name: "one".into(),
        redirect_url: "http://one/".into(),
    };
    assert_eq!(app, Some(one));
    assert!(s
        .handshake(&SessionKey::of("nobody"))
        .await
        .unwrap()
        .is_none());
}

pub(crate) async fn a_new_handshake_replaces_the_old_one(s: Store) {
    let key = SessionKey::of("s1");
    s.begin_handshake(handshake("s1", "old", 1_000))
        .await
        .unwrap();
    s.handshake_ready("old", "first", "http://first/")
        .await
        .unwrap();
    s.begin_handshake(handshake("s1", "new", 2_000))
        .await
        .unwrap();
    let r = s.handshake(&key).await.unwrap().unwrap();
    assert_eq!(
        (r.handshake_id.as_str(), r.deadline_ms, r.app),
        ("new", 12_000, None)
    );
    assert_eq!(
        s.handshake_ready("old", "late", "http://late/")
            .await
            .unwrap(),
        None
    );
    assert!(s
        .handshake_ready("new", "now", "http://now/")
        .await
        .unwrap()
        .is_some());
    s.forget_handshake(&key).await.unwrap();
    assert!(s.handshake(&key).await.unwrap().is_none());
    assert_eq!(s.handshakes_kept().await.unwrap(), 0);
}

pub(crate) async fn handshakes_are_kept_a_while_and_bounded(s: Store) {
    s.begin_handshake(handshake("old", "h-old", 0))
        .await
        .unwrap();
    // At 309 999 the old one (deadline 10 000, kept 300 000) is still there …
    s.begin_handshake(handshake("a", "h-a", 309_999))
        .await
        .unwrap();
    assert!(s.handshake(&SessionKey::of("old")).await.unwrap().is_some());
    // … at 310 000 it goes.
    s.begin_handshake(handshake("b", "h-b", 310_000))
        .await
        .unwrap();
    assert!(s.handshake(&SessionKey::of("old")).await.unwrap().is_none());
    assert_eq!(s.handshakes_kept().await.unwrap(), 2);
    // Full: the earliest deadline goes.
    for i in 0..5 {
        let mut h = handshake(&format!("s{i}"), &format!("h{i}"), 320_000 + i);
        h.max = 4;
        s.begin_handshake(h).await.unwrap();
    }
    assert_eq!(s.handshakes_kept().await.unwrap(), 4);
    assert!(s.handshake(&SessionKey::of("a")).await.unwrap().is_none());
    assert!(s.handshake(&SessionKey::of("s4")).await.unwrap().is_some());
}
