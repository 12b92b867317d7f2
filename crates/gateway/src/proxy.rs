//! One API call: route it, admit it by subscription key, forward it to the backend and stream the
//! answer back. Bodies are never buffered: request and response bodies flow through as they come.

use crate::Gateway;
use crate::connector::ProxyFailure;
use crate::echo;
use crate::records::{self, Counted, Finishing};
use crate::snapshot::{ApiRoute, BackendRoute, Grant, Snapshot};
use crate::transport::{Link, Unusable};
use crate::upstream::SendError;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tollgate_store::RequestRecord;

/// The response header that carries the call's request id (also its `requestId` in reports).
pub const REQUEST_ID_HEADER: &str = "tollgate-request-id";
/// The region the gateway reports (as `/regions` answers).
pub const REGION: &str = "local";
/// The default subscription key query parameter, removed from recorded URLs of unrouted calls.
const DEFAULT_KEY_QUERY: &str = "subscription-key";

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

/// What is known about a call for its request record, filled in as it goes.
pub(crate) struct Call {
    started: Instant,
    pub(crate) record: RequestRecord,
    /// Request body bytes read so far (forwarded calls).
    pub(crate) request_bytes: Arc<AtomicU64>,
    /// The path called, for the access log.
    path: String,
    /// Bandwidth quota counters (key, period) charged with the call's kilobytes when it ends.
    pub(crate) bandwidth: Vec<(String, crate::quotas::Period)>,
}

impl Call {
    fn new(request: &Request) -> Call {
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let ip = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_default();
        // Geography: there is no GeoIP database; loopback is known, anything else is unknown.
        let (country, region, zip) = if ip == "127.0.0.1" || ip == "::1" {
            ("local", "local", "")
        } else {
            ("unknown", "unknown", "")
        };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Call {
            started: Instant::now(),
            record: RequestRecord {
                timestamp: at,
                request_id: records::request_id(),
                method: request.method().as_str().to_owned(),
                url: String::new(),
                ip_address: ip,
                api_id: String::new(),
                operation_id: String::new(),
                product_id: String::new(),
                subscription_id: String::new(),
                user_id: String::new(),
                request_size: declared,
                response_size: 0,
                response_code: 0,
                backend_code: None,
                api_time: 0.0,
                service_time: None,
                cache: "none".to_owned(),
                api_region: REGION.to_owned(),
                country: country.to_owned(),
                region: region.to_owned(),
                zip: zip.to_owned(),
            },
            request_bytes: Arc::new(AtomicU64::new(0)),
            path: request.uri().path().to_owned(),
            bandwidth: Vec::new(),
        }
    }

    /// Adds the request id header and records the call when the response body ends or is dropped.
    fn finish(self, gateway: &Gateway, response: Response) -> Response {
        let Call {
            started,
            mut record,
            request_bytes,
            path,
            bandwidth,
        } = self;
        let (mut parts, body) = response.into_parts();
        if let Ok(value) = HeaderValue::from_str(&record.request_id) {
            parts.headers.insert(REQUEST_ID_HEADER, value);
        }
        record.response_code = i64::from(parts.status.as_u16());
        let forwarded = record.backend_code.is_some();
        let gateway = gateway.clone();
        let done = move |sent: u64| {
            record.response_size = i64::try_from(sent).unwrap_or(i64::MAX);
            if forwarded {
                let read = request_bytes.load(Ordering::Relaxed);
                record.request_size = i64::try_from(read).unwrap_or(i64::MAX);
            }
            record.api_time = started.elapsed().as_secs_f64() * 1000.0;
            if !bandwidth.is_empty() {
                // Bodies both ways, as counted for the call (headers left out).
                let read = request_bytes.load(Ordering::Relaxed);
                let kilobytes = (read + sent) as f64 / 1024.0;
                for (key, period) in &bandwidth {
                    gateway.quotas().count(key, period, 0, kilobytes);
                }
            }
            gateway.observe(&record, &path);
            gateway.record(record);
        };
        Response::from_parts(parts, Body::new(Finishing::new(body, done)))
    }
}

