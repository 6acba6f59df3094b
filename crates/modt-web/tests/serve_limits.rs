//! The web listener, on a real socket: an unknown address gets the styled, translated 404
//! page; and its limits: slow or idle clients are closed after the
//! header or body timeout, and connections past the per-address or per-listener cap get a
//! 429 or 503 with `Retry-After` while others are still served. The clock is paused: the
//! timeouts pass without waiting.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use modt_web::serve::{serve_with, ServeLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const HOUR: Duration = Duration::from_secs(3600);

struct Server {
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(limits: ServeLimits) -> Server {
    let router = Router::new()
        .route("/", get(|| async { "ok" }))
        .route("/echo", post(|body: String| async move { body }));
    let listener = modt_web::serve::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve_with(listener, router, shutdown.clone(), limits));
    Server {
        addr,
        shutdown,
        task,
    }
}

/// A connection from the loopback address `from` (127.0.0.x).
async fn connect_from(server: &Server, from: [u8; 4]) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    socket.connect(server.addr).await.unwrap()
}

async fn connect(server: &Server) -> TcpStream {
    connect_from(server, [127, 0, 0, 1]).await
}

/// Everything the server sends until it closes the connection.
async fn read_all(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

async fn get_root(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    read_all(stream).await
}

#[tokio::test(start_paused = true)]
async fn half_sent_headers_are_closed_after_the_header_timeout() {
    let limits = ServeLimits::default();
    let server = start(limits).await;
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = connect(&server).await;
        s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n").await.unwrap();
        slow.push(s);
    }
    let started = Instant::now();
    for s in &mut slow {
        read_all(s).await;
    }
    let waited = started.elapsed();
    assert!(
        waited >= limits.header_timeout && waited < limits.header_timeout + Duration::from_secs(1),
        "closed after {waited:?}"
    );
    assert!(get_root(&mut connect(&server).await)
        .await
        .contains("200 OK"));
}

#[tokio::test(start_paused = true)]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let limits = ServeLimits::default();
    let server = start(limits).await;
    let mut s = connect(&server).await;
    s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("200 OK"));
    let started = Instant::now();
    assert_eq!(read_all(&mut s).await, "", "nothing more, then closed");
    assert!(started.elapsed() >= limits.header_timeout);
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_fails_after_the_body_timeout() {
    let limits = ServeLimits::default();
    let server = start(limits).await;
    let mut s = connect(&server).await;
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly ten..")
        .await
        .unwrap();
    let started = Instant::now();
    let response = read_all(&mut s).await;
    let waited = started.elapsed();
    assert!(response.starts_with("HTTP/1.1 4"), "{response}");
    assert!(
        waited >= limits.body_timeout && waited < limits.body_timeout + Duration::from_secs(1),
        "answered after {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn one_address_cannot_take_every_connection() {
    let limits = ServeLimits {
        header_timeout: HOUR,
        max_per_address: 2,
        ..ServeLimits::default()
    };
    let server = start(limits).await;
    let _held = [connect(&server).await, connect(&server).await];
    let refused = read_all(&mut connect(&server).await).await;
    assert!(refused.starts_with("HTTP/1.1 429 "), "{refused}");
    assert!(refused.contains("Retry-After: 5\r\n"), "{refused}");
    assert!(refused.contains("from your address"), "{refused}");
    let other = get_root(&mut connect_from(&server, [127, 0, 0, 2]).await).await;
    assert!(
        other.contains("200 OK"),
        "another address is served: {other}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_listener_refuses_until_a_connection_closes() {
    let limits = ServeLimits {
        header_timeout: HOUR,
        max_connections: 3,
        ..ServeLimits::default()
    };
    let server = start(limits).await;
    let mut held = vec![
        connect_from(&server, [127, 0, 0, 1]).await,
        connect_from(&server, [127, 0, 0, 2]).await,
        connect_from(&server, [127, 0, 0, 3]).await,
    ];
    let refused = read_all(&mut connect_from(&server, [127, 0, 0, 4]).await).await;
    assert!(refused.starts_with("HTTP/1.1 503 "), "{refused}");
    assert!(refused.contains("Retry-After: 5\r\n"), "{refused}");
    drop(held.pop());
    // The server notices the close at its next read of that connection.
    tokio::time::sleep(Duration::from_millis(10)).await;
    let served = get_root(&mut connect_from(&server, [127, 0, 0, 4]).await).await;
    assert!(served.contains("200 OK"), "{served}");
}

#[tokio::test(start_paused = true)]
async fn shutdown_closes_idle_connections_and_returns() {
    let limits = ServeLimits {
        header_timeout: HOUR,
        ..ServeLimits::default()
    };
    let server = start(limits).await;
    let mut idle = connect(&server).await;
    server.shutdown.cancel();
    server.task.await.unwrap().unwrap();
    assert_eq!(read_all(&mut idle).await, "");
}

#[tokio::test(start_paused = true)]
async fn an_unknown_address_gets_a_styled_page_in_the_visitors_language_which_is_kept() {
    let server = start(ServeLimits::default()).await;
    let ask = |request: &'static str| {
        let addr = server.addr;
        async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(request.as_bytes()).await.unwrap();
            read_all(&mut s).await
        }
    };
    let en = ask("GET /no/such/page HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await;
    assert!(en.starts_with("HTTP/1.1 404 "), "{en}");
    assert!(en.contains("text/html"), "{en}");
    assert!(
        en.contains("Page not found") && en.contains("href=\"/assets/modt.css\""),
        "{en}"
    );
    assert!(
        en.to_lowercase().contains("content-security-policy"),
        "security headers: {en}"
    );
    assert!(
        !en.contains("/no/such/page"),
        "the address is not shown back"
    );
    let ja = ask(
        "GET /x HTTP/1.1\r\nHost: t\r\nAccept-Language: ja,en;q=0.5\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        ja.contains("ページが見つかりません") && ja.contains("lang=\"ja\""),
        "{ja}"
    );
    let chosen = ask("GET /x?lang=ja HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await;
    assert!(chosen.contains("ページが見つかりません"), "{chosen}");
    // The choice is kept in a cookie for the next page.
    assert!(
        chosen.contains("set-cookie: modt_lang=ja; Path=/; Max-Age=31536000; SameSite=Lax"),
        "{chosen}"
    );
    let kept =
        ask("GET /y HTTP/1.1\r\nHost: t\r\nCookie: modt_lang=ja\r\nConnection: close\r\n\r\n")
            .await;
    assert!(kept.contains("ページが見つかりません"), "{kept}");
}
