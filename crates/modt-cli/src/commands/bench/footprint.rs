//! `modt bench footprint`: what MoDT's processes cost at rest, read from `/proc` (Linux).
//!
//! 1. `modt unit echo`, `hub` and `state`, each its own process on an embedded broker started
//!    here, measured `--settle` after each is online: resident memory (RSS), its anonymous part
//!    (heap and stacks: what the process itself owns; the rest is the binary's code and the C
//!    libraries, shared by every process of this binary) and threads.
//! 2. `modt up` (its own broker, every unit, web sides on free ports), measured the same way.
//! 3. The state unit under load: acknowledged sets and gets, then RSS sampled every second
//!    for `--after` to see it give memory back (goal: within 20 % of idle within a minute).
//! 4. The binary's size.
//! 5. With `--unit-binary NAME=PATH`: `PATH unit NAME` (a binary built with only that unit's
//!    cargo feature, docs/footprint.md) measured as in 1, and that binary's size; for `state`,
//!    also loaded and watched as in 3.
//!
//! Every row also shows how much of the RSS is pages of the process's own executable file
//! (`/proc/PID/smaps`): its code and read-only data, mapped in as they are first touched.
//! Every process is a real child of this binary (or of the given one) with its own temporary
//! data directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use futures::StreamExt as _;
use modt::protocol::{presence_status, topics, StateAck, StateGet, StateSet};
use modt::{Client, QoS};
use serde_json::json;
use tokio::io::AsyncBufReadExt as _;
use tokio::process::{Child, Command};

use crate::cli::FootprintArgs;

/// How far above idle the state unit may stay after a load (the goal).
const BACK_WITHIN: f64 = 0.20;

/// What `/proc/PID/status` says of a process's memory.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    /// Resident set, KiB.
    rss_kib: u64,
    /// Its anonymous part, KiB.
    anon_kib: u64,
    /// Threads.
    threads: u64,
    /// Resident pages of the executable file's own mappings, KiB.
    exe_kib: u64,
}

impl Usage {
    /// Reads `/proc/{pid}/status`.
    fn of(pid: u32) -> anyhow::Result<Usage> {
        let path = format!("/proc/{pid}/status");
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        let field = |name: &str| -> u64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok(Usage {
            rss_kib: field("VmRSS:"),
            anon_kib: field("RssAnon:"),
            threads: field("Threads:"),
            exe_kib: exe_resident(pid).unwrap_or(0),
        })
    }
}

/// The resident KiB of `pid`'s mappings of its own executable file, from `/proc/{pid}/smaps`.
fn exe_resident(pid: u32) -> anyhow::Result<u64> {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe"))?;
    let exe = exe.to_string_lossy();
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps"))?;
    let mut total = 0;
    let mut in_exe = false;
    for line in smaps.lines() {
        if let Some(rss) = line.strip_prefix("Rss:") {
            if in_exe {
                total += rss
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        } else if is_mapping_header(line) {
            in_exe = line.ends_with(exe.as_ref());
        }
    }
    Ok(total)
}

/// A mapping's first line in smaps (`start-end perms offset dev inode [path]`), as opposed to
/// its `Field: value` lines.
fn is_mapping_header(line: &str) -> bool {
    line.split_whitespace()
        .next()
        .is_some_and(|range| range.contains('-') && !range.ends_with(':'))
}

/// A `--unit-binary` value: `NAME=PATH`.
pub(crate) fn parse_unit_binary(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_owned(), PathBuf::from(path)))
        }
        _ => Err(format!("{text:?} is not NAME=PATH (e.g. echo=./modt-echo)")),
    }
}

fn mb(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 * 1024.0 / 1e6)
}

