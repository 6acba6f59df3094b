//! # counter — an example MoDT unit
//!
//! Copy this crate to start a unit of your own. It keeps named counters in memory and
//! answers two correlated requests (docs/protocol.md §3):
//!
//! | topic | request | reply |
//! |---|---|---|
//! | `modt/counter/add` | `{"name": "visits", "by": 2}` (`by` default: `--counter-step`) | `{"name": "visits", "value": 2}` |
//! | `modt/counter/get` | `{"name": "visits"}` | `{"name": "visits", "value": 2}` (0 if never added to) |
//!
//! What a unit crate exports, so that any program can run it (see `docs/writing-a-unit.md`):
//! [`NAME`], [`ABOUT`], its flags [`Args`] (clap, each with a `MODT_…` variable and a default
//! from the unit's own config) and [`build()`], which turns flags and the program's
//! [`Setup`] into a [`Unit`]. The program — this crate's `main.rs`, `modt`'s registry, or
//! yours — connects it to a broker and runs it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use modt::unit::{BuildError, Setup};
use modt::{Context, HandlerError, HandlerResult, Message, Topic, Unit};
use serde::{Deserialize, Serialize};

/// The unit's name: its default id and its broker account.
pub const NAME: &str = "counter";

/// One line on what it is (`--help`).
pub const ABOUT: &str = "Named counters in memory: modt/counter/add and modt/counter/get.";

/// `modt/counter/add`: add to a counter. Topics are typed constants, built in one place.
pub const ADD: Topic = Topic::from_static("modt/counter/add");
/// `modt/counter/get`: read a counter.
pub const GET: Topic = Topic::from_static("modt/counter/get");

/// Counters kept unless `--counter-max-names` says otherwise. Every limit has a name.
pub const DEFAULT_MAX_NAMES: usize = 10_000;

/// The unit's flags. In `modt up` every unit's flags sit side by side, so each starts with
/// the unit's name.
#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Counter unit")]
pub struct Args {
    /// What `add` adds when the request gives no `by`.
    #[arg(long = "counter-step", env = "MODT_COUNTER_STEP", default_value_t = 1)]
    pub step: i64,
    /// Distinct counters kept; adding to a new one beyond this is refused (`too_large`).
    #[arg(long = "counter-max-names", env = "MODT_COUNTER_MAX_NAMES", default_value_t = DEFAULT_MAX_NAMES)]
    pub max_names: usize,
}

/// `modt/counter/add`'s request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Add {
    /// The counter.
    pub name: String,
    /// How much to add (default: `--counter-step`).
    #[serde(default)]
    pub by: Option<i64>,
}

/// `modt/counter/get`'s request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Get {
    /// The counter.
    pub name: String,
}

/// Both requests' reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    /// The counter.
    pub name: String,
    /// Its value now.
    pub value: i64,
}

/// The counters, shared by the handlers.
#[derive(Debug)]
struct Counters {
    values: Mutex<HashMap<String, i64>>,
    step: i64,
    max_names: usize,
}

/// Builds the unit from its flags and the program's setup. A unit that opens storage opens it
/// here and closes it with [`Unit::on_stop`]; a unit with a web side binds it here with
/// `modt_web::serve::listen`.
pub async fn build(args: Args, setup: &Setup) -> Result<Unit, BuildError> {
    if args.max_names == 0 {
        return Err(BuildError::setting(
            "--counter-max-names / MODT_COUNTER_MAX_NAMES",
            "must be at least 1",
        ));
    }
    let counters = Arc::new(Counters {
        values: Mutex::new(HashMap::new()),
        step: args.step,
        max_names: args.max_names,
    });
    let (a, g) = (counters.clone(), counters);
    let unit = Unit::new(NAME, "example", env!("CARGO_PKG_VERSION"))
        .route(ADD.to_filter(), move |ctx, msg| add(a.clone(), ctx, msg))
        .route(GET.to_filter(), move |ctx, msg| get(g.clone(), ctx, msg));
    Ok(setup.apply(unit))
}

/// decode → apply → reply. A payload that does not decode is answered with `bad_request`
/// and dead-lettered by the runtime; the handler never sees it.
async fn add(counters: Arc<Counters>, ctx: Context, msg: Message) -> HandlerResult {
    let req: Add = ctx.decode(&msg)?;
    let value = counters.add(&req.name, req.by.unwrap_or(counters.step))?;
    ctx.reply(&Count {
        name: req.name,
        value,
    })
    .await?;
    Ok(())
}

async fn get(counters: Arc<Counters>, ctx: Context, msg: Message) -> HandlerResult {
    let req: Get = ctx.decode(&msg)?;
    let value = counters.get(&req.name);
    ctx.reply(&Count {
        name: req.name,
        value,
    })
    .await?;
    Ok(())
}

impl Counters {
    fn add(&self, name: &str, by: i64) -> Result<i64, HandlerError> {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        if !values.contains_key(name) && values.len() >= self.max_names {
            return Err(HandlerError::new(
                modt::protocol::ErrorCode::TooLarge,
                format!(
                    "{} counters already (--counter-max-names); add to one of them",
                    self.max_names
                ),
            ));
        }
        let value = values.entry(name.to_owned()).or_insert(0);
        *value = value
            .checked_add(by)
            .ok_or_else(|| HandlerError::bad_request(format!("counter {name:?} would overflow")))?;
        Ok(*value)
    }

    fn get(&self, name: &str) -> i64 {
        let values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        values.get(name).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(max_names: usize) -> Counters {
        Counters {
            values: Mutex::new(HashMap::new()),
            step: 1,
            max_names,
        }
    }

    #[test]
    fn adds_and_reads() {
        let c = counters(10);
        assert_eq!(c.add("a", 2).ok(), Some(2));
        assert_eq!(c.add("a", 3).ok(), Some(5));
        assert_eq!(c.get("a"), 5);
        assert_eq!(c.get("never"), 0);
    }

    #[test]
    fn the_name_limit_refuses_new_names_only() {
        let c = counters(1);
        assert!(c.add("a", 1).is_ok());
        assert!(c.add("b", 1).is_err());
        assert_eq!(c.add("a", 1).ok(), Some(2));
    }

    #[test]
    fn overflow_is_refused_and_keeps_the_value() {
        let c = counters(1);
        assert!(c.add("a", i64::MAX).is_ok());
        assert!(c.add("a", 1).is_err());
        assert_eq!(c.get("a"), i64::MAX);
    }
}
