//! `GET /feed`: the live stream, over a WebSocket, for administrators.
//!
//! Frames the server sends (JSON text; message objects are [`crate::record::View`]s):
//!
//! - `{"type":"history","filter":"#","messages":[…]}`: the buffered messages matching the
//!   filter, oldest first — on connect and after each filter change.
//! - `{"type":"batch","dropped":n,"messages":[…]}`: new messages, oldest first; `dropped` is
//!   how many matching messages this page missed since the last batch because it read too
//!   slowly (its queue of [`crate::MonitorConfig::feed_queue`] was full).
//! - `{"type":"stats",…}`: totals, the topic tree with counts and rates (about once a second
//!   while traffic moves).
//! - `{"type":"error","error":"…"}`: a filter the server refused.
//!
//! The page sends `{"filter":"modt/#"}` to change its filter (also `?filter=` on connect).
//! The handshake is refused unless the `Origin` is this site ([`SameOrigin`]) and the cookie
//! belongs to an administrator ([`RequireAdmin`]); refusals are JSON errors
//! ([`modt_web::ApiError`]). The socket closes when the unit stops.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use modt::protocol::ErrorCode;
use modt::TopicFilter;
use modt_web::{ApiError, RequireAdmin};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::access::SameOrigin;
use crate::live::{Feed, StatsWatch};
use crate::record::Record;
use crate::web::WebState;

/// Records taken from the queue at once.
const MAX_BATCH: usize = 256;
/// A batch frame is closed once it holds this many bytes of records.
const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// Longest filter accepted from a page.
const MAX_FILTER_BYTES: usize = 1024;

/// `?filter=` on connect.
#[derive(Debug, Default, Deserialize)]
pub struct FeedQuery {
    /// The initial topic filter (default `#`).
    pub filter: Option<String>,
}

/// What a page sends.
#[derive(Debug, Deserialize)]
struct FromPage {
    filter: String,
}

/// `GET /feed`: checks the origin and access (JSON errors: 403 another site or not an
/// administrator, 401 not logged in, 503 identify silent or too many pages, 400 a bad
/// filter), then upgrades to a WebSocket.
pub async fn connect(
    State(s): State<WebState>,
    _: SameOrigin,
    _: RequireAdmin,
    Query(q): Query<FeedQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let filter = match parse_filter(q.filter.as_deref().unwrap_or("#")) {
        Ok(f) => f,
        Err(why) => return ApiError::new(ErrorCode::BadRequest, why).into_response(),
    };
    let (feed, history) = match s.live.open_feed(filter.clone()) {
        Ok(opened) => opened,
        Err(e) => return ApiError::new(ErrorCode::Unavailable, e.to_string()).into_response(),
    };
    let shutdown = s.shutdown.clone();
    let stats = s.live.stats();
    ws.on_upgrade(move |socket| serve(socket, feed, stats, filter, history, shutdown))
}

fn parse_filter(text: &str) -> Result<TopicFilter, String> {
    let text = text.trim();
    if text.len() > MAX_FILTER_BYTES {
        return Err(format!("longer than {MAX_FILTER_BYTES} bytes"));
    }
    if text.starts_with("$share/") {
        return Err("shared subscriptions ($share/…) are not filters here".into());
    }
    TopicFilter::new(text).map_err(|e| e.to_string())
}

enum Event {
    Stop,
    Records(usize),
    Stats,
    FromPage(Option<Result<WsMessage, axum::Error>>),
}

