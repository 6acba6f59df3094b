//! The parser registry: parsers keyed by topic pattern, the first matching pattern wins.
//!
//! - [`Parser`]: the trait every parser implements, the built-in JSON ones and custom ones
//!   registered in code.
//! - [`pattern`]: topic patterns whose `{name}` levels are captured as fields.
//! - [`json`]: the built-in parser: a JSON Schema and a mapping to the device model.
//! - [`declare`]: the declarations of JSON parsers in a directory (`--ingest-parsers`), or
//!   the ones built in (config/ingest/parsers).
//!
//! A custom parser, registered in code:
//!
//! ```
//! use modt_ingest::model::{DeviceUpdate, Reading};
//! use modt_ingest::parse::{Captures, ParseError, Parser, Registry, TopicPattern};
//!
//! /// `{site}/meter/{meter}` with a plain number: one reading.
//! #[derive(Debug)]
//! struct Meter;
//!
//! impl Parser for Meter {
//!     fn id(&self) -> &str {
//!         "meter"
//!     }
//!
//!     fn parse(&self, _topic: &str, fields: &Captures, payload: &[u8]) -> Result<Vec<DeviceUpdate>, ParseError> {
//!         let value: f64 = std::str::from_utf8(payload)
//!             .ok()
//!             .and_then(|t| t.trim().parse().ok())
//!             .ok_or_else(|| ParseError::custom("", "the payload is not a number"))?;
//!         Ok(vec![DeviceUpdate::Readings {
//!             site: fields["site"].clone(),
//!             gateway: "meters".into(),
//!             datalogger: fields["meter"].clone(),
//!             model: None,
//!             firmware: None,
//!             at_ms: modt_ingest::model::now_ms(),
//!             readings: vec![Reading { sensor: "kwh".into(), kind: "energy".into(), unit: "kWh".into(), value }],
//!         }])
//!     }
//! }
//!
//! let mut registry = Registry::builtin().unwrap();
//! registry.register(TopicPattern::parse("{site}/meter/{meter}").unwrap(), std::sync::Arc::new(Meter));
//! assert!(registry.find("plant/meter/m1").is_some());
//! ```

pub mod declare;
pub mod json;
pub mod pattern;

use std::sync::Arc;

use modt::protocol::ingest::{ParseFailure, ParseFailureKind};
use modt::protocol::MAX_DEAD_LETTER_PAYLOAD;

use crate::model::{sample, timestamp, Outcome, Received};
pub use pattern::{Captures, PatternError, TopicPattern};

/// Largest payload a parser is given, in bytes; a larger one fails as `too_large`.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// Longest value of a captured topic level, in characters (docs/ingest.md).
pub const MAX_LEVEL_CHARS: usize = 64;

/// Turns one message into changes of the device model.
pub trait Parser: Send + Sync + std::fmt::Debug + 'static {
    /// The parser's name, shown in the discovered topics and the parse log.
    fn id(&self) -> &str;

    /// Parses `payload` of `topic`, whose pattern captured `fields`.
    fn parse(
        &self,
        topic: &str,
        fields: &Captures,
        payload: &[u8],
    ) -> Result<Vec<crate::model::DeviceUpdate>, ParseError>;
}

/// Why a parser refused a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?} at {pointer:?}: {reason}")]
pub struct ParseError {
    /// Why, as a kind.
    pub kind: ParseFailureKind,
    /// Where in the payload (a JSON pointer; `""` for the whole document).
    pub pointer: String,
    /// Why, in words.
    pub reason: String,
}

impl ParseError {
    /// A refusal of `kind` at `pointer`.
    pub fn new(
        kind: ParseFailureKind,
        pointer: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        ParseError {
            kind,
            pointer: pointer.into(),
            reason: reason.into(),
        }
    }

    /// A custom parser's refusal.
    pub fn custom(pointer: impl Into<String>, reason: impl Into<String>) -> Self {
        ParseError::new(ParseFailureKind::Custom, pointer, reason)
    }
}

/// Parsers by topic pattern, in registration order.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    parsers: Vec<(TopicPattern, Arc<dyn Parser>)>,
}

impl Registry {
    /// No parsers: every topic is only discovered.
    pub fn empty() -> Self {
        Registry::default()
    }

    /// The built-in JSON parsers (config/ingest/parsers, compiled in).
    pub fn builtin() -> Result<Self, declare::DeclareError> {
        declare::builtin()
    }

    /// Adds `parser` for topics matching `pattern`, after those already registered.
    pub fn register(&mut self, pattern: TopicPattern, parser: Arc<dyn Parser>) {
        self.parsers.push((pattern, parser));
    }

    /// The registered patterns and parser ids, in order.
    pub fn patterns(&self) -> impl Iterator<Item = (&str, &str)> {
        self.parsers
            .iter()
            .map(|(p, parser)| (p.as_str(), parser.id()))
    }

    /// The parser for `topic` and what its pattern captured.
    pub fn find(&self, topic: &str) -> Option<(&Arc<dyn Parser>, Captures)> {
        self.parsers
            .iter()
            .find_map(|(pattern, parser)| pattern.matches(topic).map(|c| (parser, c)))
    }

    /// Parses one message of `connection_id` into what the writer stores.
    pub fn receive(
        &self,
        connection_id: &str,
        topic: &str,
        payload: &[u8],
        at_ms: i64,
    ) -> Received {
        let outcome = match self.find(topic) {
            None => Outcome::Unparsed,
            Some((parser, fields)) => {
                match check_and_parse(parser.as_ref(), topic, &fields, payload) {
                    Ok(updates) => Outcome::Parsed {
                        parser: parser.id().to_owned(),
                        updates,
                    },
                    Err(e) => Outcome::Failed {
                        failure: Box::new(ParseFailure {
                            at: timestamp(at_ms),
                            connection_id: connection_id.to_owned(),
                            topic: topic.to_owned(),
                            parser: parser.id().to_owned(),
                            kind: e.kind,
                            pointer: e.pointer,
                            reason: e.reason,
                            excerpt: sample(payload),
                        }),
                        // Only the start: a whole 1 MiB payload would pin memory in
                        // every batch and not fit one MQTT packet once in base64.
                        payload: payload[..payload.len().min(MAX_DEAD_LETTER_PAYLOAD)].to_vec(),
                        payload_bytes: payload.len(),
                    },
                }
            }
        };
        Received {
            connection_id: connection_id.to_owned(),
            topic: topic.to_owned(),
            at_ms,
            sample: sample(payload),
            outcome,
        }
    }
}

/// The checks every parser gets (size, captured levels), then the parser.
fn check_and_parse(
    parser: &dyn Parser,
    topic: &str,
    fields: &Captures,
    payload: &[u8],
) -> Result<Vec<crate::model::DeviceUpdate>, ParseError> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(ParseError::new(
            ParseFailureKind::TooLarge,
            "",
            format!(
                "{} bytes, more than the {MAX_PAYLOAD_BYTES} a parser accepts",
                payload.len()
            ),
        ));
    }
    for (name, value) in fields {
        if value.chars().count() > MAX_LEVEL_CHARS {
            return Err(ParseError::new(
                ParseFailureKind::Topic,
                "",
                format!("the topic level {{{name}}} is longer than {MAX_LEVEL_CHARS} characters"),
            ));
        }
    }
    parser.parse(topic, fields, payload)
}
