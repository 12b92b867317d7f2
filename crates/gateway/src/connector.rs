//! The TCP side of backend calls: straight to the backend, or through a backend entity's HTTP
//! proxy. Through a proxy, an `http` target is reached by a connection to the proxy marked
//! *proxied*, so that the client writes the request in absolute form (`GET http://host/path`);
//! an `https` target is reached through a `CONNECT` tunnel, inside which the TLS layer above
//! (hyper-rustls) speaks to the backend itself.

use axum::http::uri::Scheme;
use axum::http::{HeaderValue, Uri};
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The longest answer to `CONNECT` read before giving up.
const MAX_PROXY_HEAD: usize = 8 * 1024;

/// An HTTP proxy between the gateway and a backend. `Debug` never shows the credentials.
#[derive(Clone)]
pub struct Proxy {
    /// Where the proxy listens (`http://host:port`).
    pub address: Uri,
    /// The `Proxy-Authorization` value (`Basic …`), when a user name or password is set.
    pub authorization: Option<HeaderValue>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("address", &self.address)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Connects to backends, directly or through one proxy.
#[derive(Clone, Debug)]
pub struct BackendConnector {
    http: HttpConnector,
    proxy: Option<Arc<Proxy>>,
}

impl BackendConnector {
    /// A connector that uses `http` for TCP and goes through `proxy`, if any.
    pub fn new(http: HttpConnector, proxy: Option<Proxy>) -> BackendConnector {
        BackendConnector {
            http,
            proxy: proxy.map(Arc::new),
        }
    }
}

/// Why the proxy did not carry a connection to the backend.
#[derive(Debug)]
pub enum ProxyFailure {
    /// No TCP connection to the proxy.
    Unreachable(BoxError),
    /// The proxy answered `CONNECT` with this status.
    Refused(u16),
    /// The proxy closed the connection, answered something that is not HTTP, or too slowly.
    NoTunnel(&'static str),
}

impl ProxyFailure {
    /// The message of the gateway's 502 answer.
    pub fn message(&self) -> String {
        match self {
            ProxyFailure::Unreachable(_) => "The backend's proxy could not be reached.".to_owned(),
            ProxyFailure::Refused(407) => {
                "The backend's proxy refused the gateway's credentials (407).".to_owned()
            }
            ProxyFailure::Refused(status) => {
                format!("The backend's proxy refused to open a tunnel to the backend ({status}).")
            }
            ProxyFailure::NoTunnel(_) => {
                "The backend's proxy did not open a tunnel to the backend.".to_owned()
            }
        }
    }
}

impl fmt::Display for ProxyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyFailure::Unreachable(err) => write!(f, "cannot connect to the proxy: {err}"),
            ProxyFailure::Refused(status) => write!(f, "the proxy answered CONNECT with {status}"),
            ProxyFailure::NoTunnel(why) => write!(f, "no tunnel through the proxy: {why}"),
        }
    }
}

impl std::error::Error for ProxyFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProxyFailure::Unreachable(err) => Some(err.as_ref()),
            _ => None,
        }
    }
}

impl Service<Uri> for BackendConnector {
    type Response = BackendStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<BackendStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, target: Uri) -> Self::Future {
        let mut http = self.http.clone();
        let Some(proxy) = self.proxy.clone() else {
            return Box::pin(async move {
                let io = http.call(target).await?;
                Ok(BackendStream { io, proxied: false })
            });
        };
        Box::pin(async move {
            let io = http
                .call(proxy.address.clone())
                .await
                .map_err(|err| ProxyFailure::Unreachable(err.into()))?;
            if target.scheme() != Some(&Scheme::HTTPS) {
                return Ok(BackendStream { io, proxied: true });
            }
            let tunnel = tokio::time::timeout(crate::CONNECT_TIMEOUT, tunnel(io, &target, &proxy))
                .await
                .map_err(|_| ProxyFailure::NoTunnel("no answer to CONNECT in time"))??;
            Ok(BackendStream {
                io: tunnel,
                proxied: false,
            })
        })
    }
}

/// Asks the proxy for a tunnel to `target`'s host and port; the connection, once it answers 2xx.
async fn tunnel(
    io: TokioIo<TcpStream>,
    target: &Uri,
    proxy: &Proxy,
) -> Result<TokioIo<TcpStream>, ProxyFailure> {
    let mut tcp = io.into_inner();
    let host = target
        .host()
        .ok_or(ProxyFailure::NoTunnel("the backend URL has no host"))?;
    let authority = format!("{host}:{}", target.port_u16().unwrap_or(443));
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n").into_bytes();
    if let Some(value) = &proxy.authorization {
        head.extend_from_slice(b"Proxy-Authorization: ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let lost = |_| ProxyFailure::NoTunnel("the connection to the proxy failed");
    tcp.write_all(&head).await.map_err(lost)?;
    let mut answer = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = tcp.read(&mut chunk).await.map_err(lost)?;
        if read == 0 {
            return Err(ProxyFailure::NoTunnel("the proxy closed the connection"));
        }
        answer.extend_from_slice(&chunk[..read]);
        if answer.len() > MAX_PROXY_HEAD {
            return Err(ProxyFailure::NoTunnel("the proxy's answer is too long"));
        }
    }
    match status_of(&answer) {
        Some(200..=299) => Ok(TokioIo::new(tcp)),
        Some(status) => Err(ProxyFailure::Refused(status)),
        None => Err(ProxyFailure::NoTunnel("the proxy's answer is not HTTP")),
    }
}

/// The status code of an HTTP/1.x response head.
fn status_of(head: &[u8]) -> Option<u16> {
    let line = head.split(|b| *b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split(' ');
    words.next().filter(|v| v.starts_with("HTTP/1."))?;
    words.next()?.parse().ok()
}

/// A connection to a backend, or to the proxy in front of it.
#[derive(Debug)]
pub struct BackendStream {
    io: TokioIo<TcpStream>,
    /// Whether requests on it go to a proxy (and so are written in absolute form).
    proxied: bool,
}

impl Connection for BackendStream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl Read for BackendStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for BackendStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_status_of_an_answer() {
        assert_eq!(
            status_of(b"HTTP/1.1 200 Connection established\r\n\r\n"),
            Some(200)
        );
        assert_eq!(
            status_of(b"HTTP/1.0 407 Proxy Authentication Required\r\n\r\n"),
            Some(407)
        );
        assert_eq!(status_of(b"SSH-2.0-OpenSSH\r\n\r\n"), None);
        assert_eq!(status_of(b"HTTP/1.1 abc\r\n\r\n"), None);
    }

    #[test]
    fn debug_hides_the_credentials() {
        let proxy = Proxy {
            address: "http://proxy:3128".parse().unwrap(),
            authorization: Some(HeaderValue::from_static("Basic dXNlcjpzM2NyZXQ=")),
        };
        assert!(!format!("{proxy:?}").contains("dXNlcjpzM2NyZXQ"));
    }
}
