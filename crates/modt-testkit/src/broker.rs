//! Brokers for tests: the embedded one, or a real `mosquitto` process, on an ephemeral port.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use modt::{ClientConfig, MqttVersion};
use modt_broker::{BrokerConfig, EmbeddedBroker, OpenPolicy};

/// Which broker a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerKind {
    /// The broker embedded in `modt` (rmqtt).
    Embedded,
    /// A real Mosquitto process, tuned as `modt broker config` writes it (`set_tcp_nodelay
    /// true`, large queues).
    Mosquitto,
    /// A real Mosquitto exactly as users start it: `mosquitto -p PORT`, no config file, so
    /// Nagle's algorithm on and the default queue limits (1000 queued, 20 in flight).
    MosquittoStock,
    /// A real Mosquitto with the original MoDT's `broker/mosquitto.conf` (`listener`,
    /// `allow_anonymous true`, nothing else: the same defaults as no config file).
    MosquittoOriginal,
}

impl BrokerKind {
    /// Every kind, for tests that must hold on each broker as users run it.
    pub const ALL: [BrokerKind; 4] = [
        BrokerKind::Embedded,
        BrokerKind::Mosquitto,
        BrokerKind::MosquittoStock,
        BrokerKind::MosquittoOriginal,
    ];

    /// Whether this is a Mosquitto process.
    pub fn is_mosquitto(self) -> bool {
        self != BrokerKind::Embedded
    }
}

#[derive(Debug)]
enum Running {
    Embedded(EmbeddedBroker),
    Mosquitto(Child),
    Stopped,
}

/// A broker started for one test. Stopped on drop.
#[derive(Debug)]
pub struct TestBroker {
    kind: BrokerKind,
    addr: SocketAddr,
    running: Running,
    dir: tempfile::TempDir,
    /// Extra lines for mosquitto.conf (TLS settings).
    extra_conf: String,
}

/// Where the `mosquitto` binary is, if installed.
pub fn mosquitto_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MODT_MOSQUITTO") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/sbin/mosquitto",
        "/usr/bin/mosquitto",
        "/usr/local/sbin/mosquitto",
        "/usr/local/bin/mosquitto",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

impl TestBroker {
    /// Starts the embedded broker on 127.0.0.1 and a free port.
    pub fn embedded() -> TestBroker {
        let dir = tempfile::tempdir().expect("temp dir");
        let broker = EmbeddedBroker::start(
            BrokerConfig::listen(([127, 0, 0, 1], 0).into()),
            Arc::new(OpenPolicy),
        )
        .expect("start the embedded broker");
        let addr = broker.local_addr();
        TestBroker {
            kind: BrokerKind::Embedded,
            addr,
            running: Running::Embedded(broker),
            dir,
            extra_conf: String::new(),
        }
    }

    /// Starts a real Mosquitto on a free port, or returns `None` (printing why) when it is not
    /// installed. CI installs it and sets `MODT_REQUIRE_MOSQUITTO`, so there it never skips.
    pub fn mosquitto() -> Option<TestBroker> {
        TestBroker::mosquitto_kind(BrokerKind::Mosquitto)
    }

    /// Starts Mosquitto as users run it, with no config file (see [`BrokerKind::MosquittoStock`]).
    pub fn mosquitto_stock() -> Option<TestBroker> {
        TestBroker::mosquitto_kind(BrokerKind::MosquittoStock)
    }

    fn mosquitto_kind(kind: BrokerKind) -> Option<TestBroker> {
        if !mosquitto_available() {
            return None;
        }
        Some(TestBroker::spawn_mosquitto(
            kind,
            tempfile::tempdir().expect("temp dir"),
            String::new(),
        ))
    }

    /// Starts Mosquitto on a free port with `extra_conf` appended to its config.
    fn spawn_mosquitto(kind: BrokerKind, dir: tempfile::TempDir, extra_conf: String) -> TestBroker {
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let mut b = TestBroker {
            kind,
            addr,
            running: Running::Stopped,
            dir,
            extra_conf,
        };
        b.start_mosquitto();
        b
    }

