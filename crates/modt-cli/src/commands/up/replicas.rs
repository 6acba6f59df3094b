//! `modt up --replicas state=3,identify=2`: several replicas of a unit in the one process, as
//! a local demonstration of what separate `modt unit NAME --unit-id NAME-K` processes do
//! (docs/scaling.md).
//!
//! Replica K (from 2) of unit NAME is built again from the same flags, runs as unit id and
//! broker account `NAME-K` (an account copied from NAME's in the broker policy, so it has its
//! own presence topics and may join group NAME), and splits NAME's requests with the others
//! through `$share/NAME/…`. Only units declared shareable (their request routes are shared:
//! state, identify, todo) may have replicas; each replica opens the unit's storage itself, as a
//! separate process would: the same PostgreSQL schema, or the same SQLite file, whose write
//! lock the replicas then take in turn (correct, not faster; use PostgreSQL for throughput).

use std::str::FromStr;

use anyhow::bail;
use modt::unit::Setup;
use modt::Unit;
use modt_broker::BrokerPolicy;

use crate::units::AllUnits;

/// Most replicas of one unit `modt up` runs.
pub(crate) const MAX_REPLICAS: usize = 16;

/// One `NAME=N` of `--replicas`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Replicas {
    /// The unit's name.
    pub(crate) unit: String,
    /// How many instances in all (the unit itself included).
    pub(crate) count: usize,
}

impl FromStr for Replicas {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (unit, count) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?} is not UNIT=N (e.g. state=3)"))?;
        let count: usize = count
            .trim()
            .parse()
            .map_err(|_| format!("{s:?}: the count is not a number"))?;
        if !(1..=MAX_REPLICAS).contains(&count) {
            return Err(format!("{s:?}: between 1 and {MAX_REPLICAS} replicas"));
        }
        Ok(Replicas {
            unit: unit.trim().to_owned(),
            count,
        })
    }
}

/// The unit id (and broker account) of replica `k` (1-based) of `unit`: the unit's own name
/// for the first.
pub(crate) fn replica_id(unit: &str, k: usize) -> String {
    match k {
        1 => unit.to_owned(),
        k => format!("{unit}-{k}"),
    }
}

/// Gives every replica beyond the first its own broker account with the unit's rules.
pub(crate) fn add_accounts(policy: &mut BrokerPolicy, wanted: &[Replicas]) -> anyhow::Result<()> {
    for r in wanted {
        let Some(rules) = policy.accounts.get(&r.unit).cloned() else {
            bail!(
                "--replicas {}={}: the broker policy has no account {:?} to copy for its replicas",
                r.unit,
                r.count,
                r.unit
            );
        };
        for k in 2..=r.count {
            policy
                .accounts
                .entry(replica_id(&r.unit, k))
                .or_insert_with(|| rules.clone());
        }
    }
    Ok(())
}

/// The units `modt up` built: each one's name and whether it is shareable (its request routes
/// are shared, so replicas split them).
pub(crate) fn catalog(built: &[Unit]) -> Vec<(String, bool)> {
    built
        .iter()
        .map(|u| (u.name().to_owned(), !u.shared_filters().is_empty()))
        .collect()
}

/// Builds the replicas beyond the first of each unit in `wanted` (`built`: the units already
/// built, from [`catalog`]), each with its own id; their web sides (if any) listen on free
/// ports.
pub(crate) async fn build(
    units: &AllUnits,
    setup: &Setup,
    built: &[(String, bool)],
    wanted: &[Replicas],
) -> anyhow::Result<Vec<Unit>> {
    let mut replica_setup = setup.clone();
    replica_setup.web.first_port = Some(0);
    let mut more = Vec::new();
    for r in wanted {
        let Some((_, shareable)) = built.iter().find(|(name, _)| *name == r.unit) else {
            bail!(
                "--replicas {}: no unit of that name runs in modt up",
                r.unit
            );
        };
        if !shareable {
            let which: Vec<&str> = built
                .iter()
                .filter(|(_, shareable)| *shareable)
                .map(|(name, _)| name.as_str())
                .collect();
            bail!(
                "--replicas {}: the {} unit is not declared shareable (its requests are not \
                 split between replicas); units that are: {}",
                r.unit,
                r.unit,
                which.join(", ")
            );
        }
        for k in 2..=r.count {
            let Some(unit) = units.build_named(&r.unit, &replica_setup).await else {
                bail!("--replicas {}: no unit of that name", r.unit);
            };
            more.push(unit?.unit_id(replica_id(&r.unit, k)));
        }
    }
    Ok(more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_parse_and_are_bounded() {
        let r: Replicas = "state=3".parse().unwrap();
        assert_eq!((r.unit.as_str(), r.count), ("state", 3));
        assert!("state".parse::<Replicas>().is_err());
        assert!("state=x".parse::<Replicas>().is_err());
        assert!("state=0".parse::<Replicas>().is_err());
        assert!(format!("state={MAX_REPLICAS}").parse::<Replicas>().is_ok());
        assert!(format!("state={}", MAX_REPLICAS + 1)
            .parse::<Replicas>()
            .is_err());
        assert_eq!(replica_id("state", 1), "state");
        assert_eq!(replica_id("state", 3), "state-3");
    }

    #[test]
    fn replica_accounts_copy_the_units_rules() {
        let mut policy = BrokerPolicy::builtin().unwrap();
        let wanted = [Replicas {
            unit: "state".into(),
            count: 3,
        }];
        add_accounts(&mut policy, &wanted).unwrap();
        assert_eq!(policy.accounts["state-3"], policy.accounts["state"]);
        assert!(policy.may_subscribe("state-2", "state-2-ab", "$share/state/modt/state/set"));
        assert!(policy.may_publish("state-2", "state-2-ab", "modt/units/state-2/status"));
        let missing = [Replicas {
            unit: "nobody".into(),
            count: 2,
        }];
        assert!(add_accounts(&mut policy, &missing).is_err());
    }
}
