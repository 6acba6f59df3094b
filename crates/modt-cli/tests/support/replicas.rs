//! Starting replicas of a unit as `modt` processes, shared by `replicas.rs` and `cluster.rs`.

use modt::Client;
use modt_testkit::wait_online;

use super::ModtProcess;

/// Starts a replica for each of `ids` with `start` (given its index) and returns once every
/// one is online, as `client` sees. The first starts alone and is online before the others
/// start: it makes the schema (PostgreSQL's `CREATE SCHEMA IF NOT EXISTS` can fail when two
/// run it at the same moment).
pub(crate) async fn start_in_turn(
    client: &Client,
    ids: &[String],
    mut start: impl FnMut(usize) -> ModtProcess,
) -> Vec<ModtProcess> {
    let mut replicas = Vec::with_capacity(ids.len());
    for (k, id) in ids.iter().enumerate() {
        replicas.push(start(k));
        if k == 0 {
            wait_online(client, id).await;
        }
    }
    for id in ids {
        wait_online(client, id).await;
    }
    replicas
}
