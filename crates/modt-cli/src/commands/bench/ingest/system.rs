//! The system under test of `modt bench ingest`: the MoDT bus (an embedded broker here), the
//! external broker the devices publish to (a Mosquitto started here with its default
//! configuration, or one given), and the ingest unit as its own process (`modt unit ingest`,
//! its demo connection subscribed to `+/gateway/#` on the external broker), with what the
//! bench reads of it: its resident memory (`/proc`) and its Prometheus counters; and the
//! identify unit (its own process on the bus) the devices page's user logs in at.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use modt::protocol::ingest::{ConnectionState, ConnectionStatus};
use modt::protocol::topics;
use modt::{Client, ClientConfig, QoS};
use modt_broker::{BrokerConfig, EmbeddedBroker, OpenPolicy};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{Child, Command};

use super::page::Identify;

/// How long the ingest unit gets to come online and connect its demo connection.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// Everything running.
pub(super) struct System {
    pub(super) bus: EmbeddedBroker,
    /// The external broker's `host:port`.
    pub(super) external: (String, u16),
    /// Mosquitto, when started here.
    _mosquitto: Option<Child>,
    pub(super) ingest: Child,
    /// Where the ingest unit serves `/metrics`.
    metrics: String,
    /// The ingest unit's web side (the devices page and its `/events`).
    pub(super) web: SocketAddr,
    /// The identify unit the page's user logs in at.
    pub(super) identify: Identify,
    _dir: tempfile::TempDir,
}

/// Where the external broker comes from.
pub(super) enum External {
    /// Start this Mosquitto binary with its default configuration.
    Start(PathBuf),
    /// Use the broker at `host:port`.
    At(String, u16),
}

impl System {
    /// Starts the bus, the external broker (unless given) and the ingest unit.
    pub(super) async fn start(exe: &Path, external: External) -> anyhow::Result<System> {
        let bus = EmbeddedBroker::start(
            BrokerConfig::listen(([127, 0, 0, 1], 0).into()),
            Arc::new(OpenPolicy),
        )?;
        let (mosquitto, external) = match external {
            External::At(host, port) => (None, (host, port)),
            External::Start(bin) => {
                let port = free_port()?;
                let child = mosquitto(&bin, port)
                    .or_else(|e| match bin.as_os_str() == "mosquitto" {
                        // Debian installs it in /usr/sbin, which a user's PATH may lack.
                        true => mosquitto(Path::new(SBIN_MOSQUITTO), port),
                        false => Err(e),
                    })
                    .with_context(|| {
                        format!(
                            "cannot start {} (--mosquitto PATH, or --external-broker)",
                            bin.display()
                        )
                    })?;
                wait_port(port).await?;
                (Some(child), ("127.0.0.1".to_owned(), port))
            }
        };
        let dir = tempfile::tempdir()?;
        let http = free_port()?;
        let demo = format!("{}:{}", external.0, external.1);
        let ingest = spawn_unit(
            exe,
            "ingest",
            bus.local_addr().port(),
            SocketAddr::from(([127, 0, 0, 1], http)),
            dir.path(),
            &["--ingest-demo-broker", &demo],
        )?;
        let identify_web = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let identify =
            Identify::start(exe, dir.path(), bus.local_addr().port(), identify_web).await?;
        Ok(System {
            bus,
            external,
            _mosquitto: mosquitto,
            ingest,
            metrics: format!("127.0.0.1:{http}"),
            web: SocketAddr::from(([127, 0, 0, 1], http)),
            identify,
            _dir: dir,
        })
    }

    /// A client on the bus.
    pub(super) async fn bus_client(&self, prefix: &str) -> anyhow::Result<Client> {
        let port = self.bus.local_addr().port();
        Ok(Client::connect(ClientConfig::new(
            "127.0.0.1",
            port,
            ClientConfig::unique_client_id(prefix),
        ))
        .await?)
    }

    /// A client on the external broker.
    pub(super) async fn device_client(&self) -> anyhow::Result<Client> {
        let (host, port) = &self.external;
        Ok(Client::connect(ClientConfig::new(
            host.clone(),
            *port,
            ClientConfig::unique_client_id("bench-devices"),
        ))
        .await?)
    }

    /// Waits until the ingest unit's demo connection says it is connected.
    pub(super) async fn ready(&self, bus: &Client) -> anyhow::Result<()> {
        let mut statuses = bus
            .subscribe(&topics::ALL_INGEST_STATUS, QoS::AtLeastOnce)
            .await?;
        let wait = async {
            while let Some(msg) = statuses.recv().await {
                if msg
                    .json::<ConnectionStatus>()
                    .is_ok_and(|s| s.state == ConnectionState::Connected)
                {
                    return true;
                }
            }
            false
        };
        match tokio::time::timeout(READY_WITHIN, wait).await {
            Ok(true) => Ok(()),
            _ => bail!("the ingest unit's demo connection did not connect within {READY_WITHIN:?}"),
        }
    }

    /// The ingest process's resident memory, KiB.
    pub(super) fn rss_kib(&self) -> anyhow::Result<u64> {
        let pid = self.ingest.id().context("the ingest unit has ended")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .context("no VmRSS in /proc/PID/status")
    }