/// The URL as the caller addressed it, with `kept`, its query without the subscription key.
fn recorded_url(request: &Request, kept: &str) -> String {
    let uri = request.uri();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .unwrap_or("localhost");
    let scheme = match request.extensions().get::<crate::tls::Https>() {
        Some(_) => "https",
        None => "http",
    };
    with_query(format!("{scheme}://{host}{}", uri.path()), kept)
}

/// `url?query`, or `url` when the query is empty.
fn with_query(mut url: String, query: &str) -> String {
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// The gateway's only handler.
pub async fn handle(State(gateway): State<Gateway>, request: Request) -> Response {
    let mut call = Call::new(&request);
    let snapshot = gateway.snapshot().await;
    let response = match admit(&snapshot, &request, &mut call.record) {
        Ok(mut admitted) => {
            admitted.traced = wants_trace(&request) && gateway.may_trace(admitted.grant.as_ref());
            let product = admitted.grant.as_ref().map(|g| g.product_id.as_str());
            let policies = snapshot.policies();
            match policies.pipeline(product, &admitted.api_id, &admitted.operation_id) {
                Ok(pipeline) if pipeline.only_forwards() && !admitted.traced => {
                    forward(&gateway, admitted, request, &mut call).await
                }
                Ok(pipeline) => {
                    crate::pipeline::run(&gateway, pipeline, admitted, request, &mut call).await
                }
                Err(problem) => {
                    tracing::warn!(%problem, "a policy of this call cannot run");
                    failure(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        &format!("A policy of this call cannot run: {problem}"),
                    )
                }
            }
        }
        Err(refusal) => {
            if call.record.url.is_empty() {
                let kept = without_param(request.uri().query(), DEFAULT_KEY_QUERY);
                call.record.url = recorded_url(&request, &kept);
            }
            // CORS preflights and /crossdomain.xml match no operation: the gateway answers them.
            let answered = match refusal {
                Refusal::NotFound => crate::pipeline::browser_call(&snapshot, request, &mut call),
                _ => None,
            };
            answered.unwrap_or_else(|| refusal.response())
        }
    };
    call.finish(&gateway, response)
}

/// Whether a call asks for a trace (`Ocp-Apim-Trace: true`).
fn wants_trace(request: &Request) -> bool {
    request
        .headers()
        .get("ocp-apim-trace")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
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
pub(crate) struct Admitted {
    /// The backend URL (the subscription key's query parameter removed).
    pub target: String,
    /// The subscription key header, removed before forwarding.
    pub key_header: String,
    /// The subscription key query parameter.
    pub key_query: String,
    /// What the API's backend entity adds.
    pub backend: Option<Arc<BackendRoute>>,
    /// The API's id.
    pub api_id: String,
    /// The operation's id.
    pub operation_id: String,
    /// What the subscription key granted (no key: `None`).
    pub grant: Option<Grant>,
    /// The subscription key used.
    pub key: Option<String>,
    /// The API's `serviceUrl`.
    pub service_url: Option<String>,
    /// The path below the API's path.
    pub rest: String,
    /// The query without the subscription key.
    pub kept_query: String,
    /// The operation's template parameters.
    pub params: Vec<(String, String)>,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// The caller's address.
    pub client_ip: Option<std::net::IpAddr>,
    /// Whether the call asked for a trace (`Ocp-Apim-Trace: true`) and may have one.
    pub traced: bool,
    /// The snapshot the call is served from (backend entities, certificates, operations).
    pub snapshot: Arc<Snapshot>,
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

/// Admits a call, noting in `record` what it learns (API, operation, subscription).
fn admit(
    snapshot: &Arc<Snapshot>,
    request: &Request,
    record: &mut RequestRecord,
) -> Result<Admitted, Refusal> {
    admit_as(snapshot, request, record, request.method().as_str(), false)
}

/// Admits a CORS preflight as the call it asks about: routed by `method` (its
/// `Access-Control-Request-Method`), and without a product rather than refused when its
/// subscription key is missing or unusable (browsers send preflights without credentials).
pub(crate) fn admit_preflight(
    snapshot: &Arc<Snapshot>,
    request: &Request,
    record: &mut RequestRecord,
    method: &str,
) -> Option<Admitted> {
    admit_as(snapshot, request, record, method, true).ok()
}

/// Admits a call routed by `method`; `preflight`: a key that is missing or does not grant
/// the API leaves the call without a product instead of refusing it.
fn admit_as(
    snapshot: &Arc<Snapshot>,
    request: &Request,
    record: &mut RequestRecord,
    method: &str,
    preflight: bool,
) -> Result<Admitted, Refusal> {
    let uri = request.uri();
    let query = query_pairs(uri);
    let https = request.extensions().get::<crate::tls::Https>().is_some();
    let route = snapshot
        .route(https, method, uri.path(), &query)
        .map_err(|_| Refusal::NotFound)?;
    let api = route.api;
    record.api_id.clone_from(&api.id);
    record.operation_id = route.operation_id.to_owned();
    // The query without the key: what is recorded, and what the backend receives.
    let kept = without_param(uri.query(), &api.key_query);
    record.url = recorded_url(request, &kept);
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
    let grant = match &key {
        Some(key) => match snapshot.grant(key) {
            Some(grant) => {
                record.subscription_id.clone_from(&grant.subscription_id);
                record.product_id.clone_from(&grant.product_id);
                record.user_id.clone_from(&grant.user_id);
                match grants_api(grant, api) {
                    true => Some(grant.clone()),
                    false if preflight => None,
                    false => return Err(Refusal::InvalidKey),
                }
            }
            None if preflight => None,
            None => return Err(Refusal::InvalidKey),
        },
        None if api.open || preflight => None,
        None => return Err(Refusal::MissingKey),
    };
    let target = backend_url(api, route.rest, &kept).ok_or(Refusal::NoBackend)?;
    let target = match api.backend.as_ref().filter(|b| !b.query.is_empty()) {
        Some(backend) => {
            let joint = if target.contains('?') { '&' } else { '?' };
            format!("{target}{joint}{}", backend.query)
        }
        None => target,
    };
    Ok(Admitted {
        target,
        key_header: api.key_header.clone(),
        key_query: api.key_query.clone(),
        backend: api.backend.clone(),
        api_id: api.id.clone(),
        operation_id: route.operation_id.to_owned(),
        grant,
        key,
        service_url: api.service_url.clone(),
        rest: route.rest.to_owned(),
        kept_query: kept,
        params: route.params.into_iter().collect(),
        scheme: scheme_of(request),
        client_ip: client_ip(request),
        traced: false,
        snapshot: snapshot.clone(),
    })
}

/// Whether a key's subscription is to a product that contains the API.
fn grants_api(grant: &Grant, api: &ApiRoute) -> bool {
    api.products.contains(&grant.product_id)
}

/// `serviceUrl` + the path below the API + `kept`, the query without the subscription key.
fn backend_url(api: &ApiRoute, rest: &str, kept: &str) -> Option<String> {
    let base = api.service_url.as_deref()?.trim_end_matches('/');
    Some(with_query(format!("{base}{rest}"), kept))
}

/// A query string without the parameter `name` (compared decoded), otherwise as written.
fn without_param(query: Option<&str>, name: &str) -> String {
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let param = pair.split('=').next().unwrap_or("");
            let decoded: Vec<(String, String)> =
                serde_urlencoded::from_str(&format!("{param}=")).unwrap_or_default();
            decoded.first().is_none_or(|(n, _)| n != name)
        })
        .collect();
    kept.join("&")
}

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1), never forwarded.
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Removes hop-by-hop headers, including those the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    if headers.contains_key(header::CONNECTION) {
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
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
}