    /// Starts a real Mosquitto that only speaks TLS, with a certificate for `localhost` and
    /// `127.0.0.1` from a CA made for this test. Returns the broker and the CA's PEM file.
    pub fn mosquitto_tls() -> Option<(TestBroker, PathBuf)> {
        if !mosquitto_available() {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "modt test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA cert");
        let key = rcgen::KeyPair::generate().expect("server key");
        let params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("server params");
        let cert = params.signed_by(&key, &ca).expect("server cert");
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).expect("write CA");
        std::fs::write(dir.path().join("server.pem"), cert.pem()).expect("write cert");
        std::fs::write(dir.path().join("server.key"), key.serialize_pem()).expect("write key");
        let extra_conf = format!(
            "cafile {0}/ca.pem\ncertfile {0}/server.pem\nkeyfile {0}/server.key\n",
            dir.path().display()
        );
        Some((
            TestBroker::spawn_mosquitto(BrokerKind::Mosquitto, dir, extra_conf),
            ca_file,
        ))
    }

    /// Starts the given kind; `None` only for Mosquitto when it is not installed.
    pub fn start(kind: BrokerKind) -> Option<TestBroker> {
        match kind {
            BrokerKind::Embedded => Some(TestBroker::embedded()),
            kind => TestBroker::mosquitto_kind(kind),
        }
    }

    fn start_mosquitto(&mut self) {
        let port = self.addr.port();
        let conf = self.dir.path().join("mosquitto.conf");
        let body = match self.kind {
            BrokerKind::MosquittoStock => None,
            // The original's file, bound to loopback for the test.
            BrokerKind::MosquittoOriginal => Some(format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\n"
            )),
            _ => Some(format!(
                "per_listener_settings false\nallow_anonymous true\nlistener {port} 127.0.0.1\n\
                 set_tcp_nodelay true\npersistence false\nmax_queued_messages 100000\nlog_type error\n{}",
                self.extra_conf,
            )),
        };
        let path = mosquitto_path().expect("mosquitto installed");
        let mut cmd = Command::new(path);
        match body {
            Some(body) => {
                std::fs::write(&conf, body).expect("write mosquitto.conf");
                cmd.arg("-c").arg(&conf);
            }
            // No config file: Mosquitto 2 then listens on loopback only, anonymous allowed.
            None => {
                cmd.arg("-p").arg(port.to_string());
            }
        }
        // Untuned brokers log every connection to stderr: keep that in the test's directory.
        let log = std::fs::File::create(self.dir.path().join("mosquitto.log"))
            .expect("create mosquitto.log");
        let stderr = if self.kind == BrokerKind::Mosquitto {
            Stdio::inherit()
        } else {
            Stdio::from(log)
        };
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawn mosquitto");
        self.running = Running::Mosquitto(child);
        wait_for_port(self.addr);
    }

    /// The broker's kind.
    pub fn kind(&self) -> BrokerKind {
        self.kind
    }

    /// The broker's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The broker's port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A client config for this broker with a unique client id made from `prefix`.
    pub fn client_config(&self, prefix: &str, version: MqttVersion) -> ClientConfig {
        let mut cfg = ClientConfig::new("127.0.0.1", self.port(), crate::client_id(prefix))
            .with_version(version);
        // Tests restart brokers; reconnect quickly.
        cfg.reconnect_max = Duration::from_millis(500);
        cfg
    }

    /// Stops the broker (dropping every connection) and keeps the port for [`restart`](Self::restart).
    pub fn stop(&mut self) {
        match std::mem::replace(&mut self.running, Running::Stopped) {
            Running::Embedded(b) => b.stop(),
            Running::Mosquitto(mut c) => {
                let _ = c.kill();
                let _ = c.wait();
            }
            Running::Stopped => {}
        }
    }

    /// Starts the broker again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        match self.kind {
            BrokerKind::Embedded => {
                // The old socket may linger briefly; retry the bind for a few seconds.
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    match EmbeddedBroker::start(
                        BrokerConfig::listen(self.addr),
                        Arc::new(OpenPolicy),
                    ) {
                        Ok(b) => {
                            self.running = Running::Embedded(b);
                            break;
                        }
                        Err(e) if Instant::now() < deadline => {
                            eprintln!("restart: {e}; retrying");
                            std::thread::sleep(Duration::from_millis(100));
                        }
                        Err(e) => panic!("could not restart the embedded broker: {e}"),
                    }
                }
            }
            _ => self.start_mosquitto(),
        }
    }
}

/// Whether Mosquitto can be started; prints why not (or panics under CI, where
/// `MODT_REQUIRE_MOSQUITTO` is set) when it cannot.
fn mosquitto_available() -> bool {
    if mosquitto_path().is_some() {
        return true;
    }
    if std::env::var_os("MODT_REQUIRE_MOSQUITTO").is_some() {
        panic!("MODT_REQUIRE_MOSQUITTO is set but mosquitto is not installed");
    }
    eprintln!(
        "SKIP: mosquitto is not installed (apt-get install mosquitto); Mosquitto test not run"
    );
    false
}

fn wait_for_port(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("broker did not listen on {addr} within 10 s");
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        self.stop();
    }
}