pub(crate) async fn footprint(args: FootprintArgs) -> anyhow::Result<()> {
    if !Path::new("/proc/self/status").exists() {
        bail!(
            "modt bench footprint reads /proc, which this system does not have (it is Linux-only)"
        );
    }
    let exe = std::env::current_exe().context("cannot find this binary")?;
    let mut broker_args = args.client.broker.clone();
    let broker = super::embedded_broker(true, &mut broker_args)?;
    let port = broker_args.port.to_string();
    let watcher = Client::connect(
        broker_args.client_config(modt::ClientConfig::unique_client_id("footprint"))?,
    )
    .await?;
    let dir = tempfile::tempdir().context("cannot make a temporary data directory")?;
    println!(
        "footprint: {} cores; each process measured {:?} after it is online; RSS = resident \
         memory, anon = its heap and stacks (the rest is code and libraries, shared by every \
         process of this binary)",
        std::thread::available_parallelism().map_or(1, usize::from),
        args.settle
    );
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>8}   goal (RSS)",
        "process", "RSS", "anon", "exe file", "threads"
    );
    let mut state = None;
    let started = Started {
        watcher: &watcher,
        port: &port,
        data_dir: dir.path(),
        settle: args.settle,
    };
    for name in ["echo", "hub", "state"] {
        let (child, usage) = started.unit(&exe, name).await?;
        print_row(&format!("modt unit {name}"), usage, goal(name));
        if name == "state" {
            state = Some((child, usage));
        }
    }
    let up = measure_up(&exe, &args).await?;
    print_row("modt up (broker + every unit)", up, "≤ 30 MB");
    if let Some((child, idle)) = state {
        after_load(&watcher, "modt unit state", &child, idle, &args).await?;
        drop(child);
    }
    binary(&exe)?;
    for (name, path) in &args.unit_binary {
        let (child, usage) = started.unit(path, name).await?;
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
        let what = format!("{} unit {name}", file.as_deref().unwrap_or("?"));
        print_row(&what, usage, goal(name));
        if name == "state" {
            after_load(&watcher, &what, &child, usage, &args).await?;
        }
        drop(child);
        binary(path)?;
    }
    watcher.shutdown().await;
    super::stop_broker(broker).await
}

/// The RSS goal of a unit run alone (issue 19), where there is one.
fn goal(unit: &str) -> &'static str {
    match unit {
        "echo" => "≤ 6 MB",
        "state" => "≤ 12 MB",
        _ => "",
    }
}

/// Where the measured units run: the embedded broker, a data directory, how long to settle.
struct Started<'a> {
    watcher: &'a Client,
    port: &'a str,
    data_dir: &'a Path,
    settle: Duration,
}

impl Started<'_> {
    /// Starts `exe unit NAME`, waits until it is online and has settled, and measures it. The
    /// process ends when the returned child is dropped.
    async fn unit(&self, exe: &Path, name: &str) -> anyhow::Result<(Child, Usage)> {
        let unit_id = format!("footprint-{name}-{}", super::run_id());
        let child = super::unit_command(exe, name, self.port, self.data_dir)
            .args(["--unit-id", &unit_id])
            .spawn()
            .with_context(|| format!("cannot start {} unit {name}", exe.display()))?;
        wait_online(self.watcher, &unit_id).await?;
        tokio::time::sleep(self.settle).await;
        let usage = Usage::of(pid(&child)?)?;
        Ok((child, usage))
    }
}

fn pid(child: &Child) -> anyhow::Result<u32> {
    child.id().context("the child process has already ended")
}

fn print_row(what: &str, u: Usage, goal: &str) {
    println!(
        "{what:<34} {:>9} {:>9} {:>9} {:>8}   {goal}",
        mb(u.rss_kib),
        mb(u.anon_kib),
        mb(u.exe_kib),
        u.threads
    );
}

/// Waits (at most 15 s) until `unit_id` says it is online.
async fn wait_online(client: &Client, unit_id: &str) -> anyhow::Result<()> {
    let topic = topics::unit_status(unit_id)?;
    let mut sub = client
        .subscribe(&topic.to_filter(), QoS::AtLeastOnce)
        .await?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, sub.recv()).await {
            Ok(Some(m)) if m.payload.as_ref() == presence_status::ONLINE.as_bytes() => {
                return Ok(())
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => bail!("unit {unit_id} did not come online within 15 s"),
        }
    }
}

