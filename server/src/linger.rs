//! Lingering close: a connection's socket is shut for writing, then read to its end, before
//! it is closed. Closing a socket with unread input makes the kernel reset the connection, and
//! a reset discards what the peer had not read yet: a client still sending a message too large
//! to accept lost the close frame that said so (1009 and its reason) and saw 1006.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// How long a closed connection is read for, at most: enough for the rest of a refused
/// 25 MB message at 20 Mbit/s. A peer that neither sends nor closes is not waited for longer.
const LINGER_FOR: Duration = Duration::from_secs(10);

/// How many bytes a closed connection is read for, at most: the rest of a refused message
/// several times the default `--max-message-bytes`. A peer sending more is reset.
const LINGER_BYTES: usize = 64 * 1024 * 1024;

/// Accepts connections whose sockets linger when closed.
pub struct LingeringListener(pub TcpListener);

impl axum::serve::Listener for LingeringListener {
    type Io = LingeringStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (tcp, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (LingeringStream(Some(tcp)), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// A TCP connection that, when dropped, lingers: see the module documentation. The stream is
/// only taken out when it is dropped.
pub struct LingeringStream(Option<TcpStream>);

impl LingeringStream {
    /// Sets `TCP_NODELAY` on the socket.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.0
            .as_ref()
            .map_or(Ok(()), |tcp| tcp.set_nodelay(nodelay))
    }

    fn tcp(&mut self) -> io::Result<Pin<&mut TcpStream>> {
        self.0
            .as_mut()
            .map(Pin::new)
            .ok_or_else(|| io::ErrorKind::NotConnected.into())
    }
}

impl AsyncRead for LingeringStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.tcp()?.poll_read(cx, buf)
    }
}

impl AsyncWrite for LingeringStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.tcp()?.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.tcp()?.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.as_ref().is_some_and(|tcp| tcp.is_write_vectored())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.tcp()?.poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.tcp()?.poll_shutdown(cx)
    }
}

impl Drop for LingeringStream {
    fn drop(&mut self) {
        let (Some(tcp), Ok(runtime)) = (self.0.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        runtime.spawn(linger(tcp));
    }
}

/// Says "no more" to the peer (what it has been sent, a close frame included, arrives before
/// that), then reads and discards until the peer closes too, or a bound is reached.
async fn linger(mut tcp: TcpStream) {
    let _ = tokio::time::timeout(LINGER_FOR, async {
        if tcp.shutdown().await.is_err() {
            return;
        }
        let mut scratch = vec![0; 16 * 1024];
        let mut read = 0;
        while read < LINGER_BYTES {
            match tcp.read(&mut scratch).await {
                Ok(0) | Err(_) => return,
                Ok(n) => read += n,
            }
        }
    })
    .await;
}
