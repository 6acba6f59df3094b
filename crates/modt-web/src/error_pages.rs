//! The pages every listener shows for requests no unit page answers: an address nothing
//! serves (404) and a body larger than the unit accepts (413). Styled like every page, in the
//! visitor's language (`?lang=`, else the `modt_lang` cookie, else `Accept-Language`), with a
//! way on. Nothing from the request (its address, its body) is shown back.
//!
//! [`serve_with`](crate::serve::serve_with) installs both: [`not_found`] as the fallback, and
//! [`styled_too_large`] around every router, so a unit's own 413 (for instance axum's plain
//! "Failed to buffer the request body") reaches people as a page.

use axum::extract::{Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::lang::{Lang, LangQuery};

/// Answers any request no route matched with a 404 page.
pub async fn not_found(lang: Lang) -> Response {
    let texts = match lang {
        Lang::Ja => Texts {
            title: "ページが見つかりません",
            text: "このアドレスにはページがありません。リンクが古いか、入力に誤りがある可能性があります。",
            hint: None,
            back: "トップページへ",
        },
        _ => Texts {
            title: "Page not found",
            text: "There is no page at this address. The link may be old, or the address mistyped.",
            hint: None,
            back: "Go to the start page",
        },
    };
    page(lang, StatusCode::NOT_FOUND, "not-found", &texts)
}

/// Turns a `413 Payload Too Large` that is not already a page into one that says nothing
/// was saved and how to get the typed text back (the browser's Back button keeps it). A JSON
/// 413 (an API's [`ApiError`](crate::ApiError)) is left as it is: its client reads JSON.
pub async fn styled_too_large(request: Request, next: Next) -> Response {
    let query = Query::<LangQuery>::try_from_uri(request.uri()).map(|q| q.0);
    let lang = Lang::choose(
        request.headers(),
        query.as_ref().ok().and_then(|q| q.lang.as_deref()),
    );
    let response = next.run(request).await;
    let is_page_or_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE || is_page_or_json {
        return response;
    }
    let texts = match lang {
        Lang::Ja => Texts {
            title: "送信された内容が大きすぎます",
            text: "一度に送れる量を超えたため、何も保存されていません。",
            hint: Some("ブラウザの「戻る」で入力した内容に戻れます。内容を短くするか分割してから、もう一度送信してください。"),
            back: "トップページへ",
        },
        _ => Texts {
            title: "That was too much to send",
            text: "It is larger than this page accepts at once, so nothing was saved.",
            hint: Some("Your browser's Back button returns to the form with what you typed. Shorten or split it, then send it again."),
            back: "Go to the start page",
        },
    };
    page(lang, StatusCode::PAYLOAD_TOO_LARGE, "too-large", &texts)
}

/// What one of these pages says.
pub(crate) struct Texts {
    pub(crate) title: &'static str,
    pub(crate) text: &'static str,
    pub(crate) hint: Option<&'static str>,
    pub(crate) back: &'static str,
}

/// The page itself: the shared stylesheet, no script, only the fixed texts above.
pub(crate) fn page(lang: Lang, status: StatusCode, test_id: &str, t: &Texts) -> Response {
    let hint = t
        .hint
        .map(|h| format!("<p class=\"hint\">{h}</p>"))
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · MoDT</title><link rel=\"stylesheet\" href=\"/assets/modt.css\">\
         <link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\"></head>\
         <body><header class=\"bar\"><span class=\"brand\">MoDT</span></header>\
         <main class=\"card\" data-testid=\"{test_id}\"><h1>{title}</h1><p>{text}</p>{hint}\
         <p><a href=\"/\">{back}</a></p></main></body></html>",
        code = lang.code(),
        title = t.title,
        text = t.text,
        back = t.back,
    );
    (status, Html(html)).into_response()
}
