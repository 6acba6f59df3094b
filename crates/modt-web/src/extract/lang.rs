//! The [`Lang`] extractor: the visitor's language as [`Lang::choose`] decides it — `?lang=`,
//! else the `modt_lang` cookie, else `Accept-Language`, else English. It never fails.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::Lang;

/// `?lang=` of a request, if it has one.
pub(crate) fn query_lang(parts: &Parts) -> Option<String> {
    let query = parts.uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned())
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Lang, Infallible> {
        Ok(Lang::choose(&parts.headers, query_lang(parts).as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    async fn lang_of(uri: &str, accept: Option<&str>, cookie: Option<&str>) -> Lang {
        let mut req = Request::builder().uri(uri);
        if let Some(a) = accept {
            req = req.header("accept-language", a);
        }
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        let Ok(lang) = Lang::from_request_parts(&mut parts, &()).await;
        lang
    }

    #[tokio::test]
    async fn query_then_cookie_then_browser() {
        assert_eq!(lang_of("/", None, None).await, Lang::En);
        assert_eq!(lang_of("/", Some("ja,en;q=0.5"), None).await, Lang::Ja);
        assert_eq!(
            lang_of("/?x=1&lang=en", Some("ja"), Some("modt_lang=ja")).await,
            Lang::En
        );
        assert_eq!(
            lang_of("/", Some("en"), Some("modt_lang=ja")).await,
            Lang::Ja
        );
        assert_eq!(lang_of("/?lang=xx", Some("ja"), None).await, Lang::Ja);
    }
}
