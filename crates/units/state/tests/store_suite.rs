//! The store's semantics, one suite run against every backend: SQLite (a temporary file) and
//! PostgreSQL (a fresh database of the test kit's throw-away cluster; skipped with a reason
//! when PostgreSQL is not installed, unless `MODT_REQUIRE_POSTGRES=1`).
//!
//! Each case takes a [`Location`] and opens the store itself with `modt_state::store::open`,
//! so reopening (durability, remembered requests across restarts) is part of the suite.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod store_cases;

use modt_store::{Location, PostgresUrl};

/// Where one case's store lives, and what keeps it there.
pub(crate) struct Place {
    pub(crate) at: Location,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Option<Place> {
    let dir = tempfile::tempdir().unwrap();
    Some(Place {
        at: Location::sqlite(dir.path().join("modt_state.db")),
        _dir: Some(dir),
    })
}

async fn postgres() -> Option<Place> {
    let db = modt_testkit::postgres::test_database().await?;
    let url = PostgresUrl::parse(&db.url).unwrap();
    Some(Place {
        at: Location::postgres(url, modt_state::store::SCHEMA).unwrap(),
        _dir: None,
    })
}

/// One `#[tokio::test]` per case and backend: `sqlite::versions_count_writes`, …
macro_rules! suite {
    ($backend:ident: $($case:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(place) = super::$backend().await else {
                        return;
                    };
                    super::store_cases::$case(&place.at).await;
                }
            )*
        }
    };
}

macro_rules! both {
    ($($case:ident),* $(,)?) => {
        suite!(sqlite: $($case),*);
        suite!(postgres: $($case),*);
    };
}

both!(
    versions_count_writes,
    if_version_conflicts_change_nothing,
    a_conflict_undoes_only_its_own_batch,
    deletes_and_clears_report_what_they_removed,
    keys_sort_bytewise_and_filter_by_prefix,
    get_many_answers_in_the_order_asked,
    keys_with_a_ttl_vanish,
    a_retried_batch_is_applied_once,
    a_retried_batch_in_the_same_group_is_applied_once,
    a_barrier_sees_every_earlier_write,
    many_concurrent_writes_all_commit_in_order,
    data_and_remembered_requests_survive_a_reopen,
    interleaved_writes_keep_their_order,
    a_request_raced_on_two_replicas_is_applied_once,
    a_write_acked_by_one_replica_is_read_by_the_other,
    replicas_writing_keys_in_opposite_orders_both_commit,
);