    /// The ingest process's CPU time so far, user and system (`/proc/PID/stat`).
    pub(super) fn cpu(&self) -> anyhow::Result<Duration> {
        let pid = self.ingest.id().context("the ingest unit has ended")?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        cpu_of_stat(&stat).context("no utime and stime in /proc/PID/stat")
    }

    /// The ingest unit's counters now.
    pub(super) async fn counters(&self) -> anyhow::Result<Counters> {
        let text = scrape(&self.metrics).await?;
        Ok(Counters::parse(&text))
    }

    /// Stops everything.
    pub(super) async fn stop(mut self) -> anyhow::Result<()> {
        self.ingest.kill().await.ok();
        self.identify.stop().await;
        tokio::task::spawn_blocking(move || self.bus.stop()).await?;
        Ok(())
    }
}

/// `modt unit NAME` as its own process on the bus at `bus_port`, its web side on `web`, its data
/// in `dir`, with `extra` flags: warnings only, killed with the bench.
pub(super) fn spawn_unit(
    exe: &Path,
    name: &str,
    bus_port: u16,
    web: SocketAddr,
    dir: &Path,
    extra: &[&str],
) -> anyhow::Result<Child> {
    super::super::unit_command(exe, name, &bus_port.to_string(), dir)
        .arg("--http-addr")
        .arg(web.to_string())
        .args(extra)
        .spawn()
        .with_context(|| format!("cannot start modt unit {name}"))
}

/// The ingest unit's counters (docs/ingest.md, "Discovery and the pipeline").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counters {
    /// Parsed and stored.
    pub(super) parsed: u64,
    /// Refused by a parser.
    pub(super) failed: u64,
    /// No parser.
    pub(super) unparsed: u64,
    /// Shed at the full queue (QoS 0).
    pub(super) shed: u64,
}

impl Counters {
    /// Reads the Prometheus text exposition.
    pub(super) fn parse(text: &str) -> Counters {
        let value = |prefix: &str| -> u64 {
            text.lines()
                .filter(|l| l.starts_with(prefix))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .map(|v| v as u64)
                .sum()
        };
        Counters {
            parsed: value("modt_ingest_messages_total{outcome=\"parsed\"}"),
            failed: value("modt_ingest_messages_total{outcome=\"failed\"}"),
            unparsed: value("modt_ingest_messages_total{outcome=\"unparsed\"}"),
            shed: value("modt_ingest_shed_total"),
        }
    }

    /// Messages that reached the unit.
    pub(super) fn received(&self) -> u64 {
        self.parsed + self.failed + self.unparsed + self.shed
    }

    /// What changed since `before`.
    pub(super) fn since(&self, before: &Counters) -> Counters {
        Counters {
            parsed: self.parsed.saturating_sub(before.parsed),
            failed: self.failed.saturating_sub(before.failed),
            unparsed: self.unparsed.saturating_sub(before.unparsed),
            shed: self.shed.saturating_sub(before.shed),
        }
    }
}

/// `GET /metrics` from `addr`, HTTP/1.0, the body.
async fn scrape(addr: &str) -> anyhow::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("cannot reach the ingest unit's metrics at {addr}"))?;
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: bench\r\n\r\n")
        .await?;
    let mut text = String::new();
    stream.read_to_string(&mut text).await?;
    Ok(text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default())
}

/// Clock ticks a second in `/proc/PID/stat` (`USER_HZ`, 100 on Linux).
const TICKS_PER_S: u64 = 100;

/// User plus system time of a `/proc/PID/stat` line (fields 14 and 15; the command name,
/// field 2, is in parentheses and may hold spaces).
fn cpu_of_stat(stat: &str) -> Option<Duration> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 1000 / TICKS_PER_S))
}

/// Where Debian installs Mosquitto.
const SBIN_MOSQUITTO: &str = "/usr/sbin/mosquitto";

/// `bin -p PORT`: Mosquitto with its default configuration, on `port`.
fn mosquitto(bin: &Path, port: u16) -> std::io::Result<Child> {
    Command::new(bin)
        .args(["-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
}

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Waits (at most 10 s) until something listens on `port`.
async fn wait_port(port: u16) -> anyhow::Result<()> {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("nothing listens on port {port} within 10 s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_read_from_the_exposition() {
        let text = "# TYPE modt_ingest_messages_total counter\n\
            modt_ingest_messages_total{outcome=\"parsed\"} 120\n\
            modt_ingest_messages_total{outcome=\"failed\"} 3\n\
            modt_ingest_shed_total 40\n\
            modt_ingest_stored_total 123\n";
        let c = Counters::parse(text);
        assert_eq!(
            c,
            Counters {
                parsed: 120,
                failed: 3,
                unparsed: 0,
                shed: 40
            }
        );
        assert_eq!(c.received(), 163);
        assert_eq!(c.since(&Counters { parsed: 20, ..c }).parsed, 100);
    }

    #[test]
    fn cpu_time_is_read_past_a_command_name_with_spaces() {
        let stat = "4242 (modt unit) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 31 0 0 20 0 9 0";
        assert_eq!(cpu_of_stat(stat), Some(Duration::from_millis(2_810)));
        assert_eq!(cpu_of_stat("4242 (modt) S 1"), None);
    }
}
