//! What the viewer's tests share: a browser holding a session cookie.

use std::sync::Arc;

pub(crate) mod system;

/// A browser (an HTTP client with a cookie jar, redirects not followed) on the viewer at `base`.
pub(crate) struct Browser {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
}

impl Browser {
    /// A browser whose jar holds the session cookie `session_id` for `base`.
    pub(crate) fn with_session(base: &str, session_id: &str) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let url: reqwest::Url = base.parse().unwrap();
        jar.add_cookie_str(&format!("modt_session_id={session_id}"), &url);
        let http = reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            http,
            base: base.to_string(),
        }
    }

    /// `GET path`: the response, its body unread (an event stream, say).
    pub(crate) async fn open(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// `GET path`: status and body.
    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let res = self.open(path).await;
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// The CSRF token of the keys page's forms.
    pub(crate) async fn csrf(&self) -> String {
        let (_, html) = self.get("/").await;
        let start = html.find("name=\"csrf_token\" value=\"").unwrap() + 25;
        html[start..start + 64].to_string()
    }

    /// Posts a form from the viewer's own origin: status, `Location`, body.
    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, location, res.text().await.unwrap())
    }
}
