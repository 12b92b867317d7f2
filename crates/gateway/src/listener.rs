//! The gateway's listener: accepts connections — plain, or TLS when given an acceptor — and
//! serves each with hyper (HTTP/1.1 and HTTP/2), handing every request straight to the gateway:
//! the probes, or an API call. No router sits in between (this is the hot path).

use crate::tls::Https;
use crate::{Gateway, health, proxy, ready};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{Method, Request, StatusCode};
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// How long connections may go on after the gateway is told to stop.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves the gateway on `listener` until `stopped` resolves; then connections finish their
/// calls in progress (idle keep-alive connections close at once), for at most 10 seconds.
pub async fn serve(
    gateway: Gateway,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    stopped: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    tokio::pin!(stopped);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(%err, "cannot accept a gateway connection");
                    continue;
                }
            },
            () = &mut stopped => break,
        };
        let _ = stream.set_nodelay(true);
        let https = tls.is_some();
        let gateway = gateway.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let gateway = gateway.clone();
            async move { Ok::<_, Infallible>(answer(gateway, request, peer, https).await) }
        });
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let served = match tls {
                None => {
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(connection).await
                }
                Some(acceptor) => {
                    let stream = match acceptor.accept(stream).await {
                        Ok(stream) => stream,
                        Err(err) => {
                            tracing::debug!(%err, %peer, "TLS handshake failed");
                            return;
                        }
                    };
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(connection).await
                }
            };
            if let Err(err) = served {
                tracing::debug!(%err, %peer, "gateway connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("gateway connections still open after the grace period; closing them");
    }
    Ok(())
}

/// One request: a probe (`/health`, Azure's `/status-0123456789abcdef`, `/ready`), or an API call.
async fn answer(
    gateway: Gateway,
    request: Request<Incoming>,
    peer: SocketAddr,
    https: bool,
) -> Response {
    let mut request = request.map(Body::new);
    let extensions = request.extensions_mut();
    extensions.insert(ConnectInfo(peer));
    if https {
        extensions.insert(Https);
    }
    if let Some(id) = request.uri().path().strip_prefix(crate::traces::PATH) {
        return trace(&gateway, id);
    }
    let probe = matches!(
        request.uri().path(),
        "/health" | "/status-0123456789abcdef" | "/ready"
    );
    if !probe {
        return proxy::handle(State(gateway), request).await;
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return proxy::failure(
            StatusCode::METHOD_NOT_ALLOWED,
            "The probes answer GET and HEAD only.",
        );
    }
    match request.uri().path() {
        "/ready" => ready(State(gateway)).await,
        _ => health().await,
    }
}

/// A kept trace, as JSON; 404 when unknown or expired.
fn trace(gateway: &Gateway, id: &str) -> Response {
    match gateway.traces().get(id) {
        Some(json) => Response::builder()
            .header(
                axum::http::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(Body::from(json))
            .unwrap_or_default(),
        None => proxy::failure(
            StatusCode::NOT_FOUND,
            "No such trace (traces are kept 15 minutes).",
        ),
    }
}
