//! The built-in parser: the payload is JSON, validated against a JSON Schema (formats
//! checked, no remote `$ref`), then mapped to the device model with JSON pointers
//! ([`Mapping`]); topic fields come from the pattern's captures.

use std::collections::HashSet;

use modt::protocol::ingest::ParseFailureKind;
use serde::Deserialize;
use serde_json::Value;

use super::{Captures, ParseError, Parser};
use crate::model::{DeviceUpdate, Reading};

/// Where the device model's fields are in a payload (JSON pointers), per kind of message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Mapping {
    /// A datalogger's readings; the topic captures `site`, `gateway`, `datalogger`.
    Readings {
        /// The measurement time (RFC 3339).
        at: String,
        /// The datalogger's model (optional in the payload).
        #[serde(default)]
        model: Option<String>,
        /// Its firmware (optional in the payload).
        #[serde(default)]
        firmware: Option<String>,
        /// The array of readings.
        readings: String,
        /// In each reading: the sensor id.
        sensor: String,
        /// In each reading: what it measures.
        sensor_kind: String,
        /// In each reading: the unit (optional in the payload).
        #[serde(default)]
        unit: Option<String>,
        /// In each reading: the value.
        value: String,
    },
    /// A gateway's status; the topic captures `site`, `gateway`.
    GatewayStatus {
        /// When it was sent (RFC 3339).
        at: String,
        /// Whether it is online.
        online: String,
        /// Signal strength, dBm (optional in the payload).
        #[serde(default)]
        rssi: Option<String>,
    },
}

impl Mapping {
    /// The topic fields this mapping needs captured.
    pub fn needs(&self) -> &'static [&'static str] {
        match self {
            Mapping::Readings { .. } => &["site", "gateway", "datalogger"],
            Mapping::GatewayStatus { .. } => &["site", "gateway"],
        }
    }
}

/// A JSON Schema validated parser.
pub struct JsonParser {
    id: String,
    validator: jsonschema::Validator,
    mapping: Mapping,
}

impl std::fmt::Debug for JsonParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonParser")
            .field("id", &self.id)
            .field("mapping", &self.mapping)
            .finish_non_exhaustive()
    }
}

impl JsonParser {
    /// A parser named `id` validating with `schema` and mapping with `mapping`. The schema
    /// is compiled here; an invalid one (or a remote `$ref`) is refused with the reason.
    pub fn new(id: impl Into<String>, schema: &Value, mapping: Mapping) -> Result<Self, String> {
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(schema)
            .map_err(|e| e.to_string())?;
        Ok(JsonParser {
            id: id.into(),
            validator,
            mapping,
        })
    }
}

impl Parser for JsonParser {
    fn id(&self) -> &str {
        &self.id
    }

    fn parse(
        &self,
        _topic: &str,
        fields: &Captures,
        payload: &[u8],
    ) -> Result<Vec<DeviceUpdate>, ParseError> {
        let doc: Value = serde_json::from_slice(payload)
            .map_err(|e| ParseError::new(ParseFailureKind::NotJson, "", e.to_string()))?;
        // `is_valid` stops at the first failure and builds no error: the valid message, the
        // usual case, never pays for error reporting.
        if !self.validator.is_valid(&doc) {
            if let Some(error) = self.validator.iter_errors(&doc).next() {
                return Err(ParseError::new(
                    ParseFailureKind::Schema,
                    error.instance_path().to_string(),
                    error.to_string(),
                ));
            }
        }
        let field = |name: &str| {
            fields.get(name).cloned().ok_or_else(|| {
                ParseError::new(
                    ParseFailureKind::Topic,
                    "",
                    format!("the topic has no {{{name}}} level"),
                )
            })
        };
        let update = match &self.mapping {
            Mapping::Readings {
                at,
                model,
                firmware,
                readings,
                sensor,
                sensor_kind,
                unit,
                value,
            } => DeviceUpdate::Readings {
                site: field("site")?,
                gateway: field("gateway")?,
                datalogger: field("datalogger")?,
                model: optional_str(&doc, model.as_deref())?,
                firmware: optional_str(&doc, firmware.as_deref())?,
                at_ms: time(&doc, at)?,
                readings: map_readings(
                    &doc,
                    readings,
                    sensor,
                    sensor_kind,
                    unit.as_deref(),
                    value,
                )?,
            },
            Mapping::GatewayStatus { at, online, rssi } => DeviceUpdate::GatewayStatus {
                site: field("site")?,
                gateway: field("gateway")?,
                online: get(&doc, online)?
                    .as_bool()
                    .ok_or_else(|| wrong(online, "a boolean"))?,
                rssi: match rssi.as_deref().and_then(|p| doc.pointer(p)) {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(
                        v.as_i64()
                            .and_then(|n| i32::try_from(n).ok())
                            .ok_or_else(|| wrong(rssi.as_deref().unwrap_or(""), "an integer"))?,
                    ),
                },
                at_ms: time(&doc, at)?,
            },
        };
        Ok(vec![update])
    }
}

fn wrong(pointer: &str, what: &str) -> ParseError {
    ParseError::new(
        ParseFailureKind::Mapping,
        pointer,
        format!("must be {what}"),
    )
}

fn get<'a>(doc: &'a Value, pointer: &str) -> Result<&'a Value, ParseError> {
    doc.pointer(pointer)
        .ok_or_else(|| ParseError::new(ParseFailureKind::Mapping, pointer, "is missing"))
}

fn optional_str(doc: &Value, pointer: Option<&str>) -> Result<Option<String>, ParseError> {
    match pointer.and_then(|p| doc.pointer(p).map(|v| (p, v))) {
        None | Some((_, Value::Null)) => Ok(None),
        Some((p, v)) => v
            .as_str()
            .map(|s| Some(s.to_owned()))
            .ok_or_else(|| wrong(p, "a string")),
    }
}

fn time(doc: &Value, pointer: &str) -> Result<i64, ParseError> {
    let text = get(doc, pointer)?
        .as_str()
        .ok_or_else(|| wrong(pointer, "a string"))?;
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| {
            ParseError::new(
                ParseFailureKind::Mapping,
                pointer,
                format!("not an RFC 3339 date-time: {e}"),
            )
        })
}

fn map_readings(
    doc: &Value,
    readings: &str,
    sensor: &str,
    kind: &str,
    unit: Option<&str>,
    value: &str,
) -> Result<Vec<Reading>, ParseError> {
    let items = get(doc, readings)?
        .as_array()
        .ok_or_else(|| wrong(readings, "an array"))?;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |p: &str| format!("{readings}/{i}{p}");
        let text = |p: &str| -> Result<String, ParseError> {
            item.pointer(p)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| wrong(&at(p), "a string"))
        };
        let sensor_id = text(sensor)?;
        if !seen.insert(sensor_id.clone()) {
            return Err(ParseError::new(
                ParseFailureKind::Mapping,
                at(sensor),
                format!("sensor {sensor_id:?} appears twice in the message"),
            ));
        }
        let number = item
            .pointer(value)
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite())
            .ok_or_else(|| wrong(&at(value), "a finite number"))?;
        out.push(Reading {
            sensor: sensor_id,
            kind: text(kind)?,
            unit: match unit.and_then(|p| item.pointer(p)) {
                None | Some(Value::Null) => String::new(),
                Some(v) => v
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| wrong(&at(unit.unwrap_or("")), "a string"))?,
            },
            value: number,
        });
    }
    Ok(out)
}
