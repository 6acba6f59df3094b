//! The topic namespace: the first topic level of everything a client sends and receives, so
//! several MoDT systems (or tenants) can share one broker.
//!
//! Code always speaks the canonical topics of [`crate::protocol::topics`], which start with
//! `modt/`. The client ([`crate::Client`]) maps a leading `modt` level to its [`Namespace`] on
//! everything it sends (topics, filters, `$share/{group}/…` filters, the last will, the MQTT 5
//! response-topic property) and back on everything it receives. In the default namespace,
//! `modt`, both maps are the identity: the wire is exactly the original's.
//!
//! Not here: which topics exist ([`crate::protocol::topics`]) or where the maps are applied
//! (the client's transport).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use super::topic::TopicError;

/// The canonical first level of every MoDT topic, and the default namespace.
pub const CANONICAL_ROOT: &str = "modt";

/// Prefix of MQTT 5 shared subscriptions.
const SHARE: &str = "$share/";

/// A validated topic namespace: one topic level, not empty, without `/`, `+`, `#` or NUL,
/// not starting with `$` (brokers keep `$` topics for themselves). Cheap to clone.
///
/// ```
/// use modt::protocol::Namespace;
/// let ns = Namespace::new("tenant-a").unwrap();
/// assert_eq!(ns.to_wire("modt/state/get"), "tenant-a/state/get");
/// assert_eq!(ns.from_wire("tenant-a/state/get"), "modt/state/get");
/// assert_eq!(ns.to_wire("$share/state/modt/state/+"), "$share/state/tenant-a/state/+");
/// assert!(Namespace::new("a/b").is_err() && Namespace::new("$SYS").is_err());
/// assert!(Namespace::default().is_default());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Namespace(Arc<str>);

impl Namespace {
    /// Validates `name` as a namespace.
    pub fn new(name: impl AsRef<str>) -> Result<Self, TopicError> {
        let name = name.as_ref();
        if name.is_empty() || name.starts_with('$') || name.contains(['/', '+', '#', '\0']) {
            return Err(TopicError::BadNamespace(name.to_owned()));
        }
        if name.len() > 256 {
            let head: String = name.chars().take(64).collect();
            return Err(TopicError::BadNamespace(format!("{head}…")));
        }
        Ok(Namespace(name.into()))
    }

    /// The namespace's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the default namespace (`modt`), where topics go on the wire unchanged.
    pub fn is_default(&self) -> bool {
        &*self.0 == CANONICAL_ROOT
    }

    /// How many bytes longer a topic is on the wire than in canonical form (may be negative).
    pub fn extra_bytes(&self) -> isize {
        self.0.len() as isize - CANONICAL_ROOT.len() as isize
    }

    /// A canonical topic or filter as it goes on the wire: a leading `modt` level (also after
    /// `$share/{group}/`) becomes the namespace. Anything else is left alone.
    pub fn to_wire<'a>(&self, canonical: &'a str) -> Cow<'a, str> {
        if self.is_default() {
            return Cow::Borrowed(canonical);
        }
        swap_root(canonical, CANONICAL_ROOT, &self.0)
    }

    /// A topic or filter as received, in canonical form: a leading namespace level (also after
    /// `$share/{group}/`) becomes `modt`. Topics outside the namespace are left alone.
    pub fn from_wire<'a>(&self, wire: &'a str) -> Cow<'a, str> {
        if self.is_default() {
            return Cow::Borrowed(wire);
        }
        swap_root(wire, &self.0, CANONICAL_ROOT)
    }
}

