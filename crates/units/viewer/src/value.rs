//! What the editor accepts, and how values are shown.
//!
//! Input that parses as JSON is stored as that JSON (`5`, `true`, `{"a": 1}`, `"quoted"`).
//! Anything else is stored as a plain string, so `dark mode` needs no quotes, unless it
//! looks like an attempt at JSON (it starts with `{`, `[` or `"`): then the parser's
//! complaint, with line and column, is shown instead of silently storing a broken object.

use serde_json::Value;

/// Why editor input was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this looks like JSON but is not valid: {0}")]
pub struct InvalidJson(pub String);

/// The value to store for editor `input`; `as_text` stores it verbatim as a string.
pub fn parse(input: &str, as_text: bool) -> Result<Value, InvalidJson> {
    if as_text {
        return Ok(Value::String(input.to_string()));
    }
    let trimmed = input.trim();
    match serde_json::from_str::<Value>(trimmed) {
        Ok(v) => Ok(v),
        Err(e) if trimmed.starts_with(['{', '[', '"']) => Err(InvalidJson(e.to_string())),
        Err(_) => Ok(Value::String(input.to_string())),
    }
}

/// A value as the table shows it: pretty JSON.
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// A value as the editor shows it: strings without quotes (unless they would read back as
/// something else), everything else as pretty JSON. `parse(edit_text(v), false) == v`.
pub fn edit_text(value: &Value) -> String {
    match value {
        Value::String(s) if parse(s, false).ok().as_ref() == Some(value) => s.clone(),
        other => pretty(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_when_it_parses_text_otherwise() {
        assert_eq!(parse("5", false), Ok(json!(5)));
        assert_eq!(parse(" true ", false), Ok(json!(true)));
        assert_eq!(parse("null", false), Ok(json!(null)));
        assert_eq!(parse(r#"{"a": [1, 2]}"#, false), Ok(json!({"a": [1, 2]})));
        assert_eq!(parse(r#""5""#, false), Ok(json!("5")));
        assert_eq!(parse("dark mode", false), Ok(json!("dark mode")));
        assert_eq!(parse("5", true), Ok(json!("5")));
    }

    #[test]
    fn broken_json_is_explained() {
        let err = parse(r#"{"a": }"#, false).unwrap_err();
        assert!(err.to_string().contains("line 1 column"), "{err}");
        assert!(parse("[1, 2", false).is_err());
        assert!(parse(r#""unterminated"#, false).is_err());
    }

    #[test]
    fn floats_round_trip_exactly() {
        // Found by the `config` fuzz target: without serde_json's float_roundtrip, the
        // shortest text of a parsed float could parse to a neighbouring float.
        let v = parse("2.2222222222222218e+38", false).unwrap();
        assert_eq!(parse(&edit_text(&v), false).unwrap(), v);
    }

    #[test]
    fn editor_text_round_trips() {
        for v in [
            json!("plain"),
            json!("5"),
            json!("true"),
            json!(5),
            json!({"a": "b"}),
            json!(["x"]),
            json!(null),
            json!("{not json"),
        ] {
            let text = edit_text(&v);
            let back = parse(&text, false).unwrap_or_else(|_| parse(&text, true).unwrap());
            assert_eq!(back, v, "{text}");
        }
    }
}
