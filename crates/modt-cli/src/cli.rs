//! The command line: every command, flag and environment variable of `modt`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use modt::env::BrokerArgs;

/// MoDT: small units that cooperate over an MQTT broker.
#[derive(Debug, Parser)]
#[command(name = "modt", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, env = "MODT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    /// Log filter, e.g. `info` or `modt=debug,rmqtt=warn` (RUST_LOG syntax). Default: `info`
    /// for `up` and `unit`, `warn` for the other commands (their output is the answer).
    #[arg(long, global = true, env = "MODT_LOG")]
    pub(crate) log: Option<String>,
    /// Runtime worker threads (default: what the command needs: 1 for the CLI's one-shot
    /// commands and the light units, 2 for units with storage or pages, one per core for
    /// `up` and benchmarks).
    #[arg(long, global = true, env = "MODT_WORKER_THREADS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) worker_threads: Option<u16>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

impl Cli {
    /// The log filter: `--log`, else `info` for the long-running `up` and `unit`, `warn` for
    /// commands whose output is the answer.
    pub(crate) fn log_filter(&self) -> &str {
        match (&self.log, &self.command) {
            (Some(filter), _) => filter,
            #[cfg(feature = "up")]
            (None, Command::Up(_)) => "info",
            (None, Command::Unit(_)) => "info",
            (None, _) => "warn",
        }
    }

    /// The runtime's worker threads: `--worker-threads`, else [`Command::worker_threads`].
    pub(crate) fn worker_threads(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        self.worker_threads
            .map_or_else(|| self.command.worker_threads(cores), usize::from)
    }
}

impl Command {
    /// The worker threads this command needs on a machine with `cores` cores. A unit that
    /// answers small messages keeps up with its broker on one; storage and web pages get two,
    /// so a slow page or a commit never holds up the rest.
    pub(crate) fn worker_threads(&self, cores: usize) -> usize {
        match self {
            #[cfg(feature = "up")]
            Command::Up(_) => cores,
            #[cfg(feature = "bench")]
            Command::Bench(_) => cores,
            Command::Unit(u) => u.which.threads(cores),
            _ => 1,
        }
    }
}

/// Log output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

// `up` carries every unit's flags, so it outweighs the rest; the command is parsed once per
// process, so its size costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the whole system: the embedded broker plus every unit.
    #[cfg(feature = "up")]
    Up(UpArgs),
    /// Run one unit against a broker (embedded or external, e.g. Mosquitto or EMQX).
    Unit(UnitCmd),
    /// Publish one message.
    Pub(PubArgs),
    /// Print messages matching topic filters (pretty JSON).
    Sub(SubArgs),
    /// Watch every message on the bus, colored, with secrets masked (like the monitor page).
    #[cfg(feature = "tools")]
    Monitor(MonitorArgs),
    /// Send a correlated request and print its reply.
    Req(ReqArgs),
    /// Read and write the state unit's per-user keys (correlated requests, acked writes).
    #[cfg(feature = "tools")]
    State(StateCmd),
    /// Ask the hub registry, as a unit does (legacy requests, answers matched by id).
    #[cfg(feature = "tools")]
    Hub(HubCmd),
    /// Benchmarks against a running broker.
    #[cfg(feature = "bench")]
    #[command(subcommand)]
    Bench(BenchCmd),
    /// Manage the identify unit's accounts (works on its database in the data directory).
    #[cfg(feature = "tools")]
    Users(UsersCmd),
    /// Token signing keys of the identify unit: rotate, list (works on its database).
    #[cfg(feature = "tools")]
    Auth(crate::commands::auth::AuthCmd),
    /// Broker configuration for running MoDT on an external Mosquitto.
    #[command(subcommand)]
    Broker(BrokerCmd),
    /// Simulators: `sim devices` publishes device messages for the ingest unit.
    #[command(subcommand)]
    #[cfg(feature = "tools")]
    Sim(crate::commands::sim::SimCmd),
}

#[derive(Debug, Subcommand)]
pub(crate) enum BrokerCmd {
    /// Write Mosquitto's password_file, acl_file and a mosquitto.conf from the broker policy
    /// and the local credentials (generated if missing).
    Config(BrokerConfigArgs),
    /// Run the embedded broker alone, optionally as one node of a broker cluster
    /// (--cluster-node, --cluster-peers; docs/broker-cluster.md).
    #[cfg(feature = "up")]
    Serve(BrokerServeArgs),
}

