//! The sample app's settings.

use std::time::Duration;

/// Settings of the sample app.
#[derive(Debug, Clone)]
pub struct DummyConfig {
    /// The name shown to users and sent in `modt/app/ready`.
    pub app_name: String,
    /// The URL browsers reach this app at; derived from the listener when `None`.
    pub public_url: Option<String>,
    /// The identify unit's URL; found through presence (`kind` = `identify`) when `None`.
    pub identify_url: Option<String>,
    /// The viewer's URL; found through presence (`kind` = `viewer`) when `None`.
    pub viewer_url: Option<String>,
    /// How long a page waits for the identify unit to answer a session query.
    pub session_timeout: Duration,
}

impl Default for DummyConfig {
    fn default() -> Self {
        DummyConfig {
            app_name: crate::NAME.to_string(),
            public_url: None,
            identify_url: None,
            viewer_url: None,
            session_timeout: modt_web::identity::DEFAULT_TIMEOUT,
        }
    }
}
