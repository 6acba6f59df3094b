//! The way between the system's web units, in every page's header: a link to each web unit
//! online (by its announced title, administrators' units only for administrators), "Log out",
//! and for a signed-out visitor a "Log in" that comes back (`next`).
//!
//! Also where `next` is checked: the login page follows it only to the start of a URL some
//! trusted web unit announced ([`safe_next`]), so a link cannot send a visitor elsewhere
//! after logging in.
//!
//! ```
//! # use modt::Directory;
//! # use modt_web::nav::Nav;
//! # use modt_web::Lang;
//! let directory = Directory::trusting(modt::directory::WebUnits::Any);
//! let nav = Nav::build(&directory, Lang::En, Some(false), "http://127.0.0.1:8082");
//! assert!(nav.links.is_empty(), "no web unit online yet");
//! ```

use modt::directory::web_origin;
use modt::Directory;
use serde::Serialize;

use crate::{Catalog, Lang};

/// The kind the identify unit announces (its pages hold login, logout and the account).
pub const IDENTIFY_KIND: &str = "identify";

/// Texts every page's header shares; templates read them as `common.key`.
pub const COMMON: Catalog = Catalog {
    en: &[
        ("nav_label", "MoDT pages"),
        ("logout", "Log out"),
        ("login", "Log in"),
        ("role_admin", "administrator"),
        ("role_user", "user"),
    ],
    ja: &[
        ("nav_label", "MoDTのページ"),
        ("logout", "ログアウト"),
        ("login", "ログイン"),
        ("role_admin", "管理者"),
        ("role_user", "一般ユーザー"),
    ],
};

/// One link in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NavLink {
    /// The unit's title in the page's language.
    pub title: String,
    /// Its start page.
    pub url: String,
    /// It is the unit showing this page.
    pub current: bool,
}

/// The header's links for one page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Nav {
    /// The web units the visitor may open, applications first, the account page last.
    pub links: Vec<NavLink>,
    /// The identify unit's logout page, when it is online.
    pub logout: Option<String>,
    /// For a signed-out visitor: the login page, with `next` back to this unit.
    pub login: Option<String>,
}

impl Nav {
    /// The header of a page served by the unit at `own_url`, for a visitor who is an
    /// administrator (`Some(true)`), another user (`Some(false)`) or signed out (`None`).
    pub fn build(directory: &Directory, lang: Lang, admin: Option<bool>, own_url: &str) -> Nav {
        let mut units = directory.online_with_url();
        units.sort_by_key(|(_, info)| {
            (
                info.kind == IDENTIFY_KIND,
                info.title(lang.code()).to_lowercase(),
            )
        });
        let identify = units
            .iter()
            .find(|(_, info)| info.kind == IDENTIFY_KIND)
            .and_then(|(_, info)| info.http_url.clone());
        let links = match admin {
            None => Vec::new(),
            Some(admin) => units
                .iter()
                .filter(|(_, info)| admin || !info.admins_only)
                .filter_map(|(_, info)| {
                    let url = info.http_url.clone()?;
                    Some(NavLink {
                        title: info.title(lang.code()).to_string(),
                        current: same_unit(&url, own_url),
                        url,
                    })
                })
                .collect(),
        };
        Nav {
            links,
            logout: admin
                .and(identify.as_ref())
                .map(|u| format!("{}/logout", u.trim_end_matches('/'))),
            login: match admin {
                None => identify.map(|u| login_url(&u, own_url)),
                Some(_) => None,
            },
        }
    }
}

/// `unit` with its title announced in every language of `catalog` (its `unit_label`).
pub fn with_titles(unit: modt::Unit, catalog: &Catalog) -> modt::Unit {
    Lang::ALL.iter().fold(unit, |unit, lang| {
        unit.title(lang.code(), catalog.text(*lang, "unit_label"))
    })
}

/// `{identify}/login?next={next}`: the login page, coming back to `next` afterwards.
pub fn login_url(identify: &str, next: &str) -> String {
    let login = format!("{}/login", identify.trim_end_matches('/'));
    with_next(&login, Some(next))
}

/// `url` with `next=…` (encoded) added to its query when `next` is given.
pub fn with_next(url: &str, next: Option<&str>) -> String {
    match next {
        None => url.to_string(),
        Some(next) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next)
                .finish();
            format!("{url}{sep}{query}")
        }
    }
}

