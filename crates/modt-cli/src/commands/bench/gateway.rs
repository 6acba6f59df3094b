//! `modt bench gateway`: what the HTTP gateway adds to a call. The same two todo calls —
//! `GET /todos/{id}` and `POST /todos` — go over HTTP through the gateway to the todo unit and,
//! beside them, as the gateway's own MQTT v5 request/reply (the same `ApiRequest`, straight to
//! the unit's topic), in one run on an embedded broker with identify, todo and the gateway
//! in-process.
//!
//! First latency: the four kinds one at a time, interleaved (every other round in reverse
//! order), so all see the same machine state. Then throughput: each kind with
//! `--concurrency` calls in flight (HTTP: one keep-alive connection per worker; MQTT: one
//! client, as the gateway has).

use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Uri};
use hyper_util::rt::TokioIo;
use modt::protocol::{topics, ApiReply, ApiRequest, Caller, Role, TokenPair};
use modt::unit::Setup;
use modt::{Client, ClientConfig, RequestOptions, Topic, Unit};
use modt_broker::{BrokerConfig, EmbeddedBroker, OpenPolicy};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::stats::{ratio_row, row, signed_ms, stats_row, P50Shift, Stats, MIN_PAIRS};

/// How long the gateway, identify and todo get to come online.
const READY_WITHIN: Duration = Duration::from_secs(20);
/// Rate limits far above what the run sends: the bench measures forwarding, not refusals.
const BENCH_RATE: &str = "rate = { per_second = 1000000, burst = 1000000 }";

/// `modt bench gateway`'s flags.
#[derive(Debug, clap::Args)]
pub(crate) struct GatewayBenchArgs {
    /// Calls of each kind to time one at a time.
    #[arg(short = 'n', long, default_value_t = 2000)]
    pub(crate) count: usize,
    /// Unmeasured calls of each kind first.
    #[arg(long, default_value_t = 200)]
    pub(crate) warmup: usize,
    /// Calls of each kind in the throughput runs.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) load: usize,
    /// Calls in flight at once in the throughput runs.
    #[arg(long, default_value_t = 16)]
    pub(crate) concurrency: usize,
    /// Which calls to measure: `get`, `post` or `all`.
    #[arg(long, value_enum, default_value_t = Calls::All)]
    pub(crate) calls: Calls,
}

/// Which of the two calls a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Calls {
    /// `GET /todos/{id}`, both ways.
    Get,
    /// `POST /todos`, both ways.
    Post,
    /// Both calls.
    All,
}

impl Calls {
    /// The kinds of call this selection measures.
    fn kinds(self) -> &'static [Kind] {
        match self {
            Calls::Get => &Kind::ALL[..2],
            Calls::Post => &Kind::ALL[2..],
            Calls::All => &Kind::ALL,
        }
    }
}

/// The four kinds of call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    HttpGet,
    MqttGet,
    HttpPost,
    MqttPost,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::HttpGet, Kind::MqttGet, Kind::HttpPost, Kind::MqttPost];

    fn label(self) -> &'static str {
        match self {
            Kind::HttpGet => "GET /todos/{id} via gateway",
            Kind::MqttGet => "  same, direct MQTT req/reply",
            Kind::HttpPost => "POST /todos via gateway",
            Kind::MqttPost => "  same, direct MQTT req/reply",
        }
    }
}

pub(crate) async fn gateway(args: GatewayBenchArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 || args.count == 0 {
        bail!("--count and --concurrency must be at least 1");
    }
    let broker = EmbeddedBroker::start(
        BrokerConfig::listen(([127, 0, 0, 1], 0).into()),
        Arc::new(OpenPolicy),
    )?;
    let port = broker.local_addr().port();
    let dir = tempfile::tempdir()?;
    let stop = CancellationToken::new();
    let mut units = Vec::new();
    let result = async {
        let system = System::start(port, dir.path(), &stop, &mut units).await?;
        measure(&args, &system).await?;
        system.client.shutdown().await;
        anyhow::Ok(())
    }
    .await;
    stop.cancel();
    for unit in units {
        unit.await.context("unit task")??;
    }
    tokio::task::spawn_blocking(move || broker.stop()).await?;
    result
}

/// Identify, todo and the gateway running on the broker, a user logged in, one todo made.
struct System {
    gateway: SocketAddr,
    client: Client,
    token: String,
    caller: Caller,
    todo_id: String,
    /// `/todos/{todo_id}`, parsed once.
    todo_path: Uri,
}

