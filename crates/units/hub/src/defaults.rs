//! The static defaults: a flat map of key → JSON value from a YAML or JSON file, loaded once at
//! start. A GET that finds no live value answers with the default (status 203).
//!
//! The format follows the extension (`.yaml`/`.yml` or `.json`). The top level must be a map
//! whose keys are strings; each value may be any JSON value but null (a null default would be
//! indistinguishable from "not found"). Keys and values obey the same [`Limits`] as requests.
//! An empty file means no defaults. Any problem is a [`DefaultsError`] naming the file.
//! This module does not watch the file: a changed file takes effect at the next start.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::Limits;

/// Why a defaults file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DefaultsError {
    /// The file could not be read.
    #[error("cannot read the hub defaults file {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why (not a `source`: the message already says it, once).
        error: std::io::Error,
    },
    /// The extension names no known format.
    #[error("the hub defaults file {} must end in .yaml, .yml or .json", path.display())]
    Format {
        /// The file.
        path: PathBuf,
    },
    /// The text is not a map of key → value in its format.
    #[error("the hub defaults file {} is not a {format} map of key → value: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// `YAML` or `JSON`.
        format: &'static str,
        /// The parser's explanation (with line and column where it gives them).
        reason: String,
    },
    /// One entry breaks a rule (null value, empty or over-long key, over-large value).
    #[error("the hub defaults file {}, key {key:?}: {reason}", path.display())]
    Entry {
        /// The file.
        path: PathBuf,
        /// The entry's key (cut to 64 characters).
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The formats a defaults file can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Yaml,
    Json,
}

impl Format {
    fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Yaml => "YAML",
            Format::Json => "JSON",
        }
    }

    fn parse(self, text: &str) -> Result<Map<String, Value>, String> {
        if text.trim().is_empty() {
            return Ok(Map::new());
        }
        // `Option`: a YAML document that is only a comment (or `~`) is empty, not an error.
        let map: Option<StrictMap> = match self {
            Format::Yaml => serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?,
            Format::Json => serde_json::from_str(text).map_err(|e| e.to_string())?,
        };
        Ok(map.map(|m| m.0).unwrap_or_default())
    }
}

/// The top-level map, refusing a key given twice (in either format the later one would
/// silently win, hiding a mistake in the file).
struct StrictMap(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for StrictMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = StrictMap;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of key → value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> Result<StrictMap, A::Error> {
                let mut map = Map::new();
                while let Some((key, value)) = access.next_entry::<String, Value>()? {
                    if map.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("duplicate key {key:?}")));
                    }
                    map.insert(key, value);
                }
                Ok(StrictMap(map))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// The static defaults, by key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Defaults {
    values: HashMap<String, Value>,
}

impl Defaults {
    /// No defaults: every key without a live value is 404.
    pub fn none() -> Defaults {
        Defaults::default()
    }

    /// Reads and checks the file at `path` (blocking file I/O: call it at start or from
    /// `spawn_blocking`).
    pub fn load(path: &Path, limits: &Limits) -> Result<Defaults, DefaultsError> {
        let format = Format::of(path).ok_or_else(|| DefaultsError::Format {
            path: path.to_path_buf(),
        })?;
        let text = std::fs::read_to_string(path).map_err(|error| DefaultsError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let map = format.parse(&text).map_err(|reason| DefaultsError::Parse {
            path: path.to_path_buf(),
            format: format.name(),
            reason,
        })?;
        Defaults::from_map(map, limits).map_err(|(key, reason)| DefaultsError::Entry {
            path: path.to_path_buf(),
            key: key.chars().take(64).collect(),
            reason,
        })
    }

    /// Defaults from a map already in memory; the first entry that breaks a rule is returned
    /// with the reason.
    pub fn from_map(
        map: Map<String, Value>,
        limits: &Limits,
    ) -> Result<Defaults, (String, String)> {
        let mut values = HashMap::with_capacity(map.len());
        for (key, value) in map {
            if let Err(e) = limits.key(&key) {
                return Err((key, e.message));
            }
            if value.is_null() {
                return Err((key, "a default cannot be null".into()));
            }
            if let Err(e) = limits.value(&value) {
                return Err((key, e.message));
            }
            values.insert(key, value);
        }
        Ok(Defaults { values })
    }

    /// The default for `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// Whether `key` has a default.
    pub fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// How many defaults there are.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn load(name: &str, text: &str) -> Result<Defaults, DefaultsError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        Defaults::load(&path, &Limits::default())
    }

    #[test]
    fn yaml_and_json_give_the_same_typed_values() {
        let yaml = "# site settings\ncolor: red\nretries: 3\nratio: 0.5\nenabled: true\n\
                    quoted: \"5\"\nlist: [1, two]\nnested:\n  a: {b: null}\n";
        let json = r#"{"color": "red", "retries": 3, "ratio": 0.5, "enabled": true,
                       "quoted": "5", "list": [1, "two"], "nested": {"a": {"b": null}}}"#;
        for d in [
            load("d.yaml", yaml).unwrap(),
            load("d.YML", yaml).unwrap(),
            load("d.json", json).unwrap(),
        ] {
            assert_eq!(d.len(), 7);
            assert_eq!(d.get("color"), Some(&json!("red")));
            assert_eq!(d.get("retries"), Some(&json!(3)));
            assert_eq!(d.get("ratio"), Some(&json!(0.5)));
            assert_eq!(d.get("enabled"), Some(&json!(true)));
            assert_eq!(d.get("quoted"), Some(&json!("5")));
            assert_eq!(d.get("list"), Some(&json!([1, "two"])));
            assert_eq!(d.get("nested"), Some(&json!({"a": {"b": null}})));
            assert!(d.get("missing").is_none());
        }
    }

    #[test]
    fn empty_files_mean_no_defaults() {
        assert!(load("e.yaml", "").unwrap().is_empty());
        assert!(load("e.yaml", "# nothing yet\n").unwrap().is_empty());
        assert!(load("e.json", "  \n").unwrap().is_empty());
    }

    #[test]
    fn every_bad_file_names_itself_and_says_why() {
        let cases = [
            ("d.toml", "a = 1", "must end in .yaml, .yml or .json"),
            ("d.yaml", "- a\n- b\n", "not a YAML map"),
            ("d.yaml", "a: [1\n", "not a YAML map"),
            ("d.yaml", "a: 1\na: 2\n", "duplicate key"),
            ("d.json", "[1, 2]", "not a JSON map"),
            ("d.json", "{\"a\": }", "not a JSON map"),
            ("d.json", r#"{"a": 1, "a": 2}"#, "duplicate key"),
            ("d.json", r#"{"a": null}"#, "cannot be null"),
            ("d.json", r#"{"": 1}"#, "key is empty"),
        ];
        for (name, text, why) in cases {
            let e = match load(name, text) {
                Ok(d) => panic!("{name} {text:?} loaded: {d:?}"),
                Err(e) => e.to_string(),
            };
            assert!(e.contains(name), "{e} names {name}");
            assert!(e.contains(why), "{e} says {why}");
        }
        let long_key = format!(r#"{{"{}": 1}}"#, "k".repeat(300));
        let e = load("d.json", &long_key).unwrap_err().to_string();
        assert!(e.contains("key is 300 bytes; the limit is 256"), "{e}");
        let e = Defaults::load(Path::new("/nonexistent/d.yaml"), &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/nonexistent/d.yaml") && e.contains("cannot read"),
            "{e}"
        );
    }
}
