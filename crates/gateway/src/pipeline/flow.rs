//! One call's state while its policies run: the `context` expressions read (request, response,
//! variables, …), the backend it is going to, and the response being made.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tollgate_policy::csharp::{self, Context, Headers, Multi, Url};

/// .NET ticks (100 ns since 0001-01-01) at the Unix epoch.
pub(super) const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;

/// Now, in .NET ticks.
pub(crate) fn now_ticks() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos() / 100).unwrap_or(i64::MAX));
    UNIX_EPOCH_TICKS.saturating_add(since)
}

/// A message body: still streaming from its sender, or read whole.
pub(crate) enum Content {
    /// Not read (policies do not look at it): passed on as it comes.
    Stream(Body),
    /// Read whole (or set by a policy).
    Bytes(Bytes),
}

impl Content {
    pub(crate) fn into_body(self) -> Body {
        match self {
            Content::Stream(body) => body,
            Content::Bytes(bytes) => Body::from(bytes),
        }
    }
}

/// Where the call goes: the backend's base URL (`serviceUrl` or `set-backend-service`).
#[derive(Debug, Clone)]
pub(crate) struct Base {
    pub scheme: String,
    pub host: String,
    pub port: i32,
    /// The base path, without a trailing `/`.
    pub path: String,
}

impl Base {
    /// Parses an absolute `http`/`https` URL.
    pub(crate) fn parse(url: &str) -> Option<Base> {
        let uri: axum::http::Uri = url.trim().parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let default = if scheme == "https" { 443 } else { 80 };
        Some(Base {
            host: uri.host()?.to_owned(),
            port: uri.port_u16().map_or(default, i32::from),
            path: uri.path().trim_end_matches('/').to_owned(),
            scheme,
        })
    }
}

/// The call's state.
pub(crate) struct Flow {
    /// What expressions see as `context`.
    pub ctx: Context,
    /// The request body.
    pub request_body: Content,
    /// The backend's base URL.
    pub base: Base,
    /// The path below the base (with a leading `/`, or empty).
    pub path: String,
    /// The response body, when there is a response (`ctx.response` holds the rest).
    pub response_body: Option<Content>,
    /// When the call arrived.
    pub started: Instant,
    /// The call's request id (the `activityId` of error answers).
    pub request_id: String,
}

impl Flow {
    /// Sets `context.Request.Url` from the base, the path and the query.
    pub(crate) fn update_url(&mut self) {
        let query = std::mem::take(&mut self.ctx.request.url.query);
        self.ctx.request.url = Url {
            scheme: self.base.scheme.clone(),
            host: self.base.host.clone(),
            port: self.base.port,
            path: format!("{}{}", self.base.path, self.path),
            query,
        };
    }

    /// The backend URL the call goes to.
    pub(crate) fn target(&self) -> String {
        let url = &self.ctx.request.url;
        let default = if url.scheme == "https" { 443 } else { 80 };
        let mut out = format!("{}://{}", url.scheme, url.host);
        if url.port != default {
            out.push_str(&format!(":{}", url.port));
        }
        out.push_str(if url.path.is_empty() { "/" } else { &url.path });
        let query = encode_query(&url.query);
        if !query.is_empty() {
            out.push('?');
            out.push_str(&query);
        }
        out
    }

    /// Starts a response of a status, with no headers and an empty body.
    pub(crate) fn respond(&mut self, status: StatusCode) {
        self.ctx.response = Some(csharp::Response {
            status_code: i32::from(status.as_u16()),
            status_reason: status.canonical_reason().unwrap_or("").to_owned(),
            headers: Headers::default(),
            body: Some("".into()),
        });
        self.response_body = Some(Content::Bytes(Bytes::new()));
    }

    /// Refreshes the clock fields expressions read.
    pub(crate) fn tick(&mut self) {
        self.ctx.now = now_ticks();
        self.ctx.elapsed =
            i64::try_from(self.started.elapsed().as_nanos() / 100).unwrap_or(i64::MAX);
    }
}

/// A query string from names and values, form-encoded.
pub(crate) fn encode_query(query: &Multi) -> String {
    let pairs: Vec<(&str, &str)> = query
        .iter()
        .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
        .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// Names and values of a query string (form-decoded), in order, repeated names grouped.
pub(crate) fn decode_query(query: &str) -> Multi {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let mut out: Multi = Vec::new();
    for (k, v) in pairs {
        match out.iter_mut().find(|(name, _)| *name == k) {
            Some((_, values)) => values.push(v),
            None => out.push((k, vec![v])),
        }
    }
    out
}

/// HTTP headers as expressions read them.
pub(crate) fn headers_from(map: &HeaderMap) -> Headers {
    Headers::from_names(map.keys().map(|name| {
        let values = map
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .collect();
        (name.as_str(), values)
    }))
}

/// Headers as HTTP sends them (names or values HTTP cannot carry are dropped, with a warning).
pub(crate) fn header_map(headers: &Headers) -> HeaderMap {
    let mut map = HeaderMap::new();
    headers.each(|name, value| {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            tracing::warn!(header = %name, "a policy set a header name HTTP cannot carry");
            return;
        };
        match HeaderValue::from_str(value) {
            Ok(v) => {
                map.append(name, v);
            }
            Err(_) => {
                tracing::warn!(header = %name, "a policy set a header value HTTP cannot carry")
            }
        }
    });
    map
}