/// Runs one page's socket until it closes or the unit stops.
async fn serve(
    mut socket: WebSocket,
    mut feed: Feed,
    mut stats: StatsWatch,
    filter: TopicFilter,
    history: Vec<Arc<Record>>,
    shutdown: CancellationToken,
) {
    let first = [history_frame(&filter, &history), stats.latest().to_string()];
    for frame in first {
        if !frame.is_empty() && socket.send(text(frame)).await.is_err() {
            return;
        }
    }
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let event = tokio::select! {
            // Stopping first: the feed ends at the same moment, and the page should hear why.
            biased;
            _ = shutdown.cancelled() => Event::Stop,
            n = feed.recv_many(&mut batch, MAX_BATCH) => Event::Records(n),
            changed = stats.changed() => if changed { Event::Stats } else { Event::Stop },
            m = socket.recv() => Event::FromPage(m),
        };
        let sent = match event {
            Event::Stop => {
                let close = CloseFrame {
                    code: axum::extract::ws::close_code::AWAY,
                    reason: Utf8Bytes::from_static("the monitor is stopping"),
                };
                let _ = socket.send(WsMessage::Close(Some(close))).await;
                return;
            }
            Event::Records(0) => return,
            Event::Records(_) => {
                let dropped = feed.take_dropped();
                let mut ok = true;
                for frame in batch_frames(&batch, dropped) {
                    if socket.send(text(frame)).await.is_err() {
                        ok = false;
                        break;
                    }
                }
                batch.clear();
                ok
            }
            Event::Stats => socket.send(text(stats.latest().to_string())).await.is_ok(),
            Event::FromPage(Some(Ok(WsMessage::Text(t)))) => {
                let reply = match serde_json::from_str::<FromPage>(t.as_str()) {
                    Ok(req) => match parse_filter(&req.filter) {
                        Ok(filter) => {
                            let history = feed.set_filter(filter.clone());
                            history_frame(&filter, &history)
                        }
                        Err(why) => error_frame(&why),
                    },
                    Err(e) => error_frame(&format!("unreadable request: {e}")),
                };
                socket.send(text(reply)).await.is_ok()
            }
            Event::FromPage(Some(Ok(WsMessage::Close(_)) | Err(_)) | None) => return,
            Event::FromPage(Some(Ok(_))) => true, // pings are answered by axum; binary ignored
        };
        if !sent {
            debug!("a monitor page went away");
            return;
        }
    }
}

fn text(frame: String) -> WsMessage {
    WsMessage::Text(Utf8Bytes::from(frame))
}

fn join(records: &[Arc<Record>]) -> String {
    let mut out = String::with_capacity(records.iter().map(|r| r.json.len() + 1).sum());
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&r.json);
    }
    out
}

fn history_frame(filter: &TopicFilter, records: &[Arc<Record>]) -> String {
    let filter = serde_json::to_string(filter.as_str()).unwrap_or_else(|_| "\"#\"".into());
    format!(
        r#"{{"type":"history","filter":{filter},"messages":[{}]}}"#,
        join(records)
    )
}

/// Batches of at most [`MAX_FRAME_BYTES`] (or one record, if it is bigger); the drop count
/// rides on the first.
fn batch_frames(records: &[Arc<Record>], dropped: u64) -> Vec<String> {
    let mut frames = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, r) in records.iter().enumerate() {
        if i > start && bytes + r.json.len() > MAX_FRAME_BYTES {
            frames.push(&records[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += r.json.len();
    }
    frames.push(&records[start..]);
    frames
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let dropped = if i == 0 { dropped } else { 0 };
            format!(
                r#"{{"type":"batch","dropped":{dropped},"messages":[{}]}}"#,
                join(chunk)
            )
        })
        .collect()
}

fn error_frame(why: &str) -> String {
    serde_json::json!({"type": "error", "error": why}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64, size: usize) -> Arc<Record> {
        Arc::new(Record {
            seq,
            topic: "t".into(),
            json: format!(r#"{{"seq":{seq},"pad":"{}"}}"#, "x".repeat(size)).into(),
        })
    }

    #[test]
    fn frames_are_valid_json_and_split_by_size() {
        let records = vec![rec(1, 10), rec(2, MAX_FRAME_BYTES), rec(3, 10), rec(4, 10)];
        let frames = batch_frames(&records, 7);
        assert_eq!(frames.len(), 3);
        let mut seqs = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            let v: serde_json::Value = serde_json::from_str(f).unwrap();
            assert_eq!(v["dropped"], if i == 0 { 7 } else { 0 });
            for m in v["messages"].as_array().unwrap() {
                seqs.push(m["seq"].as_u64().unwrap());
            }
        }
        assert_eq!(seqs, vec![1, 2, 3, 4]);
        let h: serde_json::Value =
            serde_json::from_str(&history_frame(&TopicFilter::new("a/#").unwrap(), &[])).unwrap();
        assert_eq!(h["filter"], "a/#");
    }

    #[test]
    fn filters_from_pages_are_checked() {
        assert!(parse_filter(" modt/+/status ").is_ok());
        assert!(parse_filter("a/#/b").is_err());
        assert!(parse_filter("a+").is_err());
        assert!(parse_filter("").is_err());
        assert!(parse_filter("$share/g/#").is_err());
        assert!(parse_filter(&"a".repeat(2000)).is_err());
    }
}
