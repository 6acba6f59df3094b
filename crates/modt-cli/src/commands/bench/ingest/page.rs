//! The devices page's live feed as a browser gets it: a user created with `modt users add`,
//! logged in at the identify unit (`POST /api/login`, its own process on the bus), and the
//! ingest unit's `GET /events` (server-sent events) read with that session cookie. Every marked
//! reading of a `devices` event is kept with the time it came, so the bench measures publish →
//! the page's live update; `resync` events (the page fell behind and would reload) are counted.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context as _};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Full};
use hyper::header::{ACCEPT, CONTENT_TYPE, COOKIE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::load::{lock, number, Marked};
use super::system::spawn_unit;

/// The bench's page user.
const USER: &str = "bench-page";

/// Longest a server-sent event may grow before the feed gives up on the stream.
const MAX_EVENT_BYTES: usize = 16 << 20;

/// The identify unit, as its own process on the bus, with one user.
pub(super) struct Identify {
    child: Child,
    web: SocketAddr,
    password: String,
}

impl Identify {
    /// Creates the user in `dir` (`modt users add`), then starts `modt unit identify` there
    /// on the bus at `bus_port`, its web side on `web`.
    pub(super) async fn start(
        exe: &Path,
        dir: &Path,
        bus_port: u16,
        web: SocketAddr,
    ) -> anyhow::Result<Identify> {
        let password = format!("pw-{}-{}", super::super::run_id(), std::process::id());
        let added = Command::new(exe)
            .args(["users", "add", USER, "--data-dir"])
            .arg(dir)
            .env("MODT_USER_PASSWORD", &password)
            .env("MODT_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .await
            .context("cannot run modt users add")?;
        if !added.status.success() {
            bail!(
                "modt users add failed: {}",
                String::from_utf8_lossy(&added.stderr)
            );
        }
        let child = spawn_unit(exe, "identify", bus_port, web, dir, &[])?;
        Ok(Identify {
            child,
            web,
            password,
        })
    }

    /// Logs the user in (`POST /api/login`); the session id. Retried while identify starts.
    pub(super) async fn login(&self) -> anyhow::Result<String> {
        let body = serde_json::json!({"username": USER, "password": self.password}).to_string();
        let mut last = None;
        for _ in 0..100 {
            let request = Request::builder()
                .method(Method::POST)
                .uri("/api/login")
                .header(HOST, self.web.to_string())
                .header(CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(body.clone())))?;
            match send(self.web, request).await {
                Ok(response) if response.status() == 200 => {
                    let bytes = response.into_body().collect().await?.to_bytes();
                    let session: serde_json::Value = serde_json::from_slice(&bytes)?;
                    return session["session_id"]
                        .as_str()
                        .map(str::to_owned)
                        .context("the login answer has no session_id");
                }
                Ok(response) => last = Some(format!("HTTP {}", response.status())),
                Err(e) => last = Some(e.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("could not log in at the identify unit: {last:?}")
    }

    /// Stops the identify process.
    pub(super) async fn stop(mut self) {
        self.child.kill().await.ok();
    }
}

/// One request on a new connection; the response with its body still streaming.
async fn send<B>(
    at: SocketAddr,
    request: Request<B>,
) -> anyhow::Result<hyper::Response<hyper::body::Incoming>>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(at).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender.send_request(request).await?)
}

/// The page's feed: marked readings with the time each came, and the resyncs.
pub(super) struct PageFeed {
    got: Arc<Mutex<Vec<(u64, Instant)>>>,
    resyncs: Arc<AtomicU64>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl PageFeed {
    /// Opens `GET /events` on the ingest unit's web side at `web` with `session`.
    pub(super) async fn open(web: SocketAddr, session: &str) -> anyhow::Result<PageFeed> {
        let request = Request::builder()
            .method(Method::GET)
            .uri("/events")
            .header(HOST, web.to_string())
            .header(ACCEPT, "text/event-stream")
            .header(
                COOKIE,
                format!("{}={session}", modt_web::cookies::SESSION_COOKIE),
            )
            .body(Empty::<Bytes>::new())?;
        let response = send(web, request).await?;
        if response.status() != 200 {
            bail!(
                "the devices page's feed answered HTTP {}",
                response.status()
            );
        }
        let got = Arc::new(Mutex::new(Vec::new()));
        let resyncs = Arc::new(AtomicU64::new(0));
        let stop = CancellationToken::new();
        let mut body = response.into_body();
        let (sink, resynced, token) = (got.clone(), resyncs.clone(), stop.clone());
        let task = tokio::spawn(async move {
            let mut buf: Vec<u8> = Vec::new();
            loop {
                let frame = tokio::select! {
                    _ = token.cancelled() => break,
                    f = body.frame() => f,
                };
                let Some(Ok(frame)) = frame else { break };
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                let at = Instant::now();
                buf.extend_from_slice(&data);
                while let Some(end) = find(&buf, b"\n\n") {
                    let block: Vec<u8> = buf.drain(..end + 2).collect();
                    match parse(&block) {
                        Some(Sse::Devices(marks)) => {
                            lock(&sink).extend(marks.into_iter().map(|n| (n, at)));
                        }
                        Some(Sse::Resync) => {
                            resynced.fetch_add(1, Ordering::Relaxed);
                        }
                        None => {}
                    }
                }
                if buf.len() > MAX_EVENT_BYTES {
                    break;
                }
            }
        });
        Ok(PageFeed {
            got,
            resyncs,
            stop,
            task,
        })
    }

    /// Takes what came so far, and the resyncs since the last take.
    pub(super) fn take(&self) -> (Vec<(u64, Instant)>, u64) {
        let got = std::mem::take(&mut *lock(&self.got));
        (got, self.resyncs.swap(0, Ordering::Relaxed))
    }

    /// Closes the feed.
    pub(super) async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What the bench reads of one server-sent event.
#[derive(Debug, PartialEq)]
enum Sse {
    /// A `devices` event: the marks of its readings.
    Devices(Vec<u64>),
    /// The page fell behind.
    Resync,
}

/// One event block (`event:` and `data:` lines); `None` for the events the bench ignores.
fn parse(block: &[u8]) -> Option<Sse> {
    let text = std::str::from_utf8(block).ok()?;
    let mut name = "message";
    let mut data = String::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            name = v.trim();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    }
    match name {
        "devices" => {
            let events: Vec<Marked> = serde_json::from_str(&data).ok()?;
            Some(Sse::Devices(events.iter().filter_map(number).collect()))
        }
        "resync" => Some(Sse::Resync),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_events_give_their_marks_and_resyncs_are_told() {
        let block = b"event: devices\ndata: [{\"datalogger\":{\"sensors\":[{\"id\":\"t\",\"value\":1.5},{\"id\":\"n\",\"value\":42}]}},{\"gateway\":{}}]\n\n";
        assert_eq!(parse(block), Some(Sse::Devices(vec![42])));
        assert_eq!(
            parse(b"event: resync\ndata: devices\n\n"),
            Some(Sse::Resync)
        );
        assert_eq!(parse(b"event: status\ndata: {}\n\n"), None);
        assert_eq!(parse(b": keep-alive\n\n"), None);
    }
}
