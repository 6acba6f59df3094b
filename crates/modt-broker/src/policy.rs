//! The auth/ACL seam: who may connect, publish and subscribe.
//!
//! The broker asks the policy on every CONNECT, PUBLISH and SUBSCRIBE. [`OpenPolicy`] lets
//! everyone do everything (local development); a least-privilege policy built from a
//! declarative file plugs in here.

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub struct ClientIdentity<'a> {
    /// The MQTT client id.
    pub client_id: &'a str,
    /// The username the client logged in with, if any.
    pub username: Option<&'a str>,
}

/// Decides logins and topic access for the embedded broker.
pub trait AccessPolicy: Send + Sync + std::fmt::Debug + 'static {
    /// Whether a client may connect with these credentials.
    fn authenticate(&self, who: ClientIdentity<'_>, password: Option<&[u8]>) -> bool;
    /// Whether the client may publish to `topic`.
    fn may_publish(&self, who: ClientIdentity<'_>, topic: &str) -> bool;
    /// Whether the client may subscribe to `filter`.
    fn may_subscribe(&self, who: ClientIdentity<'_>, filter: &str) -> bool;
    /// Whether the client may name `response_topic` (the MQTT 5 property) on a message it
    /// publishes: where whoever answers will publish. By default anything.
    fn may_name_response_topic(&self, _who: ClientIdentity<'_>, _response_topic: &str) -> bool {
        true
    }
    /// A one-line description for `modt up`'s banner.
    fn describe(&self) -> String;
}

/// Everyone may connect (anonymously too), publish and subscribe anything.
/// For local development only; `modt up` says so when it runs this way.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenPolicy;

impl AccessPolicy for OpenPolicy {
    fn authenticate(&self, _: ClientIdentity<'_>, _: Option<&[u8]>) -> bool {
        true
    }
    fn may_publish(&self, _: ClientIdentity<'_>, _: &str) -> bool {
        true
    }
    fn may_subscribe(&self, _: ClientIdentity<'_>, _: &str) -> bool {
        true
    }
    fn describe(&self) -> String {
        "open (anonymous clients allowed, no ACL: local development only)".into()
    }
}
