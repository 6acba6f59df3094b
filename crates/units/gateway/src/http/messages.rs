//! The gateway's texts, in English and Japanese: its title in the other units' headers and
//! the frame of its documentation page (the operations themselves are the OpenAPI document's).

use modt_web::Catalog;

/// The gateway's messages.
pub(crate) const CATALOG: Catalog = Catalog { en: EN, ja: JA };

const EN: &[(&str, &str)] = &[
    ("unit_label", "API gateway"),
    ("docs_title", "API documentation"),
    (
        "docs_lead",
        "Generated from the gateway's route table. The document itself:",
    ),
    ("loading", "Loading…"),
];

const JA: &[(&str, &str)] = &[
    ("unit_label", "APIゲートウェイ"),
    ("docs_title", "APIドキュメント"),
    (
        "docs_lead",
        "ゲートウェイのルート表から生成しています。文書そのもの：",
    ),
    ("loading", "読み込み中…"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_text() {
        assert!(CATALOG.missing().is_empty(), "{:?}", CATALOG.missing());
    }
}
