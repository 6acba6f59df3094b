//! Validated topic names and topic filters, and MQTT wildcard matching.
//!
//! Owns the rules of what a topic may contain. It does not know which topics
//! MoDT uses: those live in [`crate::protocol::topics`].

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest topic accepted, in bytes (the MQTT limit).
pub const MAX_TOPIC_LEN: usize = 65_535;

/// Why a topic or filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// The topic is the empty string.
    #[error("topic is empty")]
    Empty,
    /// The topic is longer than [`MAX_TOPIC_LEN`].
    #[error("topic is {0} bytes, more than the MQTT limit of 65535")]
    TooLong(usize),
    /// A topic name (not a filter) holds `+` or `#`.
    #[error("topic name {0:?} contains a wildcard (+ or #)")]
    Wildcard(String),
    /// A filter uses `+` or `#` other than as a whole level, or `#` not last.
    #[error(
        "topic filter {0:?} misuses a wildcard: + and # must fill a whole level, # must be last"
    )]
    BadWildcard(String),
    /// The topic holds a NUL character.
    #[error("topic {0:?} contains a NUL character")]
    Nul(String),
    /// A single level (e.g. a client id used in a topic) contains `/`, `+` or `#`.
    #[error("topic level {0:?} may not contain '/', '+' or '#'")]
    BadLevel(String),
    /// A topic name starting with `$share/` (that prefix marks shared subscriptions, so
    /// nothing could ever receive it), or a shared subscription that is not
    /// `$share/{group}/{filter}` with a plain group name and a filter that is not shared itself.
    #[error("{0:?}: `$share/` starts only shared subscriptions, as $share/GROUP/FILTER")]
    BadShare(String),
    /// A topic namespace that is not one plain level (empty, holding `/`, `+`, `#` or NUL,
    /// starting with `$`, or over 256 bytes).
    #[error("namespace {0:?} must be one topic level: not empty, without '/', '+', '#', not starting with '$'")]
    BadNamespace(String),
}

fn check_common(s: &str) -> Result<(), TopicError> {
    if s.is_empty() {
        return Err(TopicError::Empty);
    }
    if s.len() > MAX_TOPIC_LEN {
        return Err(TopicError::TooLong(s.len()));
    }
    if s.contains('\0') {
        return Err(TopicError::Nul(s.to_owned()));
    }
    Ok(())
}

/// Checks that `level` can stand as one level of a topic (no `/`, `+`, `#`, NUL, not empty).
pub fn check_level(level: &str) -> Result<(), TopicError> {
    if level.is_empty() || level.contains(['/', '+', '#', '\0']) {
        return Err(TopicError::BadLevel(level.to_owned()));
    }
    Ok(())
}

/// A topic name a message can be published to: no wildcards.
///
/// ```
/// use modt::Topic;
/// let t = Topic::new("modt/state/get").unwrap();
/// assert_eq!(t.as_str(), "modt/state/get");
/// assert!(Topic::new("modt/+/get").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Topic(Cow<'static, str>);

impl Topic {
    /// Validates `name` as a topic name.
    pub fn new(name: impl Into<String>) -> Result<Self, TopicError> {
        let name = name.into();
        check_common(&name)?;
        if name.contains(['+', '#']) {
            return Err(TopicError::Wildcard(name));
        }
        if name.starts_with("$share/") {
            return Err(TopicError::BadShare(name));
        }
        Ok(Self(Cow::Owned(name)))
    }

    /// A topic from a literal known to be valid; used for the protocol's constants.
    /// Validity of these constants is checked by a unit test.
    pub const fn from_static(name: &'static str) -> Self {
        Self(Cow::Borrowed(name))
    }

    /// The topic as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Appends one level: `modt/reply/x` + `abc` → `modt/reply/x/abc`.
    pub fn join(&self, level: &str) -> Result<Topic, TopicError> {
        check_level(level)?;
        Topic::new(format!("{}/{}", self.0, level))
    }

    /// The filter that matches exactly this topic.
    pub fn to_filter(&self) -> TopicFilter {
        TopicFilter(self.0.clone())
    }

    /// The filter matching this topic and everything below it (`topic/#`).
    pub fn subtree(&self) -> TopicFilter {
        TopicFilter(Cow::Owned(format!("{}/#", self.0)))
    }
}

