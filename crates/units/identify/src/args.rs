//! The identify unit's flags and environment variables, with the defaults of
//! [`IdentifyConfig`] (one place for them).

use crate::config::IdentifyConfig;
use crate::throttle::ThrottleConfig;
use crate::tokens::TokenConfig;

/// What `modt unit identify` says it is.
pub const ABOUT: &str =
    "Accounts, sessions, login pages and API tokens; answers `modt/session/query` and `modt/auth/token/*`.";

/// Flags of the identify unit (`modt unit identify`, and `modt up`).
#[derive(Debug, Clone, clap::Args)]
// Every unit's `Args` is flattened into `modt up`: no clap group named after the struct.
#[group(skip)]
#[command(next_help_heading = "Identify unit")]
pub struct Args {
    /// A session unused this long expires.
    #[arg(long, env = "MODT_SESSION_IDLE", default_value_t = defaults().session_idle.into())]
    pub session_idle: humantime::Duration,
    /// A session expires this long after login, used or not.
    #[arg(long, env = "MODT_SESSION_MAX_AGE", default_value_t = defaults().session_max_age.into())]
    pub session_max_age: humantime::Duration,
    /// How long the waiting page waits for an app to answer a login.
    #[arg(long, env = "MODT_HANDSHAKE_TIMEOUT", default_value_t = defaults().handshake_timeout.into())]
    pub handshake_timeout: humantime::Duration,
    /// `Domain` of the session cookie, to share it across subdomains (default: this host).
    #[arg(long, env = "MODT_COOKIE_DOMAIN")]
    pub cookie_domain: Option<String>,
    /// Let people create accounts at /register.
    #[arg(long, env = "MODT_REGISTRATION", default_value_t = defaults().registration, action = clap::ArgAction::Set)]
    pub registration: bool,
    /// Failed logins per user name allowed within --login-window.
    #[arg(long, env = "MODT_LOGIN_MAX_FAILURES", default_value_t = throttle().per_user)]
    pub login_max_failures: usize,
    /// Failed logins per client address allowed within --login-window.
    #[arg(long, env = "MODT_LOGIN_MAX_FAILURES_PER_ADDRESS", default_value_t = throttle().per_address)]
    pub login_max_failures_per_address: usize,
    /// Registrations per client address allowed within --login-window (each costs a password hash).
    #[arg(long, env = "MODT_REGISTER_MAX_PER_ADDRESS", default_value_t = throttle().registrations_per_address)]
    pub register_max_per_address: usize,
    /// How far back failed logins (and registrations) count.
    #[arg(long, env = "MODT_LOGIN_WINDOW", default_value_t = throttle().window.into())]
    pub login_window: humantime::Duration,
    /// Take client addresses from X-Forwarded-For (only behind your own proxy).
    #[arg(long, env = "MODT_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// How long an access token (JWT) of the token API is valid.
    #[arg(long, env = "MODT_ACCESS_TOKEN_TTL", default_value_t = tokens().access_ttl.into())]
    pub access_token_ttl: humantime::Duration,
    /// How long a refresh token is valid (each use issues a new one, valid this long again).
    #[arg(long, env = "MODT_REFRESH_TOKEN_TTL", default_value_t = tokens().refresh_ttl.into())]
    pub refresh_token_ttl: humantime::Duration,
    /// The `iss` of access tokens.
    #[arg(long, env = "MODT_TOKEN_ISSUER", default_value_t = tokens().issuer)]
    pub token_issuer: String,
    /// The `aud` of access tokens.
    #[arg(long, env = "MODT_TOKEN_AUDIENCE", default_value_t = tokens().audience)]
    pub token_audience: String,
    /// Where this unit keeps its data, overriding --database-url: `sqlite://FILE` or
    /// `postgres://…` (its schema there is `modt_identify`). Default: as --database-url, else
    /// its file in --data-dir.
    #[arg(
        id = "identify_database_url",
        long = "identify-database-url",
        env = "MODT_IDENTIFY_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<modt_store::DatabaseUrl>,
}

fn defaults() -> IdentifyConfig {
    IdentifyConfig::default()
}

fn throttle() -> ThrottleConfig {
    ThrottleConfig::default()
}

fn tokens() -> TokenConfig {
    TokenConfig::default()
}

impl Args {
    /// The unit's settings these flags describe, for pages reached at `public_url`.
    pub fn config(&self, public_url: String) -> IdentifyConfig {
        IdentifyConfig {
            public_url: Some(public_url),
            cookie_domain: self.cookie_domain.clone(),
            session_idle: self.session_idle.into(),
            session_max_age: self.session_max_age.into(),
            handshake_timeout: self.handshake_timeout.into(),
            throttle: ThrottleConfig {
                window: self.login_window.into(),
                per_user: self.login_max_failures,
                per_address: self.login_max_failures_per_address,
                registrations_per_address: self.register_max_per_address,
            },
            registration: self.registration,
            trust_proxy: self.trust_proxy,
            tokens: TokenConfig {
                access_ttl: self.access_token_ttl.into(),
                refresh_ttl: self.refresh_token_ttl.into(),
                issuer: self.token_issuer.clone(),
                audience: self.token_audience.clone(),
                ..TokenConfig::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn no_flags_give_the_configs_defaults() {
        let args = Cli::parse_from(["identify"]).args;
        let config = args.config("http://x".into());
        let d = IdentifyConfig::default();
        assert_eq!(config.session_idle, d.session_idle);
        assert_eq!(config.session_max_age, d.session_max_age);
        assert_eq!(config.handshake_timeout, d.handshake_timeout);
        assert_eq!(config.registration, d.registration);
        assert_eq!(config.throttle.window, d.throttle.window);
        assert_eq!(config.throttle.per_user, d.throttle.per_user);
        assert_eq!(config.throttle.per_address, d.throttle.per_address);
        assert_eq!(config.tokens, d.tokens);
    }

    #[test]
    fn token_lifetimes_read_like_the_other_durations() {
        let args = Cli::parse_from([
            "identify",
            "--access-token-ttl",
            "2m",
            "--refresh-token-ttl",
            "1day",
        ])
        .args;
        let tokens = args.config("http://x".into()).tokens;
        assert_eq!(tokens.access_ttl, std::time::Duration::from_secs(120));
        assert_eq!(tokens.refresh_ttl, std::time::Duration::from_secs(86_400));
        assert_eq!(tokens.key_reload_every, crate::tokens::KEY_RELOAD_EVERY);
    }
}
