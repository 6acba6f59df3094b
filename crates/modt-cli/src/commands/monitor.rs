//! `modt monitor`: every message matching the filters (default `#`), as the monitor page
//! shows them — secrets masked by the same code ([`modt_monitor::View`]) — colored when
//! stdout is a terminal, unless `--no-color` or `NO_COLOR`. Ctrl-C ends it cleanly.

use std::io::{IsTerminal as _, Write};

use anyhow::Context as _;
use modt::{QoS, TopicFilter};
use modt_monitor::View;
use tokio_util::sync::CancellationToken;

use super::connect;
use crate::cli::MonitorArgs;

pub(crate) async fn run(args: MonitorArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    let filters = args
        .filters
        .iter()
        .map(|f| TopicFilter::new(f.as_str()).with_context(|| format!("bad topic filter {f:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let color = Palette::new(use_color(args.no_color));
    let client = connect(&args.client, "modt-monitor").await?;
    let (inbox, mut rx) = client.inbox();
    // QoS 2, so each message shows the QoS its publisher used.
    super::subscribe_all(&client, &filters, QoS::ExactlyOnce, &inbox).await?;
    drop(inbox);
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "{}",
        color.dim(&format!(
            "watching {} (Ctrl-C to stop)",
            args.filters.join(" ")
        ))
    );
    let mut seq = 0;
    loop {
        let msg = tokio::select! {
            _ = shutdown.cancelled() => break,
            m = rx.recv() => m,
        };
        let Some(msg) = msg else { break };
        seq += 1;
        let text = render(&View::of(&msg, seq), &color, args.compact);
        if writeln!(stdout, "{text}")
            .and_then(|_| stdout.flush())
            .is_err()
        {
            break; // stdout closed (e.g. piped into `head`)
        }
    }
    client.shutdown().await;
    Ok(())
}

/// Colors only for a terminal, and never with `--no-color` or a non-empty `NO_COLOR`.
fn use_color(no_color_flag: bool) -> bool {
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color_flag && !no_color_env && std::io::stdout().is_terminal()
}

/// ANSI styles, or none.
struct Palette {
    on: bool,
}

impl Palette {
    fn new(on: bool) -> Palette {
        Palette { on }
    }
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

/// `12:00:00.123  topic  qos 1 · retained · 64 B · 1 masked` and the payload below.
fn render(view: &View, color: &Palette, compact: bool) -> String {
    let time = chrono::DateTime::parse_from_rfc3339(&view.time)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%H:%M:%S%.3f")
                .to_string()
        })
        .unwrap_or_else(|_| view.time.clone());
    let mut flags = vec![format!("qos {}", view.qos)];
    if view.retain {
        flags.push("retained".into());
    }
    flags.push(format!("{} B", view.size));
    if view.truncated {
        flags.push(format!(
            "first {} B shown",
            view.text.as_ref().map_or(0, String::len)
        ));
    }
    if view.masked > 0 {
        flags.push(format!("{} masked", view.masked));
    }
    let payload = match (&view.json, compact) {
        (Some(v), true) => colorize_json(&v.to_string(), color),
        (Some(_), false) => colorize_json(&view.pretty_payload(), color),
        (None, _) => view.text.clone().unwrap_or_default(),
    };
    format!(
        "{}  {}  {}\n{}",
        color.dim(&time),
        color.paint("1;36", &view.topic),
        color.paint("33", &flags.join(" · ")),
        payload
    )
}

/// Colors a JSON text: keys blue, strings green, the mask red, other values yellow.
fn colorize_json(json: &str, color: &Palette) -> String {
    if !color.on {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() * 2);
    let mut chars = json.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '"' {
            let mut end = start + 1;
            let mut escaped = false;
            for (i, ch) in chars.by_ref() {
                end = i + ch.len_utf8();
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == '"' {
                    break;
                }
            }
            let token = &json[start..end];
            let is_key = json[end..].trim_start().starts_with(':');
            let code = if is_key {
                "34"
            } else if token.trim_matches('"') == modt_monitor::mask::MASK {
                "31"
            } else {
                "32"
            };
            out.push_str(&color.paint(code, token));
        } else if c == '-' || c.is_ascii_alphanumeric() {
            let mut end = start + c.len_utf8();
            while let Some(&(i, ch)) = chars.peek() {
                if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '+') {
                    end = i + 1;
                    chars.next();
                } else {
                    break;
                }
            }
            out.push_str(&color.paint("33", &json[start..end]));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use modt::Message;

    fn view(payload: &str) -> View {
        let msg = Message {
            topic: "modt/auth/success".into(),
            payload: payload.as_bytes().to_vec().into(),
            qos: QoS::AtLeastOnce,
            retain: true,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        };
        View::of(&msg, 1)
    }

    #[test]
    fn plain_output_masks_and_shows_flags() {
        let v = view(r#"{"session_id":"s3cr3t","n":[1,-2.5e3,true,null]}"#);
        let out = render(&v, &Palette::new(false), false);
        assert!(!out.contains("s3cr3t"), "{out}");
        assert!(!out.contains('\x1b'), "{out}");
        assert!(
            out.contains("modt/auth/success  qos 1 · retained · 48 B · 1 masked"),
            "{out}"
        );
        assert!(out.contains("\"n\": ["), "{out}");
    }

    #[test]
    fn colored_json_keeps_its_text() {
        let json = r#"{"a \"q\"": "x", "n": -1.5e3, "t": true, "m": "••••••"}"#;
        let colored = colorize_json(json, &Palette::new(true));
        let plain: String = strip_ansi(&colored);
        assert_eq!(plain, json);
        assert!(
            colored.contains("\x1b[34m\"a \\\"q\\\"\"\x1b[0m"),
            "{colored}"
        );
        assert!(colored.contains("\x1b[31m\"••••••\"\x1b[0m"), "{colored}");
    }

    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