#[cfg(feature = "up")]
#[derive(Debug, Args)]
pub(crate) struct BrokerServeArgs {
    /// Address the broker listens on for MQTT (`host:port`; port 0 picks a free one).
    #[arg(long, env = "MODT_BROKER_LISTEN", default_value = "127.0.0.1:1883")]
    pub(crate) listen: std::net::SocketAddr,
    /// Let clients connect without credentials and do anything: local development only.
    #[arg(long, env = "MODT_ALLOW_ANONYMOUS")]
    pub(crate) allow_anonymous: bool,
    /// Directory holding (or to hold) the accounts' passwords; every node of a cluster
    /// needs the same ones.
    #[arg(long, env = "MODT_DATA_DIR", default_value = "./modt-data")]
    pub(crate) data_dir: PathBuf,
    /// The broker policy (default: the one shipped, config/broker-policy.toml).
    #[arg(long, env = "MODT_BROKER_POLICY")]
    pub(crate) broker_policy: Option<PathBuf>,
    /// Topic namespace the policy is enforced in.
    #[arg(long, env = "MODT_NAMESPACE", default_value = "modt")]
    pub(crate) namespace: modt::protocol::Namespace,
    /// This node's id in the broker cluster (from 1); with --cluster-peers.
    #[arg(long, env = "MODT_CLUSTER_NODE", value_name = "ID")]
    pub(crate) cluster_node: Option<u64>,
    /// Every node of the cluster, this one included, as ID@HOST:PORT of its cluster port
    /// (not its MQTT port), comma-separated: `1@10.0.0.1:5363,2@10.0.0.2:5363`.
    #[arg(
        long,
        env = "MODT_CLUSTER_PEERS",
        value_delimiter = ',',
        value_name = "ID@HOST:PORT"
    )]
    pub(crate) cluster_peers: Vec<modt_broker::ClusterPeer>,
}

#[derive(Debug, Args)]
pub(crate) struct BrokerConfigArgs {
    /// Where to write the files.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Directory holding (or to hold) the units' credentials.
    #[arg(long, env = "MODT_DATA_DIR", default_value = "./modt-data")]
    pub(crate) data_dir: PathBuf,
    /// The broker policy (default: the one shipped, config/broker-policy.toml).
    #[arg(long, env = "MODT_BROKER_POLICY")]
    pub(crate) broker_policy: Option<PathBuf>,
    /// Address Mosquitto listens on.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) bind: String,
    /// Port Mosquitto listens on.
    #[arg(long, default_value_t = 1883)]
    pub(crate) port: u16,
    /// The user Mosquitto runs as when started as root (its default: `mosquitto`); it must
    /// be able to read the password and ACL files, which are readable by their owner only.
    #[arg(long)]
    pub(crate) mosquitto_user: Option<String>,
    /// Topic namespace the ACL is written for (every `modt/…` rule moves into it).
    #[arg(long, env = "MODT_NAMESPACE", default_value = "modt")]
    pub(crate) namespace: modt::protocol::Namespace,
}

/// Where the identify unit keeps its accounts, for the commands that read them (`users`,
/// `state`): resolved as `modt up` resolves it.
#[cfg(feature = "tools")]
#[derive(Debug, Clone, Args)]
pub(crate) struct AccountsArgs {
    /// Where the units' data lives, as for `modt up`: `postgres://…` (the identify unit's
    /// accounts in its schema, modt_identify) or `sqlite://DIR` (its file inside DIR).
    /// Default: the file in --data-dir.
    #[arg(
        long,
        global = true,
        env = "MODT_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub(crate) database_url: Option<modt_store::DatabaseUrl>,
    /// The identify unit's own database, overriding --database-url: `sqlite://FILE` or
    /// `postgres://…` (schema modt_identify).
    #[arg(
        long,
        global = true,
        env = "MODT_IDENTIFY_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub(crate) identify_database_url: Option<modt_store::DatabaseUrl>,
}

