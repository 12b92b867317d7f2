//! `Authorization: Bearer <access token>` on management calls: the signature (keys read again
//! when the token names an unknown one), expiry, issuer and audience, then the session it belongs
//! to, which revocation or refresh-token reuse ends. A `reader` may only read.

use super::{AUDIENCE, SESSION, issuer};
use crate::state::AppState;
use axum::extract::Request;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tollgate_auth::oauth::verify;
use tollgate_contract::{ApiError, ErrorCode};

/// A bearer token on a request.
#[derive(Debug)]
pub struct Bearer(String);

impl Bearer {
    /// The token of an `Authorization: Bearer …` header, if the request has one.
    pub fn of(req: &Request) -> Option<Bearer> {
        let header = req.headers().get(AUTHORIZATION)?.to_str().ok()?.trim();
        let (scheme, token) = header.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| Bearer(token.trim().to_owned()))
    }
}

/// The key id in a JWT's header, if it has one.
pub fn kid(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(header).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("kid")?.as_str().map(str::to_owned)
}

fn refused(message: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Unauthorized,
        format!("The bearer token is not valid: {message}."),
    )
}

/// The actor (`user:{id}`) a bearer token authenticates for this request; 401 when the token is
/// not valid, 403 when its role does not allow the method.
pub async fn bearer_actor(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    bearer: Bearer,
) -> Result<String, ApiError> {
    let server = state.oauth();
    let keys = server
        .keys
        .verifying(state, kid(&bearer.0).as_deref())
        .await
        .map_err(|failure| failure.0)?;
    let now = chrono::Utc::now().timestamp();
    let claims = verify(&bearer.0, &keys, &issuer(headers), AUDIENCE, now)
        .map_err(|err| refused(&err.to_string()))?;
    let session = state
        .store()
        .runtime()
        .value(state.instance(), SESSION, &claims.sid)
        .await
        .map_err(|err| crate::error::Failure::from(err).0)?;
    if session.is_none() {
        return Err(refused(
            "its sign-in session has ended (signed out or revoked)",
        ));
    }
    let reads = matches!(*method, Method::GET | Method::HEAD);
    if claims.role != "administrator" && !reads {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("The role '{}' may only read.", claims.role),
        ));
    }
    Ok(format!("user:{}", claims.sub))
}
