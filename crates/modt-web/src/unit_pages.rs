//! A web unit's pages with what surrounds them: its compiled [`Templates`], the header's
//! links between web units ([`Nav`], from presence), and the short problem page ("log in",
//! "administrators only", "the sign-in service is down") that also answers the visitors the
//! extractors refuse ([`RefusalPages`]).
//!
//! A unit that draws its refusals some other way (the monitor) uses [`Templates::page`] and
//! [`Nav::build`] itself; this module is the common case of the todo, viewer and ingest units.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use modt::Directory;

use crate::extract::{Refusal, RefusalPages};
use crate::nav::Nav;
use crate::{Catalog, Lang, Page, SessionUser, Templates, WebError};

/// The template every unit using [`UnitPages::problem`] ships: it gets `heading`, `lead`,
/// `login_url` (a "Log in" link when set) and `back` (a way back to the start page, for a
/// signed-in visitor).
pub const PROBLEM_TEMPLATE: &str = "problem.html";

/// A unit's compiled pages and what every page shows around its content.
#[derive(Debug, Clone)]
pub struct UnitPages {
    templates: Arc<Templates>,
    directory: Directory,
    public_url: String,
    catalog: &'static Catalog,
}

/// What a problem page says (catalog keys of the unit's texts) and where it leads.
#[derive(Debug, Clone)]
pub struct Problem<'a> {
    /// The response's status.
    pub status: StatusCode,
    /// Catalog key of the heading (also the page's title).
    pub heading: &'static str,
    /// Catalog key of the sentence under it.
    pub lead: &'static str,
    /// The identify unit's login page, for a signed-out visitor.
    pub login_url: Option<String>,
    /// The visitor, when signed in (the header shows their links and a way back).
    pub user: Option<&'a SessionUser>,
}

impl Problem<'_> {
    /// The page for a refused visitor: signed out, 401 with the way to log in (503 when no
    /// identify unit is known); not an administrator, 403; the identify unit silent, 503.
    /// It uses the catalog keys `signed_out_title`, `signed_out_lead`, `forbidden_title`,
    /// `forbidden_lead` and `no_identify`.
    pub fn refused(refusal: &Refusal) -> Problem<'_> {
        let (status, heading, lead, login_url, user) = match refusal {
            Refusal::SignedOut {
                login: Some(login), ..
            } => (
                StatusCode::UNAUTHORIZED,
                "signed_out_title",
                "signed_out_lead",
                Some(login.clone()),
                None,
            ),
            Refusal::NotAdmin(user) => (
                StatusCode::FORBIDDEN,
                "forbidden_title",
                "forbidden_lead",
                None,
                Some(user),
            ),
            _ => (
                StatusCode::SERVICE_UNAVAILABLE,
                "signed_out_title",
                "no_identify",
                None,
                None,
            ),
        };
        Problem {
            status,
            heading,
            lead,
            login_url,
            user,
        }
    }
}

impl UnitPages {
    /// The pages of the unit at `public_url`, with texts from `catalog` and the header's links
    /// from `directory`.
    pub fn new(
        templates: Arc<Templates>,
        directory: Directory,
        public_url: impl Into<String>,
        catalog: &'static Catalog,
    ) -> UnitPages {
        UnitPages {
            templates,
            directory,
            public_url: public_url.into(),
            catalog,
        }
    }

    /// The compiled templates (for fragments rendered without the layout).
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// Renders page `name` as [`Templates::page`] does, with the header's links (`nav`) for
    /// `user` added to `extra`.
    pub fn render(
        &self,
        name: &str,
        lang: Lang,
        title: &str,
        user: Option<&SessionUser>,
        extra: minijinja::Value,
    ) -> Result<String, WebError> {
        let admin = user.map(SessionUser::is_admin);
        let nav = Nav::build(&self.directory, lang, admin, &self.public_url);
        let extra = minijinja::context! { nav => nav, ..extra };
        self.templates
            .page(name, lang, self.catalog, title, user, extra)
    }

    /// The [`PROBLEM_TEMPLATE`] page saying `problem`, with its status.
    pub fn problem(&self, lang: Lang, problem: Problem<'_>) -> Result<Response, WebError> {
        let title = self.catalog.text(lang, problem.heading);
        let html = self.render(
            PROBLEM_TEMPLATE,
            lang,
            title,
            problem.user,
            minijinja::context! {
                heading => title,
                lead => self.catalog.text(lang, problem.lead),
                login_url => problem.login_url,
                back => problem.user.is_some(),
            },
        )?;
        Ok(Page::new(html).status(problem.status).into_response())
    }
}

impl RefusalPages for UnitPages {
    /// The problem page of [`Problem::refused`].
    fn render(&self, lang: Lang, refusal: &Refusal) -> Response {
        self.problem(lang, Problem::refused(refusal))
            .unwrap_or_else(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modt::directory::WebUnits;
    use modt::protocol::Role;

    const CATALOG: Catalog = Catalog {
        en: &[
            ("unit_label", "Things"),
            ("signed_out_title", "Please log in"),
            ("signed_out_lead", "Log in to see your things."),
            ("forbidden_title", "Not for you"),
            ("forbidden_lead", "Administrators only."),
            ("no_identify", "Signing in is down."),
        ],
        ja: &[],
    };

    const PROBLEM: &str = "{% extends 'base.html' %}{% block content %}<h1>{{ heading }}</h1>\
        <p>{{ lead }}</p>{% if login_url %}<a href='{{ login_url }}'>in</a>{% endif %}\
        {% if back %}<a href='/'>back</a>{% endif %}{% endblock %}";

    fn pages() -> UnitPages {
        let templates = Arc::new(Templates::new(&[(PROBLEM_TEMPLATE, PROBLEM)]).unwrap());
        let directory = Directory::trusting(WebUnits::Any);
        UnitPages::new(templates, directory, "http://h:1", &CATALOG)
    }

    async fn body(res: Response) -> String {
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn refusals_get_their_status_and_words() {
        let pages = pages();
        let signed_out = Refusal::SignedOut {
            login: Some("http://id/login".into()),
            expired: false,
        };
        let res = RefusalPages::render(&pages, Lang::En, &signed_out);
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let html = body(res).await;
        assert!(html.contains("Please log in") && html.contains("http:&#x2f;&#x2f;id"));
        assert!(!html.contains("back"), "{html}");

        let user = SessionUser {
            user_id: "u".into(),
            role: Role::User,
            username: None,
        };
        let res = RefusalPages::render(&pages, Lang::En, &Refusal::NotAdmin(user));
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let html = body(res).await;
        assert!(html.contains("Administrators only.") && html.contains("back"));

        for refusal in [
            Refusal::Unavailable,
            Refusal::SignedOut {
                login: None,
                expired: true,
            },
        ] {
            let res = RefusalPages::render(&pages, Lang::En, &refusal);
            assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert!(body(res).await.contains("Signing in is down."));
        }
    }

    #[test]
    fn a_missing_problem_template_is_an_error_not_a_panic() {
        let templates = Arc::new(Templates::new(&[]).unwrap());
        let pages = UnitPages::new(
            templates,
            Directory::trusting(WebUnits::Any),
            "http://h:1",
            &CATALOG,
        );
        let problem = Problem::refused(&Refusal::Unavailable);
        assert!(pages.problem(Lang::En, problem).is_err());
    }
}
