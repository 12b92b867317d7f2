//! `If-Match`, typed (RFC 9110 §13.1.1): optional where the contract allows it, required where
//! it demands it (400 when missing).

use crate::error::Failure;
use axum::extract::FromRequestParts;
use axum::http::header::IF_MATCH;
use axum::http::request::Parts;
use tollgate_contract::{ApiError, Etag, IfMatch};

/// An optional `If-Match`.
pub struct IfMatchHeader(pub Option<IfMatch>);

/// A required `If-Match`.
pub struct RequiredIfMatch(pub IfMatch);

fn read(parts: &Parts) -> Option<IfMatch> {
    parts
        .headers
        .get(IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .and_then(IfMatch::parse)
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatchHeader {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(IfMatchHeader(read(parts)))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequiredIfMatch {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        read(parts)
            .map(RequiredIfMatch)
            .ok_or_else(|| Failure(if_match_required()))
    }
}

/// The 400 for a missing `If-Match` where it is required.
pub fn if_match_required() -> ApiError {
    ApiError::invalid_field(
        "If-Match",
        "Required",
        "the If-Match header is required: send the entity's ETag, or * to apply unconditionally",
    )
}

/// Checks a precondition against the current version: 412 when it does not match.
pub fn check(condition: Option<&IfMatch>, current: Etag, what: &str) -> Result<(), ApiError> {
    match condition {
        Some(c) if !c.matches(current) => Err(ApiError::new(
            tollgate_contract::ErrorCode::PreconditionFailed,
            format!("{what} has changed: If-Match does not match its current ETag {current}."),
        )),
        _ => Ok(()),
    }
}
