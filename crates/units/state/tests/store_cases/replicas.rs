//! Cases for replicas of the unit: two stores open on one database at once, as two state
//! processes on one PostgreSQL database (or one SQLite file on one machine) are.

use std::sync::Arc;

use futures::future::join_all;
use modt_state::{Store, Write};
use modt_store::Location;
use serde_json::json;

use super::{set, store, value, versions, U};

/// Requests sent to both replicas at once.
const RACED: usize = 300;

/// Each request reaches both replicas at the same time (a retry landing on the other replica
/// while the first still works on it): one applies it, the other replays its answer.
pub(crate) async fn a_request_raced_on_two_replicas_is_applied_once(at: &Location) {
    let (a, b) = (store(at).await, store(at).await);
    let mut tickets = Vec::with_capacity(RACED);
    for i in 0..RACED {
        let retry = format!("modt/reply/w/c|{i}");
        let write = || vec![set(&format!("r{i}"), json!(i))];
        // Alternate who gets it first, so both sides win some.
        let (first, second) = match i % 2 {
            0 => (&a.store, &b.store),
            _ => (&b.store, &a.store),
        };
        let one = first.submit(Some(&retry), write()).unwrap();
        let two = second.submit(Some(&retry), write()).unwrap();
        tickets.push(async move { (one.committed().await, two.committed().await) });
    }
    let results = join_all(tickets).await;
    for (i, (one, two)) in results.into_iter().enumerate() {
        let (one, two) = (one.unwrap(), two.unwrap());
        assert_eq!(versions(&one), [1], "request {i}");
        assert_eq!(versions(&two), [1], "request {i}: the first answer again");
        assert!(
            one.replayed != two.replayed,
            "request {i}: exactly one replica applies it ({one:?}, {two:?})"
        );
    }
    for i in [0, RACED / 2, RACED - 1] {
        assert_eq!(value(&a.store, &format!("r{i}")).await, Some((json!(i), 1)));
    }
    a.close().await;
    b.close().await;
}

/// A write acknowledged by one replica is what a read on the other returns.
pub(crate) async fn a_write_acked_by_one_replica_is_read_by_the_other(at: &Location) {
    let (a, b) = (store(at).await, store(at).await);
    for i in 0..20 {
        let (writer, reader) = match i % 2 {
            0 => (&a.store, &b.store),
            _ => (&b.store, &a.store),
        };
        let c = writer
            .submit(None, vec![set("shared", json!(i))])
            .unwrap()
            .committed()
            .await
            .unwrap();
        assert_eq!(versions(&c), [i + 1]);
        assert_eq!(value(reader, "shared").await, Some((json!(i), i + 1)));
    }
    a.close().await;
    b.close().await;
}

fn delete(key: &str) -> Write {
    Write::Delete {
        user_id: U.into(),
        key: key.into(),
        if_version: None,
    }
}

/// Two replicas writing the same keys in opposite orders, at once: PostgreSQL may abort one
/// transaction as a deadlock; the store runs it again, so both batches commit.
pub(crate) async fn replicas_writing_keys_in_opposite_orders_both_commit(at: &Location) {
    let (a, b) = (store(at).await, store(at).await);
    for round in 0..3 {
        let forward = vec![delete("x"), delete("y"), set("x", json!(round))];
        let backward = vec![delete("y"), delete("x"), set("y", json!(round))];
        let both: [(&Arc<dyn Store>, Vec<Write>); 2] = [(&a.store, forward), (&b.store, backward)];
        let tickets: Vec<_> = both
            .into_iter()
            .map(|(s, w)| s.submit(None, w).unwrap().committed())
            .collect();
        for result in join_all(tickets).await {
            assert!(result.is_ok(), "round {round}: {result:?}");
        }
    }
    a.close().await;
    b.close().await;
}
