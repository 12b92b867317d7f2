//! `api-version`: required on every call, checked before authentication (by `crate::guard`).

use crate::error::Failure;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tollgate_contract::{ApiError, ApiVersion, ErrorCode};

/// The request's api-version (set by the guard).
#[derive(Debug, Clone, Copy)]
pub struct Version(pub ApiVersion);

/// The api-version of a query string: 400 `InvalidApiVersion` when missing or unsupported.
pub fn parse(query: &str) -> Result<ApiVersion, ApiError> {
    // Versions need no decoding, so the raw text is compared first; anything else is decoded.
    let raw = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("api-version="));
    if let Some(version) = raw.and_then(ApiVersion::parse) {
        return Ok(version);
    }
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
