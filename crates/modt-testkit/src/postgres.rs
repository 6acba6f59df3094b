//! A throw-away PostgreSQL for tests: one cluster per test process, started on first use,
//! and a fresh database per test ([`test_database`]), so tests are independent.
//!
//! The cluster is made with Debian's `initdb` and `pg_ctl` (found under
//! `/usr/lib/postgresql/*/bin`, else on `PATH`) in a new directory under `/tmp`, listening on
//! `127.0.0.1` on a free port with its socket in that directory. PostgreSQL refuses to run as
//! root: as root, it runs as the `postgres` user (`runuser -u postgres`), in a directory that
//! user owns.
//!
//! Cleanup needs no destructor: a small shell script started by this process runs the cluster
//! and waits on a pipe from it. When this process ends, however it ends, the pipe closes and
//! the script stops the server (`pg_ctl stop -m fast`) and removes the directory.
//!
//! Without PostgreSQL, [`test_database`] prints why and returns `None` (the test returns),
//! unless `MODT_REQUIRE_POSTGRES=1` (CI), where it panics.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use tokio::sync::OnceCell;

/// The environment variable that makes a missing PostgreSQL a test failure instead of a skip.
pub const REQUIRE_ENV: &str = "MODT_REQUIRE_POSTGRES";

/// The superuser the cluster is made with (trust authentication on loopback only).
pub const SUPERUSER: &str = "postgres";

/// Runs the cluster and cleans up when stdin closes. `$1`: the binaries' directory, `$2`: port.
const SCRIPT: &str = r#"
set -u
dir=$(mktemp -d /tmp/modt-pg.XXXXXX) || { echo "failed: mktemp"; exit 1; }
trap 'rm -rf "$dir"' EXIT
if ! "$1/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C >"$dir/log" 2>&1; then
  echo "failed: initdb"; cat "$dir/log"; exit 1
fi
if ! "$1/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $2 -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >>"$dir/log" 2>&1; then
  echo "failed: pg_ctl start"; cat "$dir/log" "$dir/server.log"; exit 1
fi
echo "ready $dir"
read -r _ignored
"$1/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
"#;

/// A running throw-away cluster (the process's only one; see [`cluster`]).
#[derive(Debug)]
pub struct PostgresCluster {
    port: u16,
    dir: PathBuf,
    /// The script's stdin: held until the process ends, when its closing stops the cluster.
    _keepalive: Mutex<ChildStdin>,
    _script: Mutex<Child>,
}

/// A fresh database of the test cluster.
#[derive(Debug, Clone)]
pub struct TestDatabase {
    /// `postgres://postgres@127.0.0.1:PORT/NAME`.
    pub url: String,
    /// The database's name.
    pub name: String,
}

impl PostgresCluster {
    /// The URL of `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its directory (data, logs, socket); removed when the process ends.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates a new, empty database and returns it.
    pub async fn create_database(&self) -> Result<TestDatabase, String> {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let name = format!("modt_test_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let (client, connection) =
            tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
                .await
                .map_err(|e| format!("cannot connect to the test cluster: {e}"))?;
        let task = tokio::spawn(connection);
        let created = client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| format!("cannot create database {name}: {e}"));
        drop(client);
        let _ = task.await;
        created?;
        Ok(TestDatabase {
            url: self.url(&name),
            name,
        })
    }
}

/// The process's cluster, started on first call (a few seconds: `initdb`). An error says why
/// PostgreSQL cannot run here.
pub async fn cluster() -> Result<&'static PostgresCluster, String> {
    static CLUSTER: OnceCell<Result<PostgresCluster, String>> = OnceCell::const_new();
    CLUSTER
        .get_or_init(|| async {
            tokio::task::spawn_blocking(start)
                .await
                .unwrap_or_else(|e| Err(format!("the start task failed: {e}")))
        })
        .await
        .as_ref()
        .map_err(Clone::clone)
}

/// A fresh database for one test, or `None` after printing why PostgreSQL is not available
/// (panics instead when `MODT_REQUIRE_POSTGRES=1`).
pub async fn test_database() -> Option<TestDatabase> {
    let result = match cluster().await {
        Ok(cluster) => cluster.create_database().await,
        Err(e) => Err(e),
    };
    match result {
        Ok(db) => Some(db),
        Err(why) if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") => {
            panic!("PostgreSQL is required ({REQUIRE_ENV}=1) but unavailable: {why}")
        }
        Err(why) => {
            eprintln!(
                "skipped: PostgreSQL unavailable ({why}); set {REQUIRE_ENV}=1 to fail instead"
            );
            None
        }
    }
}

/// The directory holding `initdb` and `pg_ctl`: the newest `/usr/lib/postgresql/N/bin`, else
/// the first on `PATH`.
fn binaries() -> Result<PathBuf, String> {
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
        .ok_or_else(|| {
            "initdb not found in /usr/lib/postgresql/*/bin or on PATH (install postgresql)".into()
        })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

/// Starts the script and waits for its `ready` line (blocking).
fn start() -> Result<PostgresCluster, String> {
    let bin = binaries()?;
    let port = free_port()?;
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh"]);
        c
    } else {
        Command::new("sh")
    };
    command
        .arg("-c")
        .arg(SCRIPT)
        .arg("modt-test-postgres")
        .arg(&bin)
        .arg(port.to_string())
        .current_dir("/tmp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut script = command
        .spawn()
        .map_err(|e| format!("cannot run {} as the postgres user: {e}", bin.display()))?;
    let (Some(stdin), Some(stdout)) = (script.stdin.take(), script.stdout.take()) else {
        return Err("the start script has no pipes".into());
    };
    let mut lines = BufReader::new(stdout).lines();
    let mut said = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        if let Some(dir) = line.strip_prefix("ready ") {
            return Ok(PostgresCluster {
                port,
                dir: PathBuf::from(dir),
                _keepalive: Mutex::new(stdin),
                _script: Mutex::new(script),
            });
        }
        said.push(line);
    }
    let _ = script.wait();
    Err(format!(
        "the test cluster did not start ({}): {}",
        bin.display(),
        said.join(" | ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fresh_database_per_test_on_one_cluster() {
        let Some(a) = test_database().await else {
            return;
        };
        let b = test_database().await.expect("a second database");
        assert_ne!(a.name, b.name);
        let (client, connection) = tokio_postgres::connect(&a.url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(connection);
        let row = client
            .query_one("SELECT current_database()", &[])
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), a.name);
        let cluster = cluster().await.unwrap();
        assert!(cluster.dir().is_dir());
    }
}
