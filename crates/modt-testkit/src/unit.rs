//! Running a unit inside a test, with a handle to stop it.

use modt::{ClientConfig, Error, Unit};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A unit running on the test's runtime.
#[derive(Debug)]
pub struct RunningUnit {
    stop: CancellationToken,
    task: Option<JoinHandle<Result<(), Error>>>,
}

impl RunningUnit {
    /// Starts `unit` with `config` (its client id and will are set by the runtime).
    pub fn start(unit: Unit, config: ClientConfig) -> RunningUnit {
        let stop = CancellationToken::new();
        let task = tokio::spawn(unit.run(config, stop.clone()));
        RunningUnit {
            stop,
            task: Some(task),
        }
    }

    /// Stops the unit cleanly and returns how its run ended.
    pub async fn stop(mut self) -> Result<(), Error> {
        self.stop.cancel();
        match self.task.take() {
            Some(t) => t.await.unwrap_or(Err(Error::Closed)),
            None => Ok(()),
        }
    }
}

impl Drop for RunningUnit {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
