//! Backend connections, kept alive between calls and driven by the calls that use them.
//!
//! hyper's pooled client runs each backend connection as a task of its own, so that every call
//! hops between tasks — and often threads — several times. Here the task that serves a call
//! drives the backend connection itself, while it waits for the response head and while it
//! streams the response body ([`UpstreamBody`]), as an nginx worker does. Between calls an idle
//! connection waits in the [`Pool`], undriven; the next call that takes it first checks that the
//! backend has not closed it meanwhile, and a call whose request a closed connection never sent
//! is sent again on a new one.

use crate::connector::BackendStream;
use crate::transport::Link;
use axum::body::{Body, Bytes};
use axum::http::uri::{Authority, Scheme};
use axum::http::{HeaderValue, Request, Response, Uri, header};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_rustls::MaybeHttpsStream;
use hyper_util::client::legacy::connect::Connection as _;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long an idle connection is kept.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per backend (and way of reaching it), at most.
const MAX_IDLE_PER_BACKEND: usize = 256;

/// One HTTP/1.1 connection to a backend.
struct Upstream {
    sender: http1::SendRequest<Body>,
    connection: http1::Connection<MaybeHttpsStream<BackendStream>, Body>,
    /// False once the connection has ended (it must not be polled again).
    open: bool,
    /// Requests go to a proxy, in absolute form.
    proxied: bool,
}

impl Upstream {
    /// Lets the connection make progress; notes when it has ended.
    fn drive(&mut self, cx: &mut Context<'_>) {
        if self.open && Pin::new(&mut self.connection).poll(cx).is_ready() {
            self.open = false;
        }
    }

    /// Whether it can take another request now (drives it once, without a waker to wake).
    fn reusable(&mut self) -> bool {
        self.drive(&mut Context::from_waker(Waker::noop()));
        self.open && self.sender.is_ready()
    }
}

/// Which connections can serve a call: the way of reaching the backend, and its origin.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Origin {
    link: u64,
    scheme: Scheme,
    authority: Authority,
}

/// Idle backend connections.
#[derive(Default)]
pub struct Pool {
    idle: Mutex<HashMap<Origin, Vec<(Upstream, Instant)>>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("origins", &self.lock().len())
            .finish()
    }
}

/// Why a backend call failed before its response head arrived.
#[derive(Debug)]
pub enum SendError {
    /// No connection: TCP, the proxy or the TLS handshake failed.
    Connect(BoxError),
    /// The connection failed while the request was sent or before the response head.
    Exchange(hyper::Error),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Connect(err) => write!(f, "cannot connect to the backend: {err}"),
            SendError::Exchange(err) => write!(f, "the backend connection failed: {err}"),
        }
    }
}

impl Pool {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Origin, Vec<(Upstream, Instant)>>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An idle connection to `origin` that is still usable; the most recently used first.
    fn take(&self, origin: &Origin) -> Option<Upstream> {
        let mut idle = self.lock();
        let waiting = idle.get_mut(origin)?;
        while let Some((mut upstream, since)) = waiting.pop() {
            if since.elapsed() < IDLE_TIMEOUT && upstream.reusable() {
                return Some(upstream);
            }
        }
        None
    }

    fn put(&self, origin: Origin, upstream: Upstream) {
        let mut idle = self.lock();
        let waiting = idle.entry(origin).or_default();
        if waiting.len() < MAX_IDLE_PER_BACKEND {
            waiting.push((upstream, Instant::now()));
        }
    }

    /// Closes the connections idle for too long or closed by their backend.
    pub fn sweep(&self) {
        let mut idle = self.lock();
        for waiting in idle.values_mut() {
            waiting.retain_mut(|(upstream, since)| {
                since.elapsed() < IDLE_TIMEOUT && upstream.reusable()
            });
        }
        idle.retain(|_, waiting| !waiting.is_empty());
    }

