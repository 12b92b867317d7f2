//! `api-version`: required on every call, checked before authentication.

use crate::error::{Failure, error_response};
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use tollgate_contract::{ApiError, ApiVersion, ErrorCode};

/// The request's api-version (set by [`require_api_version`]).
#[derive(Debug, Clone, Copy)]
pub struct Version(pub ApiVersion);

/// Middleware: answers 400 when `api-version` is missing or unsupported; otherwise records it.
pub async fn require_api_version(mut req: Request, next: Next) -> Response {
    match parse(req.uri().query().unwrap_or("")) {
        Ok(version) => {
            req.extensions_mut().insert(Version(version));
            next.run(req).await
        }
        Err(err) => error_response(&err),
    }
}

fn parse(query: &str) -> Result<ApiVersion, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let supported = ApiVersion::supported_list();
    match pairs.iter().find(|(k, _)| k == "api-version") {
        None => Err(ApiError::new(
            ErrorCode::InvalidApiVersion,
            format!(
                "The api-version query parameter is required. Supported versions: {supported}."
            ),
        )),
        Some((_, value)) => ApiVersion::parse(value).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidApiVersion,
                format!("api-version '{value}' is not supported. Supported versions: {supported}."),
            )
        }),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Version {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Version>()
            .copied()
            .ok_or_else(|| Failure(ApiError::internal()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_version_among_other_parameters() {
        assert_eq!(
            parse("a=1&api-version=2017-03-01").unwrap(),
            ApiVersion::V2017_03_01
        );
        assert_eq!(parse("").unwrap_err().code, ErrorCode::InvalidApiVersion);
        let err = parse("api-version=2099-01-01").unwrap_err();
        assert!(
            err.message.contains("2014-02-14-preview") && err.message.contains("2099-01-01"),
            "{}",
            err.message
        );
    }
}