async fn forward(
    gateway: &Gateway,
    call: Admitted,
    request: Request,
    record: &mut Call,
) -> Response {
    let client_ip = client_ip(&request);
    let target: Uri = match call.target.parse() {
        Ok(uri) => uri,
        Err(_) => {
            return failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The API's serviceUrl is not a valid URL.",
            );
        }
    };
    let scheme = scheme_of(&request);
    let (mut parts, body) = request.into_parts();
    let body = Body::new(Counted::new(body, record.request_bytes.clone()));
    keep_host(&mut parts);
    let to_backend = ToBackend {
        key_header: &call.key_header,
        client_ip,
        scheme,
        backend: call.backend.as_deref(),
    };
    to_backend.prepare(&mut parts.headers);
    parts.uri = target;
    send(
        gateway,
        call.backend.as_deref(),
        parts,
        body,
        record,
        crate::RESPONSE_TIMEOUT,
    )
    .await
}

/// HTTP/2 callers name the host in the URI's authority rather than a `Host` header: this keeps
/// it as one (for `X-Forwarded-Host` and policies).
pub(crate) fn keep_host(parts: &mut axum::http::request::Parts) {
    if parts.headers.contains_key(header::HOST) {
        return;
    }
    if let Some(value) = parts
        .uri
        .authority()
        .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    {
        parts.headers.insert(header::HOST, value);
    }
}

