//! Page cursors: opaque to clients, they carry the order they were made for and the place
//! after which the next page starts (the last item's sort key and id), as base64url JSON.
//!
//! ```
//! use modt_todo::cursor;
//! use modt_todo::store::{Position, Sort, SortKey};
//! let at = Position { key: SortKey::Time(1_700_000_000_000), id: "a1".into() };
//! let text = cursor::encode(Sort::CreatedDesc, &at);
//! assert_eq!(cursor::decode(&text, Sort::CreatedDesc), Ok(at));
//! assert!(cursor::decode(&text, Sort::Title).is_err());
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::store::{Position, Sort, SortKey};

/// Longest cursor accepted, in bytes (a title of `MAX_TITLE_CHARS` 4-byte characters fits).
pub const MAX_CURSOR_BYTES: usize = 2048;

/// Why a cursor was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CursorError {
    /// Not a cursor this unit made (or longer than [`MAX_CURSOR_BYTES`]).
    #[error("is not a cursor of this list")]
    Unreadable,
    /// Made for another `sort`.
    #[error("was made for another sort order")]
    OtherSort,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    /// The `sort` parameter.
    s: String,
    /// The sort key.
    k: SortKey,
    /// The id.
    i: String,
}

/// The cursor of the place `after` in the `sort` order.
pub fn encode(sort: Sort, after: &Position) -> String {
    let wire = Wire {
        s: sort.as_str().to_owned(),
        k: after.key.clone(),
        i: after.id.clone(),
    };
    // Serializing strings and integers cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).unwrap_or_default())
}

/// The place a cursor names, if it was made for `sort`.
pub fn decode(text: &str, sort: Sort) -> Result<Position, CursorError> {
    if text.len() > MAX_CURSOR_BYTES {
        return Err(CursorError::Unreadable);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| CursorError::Unreadable)?;
    let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| CursorError::Unreadable)?;
    if Sort::parse(&wire.s) != Some(sort) {
        return Err(CursorError::OtherSort);
    }
    if !sort.fits(&wire.k) {
        return Err(CursorError::Unreadable);
    }
    Ok(Position {
        key: wire.k,
        id: wire.i,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_long_cursors_are_refused() {
        assert_eq!(decode("!!", Sort::Title), Err(CursorError::Unreadable));
        assert_eq!(
            decode(&"A".repeat(MAX_CURSOR_BYTES + 1), Sort::Title),
            Err(CursorError::Unreadable)
        );
        let time = encode(
            Sort::Updated,
            &Position {
                key: SortKey::Time(1),
                id: "x".into(),
            },
        );
        assert_eq!(decode(&time, Sort::Updated).map(|p| p.id), Ok("x".into()));
        // A text key under a time order is not one this unit made.
        let text = URL_SAFE_NO_PAD.encode(br#"{"s":"updated","k":"t","i":"x"}"#);
        assert_eq!(decode(&text, Sort::Updated), Err(CursorError::Unreadable));
    }

    #[test]
    fn a_cursor_of_the_longest_title_fits() {
        let at = Position {
            key: SortKey::Text("\u{10FFFF}".repeat(modt::protocol::todo::MAX_TITLE_CHARS)),
            id: uuid::Uuid::new_v4().to_string(),
        };
        let text = encode(Sort::TitleDesc, &at);
        assert_eq!(decode(&text, Sort::TitleDesc), Ok(at));
    }
}