impl System {
    async fn start(
        port: u16,
        dir: &Path,
        stop: &CancellationToken,
        units: &mut Vec<JoinHandle<Result<(), modt::Error>>>,
    ) -> anyhow::Result<System> {
        let mut setup = Setup::new(dir);
        setup.web.http_addr = Some("127.0.0.1:0".into());
        let routes = dir.join("gateway-routes.toml");
        // Every rate line (the defaults' and the routes' own) raised; the rest as shipped.
        let raised = modt_gateway::routes::BUILTIN
            .lines()
            .map(|l| {
                if l.starts_with("rate = ") {
                    BENCH_RATE
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        if !raised.contains(BENCH_RATE) {
            bail!("the built-in gateway routes no longer set rates where this bench raises them");
        }
        std::fs::write(&routes, raised)?;
        let identify_args =
            IdentifyFlags::try_parse_from(["identify", "--registration", "true"])?.args;
        let gateway_args = modt_gateway::Args {
            routes: Some(routes),
            ..Default::default()
        };
        let built: [Unit; 3] = [
            modt_identify::build(identify_args, &setup).await?,
            modt_todo::build(modt_todo::Args::default(), &setup).await?,
            modt_gateway::build(gateway_args, &setup).await?,
        ];
        let url = built[2]
            .web_address()
            .context("the gateway has no address")?
            .to_owned();
        for unit in built {
            let cfg = ClientConfig::new("127.0.0.1", port, "unused");
            units.push(tokio::spawn(unit.run(cfg, stop.clone())));
        }
        let gateway: SocketAddr = url.trim_start_matches("http://").parse()?;
        wait_ready(gateway).await?;
        let user = format!("bench-{}", super::run_id());
        let mut http = Http::connect(gateway, "").await?;
        let creds =
            json!({"username": user, "password": format!("pw-{}-{}", user, super::run_id())});
        let (status, body) = http
            .call(
                Method::POST,
                Uri::from_static("/auth/register"),
                Some(creds.to_string()),
            )
            .await?;
        if status != 201 && status != 200 {
            bail!(
                "registering the bench user: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let pair: TokenPair = serde_json::from_slice(&body)?;
        let mut http = Http::connect(gateway, &pair.access_token).await?;
        let (status, body) = http
            .call(
                Method::POST,
                Uri::from_static("/todos"),
                Some(json!({"title": "read by the bench"}).to_string()),
            )
            .await?;
        if status != 201 {
            bail!(
                "creating the bench's todo: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let todo: Value = serde_json::from_slice(&body)?;
        let todo_id = todo["id"].as_str().context("todo without id")?.to_owned();
        let client = Client::connect(ClientConfig::new(
            "127.0.0.1",
            port,
            ClientConfig::unique_client_id("bench-gateway"),
        ))
        .await?;
        Ok(System {
            gateway,
            client,
            token: pair.access_token,
            caller: Caller {
                user_id: todo["owner"]
                    .as_str()
                    .context("todo without owner")?
                    .to_owned(),
                username: user,
                role: Role::User,
                tenant: None,
            },
            todo_path: format!("/todos/{todo_id}").parse()?,
            todo_id,
        })
    }

    /// One call of `kind` on `http` (for the HTTP kinds); checks its status.
    async fn call(&self, kind: Kind, http: &mut Http, i: usize) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let title = || json!({"title": format!("bench {i}")});
        let (status, expected) = match kind {
            Kind::HttpGet => {
                let path = self.todo_path.clone();
                (http.call(Method::GET, path, None).await?.0, 200)
            }
            Kind::HttpPost => {
                let body = Some(title().to_string());
                let path = Uri::from_static("/todos");
                (http.call(Method::POST, path, body).await?.0, 201)
            }
            Kind::MqttGet => {
                let mut req = self.api_request("GET", "/todos/{id}");
                req.params.insert("id".into(), self.todo_id.clone());
                (self.mqtt(&topics::TODO_GET, &req).await?, 200)
            }
            Kind::MqttPost => {
                let mut req = self.api_request("POST", "/todos");
                req.body = Some(title());
                (self.mqtt(&topics::TODO_CREATE, &req).await?, 201)
            }
        };
        if status != expected {
            bail!(
                "{}: status {status}, expected {expected}",
                kind.label().trim()
            );
        }
        Ok(started.elapsed())
    }

    fn api_request(&self, method: &str, route: &str) -> ApiRequest {
        let mut req = ApiRequest::new(method, route);
        req.caller = Some(self.caller.clone());
        req.client_addr = Some("127.0.0.1".into());
        req
    }

    async fn mqtt(&self, topic: &Topic, req: &ApiRequest) -> anyhow::Result<u16> {
        let opts = RequestOptions::new().timeout(Duration::from_secs(5));
        let msg = self.client.request(topic, req, opts).await?;
        modt::check_error_reply(topic, &msg)?;
        Ok(msg.json::<ApiReply>()?.status)
    }
}

/// Identify's flags as `modt unit identify` reads them.
#[derive(Debug, Parser)]
struct IdentifyFlags {
    #[command(flatten)]
    args: modt_identify::Args,
}

/// One keep-alive HTTP/1.1 connection to the gateway, driven by the task that calls it: no
/// connection task of its own, so a call does not hand its request and its response between
/// two tasks (four wake-ups per call, paid by the load generator on the gateway's cores). The
/// headers every call sends are made once.
struct Http {
    sender: SendRequest<Full<Bytes>>,
    conn: Pin<Box<Connection<TokioIo<TcpStream>, Full<Bytes>>>>,
    host: HeaderValue,
    auth: Option<HeaderValue>,
}

impl Http {
    async fn connect(addr: SocketAddr, token: &str) -> anyhow::Result<Http> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let auth = match token.is_empty() {
            true => None,
            false => Some(HeaderValue::from_str(&format!("Bearer {token}"))?),
        };
        Ok(Http {
            sender,
            conn: Box::pin(conn),
            host: HeaderValue::from_str(&addr.to_string())?,
            auth,
        })
    }

    async fn call(
        &mut self,
        method: Method,
        path: Uri,
        body: Option<String>,
    ) -> anyhow::Result<(u16, Bytes)> {
        let Http {
            sender,
            conn,
            host,
            auth,
        } = self;
        let exchange = async {
            sender.ready().await?;
            let mut req = hyper::Request::builder()
                .method(method)
                .uri(path)
                .header(HOST, host.clone())
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if let Some(auth) = auth {
                req = req.header(AUTHORIZATION, auth.clone());
            }
            let req = req.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
            let res = sender.send_request(req).await?;
            let status = res.status().as_u16();
            let body = res.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        };
        // The connection makes progress only while it is polled: beside the call, here.
        tokio::select! {
            biased;
            answered = exchange => answered,
            ended = conn.as_mut() => match ended {
                Ok(()) => bail!("the gateway closed the connection"),
                Err(e) => Err(e.into()),
            },
        }
    }
}

/// Waits until the gateway is ready for the calls the benchmark makes: connected to the
/// broker, identify and todo online (its route table names other units too, such as ingest,
/// which the benchmark does not start; `/readyz` lists them as missing), and the JWK Set in.
async fn wait_ready(gateway: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if let Ok(mut http) = Http::connect(gateway, "").await {
            let ready = match http
                .call(Method::GET, Uri::from_static("/readyz"), None)
                .await
            {
                Ok((200, _)) => true,
                Ok((503, body)) => ready_for_bench(&body),
                _ => false,
            };
            if ready {
                let jwks_path = Uri::from_static("/.well-known/jwks.json");
                let (_, jwks) = http.call(Method::GET, jwks_path, None).await?;
                let keys: Value = serde_json::from_slice(&jwks)?;
                if keys["keys"].as_array().is_some_and(|k| !k.is_empty()) {
                    return Ok(());
                }
            }
        }
        if Instant::now() > deadline {
            bail!("the gateway was not ready within {READY_WITHIN:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether a `/readyz` 503 body says only units the benchmark does not use are missing.
fn ready_for_bench(body: &[u8]) -> bool {
    let Ok(health) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let needed = [modt_identify::NAME, modt_todo::NAME];
    health["broker_connected"] == Value::Bool(true)
        && health["missing_units"]
            .as_array()
            .is_some_and(|m| m.iter().all(|u| !needed.iter().any(|n| u == n)))
}

async fn measure(args: &GatewayBenchArgs, system: &System) -> anyhow::Result<()> {
    let kinds = args.calls.kinds();
    let mut http = Http::connect(system.gateway, &system.token).await?;
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); kinds.len()];
    for i in 0..(args.warmup + args.count) {
        // Every other round in reverse, so neither side of a pair always runs first (the
        // second call of a pair finds caches the first warmed).
        let order: Vec<usize> = if i % 2 == 0 {
            (0..kinds.len()).collect()
        } else {
            (0..kinds.len()).rev().collect()
        };
        for k in order {
            let kind = kinds[k];
            let t = system.call(kind, &mut http, i).await?;
            if i >= args.warmup {
                samples[k].push(t);
            }
        }
    }
    let mut rates = Vec::with_capacity(kinds.len());
    for kind in kinds {
        rates.push(throughput(args, system, *kind).await?);
    }
    print_figures(args, &mut samples, &rates);
    Ok(())
}

/// Calls of `kind` per second with `--concurrency` in flight.
async fn throughput(args: &GatewayBenchArgs, system: &System, kind: Kind) -> anyhow::Result<f64> {
    let per_worker = args.load.div_ceil(args.concurrency);
    let started = Instant::now();
    let workers = (0..args.concurrency).map(|w| async move {
        let mut http = Http::connect(system.gateway, &system.token).await?;
        for i in 0..per_worker {
            system.call(kind, &mut http, w * per_worker + i).await?;
        }
        anyhow::Ok(())
    });
    for result in futures::future::join_all(workers).await {
        result?;
    }
    Ok((per_worker * args.concurrency) as f64 / started.elapsed().as_secs_f64())
}

fn print_figures(args: &GatewayBenchArgs, samples: &mut [Vec<Duration>], rates: &[f64]) {
    println!("machine: {}", machine());
    println!(
        "method: embedded broker, identify + todo (SQLite, temp dir) + gateway in this process; \
         HTTP/1.1 keep-alive with a bearer token beside the same ApiRequest as MQTT v5 \
         request/reply (QoS 1) to the todo unit; latency: n = {} of each kind one at a time, \
         interleaved, every other round in reverse (+{} warm-up), \"adds\" = p50 via gateway - p50 direct with a 95% CI by \
         paired bootstrap; throughput: {} of each kind, {} in flight",
        args.count, args.warmup, args.load, args.concurrency
    );
    let kinds = args.calls.kinds();
    // Kinds come in pairs (through the gateway, then the same call direct), called in turn:
    // the i-th samples of a pair were taken one after the other. Paired before sorting.
    let shifts: Vec<Option<P50Shift>> = samples
        .chunks(2)
        .map(|pair| match pair {
            [gateway, direct] => P50Shift::of(gateway, direct),
            _ => None,
        })
        .collect();
    let stats: Vec<Stats> = samples.iter_mut().map(|s| Stats::of(s)).collect();
    row("", ["p50".into(), "p99".into(), "max".into()]);
    for (k, kind) in kinds.iter().enumerate() {
        stats_row(kind.label(), &stats[k]);
        if k % 2 == 1 {
            ratio_row("  ratio (gateway / direct)", &stats[k - 1], &stats[k]);
            // Signed: on a quiet path the gateway can measure faster than direct MQTT.
            let added = signed_ms(stats[k - 1].p50, stats[k].p50);
            let note = match shifts.get(k / 2).copied().flatten() {
                Some(shift) => shift.note(),
                None => format!("(fewer than {MIN_PAIRS} pairs: no interval)"),
            };
            println!("{:<30} {added:>10}  {note}", "  gateway adds at p50");
        }
    }
    println!();
    println!("{:<30} {:>10}", "", "calls/s");
    for (kind, rate) in kinds.iter().zip(rates) {
        println!("{:<30} {:>10.0}", kind.label(), rate);
    }
}

/// The CPU model and core count, from /proc/cpuinfo where there is one.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "{model}, {cores} cores, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::ready_for_bench;

    #[test]
    fn the_bench_waits_only_for_the_units_it_calls() {
        let only_ingest =
            br#"{"status":"not_ready","broker_connected":true,"missing_units":["ingest"]}"#;
        assert!(ready_for_bench(only_ingest));
        let todo =
            br#"{"status":"not_ready","broker_connected":true,"missing_units":["ingest","todo"]}"#;
        assert!(!ready_for_bench(todo));
        let offline =
            br#"{"status":"not_ready","broker_connected":false,"missing_units":["ingest"]}"#;
        assert!(!ready_for_bench(offline));
        assert!(!ready_for_bench(b"not json"));
    }
}
