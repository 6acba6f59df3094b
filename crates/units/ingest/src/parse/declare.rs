//! Declarations of JSON parsers: one TOML file per parser in a directory, naming its topic
//! pattern, its JSON Schema file (beside it) and its [`Mapping`]:
//!
//! ```toml
//! id = "gateway-status"
//! topic = "{site}/gateway/{gateway}/status"
//! schema = "gateway-status.schema.json"
//! order = 10                         # lower first; then by file name
//!
//! [map]
//! kind = "gateway_status"
//! at = "/ts"
//! online = "/online"
//! rssi = "/rssi"
//! ```
//!
//! The shipped ones (config/ingest/parsers) are compiled in and used unless
//! `--ingest-parsers DIR` names another directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::json::{JsonParser, Mapping};
use super::{Registry, TopicPattern};

/// The shipped declarations, compiled in: (file name, text).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "gateway-status.toml",
        include_str!("../../../../../config/ingest/parsers/gateway-status.toml"),
    ),
    (
        "gateway-status.schema.json",
        include_str!("../../../../../config/ingest/parsers/gateway-status.schema.json"),
    ),
    (
        "datalogger-readings.toml",
        include_str!("../../../../../config/ingest/parsers/datalogger-readings.toml"),
    ),
    (
        "datalogger-readings.schema.json",
        include_str!("../../../../../config/ingest/parsers/datalogger-readings.schema.json"),
    ),
];

/// Most parser declarations in one directory.
pub const MAX_PARSERS: usize = 256;

/// A declaration that cannot be used; names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeclareError {
    /// A file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A declaration is malformed or inconsistent.
    #[error("parser declaration {file}: {reason}")]
    Invalid {
        /// The declaration's file.
        file: String,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Declaration {
    id: String,
    topic: String,
    schema: String,
    #[serde(default)]
    order: i64,
    map: Mapping,
}

/// The compiled-in parsers.
pub fn builtin() -> Result<Registry, DeclareError> {
    let files: Vec<(String, String)> = BUILTIN
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    from_files(&files)
}

/// The parsers declared in `dir` (`*.toml`, each with its schema file beside it).
pub fn load_dir(dir: &Path) -> Result<Registry, DeclareError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DeclareError::Read { path, source }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let path = entry.map_err(read_err(dir))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if name.ends_with(".toml") || name.ends_with(".json") {
            let text = std::fs::read_to_string(&path).map_err(read_err(&path))?;
            files.push((name, text));
        }
    }
    from_files(&files)
}

fn from_files(files: &[(String, String)]) -> Result<Registry, DeclareError> {
    let mut declared = Vec::new();
    for (name, text) in files.iter().filter(|(n, _)| n.ends_with(".toml")) {
        let invalid = |reason: String| DeclareError::Invalid {
            file: name.clone(),
            reason,
        };
        let d: Declaration = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let pattern = TopicPattern::parse(&d.topic).map_err(|e| invalid(e.to_string()))?;
        for need in d.map.needs() {
            if !pattern.fields().any(|f| f == *need) {
                return Err(invalid(format!(
                    "the topic pattern must capture {{{need}}}"
                )));
            }
        }
        let schema_text = files
            .iter()
            .find(|(n, _)| *n == d.schema)
            .map(|(_, t)| t)
            .ok_or_else(|| invalid(format!("its schema file {} is not beside it", d.schema)))?;
        let schema: serde_json::Value =
            serde_json::from_str(schema_text).map_err(|e| invalid(format!("{}: {e}", d.schema)))?;
        let parser = JsonParser::new(d.id.clone(), &schema, d.map)
            .map_err(|e| invalid(format!("{}: {e}", d.schema)))?;
        declared.push((d.order, name.clone(), pattern, parser));
    }
    if declared.len() > MAX_PARSERS {
        return Err(DeclareError::Invalid {
            file: "(directory)".into(),
            reason: format!("more than {MAX_PARSERS} parsers"),
        });
    }
    declared.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut registry = Registry::empty();
    for (_, _, pattern, parser) in declared {
        registry.register(pattern, Arc::new(parser));
    }
    Ok(registry)
}
