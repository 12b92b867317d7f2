//! The guard of every management call: `api-version`, SAS authentication, and the `enabled`
//! switch of `/tenant/access`.
//!
//! When access is disabled, only `GET` and `PATCH /tenant/access` are served (still with a valid
//! token), so that an operator can switch it back on; everything else answers 401
//! `ManagementApiDisabled`. Tokens and keys are never logged.

use crate::error::error_response;
use crate::extract::{Version, version};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use tollgate_auth::{SasError, SasToken};
use tollgate_contract::{ApiError, ErrorCode};

/// Middleware on every route: the `api-version` (400), then the `Authorization` header (401).
/// The version is recorded for the handler's [`Version`] extractor.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let checked = version::parse(req.uri().query().unwrap_or(""))
        .and_then(|v| verify(&state, &req).map(|()| v));
    match checked {
        Ok(v) => {
            req.extensions_mut().insert(Version(v));
            next.run(req).await
        }
        Err(err) => {
            tracing::debug!(code = ?err.code, message = %err.message, "refused a management call");
            error_response(&err)
        }
    }
}

fn verify(state: &AppState, req: &Request) -> Result<(), ApiError> {
    let header = req.headers().get(AUTHORIZATION).ok_or_else(|| {
        unauthorized(
            "The Authorization header is required: SharedAccessSignature uid=…&ex=…&sn=…"
                .to_owned(),
        )
    })?;
    let header = header
        .to_str()
        .map_err(|_| unauthorized("The Authorization header is not valid text.".to_owned()))?;
    let access = state.access();
    let now = chrono::Utc::now();
    match state.verified_expiry(header) {
        // Verified before against the current keys: only the expiry is left to check.
        Some(expiry) if expiry > now => {}
        _ => {
            let token = SasToken::parse(header).map_err(|e| unauthorized(e.to_string()))?;
            let keys = [access.primary_key.as_str(), access.secondary_key.as_str()];
            token.verify(&access.id, &keys, now).map_err(|e| match e {
                SasError::Expired(_) => unauthorized(format!("The SharedAccessSignature {e}.")),
                other => unauthorized(format!("The SharedAccessSignature is not valid: {other}.")),
            })?;
            state.remember_verified(&access, header, token.expiry);
        }
    }
    if !access.enabled && !reenabling(req) {
        return Err(ApiError::new(
            ErrorCode::ManagementApiDisabled,
            "The management API is disabled. Re-enable it with PATCH /tenant/access {\"enabled\": true}.",
        ));
    }
    Ok(())
}

/// Whether the request reads or changes the access switch itself.
fn reenabling(req: &Request) -> bool {
    req.uri().path() == "/tenant/access"
        && matches!(*req.method(), Method::GET | Method::HEAD | Method::PATCH)
}

fn unauthorized(message: String) -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, message)
}
