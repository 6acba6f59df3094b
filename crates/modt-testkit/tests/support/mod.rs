//! What the SDK's integration tests share: an echo unit and a client on one broker.

use modt::{Client, ClientConfig};
use modt_testkit::{client_id, wait_online, RunningUnit};

/// Starts an echo unit configured by `unit` and connects a client configured by `client`
/// (both made by one broker's `client_config`); returns once the client sees the unit online,
/// with the unit's id.
pub(crate) async fn start_echo(
    unit: ClientConfig,
    client: ClientConfig,
) -> (RunningUnit, Client, String) {
    let unit_id = client_id("echo");
    let running = RunningUnit::start(modt_echo::unit().unit_id(&unit_id), unit);
    let client = Client::connect(client)
        .await
        .expect("the test client connects");
    wait_online(&client, &unit_id).await;
    (running, client, unit_id)
}
