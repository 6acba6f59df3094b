//! MoDT patch: acknowledge received data at once (`TCP_QUICKACK`, Linux).
//!
//! A broker that leaves Nagle's algorithm on (Mosquitto without `set_tcp_nodelay true`, its
//! default) holds a small packet while an earlier one is unacknowledged. When it sends a
//! client two small packets in a row with nothing from the client in between (a PUBACK for
//! the client's request, then the reply; a PUBACK for a unit's answer, then the next
//! request), the second waits for the client's delayed ACK: about 40 ms on Linux.
//! `TCP_QUICKACK` makes the client's kernel acknowledge at once. Linux clears it again by
//! itself, so it is set after every read that returned data.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::framed::AsyncReadWrite;

/// Boxes `tcp` for the network layer, acknowledging every read at once when `quickack`.
pub(crate) fn boxed(tcp: TcpStream, quickack: bool) -> Box<dyn AsyncReadWrite> {
    if quickack && cfg!(any(target_os = "android", target_os = "fuchsia", target_os = "linux")) {
        Box::new(QuickAck { inner: tcp })
    } else {
        Box::new(tcp)
    }
}

/// A TCP stream that re-arms `TCP_QUICKACK` after each read that returned data.
struct QuickAck {
    inner: TcpStream,
}

impl QuickAck {
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    fn rearm(&self) {
        // Best effort: a failure only costs latency, never data.
        let _ = socket2::SockRef::from(&self.inner).set_tcp_quickack(true);
    }

    #[cfg(not(any(target_os = "android", target_os = "fuchsia", target_os = "linux")))]
    fn rearm(&self) {}
}

impl AsyncRead for QuickAck {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.rearm();
        }
        result
    }
}

impl AsyncWrite for QuickAck {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
