//! Building successful responses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tollgate_contract::Etag;

/// A JSON response with an optional ETag.
pub fn json(status: StatusCode, etag: Option<Etag>, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    with_etag(response, etag)
}

/// A JSON response of a specific JSON media type.
pub fn json_as(status: StatusCode, media_type: &'static str, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    response
}

/// A response without a body.
pub fn empty(status: StatusCode, etag: Option<Etag>) -> Response {
    with_etag(status.into_response(), etag)
}

/// A text response of the given media type.
pub fn text(
    status: StatusCode,
    media_type: &'static str,
    etag: Option<Etag>,
    body: String,
) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    with_etag(response, etag)
}

fn with_etag(mut response: Response, etag: Option<Etag>) -> Response {
    if let Some(value) = etag.and_then(|etag| HeaderValue::from_str(&etag.to_string()).ok()) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}
