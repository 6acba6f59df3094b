//! Which unit the running task works for: the runtime runs each of a unit's services in the
//! unit's scope, so code they call without being told (modt-web's HTTP metrics) can label what
//! it records with the unit.
//!
//! Not here: the trace of a message being handled ([`crate::trace`]).

use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    static CURRENT: UnitScope;
}

/// The unit a task works for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitScope {
    unit_id: Arc<str>,
}

impl UnitScope {
    /// The scope of unit `unit_id`.
    pub fn new(unit_id: &str) -> Self {
        UnitScope {
            unit_id: Arc::from(unit_id),
        }
    }

    /// The unit's id.
    pub fn unit_id(&self) -> &str {
        &self.unit_id
    }

    /// The scope of the task calling, if it runs in one (a unit's service does).
    ///
    /// ```
    /// use modt::unit::UnitScope;
    /// assert_eq!(UnitScope::current(), None);
    /// ```
    pub fn current() -> Option<UnitScope> {
        CURRENT.try_with(UnitScope::clone).ok()
    }

    /// Runs `fut` in this scope.
    pub async fn run<F: Future>(self, fut: F) -> F::Output {
        CURRENT.scope(self, fut).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_sees_its_scope() {
        let seen = UnitScope::new("echo-1")
            .run(async { UnitScope::current().map(|s| s.unit_id().to_owned()) })
            .await;
        assert_eq!(seen.as_deref(), Some("echo-1"));
        assert_eq!(UnitScope::current(), None);
    }
}
