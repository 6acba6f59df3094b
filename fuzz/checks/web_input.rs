//! Checks of the `web_input` fuzz target: what a MoDT web unit reads from a request, from
//! arbitrary bytes `COOKIE\0ORIGIN\0HOST\0ACCEPT_LANGUAGE\0TOKEN_OR_LANG\0FORM_BODY` (missing
//! parts are absent headers or empty). None of this may panic, and:
//! - cookie values read (`cookies::get`) are non-empty and at most `MAX_COOKIE_VALUE` bytes;
//! - `csrf::verify` passes only when the submitted token equals the CSRF cookie and the
//!   `Origin`, when sent, names the `Host`; `CsrfToken::for_request` always gives a
//!   well-formed token (the browser's, when its cookie holds one);
//! - `Lang` picks Japanese only when the override or `Accept-Language` names `ja`;
//! - the viewer's form bodies (`SetForm`, `DeleteForm`, `ClearForm`, as axum's `Form` reads
//!   them) and its editor text: what the editor stores shows as text that stores the same
//!   value again (`parse(edit_text(v)) == v`).
//!
//! `modt_web::headers` only sets response headers; it reads nothing from a request.
#![allow(clippy::expect_used)]

use axum::body::Body;
use axum::extract::{Form, FromRequest};
use axum::http::header::{ACCEPT_LANGUAGE, CONTENT_TYPE, COOKIE, HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use modt_viewer::value;
use modt_viewer::web::edit::{ClearForm, DeleteForm, SetForm};
use modt_web::cookies::{self, MAX_COOKIE_VALUE, SESSION_COOKIE};
use modt_web::csrf::{self, CsrfToken, CSRF_COOKIE};
use modt_web::Lang;
use serde::de::DeserializeOwned;

/// Runs every check on one input.
pub(crate) fn check(data: &[u8]) {
    let mut parts = data.split(|b| *b == 0);
    let mut headers = HeaderMap::new();
    for name in [COOKIE, ORIGIN, HOST, ACCEPT_LANGUAGE] {
        header(&mut headers, name, parts.next());
    }
    let token = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();

    for name in [SESSION_COOKIE, CSRF_COOKIE, ""] {
        if let Some(v) = cookies::get(&headers, name) {
            assert!(!v.is_empty() && v.len() <= MAX_COOKIE_VALUE, "{name}={v:?}");
        }
    }
    csrf_check(&headers, &token);
    lang(&headers, &token);
    forms(&headers, body);
}

fn header(headers: &mut HeaderMap, name: HeaderName, value: Option<&[u8]>) {
    if let Some(v) = value.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        headers.insert(name, v);
    }
}

fn csrf_check(headers: &HeaderMap, submitted: &str) {
    let cookie = cookies::get(headers, CSRF_COOKIE);
    match csrf::verify(headers, submitted) {
        Ok(()) => {
            assert_eq!(
                cookie.as_deref(),
                Some(submitted),
                "the token matches the cookie"
            );
            // (Origins are compared once normalized, `http://0x7f.1` as `127.0.0.1`: the
            // only thing to check here is that an Origin never passes without a Host.)
            if let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
                let host = headers.get(HOST).and_then(|v| v.to_str().ok());
                assert!(
                    host.is_some_and(|h| !h.is_empty()),
                    "Origin {origin:?} passed without a Host"
                );
            }
        }
        Err(csrf::CsrfError::MissingCookie) => assert_eq!(cookie, None),
        Err(_) => {}
    }
    let token = CsrfToken::for_request(headers).expect("random source");
    let t = token.value();
    assert!(
        t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()),
        "{t:?}"
    );
    if let Some(c) = cookie.filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit())) {
        assert_eq!(t, c, "the browser's own token is kept");
    }
}

fn lang(headers: &HeaderMap, code: &str) {
    let named_ja = |s: &str| s.to_ascii_lowercase().contains("ja");
    if Lang::from_code(code) == Some(Lang::Ja) {
        assert!(named_ja(code), "{code:?}");
    }
    let accept = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    if let Some(a) = accept {
        if Lang::from_accept_language(a) == Lang::Ja {
            assert!(named_ja(a), "{a:?}");
        }
    }
    for over in [Some(code), None] {
        if Lang::choose(headers, over) == Lang::Ja {
            assert!(over.is_some_and(named_ja) || accept.is_some_and(named_ja));
        }
    }
}

/// A form body as axum's `Form` extractor reads it from a POST.
fn read_form<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Option<T> {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_vec()))
        .expect("a request");
    req.headers_mut().extend(headers.clone());
    futures::executor::block_on(Form::<T>::from_request(req, &()))
        .ok()
        .map(|Form(f)| f)
}

fn forms(headers: &HeaderMap, body: &[u8]) {
    let _ = read_form::<DeleteForm>(headers, body);
    let _ = read_form::<ClearForm>(headers, body);
    if let Some(f) = read_form::<SetForm>(headers, body) {
        let _ = csrf::verify(headers, &f.csrf_token);
        editor(&f.value, f.as_text.is_some());
    }
    if let Ok(text) = std::str::from_utf8(body) {
        editor(text, false);
    }
}

fn editor(input: &str, as_text: bool) {
    let Ok(v) = value::parse(input, as_text) else {
        return;
    };
    if as_text {
        assert_eq!(v, serde_json::Value::String(input.to_owned()));
    }
    let _ = value::pretty(&v);
    let shown = value::edit_text(&v);
    assert_eq!(value::parse(&shown, false), Ok(v), "editor text {shown:?}");
}