#[cfg(feature = "tools")]
impl AccountsArgs {
    /// Where the accounts are, with `data_dir` as the default's directory.
    pub(crate) fn location(
        &self,
        data_dir: &std::path::Path,
    ) -> Result<modt_store::Location, modt_store::Error> {
        modt_store::resolve(modt_store::UnitStorage {
            unit_url: self.identify_database_url.as_ref(),
            global_url: self.database_url.as_ref(),
            data_dir,
            sqlite_file: modt_identify::build::DATA.sqlite_file,
            schema: modt_identify::build::DATA.schema,
        })
    }
}

#[cfg(feature = "tools")]
#[derive(Debug, Args)]
pub(crate) struct UsersCmd {
    /// Directory holding the identify unit's database.
    #[arg(
        long,
        global = true,
        env = "MODT_DATA_DIR",
        default_value = "./modt-data"
    )]
    pub(crate) data_dir: PathBuf,
    /// Where the accounts live.
    #[command(flatten)]
    pub(crate) accounts: AccountsArgs,
    #[command(subcommand)]
    pub(crate) op: UsersOp,
}

#[cfg(feature = "tools")]
#[derive(Debug, Subcommand)]
pub(crate) enum UsersOp {
    /// Create an account. The password is read from --password-file, from
    /// MODT_USER_PASSWORD, or asked for on the terminal (not echoed).
    Add {
        /// The user name (3–32 characters: letters, digits, '.', '_', '-').
        name: String,
        /// Make the user an administrator.
        #[arg(long)]
        admin: bool,
        /// Read the password from this file (first line).
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// List the accounts.
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        jsonl: bool,
    },
    /// Delete an account; its sessions end.
    Delete {
        /// The user name.
        name: String,
    },
    /// Set a new password (as for `add`); the account's sessions end.
    Passwd {
        /// The user name.
        name: String,
        /// Read the password from this file (first line).
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Grant or revoke administrator rights.
    Role {
        /// The user name.
        name: String,
        /// `admin` or `user`.
        role: RoleArg,
    },
}

/// A role on the command line.
#[cfg(feature = "tools")]
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum RoleArg {
    /// Administrator: may open the monitor.
    Admin,
    /// Ordinary user.
    User,
}

#[cfg(feature = "tools")]
#[derive(Debug, Args)]
pub(crate) struct StateCmd {
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    /// How long to wait for the state unit.
    #[arg(long, global = true, default_value = "5s", value_parser = humantime::parse_duration)]
    pub(crate) timeout: Duration,
    /// Use USER as a user id even when the data directory's accounts know no such user (a
    /// user name is otherwise resolved to the account's id).
    #[arg(long, global = true)]
    pub(crate) any_user: bool,
    /// Where the accounts that user names resolve against live.
    #[command(flatten)]
    pub(crate) accounts: AccountsArgs,
    #[command(subcommand)]
    pub(crate) op: StateOp,
}

#[cfg(feature = "tools")]
#[derive(Debug, Subcommand)]
pub(crate) enum StateOp {
    /// Print one key's value, version and last write time.
    Get {
        /// The user: an account's name or id (see `modt users list`).
        user_id: String,
        /// The key.
        key: String,
    },
    /// Store a value: JSON when it parses as JSON (5, true, {"a":1}), else a plain string.
    Set {
        /// The user: an account's name or id (see `modt users list`).
        user_id: String,
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Store the value as a string even if it parses as JSON.
        #[arg(long)]
        string: bool,
        /// Write only if the key's version is this (0: only if it does not exist).
        #[arg(long)]
        if_version: Option<u64>,
        /// Expire the key after this long (e.g. `10m`).
        #[arg(long, value_parser = humantime::parse_duration)]
        ttl: Option<Duration>,
    },
    /// List a user's keys.
    Keys {
        /// The user: an account's name or id (see `modt users list`).
        user_id: String,
        /// Only keys starting with this.
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Print all of a user's keys and values.
    All {
        /// The user: an account's name or id (see `modt users list`).
        user_id: String,
    },
    /// Delete one key.
    Delete {
        /// The user: an account's name or id (see `modt users list`).
        user_id: String,
        /// The key.
        key: String,
        /// Delete only if the key's version is this.
        #[arg(long)]
        if_version: Option<u64>,
    },
    /// Delete all of a user's keys.
    Clear {
        /// The user: an account's name or id (see `modt users list`).
        user_id: String,
    },
}

#[cfg(feature = "tools")]
impl StateOp {
    /// The user every operation names.
    pub(crate) fn user_id_mut(&mut self) -> &mut String {
        match self {
            StateOp::Get { user_id, .. }
            | StateOp::Set { user_id, .. }
            | StateOp::Keys { user_id, .. }
            | StateOp::All { user_id }
            | StateOp::Delete { user_id, .. }
            | StateOp::Clear { user_id } => user_id,
        }
    }
}

#[cfg(feature = "tools")]
#[derive(Debug, Args)]
pub(crate) struct HubCmd {
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    /// How long to wait for the hub (no answer in time: status 408 and a non-zero exit).
    #[arg(long, global = true, default_value = "5s", value_parser = humantime::parse_duration)]
    pub(crate) timeout: Duration,
    /// The unit to ask as: requests go to `modt/{unit}/…`, answers come on `modt/{unit}/response`.
    #[arg(long = "as", global = true, default_value = "cli")]
    pub(crate) as_unit: String,
    #[command(subcommand)]
    pub(crate) op: HubOp,
}

#[cfg(feature = "tools")]
#[derive(Debug, Subcommand)]
pub(crate) enum HubOp {
    /// Print a key's answer: 200 live, 203 default, 404 unknown.
    Get {
        /// The key.
        key: String,
    },
    /// Create or replace a key: JSON when the value parses as JSON (5, true, {"a":1}), else a string.
    Post {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Store the value as a string even if it parses as JSON.
        #[arg(long)]
        string: bool,
    },
    /// Replace a key the hub knows (a live value or a default); 404 and nothing stored otherwise.
    Put {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Store the value as a string even if it parses as JSON.
        #[arg(long)]
        string: bool,
    },
}

/// What every client command takes: where the broker is, how to log in, and the data directory
/// whose local `cli` credentials it uses when no credentials are given.
#[derive(Debug, Clone, Args)]
pub(crate) struct ClientArgs {
    #[command(flatten)]
    pub(crate) broker: BrokerArgs,
    /// Directory `modt up` keeps its data in; its `credentials/cli.password` is used when no
    /// broker credentials are given.
    #[arg(
        long,
        global = true,
        env = "MODT_DATA_DIR",
        default_value = "./modt-data"
    )]
    pub(crate) data_dir: PathBuf,
}

