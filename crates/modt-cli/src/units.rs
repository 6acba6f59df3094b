//! The units this binary runs: one registration line each, shared by `modt up` (all of them,
//! in this order) and `modt unit NAME` (one).
//!
//! A unit crate exports `NAME`, `ABOUT`, its flags (`Args`, clap) and
//! `async fn build(Args, &Setup) -> Result<Unit, BuildError>`; everything else about the unit
//! (defaults, storage, clean-up on stop) stays in its crate. See `docs/writing-a-unit.md`.
//!
//! Each line is behind its unit's cargo feature (`unit-NAME`, crates/modt-cli/Cargo.toml), so
//! a binary for one unit's container holds only that unit (docs/footprint.md). A line without
//! a `#[cfg]` is always built in. At least one unit must be.

use modt::unit::{BuildError, Setup};
use modt::Unit;

/// Generates, from one line per unit, the `modt unit` subcommands ([`UnitChoice`]), the flags
/// of every unit for `modt up` ([`AllUnits`]) and the dispatch to each crate's `build`.
/// `threads` is the runtime's worker threads for the unit run alone: 1 for a unit that answers
/// small messages, 2 for one with storage or pages (a slow page or a commit never holds up the
/// rest). Attributes before a line (its `#[cfg]`) go on everything generated for it.
macro_rules! registry {
    ($( $(#[$attr:meta])* $field:ident: $variant:ident => $krate:ident, threads $threads:expr; )*) => {
        /// A unit to run alone, with its own flags.
        #[derive(Debug, clap::Subcommand)]
        pub(crate) enum UnitChoice {
            $(
                $(#[$attr])*
                #[command(name = $krate::NAME, about = $krate::ABOUT)]
                $variant($krate::Args),
            )*
        }

        /// Every unit's own flags, for `modt up`.
        #[cfg(feature = "up")]
        #[derive(Debug, Clone, clap::Args)]
        pub(crate) struct AllUnits {
            $(
                $(#[$attr])*
                #[command(flatten)]
                pub(crate) $field: $krate::Args,
            )*
        }

        impl UnitChoice {
            /// The unit's name (its default id and broker account).
            pub(crate) fn name(&self) -> &'static str {
                match self { $( $(#[$attr])* UnitChoice::$variant(_) => $krate::NAME, )* }
            }

            /// Runtime worker threads the unit needs when run alone.
            pub(crate) fn threads(&self, cores: usize) -> usize {
                match self { $( $(#[$attr])* UnitChoice::$variant(_) => cores.min($threads), )* }
            }

            /// Builds the unit.
            pub(crate) async fn build(self, setup: &Setup) -> Result<Unit, BuildError> {
                match self {
                    $( $(#[$attr])* UnitChoice::$variant(args) => $krate::build(args, setup).await, )*
                }
            }
        }

        #[cfg(feature = "up")]
        impl AllUnits {
            /// Builds one more instance of the unit named `name` from these flags (a replica for
            /// `modt up --replicas`); `None` when no unit has that name.
            pub(crate) async fn build_named(
                &self,
                name: &str,
                setup: &Setup,
            ) -> Option<Result<Unit, BuildError>> {
                $( $(#[$attr])* if name == $krate::NAME {
                    return Some($krate::build(self.$field.clone(), setup).await);
                } )*
                None
            }

            /// Builds every unit, in registration order (stores before the units using them).
            pub(crate) async fn build(self, setup: &Setup) -> Result<Vec<Unit>, BuildError> {
                let mut units = Vec::new();
                $( $(#[$attr])* units.push($krate::build(self.$field, setup).await?); )*
                Ok(units)
            }
        }
    };
}

registry! {
    #[cfg(feature = "unit-state")]
    state: State => modt_state, threads 2;
    #[cfg(feature = "unit-hub")]
    hub: Hub => modt_hub, threads 1;
    #[cfg(feature = "unit-echo")]
    echo: Echo => modt_echo, threads 1;
    #[cfg(feature = "unit-identify")]
    identify: Identify => modt_identify, threads 2;
    #[cfg(feature = "unit-dummy")]
    dummy: Dummy => modt_dummy, threads 1;
    #[cfg(feature = "unit-viewer")]
    viewer: Viewer => modt_viewer, threads 2;
    #[cfg(feature = "unit-monitor")]
    monitor: Monitor => modt_monitor, threads 2;
    #[cfg(feature = "unit-todo")]
    todo: Todo => modt_todo, threads 2;
    #[cfg(feature = "unit-gateway")]
    gateway: Gateway => modt_gateway, threads 2;
    #[cfg(feature = "unit-ingest")]
    ingest: Ingest => modt_ingest, threads 2;
}

/// Where people start: the page a unit's web side opens at (the login page for identify).
pub(crate) fn start_page(unit: &Unit) -> Option<String> {
    let base = unit.web_address()?;
    let page = match unit.name() {
        #[cfg(feature = "unit-identify")]
        modt_identify::NAME => modt_identify::build::START_PAGE,
        _ => "/",
    };
    Some(format!("{base}{page}"))
}

/// What the unit serves, for `modt up`'s banner: its topic filters, or that it has only a
/// web side.
#[cfg(feature = "up")]
pub(crate) fn serves(unit: &Unit) -> String {
    let filters = unit.serves();
    if filters.is_empty() {
        "web only".to_owned()
    } else {
        filters.join(", ")
    }
}