impl TryFrom<String> for Topic {
    type Error = TopicError;
    fn try_from(s: String) -> Result<Self, TopicError> {
        Topic::new(s)
    }
}
impl From<Topic> for String {
    fn from(t: Topic) -> String {
        t.0.into_owned()
    }
}
impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Topic({:?})", &*self.0)
    }
}
impl AsRef<str> for Topic {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A subscription filter, possibly with `+` (one level) and `#` (all remaining levels).
///
/// ```
/// use modt::TopicFilter;
/// let f = TopicFilter::new("modt/units/+/status").unwrap();
/// assert!(f.matches("modt/units/echo/status"));
/// assert!(!f.matches("modt/units/echo/info"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TopicFilter(Cow<'static, str>);

impl TopicFilter {
    /// Validates `filter` as a topic filter.
    pub fn new(filter: impl Into<String>) -> Result<Self, TopicError> {
        let filter = filter.into();
        check_common(&filter)?;
        if let Some(rest) = filter.strip_prefix("$share/") {
            let plain_group = |g: &str| !g.is_empty() && !g.contains(['+', '#']);
            match rest.split_once('/') {
                // A shared subscription's filter is not itself shared: it would match only
                // names starting with `$share/`, and those are refused.
                Some((group, inner))
                    if plain_group(group) && !inner.is_empty() && !inner.starts_with("$share/") =>
                {
                    TopicFilter::new(inner).map_err(|_| TopicError::BadShare(filter.clone()))?;
                }
                _ => return Err(TopicError::BadShare(filter)),
            }
        }
        let levels: Vec<&str> = filter.split('/').collect();
        let last = levels.len() - 1;
        for (i, level) in levels.iter().enumerate() {
            let bad_plus = level.contains('+') && *level != "+";
            let bad_hash = level.contains('#') && (*level != "#" || i != last);
            if bad_plus || bad_hash {
                return Err(TopicError::BadWildcard(filter));
            }
        }
        Ok(Self(Cow::Owned(filter)))
    }

    /// A filter from a literal known to be valid (checked by a unit test).
    pub const fn from_static(filter: &'static str) -> Self {
        Self(Cow::Borrowed(filter))
    }

    /// The filter as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the filter holds a wildcard.
    pub fn has_wildcards(&self) -> bool {
        self.0.contains(['+', '#'])
    }

    /// The filter without a `$share/{group}/` prefix, which is what topics are matched against.
    pub fn without_share(&self) -> &str {
        if let Some(rest) = self.0.strip_prefix("$share/") {
            if let Some((_, filter)) = rest.split_once('/') {
                return filter;
            }
        }
        &self.0
    }

