//! What each simulated message is: a valid status or readings message, or one of the ways a
//! message can be broken (docs/ingest.md), which the ingest unit's parse log names the same
//! way (`ParseFailureKind`).

use serde::Serialize;

/// A message's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// A valid gateway status.
    Status,
    /// Valid datalogger readings.
    Readings,
    /// Not JSON: cut short, plain text, or not UTF-8.
    NotJson,
    /// JSON that breaks the schema (a rule of docs/ingest.md).
    Schema,
    /// JSON within the schema whose mapped field is unusable.
    Mapping,
    /// A valid payload on a topic whose levels break the rules (an id over 64 characters).
    Topic,
    /// A payload over the parser's size limit.
    TooLarge,
}

impl Kind {
    /// Every kind, valid ones first.
    pub(crate) const ALL: [Kind; 7] = [
        Kind::Status,
        Kind::Readings,
        Kind::NotJson,
        Kind::Schema,
        Kind::Mapping,
        Kind::Topic,
        Kind::TooLarge,
    ];

    /// The broken kinds, in the order the simulator takes turns with them.
    pub(crate) const BROKEN: [Kind; 5] = [
        Kind::NotJson,
        Kind::Schema,
        Kind::Mapping,
        Kind::Topic,
        Kind::TooLarge,
    ];

    /// Its name, as printed and in the parse log.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::Readings => "readings",
            Kind::NotJson => "not_json",
            Kind::Schema => "schema",
            Kind::Mapping => "mapping",
            Kind::Topic => "topic",
            Kind::TooLarge => "too_large",
        }
    }

    /// Whether a parser should accept it.
    #[cfg(test)]
    pub(crate) fn is_valid(self) -> bool {
        matches!(self, Kind::Status | Kind::Readings)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Messages sent, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Counts([u64; 7]);

impl Counts {
    /// One more of `kind`.
    pub(crate) fn add(&mut self, kind: Kind) {
        self.0[kind.index()] += 1;
    }

    /// How many of `kind`.
    pub(crate) fn get(&self, kind: Kind) -> u64 {
        self.0[kind.index()]
    }

    /// Adds `other`'s counts to these.
    pub(crate) fn merge(&mut self, other: &Counts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// All messages.
    pub(crate) fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The broken ones.
    pub(crate) fn broken(&self) -> u64 {
        Kind::BROKEN.iter().map(|k| self.get(*k)).sum()
    }
}
