//! The floor for the gateway benchmark: a reverse proxy with nothing but hyper and tokio, as
//! `bench/gateway.sh` runs it beside nginx and Tollgate. It forwards every request to one
//! backend over hyper-util's pooled keep-alive client and streams the answer back; no routing,
//! keys, policies or records. What Tollgate costs above this is Tollgate's; what this costs
//! above nginx is the runtime's and hyper's on this machine.
//!
//! `cargo run --release -p tollgate-gateway --example bare_proxy -- 127.0.0.1:0 http://127.0.0.1:8080`
//! prints `listening on http://ADDR` and serves until killed.

use axum::body::Body;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::convert::Infallible;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc; // as the tollgate binary

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let backend: hyper::Uri = args
        .next()
        .ok_or("usage: bare_proxy LISTEN BACKEND_URL")?
        .parse()?;
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let client: Client<HttpConnector, Incoming> =
        Client::builder(TokioExecutor::new()).build_http();
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let client = client.clone();
        let backend = backend.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let client = client.clone();
                let backend = backend.clone();
                async move {
                    let (mut parts, body) = request.into_parts();
                    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                    let status = |code| {
                        let mut answer = Response::new(Body::empty());
                        *answer.status_mut() =
                            hyper::StatusCode::from_u16(code).unwrap_or_default();
                        answer
                    };
                    let Ok(uri) = format!("{backend}{}", path.trim_start_matches('/')).parse()
                    else {
                        return Ok::<_, Infallible>(status(400));
                    };
                    parts.uri = uri;
                    parts.headers.remove(hyper::header::HOST);
                    Ok(
                        match client.request(Request::from_parts(parts, body)).await {
                            Ok(response) => response.map(Body::new),
                            Err(_) => status(502),
                        },
                    )
                }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