/// Settings every unit shares; each unit's own flags come from its crate
/// ([`crate::units::AllUnits`], [`crate::units::UnitChoice`]).
#[derive(Debug, Clone, Args)]
pub(crate) struct UnitArgs {
    #[command(flatten)]
    pub(crate) broker: BrokerArgs,
    /// Directory for the units' data (SQLite files, generated credentials).
    #[arg(
        long,
        global = true,
        env = "MODT_DATA_DIR",
        default_value = "./modt-data"
    )]
    pub(crate) data_dir: PathBuf,
    /// Where the units with storage (state, identify, hub) keep their data: `postgres://…`
    /// (each unit in a schema of its own: modt_state, modt_identify, modt_hub) or
    /// `sqlite://DIR` (each unit its own file in DIR). Default: their files in --data-dir.
    /// `--NAME-database-url` overrides it for one unit.
    #[cfg(feature = "store")]
    #[arg(
        long,
        global = true,
        env = "MODT_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub(crate) database_url: Option<modt_store::DatabaseUrl>,
    /// Units whose announced web address other units link and redirect to, comma-separated
    /// (default: the broker policy's accounts marked `web = true`: dummy, identify, monitor,
    /// viewer).
    #[arg(long, global = true, env = "MODT_WEB_UNITS", value_delimiter = ',')]
    pub(crate) web_units: Option<Vec<String>>,
    /// Messages a unit handles at once (default: the unit's own; 64, or 4096 for state). Its
    /// queues are sized from this.
    #[arg(long, global = true, env = "MODT_MAX_IN_FLIGHT")]
    pub(crate) max_in_flight: Option<usize>,
    /// The identify unit's URL, for the login links of web units (default: found through
    /// presence).
    #[arg(long, global = true, env = "MODT_IDENTIFY_URL")]
    pub(crate) identify_url: Option<String>,
    /// Serve the process's Prometheus metrics at http://ADDR/metrics (`host:port`), for
    /// scraping units without a web side; web sides serve them at their own /metrics too.
    #[arg(long, global = true, env = "MODT_METRICS_ADDR", value_name = "ADDR")]
    pub(crate) metrics_addr: Option<String>,
}

