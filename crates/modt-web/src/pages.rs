//! Server-rendered pages: minijinja templates around one shared layout, and the responses
//! that carry them ([`Page`], [`SeeOther`]) with their cookies.
//!
//! Templates are compiled into the binary (no files to deploy). Every page extends
//! `base.html`, which expects `lang`, `title`, `unit_label` and optionally `user` and `nav`
//! ([`crate::nav::Nav`]).
//! Autoescaping is on for `.html`, so user input is always escaped.

use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use cookie::Cookie;
use minijinja::Environment;
use serde::Serialize;

use crate::WebError;

/// The shared layout every page extends.
const BASE: &str = include_str!("../templates/base.html");

/// A unit's compiled templates plus the shared layout.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Compiles `templates` (name, source) beside `base.html`; a syntax error names the template.
    pub fn new(templates: &[(&'static str, &'static str)]) -> Result<Templates, WebError> {
        let mut env = Environment::new();
        env.add_template("base.html", BASE)
            .map_err(|e| WebError::Template(e.to_string()))?;
        for (name, source) in templates {
            env.add_template(name, source)
                .map_err(|e| WebError::Template(format!("{name}: {e}")))?;
        }
        Ok(Templates { env })
    }

    /// Renders page `name` with what `base.html` expects — `lang`, `title`, `unit_label` (the
    /// catalog's `unit_label`), `user`, and every text of `catalog` as `t` — plus `extra`.
    pub fn page<U: Serialize>(
        &self,
        name: &str,
        lang: crate::Lang,
        catalog: &crate::Catalog,
        title: &str,
        user: Option<&U>,
        extra: minijinja::Value,
    ) -> Result<String, WebError> {
        self.render(
            name,
            minijinja::context! {
                lang => lang.code(),
                title => title,
                unit_label => catalog.text(lang, "unit_label"),
                user => user,
                t => catalog.texts(lang),
                common => crate::nav::COMMON.texts(lang),
                ..extra
            },
        )
    }

    /// Renders template `name` with `context`.
    pub fn render<C: Serialize>(&self, name: &str, context: C) -> Result<String, WebError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(context))
            .map_err(|e| WebError::Template(format!("{name}: {e}")))
    }
}

/// An HTML page with its status and the cookies it sets.
#[derive(Debug)]
pub struct Page {
    status: StatusCode,
    html: String,
    cookies: Vec<Cookie<'static>>,
}

impl Page {
    /// A `200 OK` page.
    pub fn new(html: String) -> Page {
        Page {
            status: StatusCode::OK,
            html,
            cookies: Vec::new(),
        }
    }

    /// Sets the status (e.g. 401 for a failed login, 429 when throttled).
    pub fn status(mut self, status: StatusCode) -> Page {
        self.status = status;
        self
    }

    /// Adds a cookie to set.
    pub fn cookie(mut self, cookie: Cookie<'static>) -> Page {
        self.cookies.push(cookie);
        self
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut res = (self.status, Html(self.html)).into_response();
        append_cookies(&mut res, &self.cookies);
        res
    }
}

/// A `303 See Other` redirect (after a form POST) with the cookies it sets.
#[derive(Debug)]
pub struct SeeOther {
    location: String,
    cookies: Vec<Cookie<'static>>,
}

impl SeeOther {
    /// A redirect to `location` (a path or an absolute URL).
    pub fn to(location: impl Into<String>) -> SeeOther {
        SeeOther {
            location: location.into(),
            cookies: Vec::new(),
        }
    }

    /// Adds a cookie to set.
    pub fn cookie(mut self, cookie: Cookie<'static>) -> SeeOther {
        self.cookies.push(cookie);
        self
    }
}

impl IntoResponse for SeeOther {
    fn into_response(self) -> Response {
        let Ok(location) = HeaderValue::from_str(&self.location) else {
            return WebError::Internal(format!("unusable redirect target {:?}", self.location))
                .into_response();
        };
        let mut res = StatusCode::SEE_OTHER.into_response();
        res.headers_mut().insert(LOCATION, location);
        append_cookies(&mut res, &self.cookies);
        res
    }
}

fn append_cookies(res: &mut Response, cookies: &[Cookie<'static>]) {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
            res.headers_mut().append(SET_COOKIE, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_layout_and_escapes() {
        let t = Templates::new(&[(
            "hello.html",
            "{% extends 'base.html' %}{% block content %}<p>{{ name }}</p>{% endblock %}",
        )])
        .unwrap();
        let html = t
            .render(
                "hello.html",
                minijinja::context! { lang => "ja", title => "T", unit_label => "u", name => "<b>x</b>" },
            )
            .unwrap();
        assert!(html.contains("<html lang=\"ja\">"), "{html}");
        assert!(html.contains("&lt;b&gt;x&lt;&#x2f;b&gt;"), "{html}");
    }

    #[test]
    fn bad_template_names_itself() {
        let err = Templates::new(&[("bad.html", "{% if %}")]).unwrap_err();
        assert!(err.to_string().contains("bad.html"), "{err}");
    }
}
