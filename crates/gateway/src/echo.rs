//! The built-in echo backend. Azure's sample Echo API points at `echoapi.cloudapp.net`, a service
//! Azure has retired; Tollgate answers calls to that host itself, so the sample works offline:
//! status 200, the request's headers (but hop-by-hop ones) and its body, streamed back.

use crate::proxy::strip_hop_by_hop;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::Response;

/// The host the sample Echo API names.
pub const ECHO_HOST: &str = "echoapi.cloudapp.net";

/// Whether calls to `host` are answered by the built-in echo backend.
pub fn is_echo_host(host: &str) -> bool {
    host.eq_ignore_ascii_case(ECHO_HOST)
}

/// Echoes a call.
pub fn answer(parts: Parts, body: Body) -> Response {
    let mut headers = parts.headers;
    strip_hop_by_hop(&mut headers);
    headers.remove(header::HOST);
    headers.remove(header::CONTENT_LENGTH);
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    *response.headers_mut() = headers;
    response
}