    /// Sends `request` (whose URI is the backend URL) through `link`, on an idle connection or a
    /// new one. The response body drives the connection and returns it to the pool at its end.
    pub async fn send(
        self: &Arc<Pool>,
        link: &Link,
        mut request: Request<Body>,
    ) -> Result<Response<Body>, SendError> {
        let target = request.uri().clone();
        let (Some(scheme), Some(authority)) = (target.scheme(), target.authority()) else {
            return Err(SendError::Connect(
                "the backend URL has no scheme or host".into(),
            ));
        };
        let origin = Origin {
            link: link.id,
            scheme: scheme.clone(),
            authority: authority.clone(),
        };
        if !request.headers().contains_key(header::HOST)
            && let Ok(host) = HeaderValue::from_str(&host_of(&target))
        {
            request.headers_mut().insert(header::HOST, host);
        }
        let mut pooled = self.take(&origin);
        loop {
            let may_retry = pooled.is_some();
            let mut upstream = match pooled.take() {
                Some(upstream) => upstream,
                None => connect(link, &target).await.map_err(SendError::Connect)?,
            };
            *request.uri_mut() = if upstream.proxied && scheme != &Scheme::HTTPS {
                target.clone()
            } else {
                origin_form(&target)
            };
            match exchange(&mut upstream, request).await {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let body = UpstreamBody {
                        body,
                        upstream: Some(upstream),
                        pool: self.clone(),
                        origin,
                    };
                    return Ok(Response::from_parts(parts, Body::new(body)));
                }
                Err(mut err) => match err.take_message() {
                    // A pooled connection the backend closed meanwhile hands the request back:
                    // send it again, once, on a new connection.
                    Some(unsent) if may_retry => request = unsent,
                    _ => return Err(SendError::Exchange(err.into_error())),
                },
            }
        }
    }
}

/// Sends a request on `upstream` and drives the connection until the response head arrives.
async fn exchange(
    upstream: &mut Upstream,
    request: Request<Body>,
) -> Result<Response<Incoming>, hyper::client::conn::TrySendError<Request<Body>>> {
    let Upstream {
        sender,
        connection,
        open,
        ..
    } = upstream;
    let mut response = std::pin::pin!(sender.try_send_request(request));
    std::future::poll_fn(|cx| {
        if *open && Pin::new(&mut *connection).poll(cx).is_ready() {
            *open = false;
        }
        response.as_mut().poll(cx)
    })
    .await
}

/// A new connection to `target` through `link` (TCP, proxy, TLS), and its HTTP/1.1 handshake.
async fn connect(link: &Link, target: &Uri) -> Result<Upstream, BoxError> {
    let mut connector = link.connector.clone();
    std::future::poll_fn(|cx| connector.poll_ready(cx)).await?;
    let io = connector.call(target.clone()).await?;
    let proxied = io.connected().is_proxied();
    let (sender, connection) = http1::handshake(io).await?;
    Ok(Upstream {
        sender,
        connection,
        open: true,
        proxied,
    })
}

/// `/path?query` of a URL.
fn origin_form(target: &Uri) -> Uri {
    let path = target.path_and_query().map_or("/", |p| p.as_str());
    path.parse().unwrap_or_else(|_| Uri::from_static("/"))
}

/// The `Host` header for `target`: its host, and its port unless the scheme's default.
fn host_of(target: &Uri) -> String {
    let host = target.host().unwrap_or_default();
    let default = match target.scheme() {
        Some(s) if s == &Scheme::HTTPS => 443,
        _ => 80,
    };
    match target.port_u16() {
        Some(port) if port != default => format!("{host}:{port}"),
        _ => host.to_owned(),
    }
}

/// A backend's response body. Polling it drives the backend connection; at its end the
/// connection goes back to the pool if the backend keeps it alive. Dropped before its end (the
/// caller went away), it closes the connection.
pub struct UpstreamBody {
    body: Incoming,
    upstream: Option<Upstream>,
    pool: Arc<Pool>,
    origin: Origin,
}

impl UpstreamBody {
    fn release(&mut self) {
        if let Some(mut upstream) = self.upstream.take()
            && upstream.reusable()
        {
            self.pool.put(self.origin.clone(), upstream);
        }
    }
}

impl http_body::Body for UpstreamBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        if let Some(upstream) = this.upstream.as_mut() {
            upstream.drive(cx);
        }
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            this.release();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for UpstreamBody {
    fn drop(&mut self) {
        // A body that is empty from the start (204, HEAD) may never be polled.
        if http_body::Body::is_end_stream(&self.body) {
            self.release();
        }
    }
}
