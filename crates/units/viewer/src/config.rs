//! The viewer's settings.

use std::time::Duration;

/// Settings of the viewer.
#[derive(Debug, Clone)]
pub struct ViewerConfig {
    /// The URL browsers reach the viewer at; derived from the listener when `None`.
    pub public_url: Option<String>,
    /// The identify unit's URL; found through presence when `None`.
    pub identify_url: Option<String>,
    /// How long a page waits for the identify or state unit before saying it is unavailable.
    pub timeout: Duration,
}

impl Default for ViewerConfig {
    fn default() -> Self {
        ViewerConfig {
            public_url: None,
            identify_url: None,
            timeout: Duration::from_secs(3),
        }
    }
}