impl UnitArgs {
    /// The [`Setup`](modt::unit::Setup) these settings describe.
    pub(crate) fn setup(&self) -> anyhow::Result<modt::unit::Setup> {
        let mut setup = modt::unit::Setup::new(&self.data_dir);
        setup.max_in_flight = self.max_in_flight;
        #[cfg(feature = "store")]
        {
            setup.database_url = self.database_url.as_ref().map(modt_store::setup_text);
        }
        setup.web.identify_url = self.identify_url.clone();
        setup.metrics_addr = self.metrics_addr.clone();
        setup.web_units = match &self.web_units {
            Some(ids) => modt::directory::WebUnits::only(ids.iter().map(|s| s.trim())),
            None => {
                let policy = modt_broker::BrokerPolicy::builtin()?;
                modt::directory::WebUnits::only(policy.web_accounts())
            }
        };
        Ok(setup)
    }
}

#[cfg(feature = "up")]
#[derive(Debug, Args)]
pub(crate) struct UpArgs {
    #[command(flatten)]
    pub(crate) unit: UnitArgs,
    /// Address the embedded broker listens on (its port is --broker-port).
    #[arg(long, env = "MODT_BROKER_BIND", default_value = "127.0.0.1")]
    pub(crate) broker_bind: String,
    /// Do not start the embedded broker; connect the units to --broker-host/--broker-port
    /// (each with its account, as `modt broker config` sets Mosquitto up).
    #[arg(long, env = "MODT_EXTERNAL_BROKER")]
    pub(crate) external_broker: bool,
    /// Let clients connect without credentials and do anything: local development only.
    /// Without it, every unit logs in with its own account and the broker policy is enforced.
    #[arg(long, env = "MODT_ALLOW_ANONYMOUS")]
    pub(crate) allow_anonymous: bool,
    /// The broker policy (default: the one shipped, config/broker-policy.toml).
    #[arg(long, env = "MODT_BROKER_POLICY")]
    pub(crate) broker_policy: Option<PathBuf>,
    /// Address the web units listen on.
    #[arg(long, env = "MODT_WEB_HOST", default_value = "127.0.0.1")]
    pub(crate) web_host: String,
    /// First web port: identify gets it, then the sample app (+1), the viewer (+2) and the
    /// monitor (+3).
    /// 0 picks free ports.
    #[arg(long, env = "MODT_WEB_PORT", default_value_t = 8080)]
    pub(crate) web_port: u16,
    /// Run N replicas of a unit in this process, e.g. `state=3,identify=2`: each with its own
    /// unit id and broker account (`state-2`, `state-3`), splitting the unit's requests (see
    /// docs/scaling.md). Only shareable units (state, identify, todo); a local demonstration
    /// of separate `modt unit NAME --unit-id NAME-K` processes.
    #[arg(
        long,
        env = "MODT_REPLICAS",
        value_delimiter = ',',
        value_name = "UNIT=N"
    )]
    pub(crate) replicas: Vec<crate::commands::up::Replicas>,
    /// Simulated devices publishing to the embedded broker (a gentle `modt sim devices`,
    /// as the `devices` account), which the ingest unit's demo connection reads: a live
    /// devices page at once. Off by default.
    #[arg(long, env = "MODT_DEMO_DEVICES")]
    pub(crate) demo_devices: bool,
    /// Every unit's own flags, each under its unit's heading: last, so that `up`'s own
    /// flags above are not listed under a unit's heading.
    #[command(flatten)]
    pub(crate) units: crate::units::AllUnits,
}

