//! The page for an address nothing serves: styled like every page, in the visitor's language
//! (`?lang=`, else `Accept-Language`), with a way back to the unit's start page. The address
//! itself is not shown back, so nothing a link puts there reaches the page.

use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::lang::{Lang, LangQuery};

/// Answers any request no route matched with a 404 page.
pub async fn not_found(headers: HeaderMap, Query(query): Query<LangQuery>) -> Response {
    let lang = Lang::choose(&headers, query.lang.as_deref());
    let (title, text, back) = match lang {
        Lang::Ja => (
            "ページが見つかりません",
            "このアドレスにはページがありません。リンクが古いか、入力に誤りがある可能性があります。",
            "トップページへ",
        ),
        _ => (
            "Page not found",
            "There is no page at this address. The link may be old, or the address mistyped.",
            "Go to the start page",
        ),
    };
    let html = format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · MoDT</title><link rel=\"stylesheet\" href=\"/assets/modt.css\">\
         <link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\"></head>\
         <body><header class=\"bar\"><span class=\"brand\">MoDT</span></header>\
         <main class=\"card\" data-testid=\"not-found\"><h1>{title}</h1><p>{text}</p>\
         <p><a href=\"/\">{back}</a></p></main></body></html>",
        code = lang.code(),
    );
    (StatusCode::NOT_FOUND, Html(html)).into_response()
}