/// Replaces the first level `from` of `topic` (after any `$share/{group}/`) with `to`.
fn swap_root<'a>(topic: &'a str, from: &str, to: &str) -> Cow<'a, str> {
    let (share, rest) = match topic.strip_prefix(SHARE).and_then(|r| r.split_once('/')) {
        Some((group, rest)) => (&topic[..SHARE.len() + group.len() + 1], rest),
        None => ("", topic),
    };
    let Some(tail) = rest.strip_prefix(from) else {
        return Cow::Borrowed(topic);
    };
    if !(tail.is_empty() || tail.starts_with('/')) {
        return Cow::Borrowed(topic);
    }
    Cow::Owned(format!("{share}{to}{tail}"))
}

impl Default for Namespace {
    /// The default namespace, `modt`.
    fn default() -> Self {
        Namespace(CANONICAL_ROOT.into())
    }
}

impl std::str::FromStr for Namespace {
    type Err = TopicError;
    fn from_str(s: &str) -> Result<Self, TopicError> {
        Namespace::new(s)
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Namespace({:?})", &*self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_default_namespace_changes_nothing() {
        let ns = Namespace::default();
        for t in ["modt/echo", "$share/echo/modt/echo", "#", "other/x", "modt"] {
            assert!(matches!(ns.to_wire(t), Cow::Borrowed(s) if s == t));
            assert!(matches!(ns.from_wire(t), Cow::Borrowed(s) if s == t));
        }
    }

    #[test]
    fn only_a_leading_modt_level_is_mapped() {
        let ns = Namespace::new("acme").unwrap();
        let cases = [
            ("modt/echo", "acme/echo"),
            ("modt", "acme"),
            ("modt/#", "acme/#"),
            ("modt/+/GET", "acme/+/GET"),
            ("$share/echo/modt/echo", "$share/echo/acme/echo"),
            ("$share/modt/modt/echo", "$share/modt/acme/echo"),
            ("modtx/echo", "modtx/echo"),
            ("x/modt/echo", "x/modt/echo"),
            ("#", "#"),
            ("+/units/+/status", "+/units/+/status"),
            ("$SYS/broker", "$SYS/broker"),
        ];
        for (canonical, wire) in cases {
            assert_eq!(ns.to_wire(canonical), wire, "{canonical}");
        }
        assert_eq!(ns.from_wire("acme/reply/c/1"), "modt/reply/c/1");
        assert_eq!(ns.from_wire("$share/g/acme/x"), "$share/g/modt/x");
        assert_eq!(ns.from_wire("other/reply/c/1"), "other/reply/c/1");
        assert_eq!(ns.from_wire("acmex/reply"), "acmex/reply");
    }

    #[test]
    fn bad_namespaces_are_refused() {
        for bad in ["", "a/b", "+", "#", "a+", "$SYS", "$share", "a\0b"] {
            assert!(
                matches!(Namespace::new(bad), Err(TopicError::BadNamespace(_))),
                "{bad:?}"
            );
        }
        assert!(Namespace::new("x".repeat(300)).is_err());
        for good in ["modt", "tenant-a", "acme_prod", "é"] {
            assert_eq!(Namespace::new(good).unwrap().as_str(), good);
        }
    }

    proptest! {
        /// Out and back is the identity for every canonical topic and filter; and back then
        /// out is the identity for every topic under the namespace.
        #[test]
        fn mapping_out_and_back_is_the_identity(
            ns in "[a-z0-9_-]{1,8}",
            levels in prop::collection::vec("[a-z0-9+#_-]{0,5}", 0..5),
            share in prop::option::of("[a-z0-9_-]{1,5}"),
        ) {
            let ns = Namespace::new(&ns).unwrap();
            let mut canonical = String::from(CANONICAL_ROOT);
            for l in &levels {
                canonical.push('/');
                canonical.push_str(l);
            }
            if let Some(g) = share {
                canonical = format!("$share/{g}/{canonical}");
            }
            let wire = ns.to_wire(&canonical).into_owned();
            prop_assert_eq!(ns.from_wire(&wire), canonical.as_str());
            let back = ns.from_wire(&wire).into_owned();
            prop_assert_eq!(ns.to_wire(&back), wire.as_str());
        }
    }
}
