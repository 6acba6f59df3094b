//! `modt`: run the whole MoDT system, one unit, or talk to the bus.
//!
//! - `cli`: commands, flags and environment variables.
//! - `commands`: one module per command (`up`, `unit`, `pub`, `sub`, `monitor`, `req`, `state`, `users`, `auth`, `hub`, `bench`).
//! - `units`: the units this binary can run, by name.
//! - `credentials`: local broker passwords, one per account, made on first use.
//! - `logging`: tracing setup (text or JSON).
//! - `metrics`: the Prometheus recorder and the `--metrics-addr` listener of `up` and `unit`.
//! - `shutdown`: SIGTERM / Ctrl-C → cancellation.

mod cli;
mod commands;
mod credentials;
mod logging;
mod metrics;
mod shutdown;
mod units;

use clap::Parser;

#[cfg(feature = "bench")]
use cli::BenchCmd;
use cli::{BrokerCmd, Cli, Command};

/// mimalloc instead of glibc's allocator: a message's life is many small allocations across
/// threads, where glibc's arenas showed up as ~12 % of the state unit's time under load.
/// Built without transparent huge pages (`no_thp`): with them, an idle unit held 12 MiB of
/// 2 MiB pages it had barely touched. The vendored mimalloc gives a free page back to the
/// system at once (`purge_delay` 0, vendor/libmimalloc-sys/MODT-PATCH.md), so RSS falls after
/// a burst; `MIMALLOC_PURGE_DELAY=1000` restores upstream's delay (docs/footprint.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How this binary gives free memory back when a unit's load has ended
/// ([`modt::memory`]): each thread collects its mimalloc heap (`force` also purges every
/// arena); the process trims glibc's heap, where SQLite's caches live.
#[cfg(feature = "mimalloc")]
fn memory_release() -> modt::memory::Release {
    modt::memory::Release {
        thread: || libmimalloc_sys::collect(true),
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        process: libmimalloc_sys::trim_c_heap,
        #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
        process: || {},
    }
}

/// Arenas glibc's `malloc` may use: SQLite is the only C code that allocates much, on a store's
/// writer and its few reader threads. One arena each kept 100–200 KB after the state unit's
/// load (eight of them: ~0.9 MB); one shared arena kept 0.26 MB, with the same throughput
/// (docs/footprint.md). `GLIBC_TUNABLES=glibc.malloc.arena_max=N` still decides when given.
#[cfg(all(feature = "mimalloc", target_os = "linux", target_env = "gnu"))]
const C_ARENAS: u16 = 1;

/// Applies [`C_ARENAS`] unless the environment sets glibc's own tunable.
#[cfg(all(feature = "mimalloc", target_os = "linux", target_env = "gnu"))]
fn limit_c_arenas() {
    let tunables = std::env::var("GLIBC_TUNABLES").ok();
    if let Some(max) = c_arenas(tunables.as_deref()) {
        if !libmimalloc_sys::limit_c_arenas(max) {
            eprintln!("warning: glibc refused an arena limit of {max}");
        }
    }
}

/// The arena limit to set: [`C_ARENAS`], or none when `GLIBC_TUNABLES` sets one.
#[cfg(all(feature = "mimalloc", target_os = "linux", target_env = "gnu"))]
fn c_arenas(tunables: Option<&str>) -> Option<u16> {
    match tunables {
        Some(t) if t.contains("glibc.malloc.arena_max=") => None,
        _ => Some(C_ARENAS),
    }
}

fn main() -> std::process::ExitCode {
    #[cfg(all(feature = "mimalloc", target_os = "linux", target_env = "gnu"))]
    limit_c_arenas();
    let cli = Cli::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(cli.worker_threads()).enable_all();
    #[cfg(feature = "mimalloc")]
    if modt::memory::set_release(memory_release()) {
        builder.on_thread_park(modt::memory::on_worker_park);
    }
    let runtime = match builder.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(start(cli))
}

/// Logging, limits and signals, then the command on a runtime worker.
async fn start(cli: Cli) -> std::process::ExitCode {
    if let Err(e) = logging::init(cli.log_format, cli.log_filter()) {
        eprintln!("error: {e:#}");
        return std::process::ExitCode::from(2);
    }
    // More open files where the system allows it: web clients, units and the broker share
    // them, and the web side keeps to its share (modt_web::serve::fds reads the limit).
    #[cfg(unix)]
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open files limit"),
    }
    let shutdown = shutdown::on_signal();
    // The command runs on a runtime worker, not on the main thread: there, every hand-off to
    // and from the connection tasks on the workers is a cross-thread wake-up (profiled: a
    // third of the benchmark client's time was spent parked and woken).
    let result = match tokio::spawn(run(cli.command, shutdown)).await {
        Ok(result) => result,
        Err(e) => Err(anyhow::anyhow!("the command's task failed: {e}")),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs one command to its end.
async fn run(
    command: Command,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    match command {
        #[cfg(feature = "up")]
        Command::Up(args) => commands::up::run(args, shutdown).await,
        Command::Unit(args) => commands::unit::run(args, shutdown).await,
        Command::Pub(args) => commands::publish::run(args).await,
        Command::Sub(args) => commands::subscribe::run(args, shutdown).await,
        #[cfg(feature = "tools")]
        Command::Monitor(args) => commands::monitor::run(args, shutdown).await,
        Command::Req(args) => commands::request::run(args).await,
        #[cfg(feature = "bench")]
        Command::Bench(BenchCmd::Rtt(args)) => commands::bench::rtt(args).await,
        #[cfg(feature = "bench")]
        Command::Bench(BenchCmd::State(args)) => commands::bench::state(args).await,
        #[cfg(feature = "bench")]
        Command::Bench(BenchCmd::Footprint(args)) => commands::bench::footprint(args).await,
        #[cfg(feature = "bench")]
        Command::Bench(BenchCmd::Gateway(args)) => commands::bench::gateway(args).await,
        #[cfg(feature = "bench")]
        Command::Bench(BenchCmd::Ingest(args)) => commands::bench::ingest(args).await,
        #[cfg(feature = "tools")]
        Command::State(cmd) => commands::state::run(cmd).await,
        #[cfg(feature = "tools")]
        Command::Users(cmd) => commands::users::run(cmd).await,
        #[cfg(feature = "tools")]
        Command::Auth(cmd) => commands::auth::run(cmd).await,
        Command::Broker(BrokerCmd::Config(args)) => commands::broker::config(args),
        #[cfg(feature = "up")]
        Command::Broker(BrokerCmd::Serve(args)) => commands::broker::serve(args, shutdown).await,
        #[cfg(feature = "tools")]
        Command::Sim(commands::sim::SimCmd::Devices(args)) => {
            commands::sim::devices(args, shutdown).await
        }
        #[cfg(feature = "tools")]
        Command::Hub(cmd) => commands::hub::run(cmd).await,
    }
}

#[cfg(all(test, feature = "mimalloc", target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    #[test]
    fn glibc_tunables_decide_the_arena_limit_when_they_set_one() {
        assert_eq!(c_arenas(None), Some(C_ARENAS));
        assert_eq!(
            c_arenas(Some("glibc.malloc.trim_threshold=131072")),
            Some(C_ARENAS)
        );
        assert_eq!(
            c_arenas(Some(
                "glibc.malloc.trim_threshold=1:glibc.malloc.arena_max=4"
            )),
            None
        );
        assert!(libmimalloc_sys::limit_c_arenas(C_ARENAS), "glibc takes it");
    }
}