#[derive(Debug, Args)]
pub(crate) struct UnitCmd {
    /// The unit to run, with its own flags.
    #[command(subcommand)]
    pub(crate) which: crate::units::UnitChoice,
    /// The unit's id in `modt/units/{id}/…` (default: its name); give each instance its own.
    #[arg(long, global = true, env = "MODT_UNIT_ID")]
    pub(crate) unit_id: Option<String>,
    /// Run as one replica of GROUP: requests are split between the processes started with the
    /// same group (`$share/GROUP/…`). State, identify and todo are shared by default in a group
    /// named after the unit; this names another (the embedded broker allows only the unit's
    /// name, or its account's). A unit not written for replicas has all its routes shared.
    /// Give each replica its own --unit-id. See docs/scaling.md.
    #[arg(long, global = true, env = "MODT_REPLICAS_GROUP", value_name = "GROUP")]
    pub(crate) replicas_group: Option<String>,
    /// Listen address of the unit's web side (default: 127.0.0.1 and the unit's own port:
    /// 8080 identify, 8081 the sample app, 8082 the viewer, 8083 the monitor).
    #[arg(long, global = true, env = "MODT_HTTP_ADDR")]
    pub(crate) http_addr: Option<String>,
    /// Public URL of the unit's web side, as browsers reach it.
    #[arg(long, global = true, env = "MODT_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    #[command(flatten)]
    pub(crate) unit: UnitArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PubArgs {
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    /// Topic to publish to.
    pub(crate) topic: String,
    /// Payload; `-` reads stdin. Empty when omitted.
    pub(crate) payload: Option<String>,
    /// QoS level (0, 1 or 2).
    #[arg(long, short, default_value_t = 1)]
    pub(crate) qos: u8,
    /// Ask the broker to retain the message.
    #[arg(long, short)]
    pub(crate) retain: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SubArgs {
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    /// Topic filters (MQTT wildcards + and #).
    #[arg(required = true)]
    pub(crate) filters: Vec<String>,
    /// Exit after this many messages.
    #[arg(long, short = 'n')]
    pub(crate) count: Option<u64>,
    /// Exit after this long without the count reached (e.g. `10s`).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub(crate) timeout: Option<Duration>,
    /// Print one JSON object per line ({"topic", "qos", "retain", "payload"}) instead of pretty text.
    #[arg(long)]
    pub(crate) jsonl: bool,
}

#[cfg(feature = "tools")]
#[derive(Debug, Args)]
pub(crate) struct MonitorArgs {
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    /// Topic filters (MQTT wildcards + and #).
    #[arg(default_value = "#")]
    pub(crate) filters: Vec<String>,
    /// No colors (also when NO_COLOR is set or stdout is not a terminal).
    #[arg(long)]
    pub(crate) no_color: bool,
    /// One line per message: the payload as compact JSON instead of indented.
    #[arg(long)]
    pub(crate) compact: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ReqArgs {
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    /// Request topic, e.g. `modt/echo`.
    pub(crate) topic: String,
    /// JSON object payload; `-` reads stdin.
    #[arg(default_value = "{}")]
    pub(crate) payload: String,
    /// How long to wait for the reply.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub(crate) timeout: Duration,
}

#[cfg(feature = "bench")]
#[derive(Debug, Subcommand)]
pub(crate) enum BenchCmd {
    /// Request/reply round trips to the echo unit beside a bare broker echo, in one run.
    Rtt(RttArgs),
    /// The state protocol: get round trips, pipelined legacy sets, acknowledged sets.
    State(StateBenchArgs),
    /// What each process costs at rest (RSS, anonymous memory, threads; Linux), the state
    /// unit's memory after a load, and the binary's size.
    Footprint(FootprintArgs),
    /// HTTP calls through the gateway to the todo unit beside the same calls as direct MQTT
    /// request/reply: latency and throughput, on an embedded broker.
    Gateway(crate::commands::bench::GatewayBenchArgs),
    /// The ingest unit: device messages from a Mosquitto validated, stored and pushed as live
    /// events, at increasing rates; publish-to-event latency; memory under a 10× overload.
    Ingest(crate::commands::bench::IngestBenchArgs),
}

#[cfg(feature = "bench")]
#[derive(Debug, Args)]
pub(crate) struct FootprintArgs {
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    /// How long after a process is online it is measured.
    #[arg(long, default_value = "1500ms", value_parser = humantime::parse_duration)]
    pub(crate) settle: Duration,
    /// Acknowledged sets of the state unit's load (and a tenth as many gets).
    #[arg(long, default_value_t = 20_000)]
    pub(crate) sets: usize,
    /// How long the state unit is watched after the load.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub(crate) after: Duration,
    /// Also measure a binary built with one unit's feature (docs/footprint.md): `NAME=PATH`
    /// runs `PATH unit NAME` on the same broker. Repeatable.
    #[arg(long, value_name = "NAME=PATH", value_parser = crate::commands::bench::parse_unit_binary)]
    pub(crate) unit_binary: Vec<(String, PathBuf)>,
}

#[cfg(feature = "bench")]
#[derive(Debug, Args)]
pub(crate) struct StateBenchArgs {
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    /// Sequential gets to time (each beside a bare broker echo).
    #[arg(long, default_value_t = 2000)]
    pub(crate) gets: usize,
    /// Pipelined legacy sets (QoS 1) to time.
    #[arg(long, default_value_t = 50_000)]
    pub(crate) sets: usize,
    /// Acknowledged (correlated) sets to time; 0 skips them (e.g. against the original db-unit).
    #[arg(long, default_value_t = 20_000)]
    pub(crate) acked: usize,
    /// Acknowledged sets kept in flight at once.
    #[arg(long, default_value_t = 256)]
    pub(crate) window: usize,
    /// Start an embedded broker on a free port instead of using --broker-host/--broker-port.
    #[arg(long)]
    pub(crate) embedded: bool,
    /// Use a state unit already on the broker (any implementation of the legacy protocol)
    /// instead of starting one in-process over a temporary database.
    #[arg(long)]
    pub(crate) external_state: bool,
    /// In-process state unit: publish change events (as `modt up` does).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub(crate) events: bool,
    /// Time the gets as the original's (paho) clients send them: QoS 0 publishes and
    /// subscription, the kernel's delayed ACKs (no TCP_QUICKACK), from a client of their own.
    #[arg(long)]
    pub(crate) paho_style: bool,
    /// After the run on SQLite, run the in-process state unit again on this PostgreSQL
    /// database (postgres://…), in a schema of its own that is dropped afterwards.
    #[arg(long, value_name = "URL", env = "MODT_BENCH_DATABASE_URL")]
    pub(crate) database_url: Option<modt_store::DatabaseUrl>,
    /// Instead of the three steps: --acked acknowledged sets with 1, 2, … N state replicas
    /// (in-process, each with its own store) on --database-url (PostgreSQL), then the
    /// fail-over time after one of them is killed under retried sets.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) replicas: usize,
}

#[cfg(feature = "bench")]
#[derive(Debug, Args)]
pub(crate) struct RttArgs {
    #[command(flatten)]
    pub(crate) client: ClientArgs,
    /// Round trips to measure (each of the two kinds).
    #[arg(short = 'n', long, default_value_t = 2000)]
    pub(crate) count: usize,
    /// Unmeasured round trips first.
    #[arg(long, default_value_t = 200)]
    pub(crate) warmup: usize,
    /// Size of the payload's filler string, in bytes.
    #[arg(long, default_value_t = 64)]
    pub(crate) size: usize,
    /// Start an embedded broker on a free port instead of using --broker-host/--broker-port.
    #[arg(long)]
    pub(crate) embedded: bool,
    /// Do not start an echo unit in-process; use one already running on the broker.
    #[arg(long)]
    pub(crate) external_echo: bool,
    /// The Mosquitto config file the broker runs with, to print the settings that bear on
    /// the figures (`set_tcp_nodelay`, queue limits); without it they are only probed.
    #[arg(long, value_name = "FILE")]
    pub(crate) broker_config: Option<std::path::PathBuf>,
    /// Requester and in-process echo unit acknowledge the kernel's usual (delayed) way, as
    /// MoDT did before it set TCP_QUICKACK: shows what quick ACKs are worth on this broker.
    #[arg(long)]
    pub(crate) no_quickack: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// clap's own consistency checks (unique flags and groups across every unit's `Args` in
    /// `modt up`, valid defaults), which otherwise run only when a command is parsed.
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[cfg(feature = "unit-monitor")]
    #[test]
    fn unit_flags_follow_the_unit_name() {
        let cli = Cli::try_parse_from([
            "modt",
            "unit",
            "monitor",
            "--monitor-buffer",
            "5",
            "--data-dir",
            "d",
        ]);
        let Ok(Cli {
            command: Command::Unit(cmd),
            ..
        }) = cli
        else {
            panic!("does not parse: {cli:?}");
        };
        assert_eq!(cmd.which.name(), "monitor");
        assert_eq!(cmd.unit.data_dir, PathBuf::from("d"));
    }
}
