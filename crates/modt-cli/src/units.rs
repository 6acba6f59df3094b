//! The units this binary runs, by name: one place shared by `modt up` and `modt unit`.

use modt::Unit;

use crate::cli::{UnitArgs, UnitName};

/// Every unit `modt up` starts, in start order.
pub(crate) const ALL: &[UnitName] = &[UnitName::Echo];

/// Builds unit `name` from the shared settings.
pub(crate) fn build(name: UnitName, args: &UnitArgs) -> anyhow::Result<Unit> {
    let unit = match name {
        UnitName::Echo => modt_echo::unit(),
    };
    Ok(unit.max_in_flight(args.max_in_flight))
}

/// The unit's name as typed on the command line.
pub(crate) fn name_of(name: UnitName) -> &'static str {
    match name {
        UnitName::Echo => modt_echo::NAME,
    }
}
