//! Checks of the `topics` fuzz target: topic names and filters from arbitrary text.
//!
//! The input is UTF-8 text `FILTER\0TOPIC` (without a NUL, the text is both). None of these
//! may panic, and:
//! - a valid name is a valid filter, matches itself, is matched by `#` (unless it starts with
//!   `$`) and by its `/#` subtree;
//! - a valid filter matches the names made of its literal levels (`+` and `#` filled in, or
//!   `#` left out), and those names are valid;
//! - `topic::matches` (with its fast paths) agrees with a plain level-by-level reference;
//! - `encode_level` makes one valid level that decodes back to the text;
//! - the readers (`is_reply_topic`, `unit_topic_parts`, `hub_request_parts`) agree with the
//!   builders and the filters of the topics they read.

use modt::protocol::topic::{self, check_level, MAX_TOPIC_LEN};
use modt::protocol::{topics, HubMethod, Topic, TopicFilter};

/// Runs every check on one input.
pub(crate) fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('\0').unwrap_or((text, text));
    let _ = topic::matches(a, b);
    let _ = topic::matches(b, a);
    for s in [a, b] {
        name(s);
        filter(s);
        readers(s);
        builders(s);
        encoded_level(s);
    }
    if let (Ok(f), Ok(t)) = (TopicFilter::new(a), Topic::new(b)) {
        let (f, t) = (f.without_share(), t.as_str());
        assert_eq!(topic::matches(f, t), reference(f, t), "{f:?} vs {t:?}");
    }
}

/// MQTT 3.1.1 §4.7, level by level, without shortcuts.
fn reference(filter: &str, topic: &str) -> bool {
    let f: Vec<&str> = filter.split('/').collect();
    let t: Vec<&str> = topic.split('/').collect();
    if topic.starts_with('$') && (f[0] == "+" || f[0] == "#") {
        return false;
    }
    for (i, level) in f.iter().enumerate() {
        match (*level, t.get(i)) {
            ("#", _) => return true,
            (_, None) => return false,
            ("+", Some(_)) => {}
            (l, Some(tl)) if l == *tl => {}
            _ => return false,
        }
    }
    f.len() == t.len()
}

fn name(s: &str) {
    let Ok(t) = Topic::new(s) else { return };
    assert!(TopicFilter::new(s).is_ok(), "a name is a filter: {s:?}");
    assert!(t.to_filter().matches(s), "a name matches itself: {s:?}");
    if !s.starts_with('$') {
        assert!(TopicFilter::from_static("#").matches(s), "# matches {s:?}");
    }
    if s.len() + 2 <= MAX_TOPIC_LEN {
        let sub = t.subtree();
        // `$share` is a name, but `$share/#` reads as a malformed shared subscription.
        if s != "$share" {
            assert!(TopicFilter::new(sub.as_str()).is_ok(), "{sub:?}");
        }
        assert!(sub.matches(s), "{sub:?} matches {s:?}");
        if let Ok(child) = t.join("x") {
            assert!(sub.matches(child.as_str()), "{sub:?} matches {child:?}");
        }
    }
}

fn filter(s: &str) {
    let Ok(f) = TopicFilter::new(s) else { return };
    let _ = f.has_wildcards();
    let inner = f.without_share();
    assert!(!inner.is_empty(), "{s:?}");
    let levels: Vec<&str> = inner.split('/').collect();
    let literal = |wild: &str| -> String {
        let filled: Vec<&str> = levels
            .iter()
            .map(|l| if *l == "+" || *l == "#" { wild } else { *l })
            .collect();
        filled.join("/")
    };
    let mut names = vec![literal("x"), literal("")];
    if let Some(parent) = literal("x")
        .strip_suffix("/x")
        .filter(|_| inner.ends_with("/#"))
    {
        // `a/#` also matches `a`.
        names.push(parent.to_owned());
    }
    for n in names {
        if n.is_empty() {
            continue;
        }
        let made = Topic::new(n.as_str());
        assert!(made.is_ok(), "{s:?}: its literal name {n:?}: {made:?}");
        assert!(f.matches(&n), "{s:?} matches its literal name {n:?}");
    }
}

fn readers(s: &str) {
    let valid = Topic::new(s).is_ok();
    let reply_levels = s
        .strip_prefix("modt/reply/")
        .and_then(|r| r.split_once('/'));
    if topics::is_reply_topic(s) {
        let (owner, rest) = reply_levels.unwrap_or_default();
        assert!(!owner.is_empty() && !rest.is_empty(), "{s:?}");
        if valid {
            assert!(
                TopicFilter::from_static("modt/reply/+/#").matches(s),
                "{s:?}"
            );
        }
    } else if let Some((owner, rest)) = reply_levels {
        assert!(
            owner.is_empty() || rest.is_empty(),
            "{s:?} is a reply topic"
        );
    }
    if let Some((unit, what)) = topics::unit_topic_parts(s) {
        assert!(!unit.is_empty() && !what.contains('/'), "{s:?}");
        assert_eq!(format!("modt/units/{unit}/{what}"), s);
    }
    if let Some((unit, method)) = topics::hub_request_parts(s) {
        assert_eq!(format!("modt/{unit}/{}", method.as_str()), s);
        if check_level(unit).is_ok() {
            let built = topics::hub_request(unit, method).map(|t| t.as_str().to_owned());
            assert_eq!(built.as_deref(), Ok(s), "{s:?}");
        }
    }
}

fn builders(level: &str) {
    if check_level(level).is_err() {
        assert!(topics::unit_status(level).is_err(), "{level:?}");
        return;
    }
    if level.len() > 1000 {
        return;
    }
    let status = topics::unit_status(level).map(String::from);
    assert_eq!(
        status.as_deref().map(topics::unit_topic_parts),
        Ok(Some((level, "status")))
    );
    let reply = format!("modt/reply/{level}/r1");
    assert!(topics::is_reply_topic(&reply), "{reply:?}");
    assert!(
        !topics::is_reply_topic(&format!("modt/reply/{level}")),
        "{level:?}"
    );
    for m in [HubMethod::Get, HubMethod::Post, HubMethod::Put] {
        let t = topics::hub_request(level, m).unwrap_or_else(|e| panic!("{level:?}: {e}"));
        assert_eq!(topics::hub_request_parts(t.as_str()), Some((level, m)));
    }
    assert!(topics::dead_letter(level).is_ok(), "{level:?}");
}

fn encoded_level(s: &str) {
    let level = topics::encode_level(s);
    assert!(
        check_level(&level).is_ok() || s.is_empty(),
        "{s:?} → {level:?}"
    );
    assert_eq!(decode_level(&level), s, "encode_level({s:?}) = {level:?}");
    if s.len() < 1000 {
        assert!(topics::state_changed(s).is_ok() || s.is_empty(), "{s:?}");
    }
}

/// The inverse of `encode_level`: `%XX` back to its character.
fn decode_level(level: &str) -> String {
    let mut out = String::new();
    let mut rest = level;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 1..i + 3).unwrap_or_default();
        let c = u8::from_str_radix(hex, 16).map_or('?', char::from);
        out.push(c);
        rest = rest.get(i + 3..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}