/// The caller's address.
pub(crate) fn client_ip(request: &Request) -> Option<std::net::IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// `https` for calls over TLS, else `http`.
pub(crate) fn scheme_of(request: &Request) -> &'static str {
    match request.extensions().get::<crate::tls::Https>() {
        Some(_) => "https",
        None => "http",
    }
}

/// What every forwarded call's headers get.
pub(crate) struct ToBackend<'a> {
    /// The subscription key header, removed.
    pub key_header: &'a str,
    /// The caller's address, appended to `X-Forwarded-For`.
    pub client_ip: Option<std::net::IpAddr>,
    /// The caller's scheme, as `X-Forwarded-Proto`.
    pub scheme: &'static str,
    /// The backend entity, whose credentials are added.
    pub backend: Option<&'a BackendRoute>,
}

impl ToBackend<'_> {
    /// Removes hop-by-hop headers, `Host` and the key header, adds `X-Forwarded-For`, `-Proto`
    /// and `-Host`, and the backend entity's credentials.
    pub(crate) fn prepare(&self, headers: &mut HeaderMap) {
        let original_host = headers.get(header::HOST).cloned();
        strip_hop_by_hop(headers);
        headers.remove(header::HOST);
        headers.remove(self.key_header);
        if let Some(ip) = self.client_ip {
            let forwarded = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
                Some(earlier) => format!("{earlier}, {ip}"),
                None => ip.to_string(),
            };
            if let Ok(value) = HeaderValue::from_str(&forwarded) {
                headers.insert("x-forwarded-for", value);
            }
        }
        headers.insert("x-forwarded-proto", HeaderValue::from_static(self.scheme));
        if let Some(host) = original_host {
            headers.insert("x-forwarded-host", host);
        }
        if let Some(backend) = self.backend {
            for (name, value) in &backend.headers {
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    headers.append(name, value);
                }
            }
            if let Some(value) = backend
                .authorization
                .as_deref()
                .and_then(|a| HeaderValue::from_str(a).ok())
            {
                headers.insert(header::AUTHORIZATION, value);
            }
        }
    }
}

/// Sends a prepared call (`parts.uri` its target) to its backend and maps failures to gateway
/// answers; notes the backend's status and time in the call's record.
pub(crate) async fn send(
    gateway: &Gateway,
    backend: Option<&BackendRoute>,
    parts: axum::http::request::Parts,
    body: Body,
    record: &mut Call,
    timeout: std::time::Duration,
) -> Response {
    let link: &Link = match backend.map(|b| &b.link) {
        Some(Ok(link)) => link,
        Some(Err(Unusable(message))) => {
            return failure(StatusCode::INTERNAL_SERVER_ERROR, message);
        }
        None => gateway.default_link(),
    };
    let asked = Instant::now();
    let exchanged = exchange(gateway, link, parts, body, timeout).await;
    record.record.service_time = Some(asked.elapsed().as_secs_f64() * 1000.0);
    match exchanged {
        Ok(response) => {
            record.record.backend_code = Some(i64::from(response.status().as_u16()));
            response
        }
        Err(unanswered) => unanswered.response(),
    }
}

