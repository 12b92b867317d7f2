//! The guard of every management call: `api-version`, authentication (a SAS token, or a bearer
//! token of Tollgate's OAuth2 server: `crate::oauth`), and the `enabled` switch of
//! `/tenant/access`.
//!
//! Besides the management tokens, a user token (`POST /users/{uid}/token`) is accepted for reads
//! (`GET`/`HEAD`) of that user's own resources: `/users/{uid}` and everything below it.
//!
//! When access is disabled, only `GET` and `PATCH /tenant/access` are served (still with a valid
//! token), so that an operator can switch it back on; everything else answers 401
//! `ManagementApiDisabled`. Tokens and keys are never logged, nor audited.

use crate::audit::{self, Context};
use crate::error::Failure;
use crate::error::error_response;
use crate::extract::{ClientIp, Version, version};
use crate::handlers::user_token::verified_user;
use crate::oauth::{Bearer, bearer_actor};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use tollgate_auth::user_token::Purpose;
use tollgate_auth::{SasError, SasToken};
use tollgate_contract::{ApiError, ErrorCode};

/// Middleware on every route: the `api-version` (400), then the `Authorization` header (401).
/// The version is recorded for the handler's [`Version`] extractor; the handler runs in the
/// call's audit [`Context`], and a failed authentication or a refused write is audited here.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let v = match version::parse(req.uri().query().unwrap_or("")) {
        Ok(v) => v,
        Err(err) => return refused(&err),
    };
    let authenticated = match Bearer::of(&req) {
        Some(bearer) => bearer_actor(&state, req.method(), req.headers(), bearer).await,
        None => match verify(&state, &req) {
            Ok(actor) => Ok(actor),
            Err(refusal) => match own_read(&req) {
                Some((uid, token)) => user_read(&state, &uid, &token)
                    .await
                    .map(|()| format!("user:{uid}")),
                None => Err(refusal),
            },
        },
    }
    .and_then(|actor| open_to(&state, &req).map(|()| actor));
    let mut context = Context {
        actor: "anonymous".to_owned(),
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        client_ip: ClientIp::of(req.extensions()).0,
    };
    match authenticated {
        Ok(actor) => context.actor = actor,
        Err(err) => {
            let status = err.code.status();
            let summary = format!("authentication failed: {:?}", err.code);
            audit::record(&state, &context, status, summary);
            return refused(&err);
        }
    }
    req.extensions_mut().insert(Version(v));
    let response = audit::scope(context.clone(), next.run(req)).await;
    let status = response.status();
    if is_write(&context.method) && !status.is_success() {
        audit::record(&state, &context, status.as_u16(), String::new());
    }
    response
}

fn refused(err: &ApiError) -> Response {
    tracing::debug!(code = ?err.code, message = %err.message, "refused a management call");
    error_response(err)
}

/// Whether a method changes something.
fn is_write(method: &str) -> bool {
    matches!(method, "PUT" | "PATCH" | "POST" | "DELETE")
}

/// Checks the SAS token; the actor it authenticates (`sas:{identifier}`).
fn verify(state: &AppState, req: &Request) -> Result<String, ApiError> {
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
    Ok(format!("sas:{}", access.id))
}

/// Whether an authenticated call may be served: everything while the API is enabled, only the
/// access switch itself while it is disabled (whatever the credentials).
fn open_to(state: &AppState, req: &Request) -> Result<(), ApiError> {
    if state.access().enabled || reenabling(req) {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::ManagementApiDisabled,
        "The management API is disabled. Re-enable it with PATCH /tenant/access {\"enabled\": true}.",
    ))
}

/// For a `GET`/`HEAD` under `/users/{uid}` with a compact token for that same `uid`: the user id
/// and the token (without the scheme word).
fn own_read(req: &Request) -> Option<(String, String)> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let rest = req.uri().path().strip_prefix("/users/")?;
    let uid = rest.split('/').next().filter(|u| !u.is_empty())?;
    let header = req.headers().get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = header.split_once(' ')?;
    let token = token.trim();
    let token_uid = token.split('&').next()?;
    (scheme.eq_ignore_ascii_case(tollgate_auth::SCHEME) && token_uid.eq_ignore_ascii_case(uid))
        .then(|| (uid.to_owned(), token.to_owned()))
}

/// Checks a user token for a read of the user's own resources.
async fn user_read(state: &AppState, uid: &str, token: &str) -> Result<(), ApiError> {
    let verified = verified_user(state, token, Purpose::Access)
        .await
        .map_err(|Failure(e)| e)?;
    if !verified.eq_ignore_ascii_case(uid) {
        return Err(unauthorized(
            "The user token is for another user.".to_owned(),
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
