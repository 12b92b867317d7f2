//! One API call: route it, admit it by subscription key, forward it to the backend and stream the
//! answer back. Bodies are never buffered: request and response bodies flow through as they come.

use crate::Gateway;
use crate::echo;
use crate::snapshot::{ApiRoute, Grant, Snapshot};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::net::SocketAddr;

const MISSING_KEY: &str = "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.";
const INVALID_KEY: &str = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.";

/// A gateway error answer: `{"statusCode": …, "message": …}`, as Azure's gateway writes them.
pub fn failure(status: StatusCode, message: &str) -> Response {
    let body = json!({"statusCode": status.as_u16(), "message": message});
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// The gateway's only handler.
pub async fn handle(State(gateway): State<Gateway>, request: Request) -> Response {
    let snapshot = gateway.snapshot().await;
    match admit(&snapshot, &request) {
        Ok(call) => forward(&gateway, call, request).await,
        Err(refusal) => refusal.response(),
    }
}

/// Why a call does not reach its backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// No API or operation matches.
    NotFound,
    /// The API needs a subscription key and the call has none.
    MissingKey,
    /// The key is unknown, not active, or for a product without this API.
    InvalidKey,
    /// The API has no `serviceUrl`.
    NoBackend,
}

impl Refusal {
    fn response(self) -> Response {
        match self {
            Refusal::NotFound => failure(StatusCode::NOT_FOUND, "Resource not found"),
            Refusal::MissingKey => failure(StatusCode::UNAUTHORIZED, MISSING_KEY),
            Refusal::InvalidKey => failure(StatusCode::UNAUTHORIZED, INVALID_KEY),
            Refusal::NoBackend => failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The API has no backend: set its serviceUrl.",
            ),
        }
    }
}

/// A call that may go to its backend.
struct Admitted {
    /// The backend URL (the subscription key's query parameter removed).
    target: String,
    /// The subscription key header, removed before forwarding.
    key_header: String,
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

fn admit(snapshot: &Snapshot, request: &Request) -> Result<Admitted, Refusal> {
    let uri = request.uri();
    let query = query_pairs(uri);
    // The gateway listens in plain HTTP until TLS is configured.
    let route = snapshot
        .route(false, request.method().as_str(), uri.path(), &query)
        .map_err(|_| Refusal::NotFound)?;
    let api = route.api;
    let key = request
        .headers()
        .get(api.key_header.as_str())
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            query
                .iter()
                .find(|(name, _)| *name == api.key_query)
                .map(|(_, value)| value.clone())
        });
    match key {
        Some(key) => match snapshot.grant(&key) {
            Some(grant) if grants_api(grant, api) => {}
            _ => return Err(Refusal::InvalidKey),
        },
        None if api.open => {}
        None => return Err(Refusal::MissingKey),
    }
    let target =
        backend_url(api, route.rest, uri.query(), &api.key_query).ok_or(Refusal::NoBackend)?;
    Ok(Admitted {
        target,
        key_header: api.key_header.clone(),
    })
}

/// Whether a key's subscription is to a product that contains the API.
fn grants_api(grant: &Grant, api: &ApiRoute) -> bool {
    api.products.contains(&grant.product_id)
}

/// `serviceUrl` + the path below the API + the query without the subscription key.
fn backend_url(api: &ApiRoute, rest: &str, query: Option<&str>, key_query: &str) -> Option<String> {
    let base = api.service_url.as_deref()?.trim_end_matches('/');
    let mut url = format!("{base}{rest}");
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            let decoded: Vec<(String, String)> =
                serde_urlencoded::from_str(&format!("{name}=")).unwrap_or_default();
            decoded.first().is_none_or(|(n, _)| n != key_query)
        })
        .collect();
    if !kept.is_empty() {
        url.push('?');
        url.push_str(&kept.join("&"));
    }
    Some(url)
}

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1), never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Removes hop-by-hop headers, including those the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
}

async fn forward(gateway: &Gateway, call: Admitted, request: Request) -> Response {
    let client_ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let target: Uri = match call.target.parse() {
        Ok(uri) => uri,
        Err(_) => {
            return failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The API's serviceUrl is not a valid URL.",
            );
        }
    };
    let (mut parts, body) = request.into_parts();
    if target.host().is_some_and(echo::is_echo_host) {
        return echo::answer(parts, body);
    }
    if target.scheme_str() != Some("http") {
        return failure(
            StatusCode::BAD_GATEWAY,
            "Backends over HTTPS are not supported by this Tollgate yet.",
        );
    }
    let original_host = parts.headers.get(header::HOST).cloned();
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(header::HOST);
    parts.headers.remove(call.key_header.as_str());
    if let Some(ip) = client_ip {
        let forwarded = match parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        {
            Some(earlier) => format!("{earlier}, {ip}"),
            None => ip.to_string(),
        };
        if let Ok(value) = HeaderValue::from_str(&forwarded) {
            parts.headers.insert("x-forwarded-for", value);
        }
    }
    parts
        .headers
        .insert("x-forwarded-proto", HeaderValue::from_static("http"));
    if let Some(host) = original_host {
        parts.headers.insert("x-forwarded-host", host);
    }
    parts.uri = target;
    let outbound = axum::http::Request::from_parts(parts, body);
    let sent = tokio::time::timeout(
        crate::RESPONSE_TIMEOUT,
        gateway.inner.client.request(outbound),
    )
    .await;
    match sent {
        Ok(Ok(response)) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, Body::new(body))
        }
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "backend call failed");
            let message = if err.is_connect() {
                "The backend could not be reached."
            } else {
                "The backend connection failed before a response arrived."
            };
            failure(StatusCode::BAD_GATEWAY, message)
        }
        Err(_) => failure(
            StatusCode::GATEWAY_TIMEOUT,
            "The backend did not answer in time.",
        ),
    }
}
