//! Topic patterns of parsers: MQTT-like levels where `{name}` captures one level as a field
//! and `+` matches one level without capturing, e.g. `{site}/gateway/{gateway}/status`.

use std::collections::BTreeMap;

/// What a pattern captured from a topic, by field name.
pub type Captures = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    Exact(String),
    Capture(String),
    Any,
}

/// A parsed topic pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPattern {
    text: String,
    levels: Vec<Level>,
}

/// A pattern that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad topic pattern {pattern:?}: {reason}")]
pub struct PatternError {
    /// The pattern.
    pub pattern: String,
    /// What is wrong.
    pub reason: &'static str,
}

impl TopicPattern {
    /// Parses `text`: `/`-separated levels, each literal, `+`, or `{name}` (a name once).
    pub fn parse(text: &str) -> Result<TopicPattern, PatternError> {
        let err = |reason| PatternError {
            pattern: text.to_owned(),
            reason,
        };
        if text.is_empty() {
            return Err(err("empty"));
        }
        let mut levels = Vec::new();
        for level in text.split('/') {
            let parsed = if level == "+" {
                Level::Any
            } else if let Some(name) = level.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    return Err(err("a capture is {name} with letters, digits and _"));
                }
                if levels.contains(&Level::Capture(name.to_owned())) {
                    return Err(err("a field is captured twice"));
                }
                Level::Capture(name.to_owned())
            } else if level.is_empty() || level.contains(['#', '+', '{', '}']) {
                return Err(err(
                    "levels are non-empty literals, + or {name}; # is not allowed",
                ));
            } else {
                Level::Exact(level.to_owned())
            };
            levels.push(parsed);
        }
        Ok(TopicPattern {
            text: text.to_owned(),
            levels,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The fields this pattern captures.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.levels.iter().filter_map(|l| match l {
            Level::Capture(n) => Some(n.as_str()),
            _ => None,
        })
    }

    /// The captured fields when `topic` matches (an empty level never captures).
    pub fn matches(&self, topic: &str) -> Option<Captures> {
        let mut captures = Captures::new();
        let mut parts = topic.split('/');
        for level in &self.levels {
            let part = parts.next()?;
            match level {
                Level::Exact(e) if e == part => {}
                Level::Exact(_) => return None,
                Level::Any => {}
                Level::Capture(name) => {
                    if part.is_empty() {
                        return None;
                    }
                    captures.insert(name.clone(), part.to_owned());
                }
            }
        }
        parts.next().is_none().then_some(captures)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn captures_levels_as_fields() {
        let p = TopicPattern::parse("{site}/gateway/{gateway}/datalogger/{datalogger}").unwrap();
        let c = p.matches("plant-a/gateway/7/datalogger/SN1").unwrap();
        assert_eq!(c["site"], "plant-a");
        assert_eq!(c["gateway"], "7");
        assert_eq!(c["datalogger"], "SN1");
        assert!(p.matches("plant-a/gateway/7/datalogger").is_none());
        assert!(p.matches("plant-a/gateway/7/datalogger/SN1/x").is_none());
        assert!(p.matches("plant-a/gw/7/datalogger/SN1").is_none());
        assert!(p.matches("/gateway/7/datalogger/SN1").is_none());
        assert_eq!(
            p.fields().collect::<Vec<_>>(),
            ["site", "gateway", "datalogger"]
        );
    }

    #[test]
    fn refuses_bad_patterns() {
        for bad in ["", "a/#", "{}/x", "{a}/{a}", "a//b", "a+/b", "{a-b}"] {
            assert!(TopicPattern::parse(bad).is_err(), "{bad}");
        }
        assert!(TopicPattern::parse("+/gateway/{gateway}")
            .unwrap()
            .matches("x/gateway/1")
            .is_some());
    }
}