/// `next` if a login may send the browser there: an address on a trusted web unit online
/// now (same origin, and under the path it announced), or a path of the login's own site
/// (`/…`, not `//…`). Anything else (another site, `javascript:`, control characters) is
/// `None`, and the login goes on as if no `next` was given.
pub fn safe_next(directory: &Directory, next: &str) -> Option<String> {
    if next.is_empty() || next.len() > 2048 || next.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    if next.starts_with('/') {
        return (!next.starts_with("//")).then(|| next.to_string());
    }
    let origin = web_origin(next)?;
    let parsed = url::Url::parse(next).ok()?;
    directory
        .online_with_url()
        .into_iter()
        .filter_map(|(_, info)| info.http_url)
        .any(|unit| {
            web_origin(&unit).as_deref() == Some(origin.as_str())
                && url::Url::parse(&unit).is_ok_and(|u| under(parsed.path(), u.path()))
        })
        .then(|| parsed.to_string())
}

/// Whether `path` is `base` or below it (`/mon`, `/mon/…`; not `/monkey`).
fn under(path: &str, base: &str) -> bool {
    let base = base.trim_end_matches('/');
    path == base || path.starts_with(&format!("{base}/"))
}

/// Whether `a` and `b` are the same unit's addresses (the same origin and path).
fn same_unit(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use modt::directory::WebUnits;
    use modt::{Message, QoS};

    fn announce(dir: &Directory, id: &str, kind: &str, url: &str, extra: serde_json::Value) {
        let mut info = serde_json::json!({
            "unit_id": id, "name": id, "kind": kind, "version": "1", "instance_id": "i",
            "started_at": "2026-01-02T10:00:00", "http_url": url,
        });
        if let (Some(info), Some(extra)) = (info.as_object_mut(), extra.as_object()) {
            info.extend(extra.clone());
        }
        for (topic, payload) in [
            (format!("modt/units/{id}/info"), info.to_string()),
            (format!("modt/units/{id}/status"), "online".to_string()),
        ] {
            dir.apply(&Message {
                topic,
                payload: Bytes::from(payload),
                qos: QoS::AtLeastOnce,
                retain: true,
                response_topic: None,
                correlation_data: None,
                user_properties: Vec::new(),
            });
        }
    }

    fn system() -> Directory {
        let dir = Directory::trusting(WebUnits::Any);
        announce(
            &dir,
            "identify",
            "identify",
            "http://h:8080",
            serde_json::json!({
            "titles": {"en": "Account", "ja": "アカウント"}}),
        );
        announce(
            &dir,
            "viewer",
            "viewer",
            "http://h:8082",
            serde_json::json!({
            "titles": {"en": "Viewer", "ja": "ビューアー"}}),
        );
        announce(
            &dir,
            "monitor",
            "monitor",
            "http://h:8083/mon",
            serde_json::json!({
            "titles": {"en": "Monitor"}, "admins_only": true}),
        );
        dir
    }

    #[test]
    fn links_follow_the_role_and_the_language() {
        let dir = system();
        let titles = |nav: &Nav| {
            nav.links
                .iter()
                .map(|l| l.title.clone())
                .collect::<Vec<_>>()
        };
        let admin = Nav::build(&dir, Lang::En, Some(true), "http://h:8082/");
        assert_eq!(titles(&admin), ["Monitor", "Viewer", "Account"]);
        assert!(admin.links[1].current && !admin.links[0].current);
        assert_eq!(admin.logout.as_deref(), Some("http://h:8080/logout"));
        let user = Nav::build(&dir, Lang::Ja, Some(false), "http://h:8082");
        assert_eq!(
            titles(&user),
            ["ビューアー", "アカウント"],
            "no monitor for users"
        );
        let anon = Nav::build(&dir, Lang::En, None, "http://h:8082");
        assert!(anon.links.is_empty() && anon.logout.is_none());
        assert_eq!(
            anon.login.as_deref(),
            Some("http://h:8080/login?next=http%3A%2F%2Fh%3A8082")
        );
    }

    #[test]
    fn next_is_added_to_the_query_encoded() {
        assert_eq!(with_next("/login", None), "/login");
        assert_eq!(
            with_next("/login?registered=1", Some("http://h:1/?a=b&c")),
            "/login?registered=1&next=http%3A%2F%2Fh%3A1%2F%3Fa%3Db%26c"
        );
    }

    #[test]
    fn next_goes_only_to_trusted_units_online() {
        let dir = system();
        let ok = |n: &str| safe_next(&dir, n);
        assert_eq!(
            ok("http://h:8082/?user=x").as_deref(),
            Some("http://h:8082/?user=x")
        );
        assert_eq!(
            ok("http://h:8083/mon/").as_deref(),
            Some("http://h:8083/mon/")
        );
        assert_eq!(ok("/waiting").as_deref(), Some("/waiting"));
        for bad in [
            "http://h:8083/other",
            "http://h:8083/monkey",
            "http://h:9999/",
            "http://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "http://h:8082/\nx",
            "",
        ] {
            assert_eq!(ok(bad), None, "{bad:?}");
        }
    }
}
