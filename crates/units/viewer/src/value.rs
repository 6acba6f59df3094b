//! What the editor accepts, and how values are shown.
//!
//! Input that parses as JSON is stored as that JSON (`5`, `true`, `{"a": 1}`, `"quoted"`).
//! Anything else is stored as a plain string, so `dark mode` needs no quotes, unless it
//! looks like an attempt at JSON (it starts with `{`, `[` or `"`): then the parser's
//! complaint, with line and column, is shown instead of silently storing a broken object.

use modt_web::Lang;
use serde_json::Value;

use crate::messages::CATALOG;

/// Why editor input was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this looks like JSON but is not valid: {detail}")]
pub struct InvalidJson {
    /// The line of the problem, from 1.
    pub line: usize,
    /// Its column, from 1.
    pub column: usize,
    /// The text ends before the JSON does (an unclosed bracket or quote).
    pub ends_early: bool,
    /// The parser's own words (English).
    pub detail: String,
}

impl From<serde_json::Error> for InvalidJson {
    fn from(e: serde_json::Error) -> Self {
        InvalidJson {
            line: e.line(),
            column: e.column(),
            ends_early: e.is_eof(),
            detail: e.to_string(),
        }
    }
}

/// The complaint about `e` as the editor shows it, in `lang`.
pub fn explain(e: &InvalidJson, lang: Lang) -> String {
    let key = if e.ends_early {
        "invalid_json_eof"
    } else {
        "invalid_json"
    };
    CATALOG
        .text(lang, key)
        .replace("{line}", &e.line.to_string())
        .replace("{column}", &e.column.to_string())
}

/// The value to store for editor `input`; `as_text` stores it verbatim as a string.
pub fn parse(input: &str, as_text: bool) -> Result<Value, InvalidJson> {
    if as_text {
        return Ok(Value::String(input.to_string()));
    }
    let trimmed = input.trim();
    match serde_json::from_str::<Value>(trimmed) {
        Ok(v) => Ok(v),
        Err(e) if trimmed.starts_with(['{', '[', '"']) => Err(e.into()),
        Err(_) => Ok(Value::String(input.to_string())),
    }
}

/// A value as the table shows it: pretty JSON.
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// Lines of a value the table shows before folding the rest away.
pub const FOLD_LINES: usize = 8;
/// Characters of a value the table shows before folding the rest away.
pub const FOLD_CHARS: usize = 400;

/// The beginning of `pretty` the table shows when the whole would be longer than
/// [`FOLD_LINES`] lines or [`FOLD_CHARS`] characters; `None` when it fits.
pub fn fold(pretty: &str) -> Option<String> {
    let mut lines = 0;
    for (chars, (i, c)) in pretty.char_indices().enumerate() {
        if chars == FOLD_CHARS || lines == FOLD_LINES {
            return Some(format!("{}…", pretty[..i].trim_end()));
        }
        if c == '\n' {
            lines += 1;
        }
    }
    None
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
    fn the_complaint_is_translated_with_its_place() {
        let err = parse("{\n  \"a\": }", false).unwrap_err();
        assert_eq!((err.line, err.column, err.ends_early), (2, 8, false));
        assert!(explain(&err, Lang::En).contains("line 2, column 8"));
        let ja = explain(&err, Lang::Ja);
        assert!(ja.contains("2行目") && ja.contains("8文字目"), "{ja}");
        let eof = parse("[1, 2", false).unwrap_err();
        assert!(eof.ends_early);
        assert!(
            explain(&eof, Lang::Ja).contains("閉じ"),
            "{}",
            explain(&eof, Lang::Ja)
        );
    }

    #[test]
    fn floats_round_trip_exactly() {
        // Found by the `config` fuzz target: without serde_json's float_roundtrip, the
        // shortest text of a parsed float could parse to a neighbouring float.
        let v = parse("2.2222222222222218e+38", false).unwrap();
        assert_eq!(parse(&edit_text(&v), false).unwrap(), v);
    }

    #[test]
    fn long_values_are_folded_short_ones_are_not() {
        assert_eq!(fold("short"), None);
        let many_lines = pretty(&json!((0..20).collect::<Vec<_>>()));
        let folded = fold(&many_lines).unwrap();
        assert_eq!(folded.lines().count(), FOLD_LINES);
        assert!(folded.ends_with('…'));
        let wide = "é".repeat(FOLD_CHARS + 1);
        let folded = fold(&wide).unwrap();
        assert_eq!(
            folded.chars().count(),
            FOLD_CHARS + 1,
            "the cut keeps whole characters"
        );
        assert_eq!(fold(&"x".repeat(FOLD_CHARS)), None);
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
