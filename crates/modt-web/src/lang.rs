//! English or Japanese: chosen from a `?lang=` override, else the visitor's earlier choice
//! (the [`LANG_COOKIE`], set by [`remember_choice`] on every listener, so it holds on the next
//! click and across the units of one host), else `Accept-Language`; and the message catalogs
//! pages are rendered with.

use std::collections::BTreeMap;

use axum::extract::Request;
use axum::http::header::{ACCEPT_LANGUAGE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The cookie that keeps a visitor's `?lang=` choice (a year; not a secret).
pub const LANG_COOKIE: &str = "modt_lang";
use serde::Serialize;

/// A language MoDT's pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Japanese.
    Ja,
}

impl Lang {
    /// Every language the pages are written in.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ja];

    /// The BCP 47 code for `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    /// A language from a code such as `ja` or `en-US`.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }

    /// The best language for a request: an explicit `override_code` (from `?lang=`) if it is
    /// known, else the highest-weighted known language in `Accept-Language`, else English.
    pub fn choose(headers: &HeaderMap, override_code: Option<&str>) -> Lang {
        if let Some(lang) = override_code.and_then(Lang::from_code) {
            return lang;
        }
        if let Some(lang) = crate::cookies::get(headers, LANG_COOKIE)
            .as_deref()
            .and_then(Lang::from_code)
        {
            return lang;
        }
        headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Lang::from_accept_language)
            .unwrap_or_default()
    }

    /// Parses an `Accept-Language` value (`ja,en-US;q=0.8`); ties go to the earlier entry.
    pub fn from_accept_language(value: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',').take(32) {
            let mut fields = part.split(';');
            let Some(lang) = fields.next().and_then(|c| Lang::from_code(c.trim())) else {
                continue;
            };
            let q = fields
                .find_map(|f| f.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

/// Middleware: a request with a known `?lang=` gets the [`LANG_COOKIE`] set to it, so the
/// next page (a link, a form's answer, another unit of the same host) keeps the language.
pub async fn remember_choice(request: Request, next: Next) -> Response {
    let chosen = request.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::from_code(&v))
    });
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, v);
        }
    }
    response
}

/// The `?lang=en|ja` query every page accepts, to override `Accept-Language`.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct LangQuery {
    /// `en` or `ja`.
    pub lang: Option<String>,
}

/// A unit's messages in both languages: pairs of (key, text).
#[derive(Debug, Clone, Copy)]
pub struct Catalog {
    /// English texts; every key must be here.
    pub en: &'static [(&'static str, &'static str)],
    /// Japanese texts; a missing key falls back to English.
    pub ja: &'static [(&'static str, &'static str)],
}

impl Catalog {
    /// Every message in `lang`, as a map templates read as `t.key`.
    pub fn texts(&self, lang: Lang) -> BTreeMap<&'static str, &'static str> {
        let mut map: BTreeMap<_, _> = self.en.iter().copied().collect();
        if lang == Lang::Ja {
            map.extend(self.ja.iter().copied());
        }
        map
    }

    /// One message in `lang`; the key itself if it is missing (a bug, visible on the page).
    pub fn text(&self, lang: Lang, key: &'static str) -> &'static str {
        let find = |table: &'static [(&'static str, &'static str)]| {
            table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        };
        let local = if lang == Lang::Ja {
            find(self.ja)
        } else {
            None
        };
        local.or_else(|| find(self.en)).unwrap_or(key)
    }

    /// Keys present in one language and not the other (tests call this to keep catalogs whole).
    pub fn missing(&self) -> Vec<&'static str> {
        let en: Vec<_> = self.en.iter().map(|(k, _)| *k).collect();
        let ja: Vec<_> = self.ja.iter().map(|(k, _)| *k).collect();
        en.iter()
            .filter(|k| !ja.contains(k))
            .chain(ja.iter().filter(|k| !en.contains(k)))
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_weights() {
        assert_eq!(Lang::from_accept_language("ja,en-US;q=0.8"), Lang::Ja);
        assert_eq!(Lang::from_accept_language("en-US,ja;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr, ja;q=0.5, en;q=0.4"),
            Lang::Ja
        );
        assert_eq!(Lang::from_accept_language("de"), Lang::En);
        assert_eq!(Lang::from_accept_language("ja;q=0"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn override_wins() {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_LANGUAGE, "ja".parse().unwrap());
        assert_eq!(Lang::choose(&h, Some("en")), Lang::En);
        assert_eq!(Lang::choose(&h, Some("xx")), Lang::Ja);
        assert_eq!(Lang::choose(&h, None), Lang::Ja);
    }

    #[test]
    fn an_earlier_choice_beats_the_browser_and_loses_to_a_new_one() {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_LANGUAGE, "en".parse().unwrap());
        h.insert(
            axum::http::header::COOKIE,
            "other=1; modt_lang=ja".parse().unwrap(),
        );
        assert_eq!(Lang::choose(&h, None), Lang::Ja);
        assert_eq!(Lang::choose(&h, Some("en")), Lang::En);
        h.insert(axum::http::header::COOKIE, "modt_lang=xx".parse().unwrap());
        assert_eq!(
            Lang::choose(&h, None),
            Lang::En,
            "an unknown choice is ignored"
        );
    }

    #[test]
    fn catalog_falls_back_to_english() {
        let c = Catalog {
            en: &[("a", "A"), ("b", "B")],
            ja: &[("a", "エー")],
        };
        assert_eq!(c.text(Lang::Ja, "a"), "エー");
        assert_eq!(c.text(Lang::Ja, "b"), "B");
        assert_eq!(c.texts(Lang::Ja).get("b"), Some(&"B"));
        assert_eq!(c.missing(), vec!["b"]);
    }
}
