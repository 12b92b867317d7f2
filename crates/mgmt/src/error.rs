//! The one place where errors become HTTP responses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tollgate_contract::{ApiError, ErrorCode};
use tollgate_store::StoreError;

/// A failed request: a contract error, ready to be sent.
#[derive(Debug)]
pub struct Failure(pub ApiError);

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Failure {
        Failure(err)
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Failure {
        // The cause goes to the log; the client gets a fixed message.
        match err {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %err, "store unavailable");
                Failure(ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    "The configuration store is unavailable; retry later.",
                ))
            }
            other => {
                tracing::error!(error = %other, "store failure");
                Failure(ApiError::internal())
            }
        }
    }
}

/// The JSON error response for `err`.
pub fn error_response(err: &ApiError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, err.to_body()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if err.code == ErrorCode::RequestTooLarge {
        // The rest of an oversized body may still be in flight: do not reuse the connection.
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if err.code == ErrorCode::Unauthorized || err.code == ErrorCode::ManagementApiDisabled {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("SharedAccessSignature realm=\"tollgate\""),
        );
    }
    response
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        error_response(&self.0)
    }
}

/// The result of a handler.
pub type Outcome = Result<Response, Failure>;
