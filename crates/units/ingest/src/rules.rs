//! Validation of connection bodies and queries, as field errors (a 422 with details), and
//! the `ETag` / `If-Match` of connection versions.

use modt::protocol::ingest::{
    ConnectionDraft, ConnectionPatch, Subscription, DEFAULT_PAGE_SIZE, MAX_CONNECTION_NAME_CHARS,
    MAX_PAGE_SIZE, MAX_SUBSCRIPTIONS,
};
use modt::protocol::FieldError;

/// Longest host name, in bytes (DNS).
pub const MAX_HOST_BYTES: usize = 253;

/// Longest client id, in characters.
pub const MAX_CLIENT_ID_CHARS: usize = 64;

/// Longest user name or password, in bytes.
pub const MAX_CREDENTIAL_BYTES: usize = 256;

/// Longest topic filter, in bytes.
pub const MAX_FILTER_BYTES: usize = 1024;

/// Checks a draft; every broken rule is reported.
pub fn draft(d: &ConnectionDraft) -> Vec<FieldError> {
    let mut errors = Vec::new();
    name(&d.name, &mut errors);
    host(&d.host, &mut errors);
    port(d.port, &mut errors);
    credentials(d.username.as_deref(), d.password.as_deref(), &mut errors);
    if let Some(id) = &d.client_id {
        client_id(id, &mut errors);
    }
    subscriptions(&d.subscriptions, &mut errors);
    errors
}

/// Checks a patch's given fields.
pub fn patch(p: &ConnectionPatch) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(n) = &p.name {
        name(n, &mut errors);
    }
    if let Some(h) = &p.host {
        host(h, &mut errors);
    }
    if let Some(n) = p.port {
        port(n, &mut errors);
    }
    credentials(p.username.as_deref(), p.password.as_deref(), &mut errors);
    if let Some(id) = &p.client_id {
        client_id(id, &mut errors);
    }
    if let Some(s) = &p.subscriptions {
        subscriptions(s, &mut errors);
    }
    errors
}

fn name(n: &str, errors: &mut Vec<FieldError>) {
    let chars = n.trim().chars().count();
    if chars == 0 || chars > MAX_CONNECTION_NAME_CHARS {
        errors.push(FieldError::new(
            "/name",
            format!("must have 1-{MAX_CONNECTION_NAME_CHARS} characters"),
        ));
    }
}

fn host(h: &str, errors: &mut Vec<FieldError>) {
    if h.is_empty() || h.len() > MAX_HOST_BYTES || h.chars().any(|c| c.is_whitespace() || c == '/')
    {
        errors.push(FieldError::new(
            "/host",
            format!("must be a host name or address of 1-{MAX_HOST_BYTES} bytes"),
        ));
    }
}

fn port(p: u16, errors: &mut Vec<FieldError>) {
    if p == 0 {
        errors.push(FieldError::new("/port", "must be 1-65535"));
    }
}

fn credentials(user: Option<&str>, password: Option<&str>, errors: &mut Vec<FieldError>) {
    if user.is_some_and(|u| u.len() > MAX_CREDENTIAL_BYTES) {
        errors.push(FieldError::new(
            "/username",
            format!("must have at most {MAX_CREDENTIAL_BYTES} bytes"),
        ));
    }
    if password.is_some_and(|p| p.len() > MAX_CREDENTIAL_BYTES) {
        errors.push(FieldError::new(
            "/password",
            format!("must have at most {MAX_CREDENTIAL_BYTES} bytes"),
        ));
    }
}

fn client_id(id: &str, errors: &mut Vec<FieldError>) {
    let chars = id.chars().count();
    if chars == 0
        || chars > MAX_CLIENT_ID_CHARS
        || id.contains(['/', '+', '#'])
        || id.chars().any(char::is_control)
    {
        errors.push(FieldError::new(
            "/client_id",
            format!("must have 1-{MAX_CLIENT_ID_CHARS} characters, without /, + and #"),
        ));
    }
}

fn subscriptions(subs: &[Subscription], errors: &mut Vec<FieldError>) {
    if subs.is_empty() || subs.len() > MAX_SUBSCRIPTIONS {
        errors.push(FieldError::new(
            "/subscriptions",
            format!("must have 1-{MAX_SUBSCRIPTIONS} items"),
        ));
    }
    for (i, s) in subs.iter().enumerate() {
        if !valid_filter(&s.filter) {
            errors.push(FieldError::new(
                format!("/subscriptions/{i}/filter"),
                "must be an MQTT topic filter",
            ));
        }
        if s.qos > 1 {
            errors.push(FieldError::new(
                format!("/subscriptions/{i}/qos"),
                "must be 0 or 1",
            ));
        }
    }
}

/// An MQTT topic filter: `+` alone in its level, `#` alone and last.
pub fn valid_filter(f: &str) -> bool {
    if f.is_empty() || f.len() > MAX_FILTER_BYTES || f.contains('\0') {
        return false;
    }
    let levels: Vec<&str> = f.split('/').collect();
    levels.iter().enumerate().all(|(i, l)| match *l {
        "+" => true,
        "#" => i == levels.len() - 1,
        l => !l.contains(['+', '#']),
    })
}

/// A page size from a `limit` query: default [`DEFAULT_PAGE_SIZE`], at most [`MAX_PAGE_SIZE`].
pub fn limit(q: Option<&str>) -> Result<usize, FieldError> {
    match q {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
            _ => Err(FieldError::new(
                "limit",
                format!("must be 1-{MAX_PAGE_SIZE}"),
            )),
        },
    }
}

/// The versions an `If-Match` header names; `None` for none or `*`.
pub fn if_match(header: Option<&str>) -> Option<Vec<u64>> {
    let header = header?.trim();
    if header == "*" {
        return None;
    }
    Some(
        header
            .split(',')
            .filter_map(|t| {
                t.trim()
                    .trim_start_matches("W/")
                    .strip_prefix('"')?
                    .strip_suffix('"')?
                    .parse()
                    .ok()
            })
            .collect(),
    )
}

/// The `ETag` of a version.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        for ok in ["#", "+/gateway/#", "a/b", "a/+/c"] {
            assert!(valid_filter(ok), "{ok}");
        }
        for bad in ["", "a/#/b", "a+/b", "a/b#"] {
            assert!(!valid_filter(bad), "{bad}");
        }
    }

    #[test]
    fn limits_and_versions() {
        assert_eq!(limit(None), Ok(DEFAULT_PAGE_SIZE));
        assert!(limit(Some("0")).is_err());
        assert!(limit(Some(&(MAX_PAGE_SIZE + 1).to_string())).is_err());
        assert_eq!(if_match(Some("\"3\", \"4\"")), Some(vec![3, 4]));
        assert_eq!(if_match(Some("*")), None);
        assert_eq!(etag(2), "\"2\"");
    }
}