    /// Whether `topic` is matched by this filter (MQTT 3.1.1 §4.7 rules, including that
    /// wildcards at the first level do not match topics starting with `$`).
    pub fn matches(&self, topic: &str) -> bool {
        matches(self.without_share(), topic)
    }
}

/// Matches a topic against a filter string. Both are assumed valid.
pub fn matches(filter: &str, topic: &str) -> bool {
    // Fast paths (every incoming message is matched against every subscription): a filter
    // without wildcards matches only itself, and a topic that does not start with the
    // filter's literal head cannot match. ("a/#" also matches "a", hence the trimmed '/'.)
    match filter.find(['+', '#']) {
        None => return filter == topic,
        Some(i) => {
            let head = &filter[..i];
            if !topic.starts_with(head.strip_suffix('/').unwrap_or(head)) {
                return false;
            }
        }
    }
    walk(filter, topic)
}

/// The level-by-level match every filter can take ('$' topics are not matched by a leading
/// wildcard, MQTT 3.1.1 §4.7.2).
fn walk(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(fl), Some(tl)) if fl == tl => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

impl TryFrom<String> for TopicFilter {
    type Error = TopicError;
    fn try_from(s: String) -> Result<Self, TopicError> {
        TopicFilter::new(s)
    }
}
impl From<TopicFilter> for String {
    fn from(t: TopicFilter) -> String {
        t.0.into_owned()
    }
}
impl From<Topic> for TopicFilter {
    fn from(t: Topic) -> TopicFilter {
        TopicFilter(t.0)
    }
}
impl fmt::Display for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TopicFilter({:?})", &*self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn filters_match_per_mqtt_rules() {
        let cases = [
            ("a/b", "a/b", true),
            ("a/+", "a/b", true),
            ("a/+", "a/b/c", false),
            ("a/#", "a", true),
            ("a/#", "a/b/c", true),
            ("#", "a/b", true),
            ("#", "$SYS/x", false),
            ("+/x", "$SYS/x", false),
            ("$SYS/#", "$SYS/x", true),
            ("a/+/c", "a//c", true),
            ("a/b", "a/b/", false),
        ];
        for (f, t, want) in cases {
            assert_eq!(TopicFilter::new(f).unwrap().matches(t), want, "{f} vs {t}");
        }
    }

    #[test]
    fn shared_subscriptions_match_their_inner_filter() {
        let f = TopicFilter::new("$share/state/modt/state/+").unwrap();
        assert!(f.matches("modt/state/get"));
        assert_eq!(f.without_share(), "modt/state/+");
    }

    #[test]
    fn share_prefixes_are_only_for_whole_shared_subscriptions() {
        // Found by the `topics` fuzz target: "$share//" was a topic name no filter matched.
        for t in ["$share//", "$share/g/t"] {
            assert!(matches!(Topic::new(t), Err(TopicError::BadShare(_))), "{t}");
        }
        for f in [
            "$share/",
            "$share//",
            "$share/g",
            "$share/g/",
            "$share/+/t",
            "$share/g/a/#/b",
        ] {
            assert!(
                matches!(TopicFilter::new(f), Err(TopicError::BadShare(_))),
                "{f}"
            );
        }
        assert!(Topic::new("$SYS/broker").is_ok());
        assert!(TopicFilter::new("$share/g/#").is_ok());
    }

    #[test]
    fn shared_subscriptions_do_not_nest() {
        // Found by the `topics` fuzz target: "$share/g/$share/h/t" was accepted, but its inner
        // filter can match only names starting with `$share/`, which no one can publish to.
        assert!(matches!(
            TopicFilter::new("$share/g/$share/h/t"),
            Err(TopicError::BadShare(_))
        ));
        assert!(TopicFilter::new("$share/g/$share").is_ok());
    }

    #[test]
    fn bad_filters_and_topics_are_refused() {
        for f in ["", "a/#/b", "a/b+", "a#", "a/\0"] {
            assert!(TopicFilter::new(f).is_err(), "{f:?}");
        }
        for t in ["", "a/+", "a/#", "x\0"] {
            assert!(Topic::new(t).is_err(), "{t:?}");
        }
        assert!(Topic::new("a".repeat(MAX_TOPIC_LEN + 1)).is_err());
        assert!(check_level("a/b").is_err());
        assert!(check_level("").is_err());
    }

    proptest! {
        #[test]
        fn a_topic_always_matches_itself_and_hash(levels in prop::collection::vec("[a-z0-9_-]{0,6}", 1..6)) {
            let topic = levels.join("/");
            prop_assume!(!topic.is_empty());
            let t = Topic::new(topic.clone()).unwrap();
            prop_assert!(t.to_filter().matches(&topic));
            prop_assert!(TopicFilter::new("#").unwrap().matches(&topic));
            let plus: Vec<&str> = levels.iter().map(|_| "+").collect();
            prop_assert!(TopicFilter::new(plus.join("/")).unwrap().matches(&topic));
        }

        /// The fast paths decide as the level-by-level walk does.
        #[test]
        fn fast_paths_agree_with_the_level_walk(
            filter in prop::collection::vec(prop_oneof!["[ab$]{0,2}", Just("+".to_string())], 1..4),
            hash in any::<bool>(),
            topic in prop::collection::vec("[ab$]{0,2}", 1..5),
        ) {
            let mut filter = filter.join("/");
            if hash {
                filter.push_str("/#");
            }
            let topic = topic.join("/");
            prop_assert_eq!(matches(&filter, &topic), walk(&filter, &topic), "{} vs {}", filter, topic);
        }

        #[test]
        fn parsing_arbitrary_strings_never_panics(s in "\\PC{0,40}") {
            let _ = Topic::new(s.clone());
            if let Ok(f) = TopicFilter::new(s.clone()) {
                let _ = f.matches(&s);
            }
        }
    }
}