/// Why a backend exchange gave no response.
#[derive(Debug)]
pub(crate) enum Unanswered {
    /// The connection failed (TCP, proxy, TLS) or broke before the response head arrived; the
    /// message says which, without secrets.
    Failed(String),
    /// No response head within the timeout.
    TimedOut,
}

impl Unanswered {
    /// The gateway's answer: 502, or 504 for a timeout.
    pub(crate) fn response(&self) -> Response {
        match self {
            Unanswered::Failed(message) => failure(StatusCode::BAD_GATEWAY, message),
            Unanswered::TimedOut => failure(
                StatusCode::GATEWAY_TIMEOUT,
                "The backend did not answer in time.",
            ),
        }
    }
}

/// Sends a prepared request (`parts.uri` its absolute URL) through `link` (or to the built-in
/// echo backend), waiting at most `timeout` for the response head: the response, its hop-by-hop
/// headers removed, or why there is none.
pub(crate) async fn exchange(
    gateway: &Gateway,
    link: &Link,
    mut parts: axum::http::request::Parts,
    body: Body,
    timeout: std::time::Duration,
) -> Result<Response, Unanswered> {
    if parts.uri.host().is_some_and(echo::is_echo_host) {
        return Ok(echo::answer(parts, body));
    }
    let through_proxy = link.proxied && parts.uri.scheme() != Some(&axum::http::uri::Scheme::HTTPS);
    if let Some(value) = link.proxy_authorization.clone().filter(|_| through_proxy) {
        parts.headers.insert(header::PROXY_AUTHORIZATION, value);
    }
    // Backends are spoken to in HTTP/1.1, whatever the caller used.
    parts.version = axum::http::Version::HTTP_11;
    let outbound = axum::http::Request::from_parts(parts, body);
    let sent = tokio::time::timeout(timeout, gateway.upstreams().send(link, outbound)).await;
    match sent {
        // A plain-HTTP call through a proxy: a 407 is the proxy's, not the backend's.
        Ok(Ok(response))
            if through_proxy && response.status() == StatusCode::PROXY_AUTHENTICATION_REQUIRED =>
        {
            tracing::warn!("the backend's proxy refused the gateway's credentials (407)");
            Err(Unanswered::Failed(ProxyFailure::Refused(407).message()))
        }
        Ok(Ok(response)) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Ok(Response::from_parts(parts, body))
        }
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "backend call failed");
            // With TLS 1.3 a refused client certificate shows only once the exchange starts.
            let source: &(dyn std::error::Error + 'static) = match &err {
                SendError::Connect(err) => err.as_ref(),
                SendError::Exchange(err) => err,
            };
            let message = if let Some(proxy) = cause::<ProxyFailure>(source) {
                proxy.message()
            } else if cause::<rustls::Error>(source).is_some() {
                TLS_FAILURE.to_owned()
            } else if let SendError::Connect(_) = err {
                "The backend could not be reached.".to_owned()
            } else {
                "The backend connection failed before a response arrived.".to_owned()
            };
            Err(Unanswered::Failed(message))
        }
        Err(_) => Err(Unanswered::TimedOut),
    }
}

/// The message of a backend call that failed in the TLS handshake.
const TLS_FAILURE: &str =
    "The backend's TLS certificate could not be verified, or the TLS handshake failed.";

/// The first error of type `T` in `err`'s chain (a rustls error in the TLS handshake, a proxy
/// failure). Errors may sit under the connector's `io::Error`s, which `source()` skips over.
fn cause<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    if let Some(found) = err.downcast_ref::<T>() {
        return Some(found);
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>()
        && let Some(inner) = io.get_ref()
    {
        return cause(inner);
    }
    err.source().and_then(cause)
}