/// Starts `modt up` on free ports in a data directory of its own, waits until it says it is
/// up, lets it settle, and measures it.
async fn measure_up(exe: &Path, args: &FootprintArgs) -> anyhow::Result<Usage> {
    let dir = tempfile::tempdir().context("cannot make a temporary data directory")?;
    let port = free_port()?;
    let mut child = Command::new(exe)
        .args(["up", "--broker-port", &port.to_string(), "--web-port", "0"])
        .arg("--data-dir")
        .arg(dir.path())
        .env("MODT_LOG", "warn")
        .env_remove("MODT_WORKER_THREADS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start modt up")?;
    let stdout = child.stdout.take().context("no stdout from modt up")?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await? {
            if line.contains("Press Ctrl-C") {
                return Ok::<bool, std::io::Error>(true);
            }
        }
        Ok(false)
    })
    .await;
    if !matches!(ready, Ok(Ok(true))) {
        bail!("modt up did not start within 30 s");
    }
    tokio::time::sleep(args.settle).await;
    let usage = Usage::of(pid(&child)?)?;
    child.kill().await.ok();
    Ok(usage)
}

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Loads the state unit `what` (a process of `child`) with acknowledged sets and gets, then
/// watches it give memory back.
async fn after_load(
    client: &Client,
    what: &str,
    child: &Child,
    idle: Usage,
    args: &FootprintArgs,
) -> anyhow::Result<()> {
    let pid = pid(child)?;
    let user = format!("footprint-{}", super::run_id());
    let started = Instant::now();
    let sets = (0..args.sets).map(|i| {
        let key = format!("k{}", i % 1000);
        let set = StateSet::new(user.as_str(), key, json!({"i": i, "pad": "x".repeat(200)}));
        (topics::STATE_SET, serde_json::to_value(set))
    });
    load::<StateAck>(client, "sets", sets, 256).await?;
    let gets = (0..args.sets / 10).map(|i| {
        let get = StateGet::new(user.as_str(), format!("k{}", i % 1000));
        (topics::STATE_GET, serde_json::to_value(get))
    });
    load::<serde_json::Value>(client, "gets", gets, 64).await?;
    let loaded = Usage::of(pid)?;
    println!(
        "{what} under load: {} acknowledged sets and {} gets in {:.1} s; RSS {} (anon {}), {} threads",
        args.sets,
        args.sets / 10,
        started.elapsed().as_secs_f64(),
        mb(loaded.rss_kib),
        mb(loaded.anon_kib),
        loaded.threads
    );
    let limit = (idle.rss_kib as f64 * (1.0 + BACK_WITHIN)) as u64;
    let watch = Instant::now();
    let mut back_after = None;
    let mut last = loaded;
    while watch.elapsed() < args.after {
        tokio::time::sleep(Duration::from_secs(1)).await;
        last = Usage::of(pid)?;
        if last.rss_kib <= limit && back_after.is_none() {
            back_after = Some(watch.elapsed());
        } else if last.rss_kib > limit {
            back_after = None;
        }
    }
    let verdict = match back_after {
        Some(t) => format!(
            "back within 20 % of idle ({}) after {:.0} s",
            mb(limit),
            t.as_secs_f64()
        ),
        None => format!(
            "not back within 20 % of idle ({}) in {:?}",
            mb(limit),
            args.after
        ),
    };
    println!(
        "{what} after the load: {verdict}; RSS {} (anon {}) at the end   goal: within a minute",
        mb(last.rss_kib),
        mb(last.anon_kib)
    );
    Ok(())
}

/// Sends every correlated request of `requests` (topic, body) with at most `window` in flight,
/// and fails unless every one was answered with an `R`.
async fn load<R: serde::de::DeserializeOwned>(
    client: &Client,
    what: &str,
    requests: impl Iterator<Item = (modt::Topic, serde_json::Result<serde_json::Value>)>,
    window: usize,
) -> anyhow::Result<()> {
    let (mut sent, mut failed) = (0, 0);
    let mut answers = futures::stream::iter(requests)
        .map(|(topic, body)| async move {
            let body = body?;
            client
                .request_json::<_, R>(
                    &topic,
                    &body,
                    modt::RequestOptions::new().timeout(Duration::from_secs(30)),
                )
                .await?;
            anyhow::Ok(())
        })
        .buffer_unordered(window);
    while let Some(answer) = answers.next().await {
        sent += 1;
        failed += usize::from(answer.is_err());
    }
    if failed > 0 {
        bail!("{failed} of {sent} {what} failed");
    }
    Ok(())
}

/// The binary's size (the `dist` profile is what ships: docs/footprint.md).
fn binary(exe: &Path) -> anyhow::Result<()> {
    let size = std::fs::metadata(exe)
        .with_context(|| format!("cannot read {}", exe.display()))?
        .len();
    println!(
        "binary {}: {}   goal: ≤ 25 MB as shipped (cargo build --profile dist, docs/footprint.md)",
        exe.display(),
        mb(size / 1024),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_binary_is_name_equals_path() {
        assert_eq!(
            parse_unit_binary("echo=/opt/modt-echo"),
            Ok(("echo".to_owned(), PathBuf::from("/opt/modt-echo")))
        );
        assert!(parse_unit_binary("echo").is_err());
        assert!(parse_unit_binary("=x").is_err());
        assert!(parse_unit_binary("echo=").is_err());
    }

    #[test]
    fn smaps_mapping_headers_are_told_from_fields() {
        assert!(is_mapping_header(
            "55da2c16f000-55da2c348000 r--p 00000000 fe:00 10011188   /usr/bin/modt"
        ));
        assert!(!is_mapping_header("Rss:                 644 kB"));
        assert!(!is_mapping_header("VmFlags: rd mr mw me"));
    }

    #[test]
    fn this_process_has_resident_pages_of_its_executable() {
        let kib = exe_resident(std::process::id()).unwrap_or(0);
        if Path::new("/proc/self/smaps").exists() {
            assert!(kib > 0, "no resident pages of the test binary found");
        }
    }
}
