//! The topic parser and matcher: arbitrary names and filters never panic, and what parses
//! behaves like a topic (a name matches itself, `#` matches everything but `$` topics).
#![no_main]

use libfuzzer_sys::fuzz_target;
use modt::protocol::{topic, topics, Topic, TopicFilter};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mid = text.char_indices().nth(text.chars().count() / 2).map_or(text.len(), |(i, _)| i);
    let (a, b) = text.split_at(mid);
    let _ = topic::matches(a, b);
    let _ = topic::matches(b, a);
    if let Ok(t) = Topic::new(text) {
        assert!(t.to_filter().matches(t.as_str()), "a name matches itself: {text:?}");
        if !text.starts_with('$') {
            assert!(TopicFilter::from_static("#").matches(t.as_str()));
        }
        let _ = t.join("x");
        let _ = t.subtree();
    }
    if let Ok(f) = TopicFilter::new(text) {
        let _ = f.without_share();
        let _ = f.has_wildcards();
    }
    let level = topics::encode_level(text);
    assert!(topic::check_level(&level).is_ok() || text.is_empty() || level.len() > 65535, "{level:?}");
    let _ = topics::unit_topic_parts(text);
    let _ = topics::reply_owner(text);
    let _ = topics::hub_request_parts(text);
});
