//! `/oauth2/token` (authorization code with PKCE, refresh token with rotation and reuse detection)
//! and `/oauth2/revoke` (RFC 7009).
//!
//! A sign-in session is a runtime value keyed by a random id, holding the hash of its current
//! refresh token (`{session}.{secret}`). Refreshing swaps in a new secret by compare-and-swap;
//! presenting any other secret of a live session is reuse: the session ends, and with it every
//! access token issued in it (access tokens name their session, and the guard checks it).

use super::authorize::Grant;
use super::{
    ACCESS_TOKEN_SECONDS, AUDIENCE, CODE, SESSION, SESSION_MS, issuer, now_ms, role, user,
};
use crate::audit::{self, Context};
use crate::error::Failure;
use crate::extract::ClientIp;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use tollgate_auth::oauth::{Claims, pkce_matches, random_secret, secret_hash, verify};

/// A live sign-in session.
#[derive(Debug, Serialize, Deserialize)]
struct Session {
    user_id: String,
    client_id: String,
    scope: String,
    /// The hash of the current refresh token's secret.
    secret: String,
}

fn answer(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(CACHE_CONTROL, "no-store"), (PRAGMA, "no-cache")],
        axum::Json(body.clone()),
    )
        .into_response()
}

fn oauth_error(error: &str, description: &str) -> Response {
    answer(
        StatusCode::BAD_REQUEST,
        &json!({ "error": error, "error_description": description }),
    )
}

fn unavailable(_: Failure) -> Response {
    answer(
        StatusCode::SERVICE_UNAVAILABLE,
        &json!({ "error": "temporarily_unavailable", "error_description": "try again" }),
    )
}

/// `POST /oauth2/token`.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(address): ClientIp,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(_) => {
            return oauth_error(
                "invalid_request",
                "the body must be a form (application/x-www-form-urlencoded)",
            );
        }
    };
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let issuer = issuer(&headers);
    let result = match field("grant_type") {
        "authorization_code" => {
            for name in ["code", "redirect_uri", "client_id", "code_verifier"] {
                if field(name).is_empty() {
                    return oauth_error("invalid_request", &format!("{name} is required"));
                }
            }
            exchange_code(&state, &issuer, &form).await
        }
        "refresh_token" => {
            for name in ["refresh_token", "client_id"] {
                if field(name).is_empty() {
                    return oauth_error("invalid_request", &format!("{name} is required"));
                }
            }
            refresh(&state, &issuer, field("refresh_token"), field("client_id")).await
        }
        "" => return oauth_error("invalid_request", "grant_type is required"),
        _ => {
            return oauth_error(
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            );
        }
    };
    let (status, actor, summary) = match &result {
        Ok(Ok((_, user_id))) => (
            200,
            format!("user:{user_id}"),
            format!("granted tokens ({})", field("grant_type")),
        ),
        Ok(Err(_)) => (
            400,
            "anonymous".to_owned(),
            format!("grant refused ({})", field("grant_type")),
        ),
        Err(_) => (
            503,
            "anonymous".to_owned(),
            format!("grant failed ({})", field("grant_type")),
        ),
    };
    let context = Context {
        actor,
        method: "token".to_owned(),
        path: "/oauth2/token".to_owned(),
        client_ip: address,
    };
    audit::record(&state, &context, status, summary);
    match result {
        Ok(Ok((body, _))) => answer(StatusCode::OK, &body),
        Ok(Err(description)) => oauth_error("invalid_grant", &description),
        Err(failure) => unavailable(failure),
    }
}

/// The tokens of a grant, or why it is refused (`invalid_grant`), with the user's id.
type Granted = Result<Result<(Value, String), String>, Failure>;

async fn exchange_code(state: &AppState, issuer: &str, form: &HashMap<String, String>) -> Granted {
    let runtime = state.store().runtime();
    let code = form.get("code").map(String::as_str).unwrap_or("");
    // Taken, so used once: a wrong verifier spends the code too.
    let Some(taken) = runtime
        .take_value(state.instance(), CODE, &secret_hash(code))
        .await?
    else {
        return Ok(Err(
            "the code is not valid: unknown, expired or already used".to_owned(),
        ));
    };
    let Ok(grant) = serde_json::from_str::<Grant>(&taken.value) else {
        return Ok(Err("the code is not valid".to_owned()));
    };
    let given = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if grant.client_id != given("client_id") {
        return Ok(Err("the code was issued to another client".to_owned()));
    }
    if grant.redirect_uri != given("redirect_uri") {
        return Ok(Err(
            "redirect_uri differs from the authorization request's".to_owned()
        ));
    }
    if !pkce_matches(given("code_verifier"), &grant.challenge) {
        return Ok(Err(
            "code_verifier does not match the code_challenge".to_owned()
        ));
    }
    let session_id = random_secret(16);
    let secret = random_secret(32);
    let session = Session {
        user_id: grant.user_id.clone(),
        client_id: grant.client_id.clone(),
        scope: grant.scope.clone(),
        secret: secret_hash(&secret),
    };
    let document = serde_json::to_string(&session).unwrap_or_default();
    runtime
        .insert_value(
            state.instance(),
            SESSION,
            &session_id,
            &document,
            now_ms() + SESSION_MS,
        )
        .await?;
    issue(state, issuer, &session_id, &session, &grant.role, &secret).await
}

async fn refresh(state: &AppState, issuer: &str, token: &str, client_id: &str) -> Granted {
    let runtime = state.store().runtime();
    let Some((session_id, secret)) = token.split_once('.') else {
        return Ok(Err("the refresh token is not valid".to_owned()));
    };
    let Some(stored) = runtime.value(state.instance(), SESSION, session_id).await? else {
        return Ok(Err(
            "the refresh token is not valid: unknown, expired or revoked".to_owned(),
        ));
    };
    let Ok(session) = serde_json::from_str::<Session>(&stored.value) else {
        return Ok(Err("the refresh token is not valid".to_owned()));
    };
    if session.client_id != client_id {
        return Ok(Err(
            "the refresh token was issued to another client".to_owned()
        ));
    }
    if !tollgate_auth::constant_time_eq(secret_hash(secret).as_bytes(), session.secret.as_bytes()) {
        tracing::warn!(user = %session.user_id, "a refresh token was reused: its session is revoked");
        return end_session(
            state,
            session_id,
            "the refresh token was already used: the session is revoked",
        )
        .await;
    }
    // The user may have been blocked or lost the role since.
    let role = match user(state, &session.user_id).await? {
        Some(found) => role(state, &session.user_id, &found).await?,
        None => None,
    };
    let Some(role) = role else {
        return end_session(
            state,
            session_id,
            "the user may no longer use the management API",
        )
        .await;
    };
    let next = random_secret(32);
    let renewed = Session {
        secret: secret_hash(&next),
        ..session
    };
    let document = serde_json::to_string(&renewed).unwrap_or_default();
    let swapped = runtime
        .replace_value(
            state.instance(),
            SESSION,
            session_id,
            &stored.value,
            &document,
            now_ms() + SESSION_MS,
        )
        .await?;
    if !swapped {
        // Another request rotated it first with the same token: that is reuse too.
        return end_session(
            state,
            session_id,
            "the refresh token was already used: the session is revoked",
        )
        .await;
    }
    issue(state, issuer, session_id, &renewed, role, &next).await
}

/// Ends a session and refuses the grant with `why`.
async fn end_session(state: &AppState, session_id: &str, why: &str) -> Granted {
    state
        .store()
        .runtime()
        .delete_value(state.instance(), SESSION, session_id)
        .await?;
    Ok(Err(why.to_owned()))
}

async fn issue(
    state: &AppState,
    issuer: &str,
    session_id: &str,
    session: &Session,
    role: &str,
    secret: &str,
) -> Granted {
    let key = state.oauth().keys.signing(state).await?;
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: issuer.to_owned(),
        sub: session.user_id.clone(),
        aud: AUDIENCE.to_owned(),
        exp: now + ACCESS_TOKEN_SECONDS,
        iat: now,
        jti: random_secret(12),
        sid: session_id.to_owned(),
        client_id: session.client_id.clone(),
        role: role.to_owned(),
    };
    let mut body = json!({
        "access_token": key.sign(&claims),
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "refresh_token": format!("{session_id}.{secret}"),
        "scope": session.scope,
    });
    if session.scope.split(' ').any(|s| s == "openid") {
        let id_token = Claims {
            aud: session.client_id.clone(),
            jti: random_secret(12),
            ..claims
        };
        body["id_token"] = json!(key.sign(&id_token));
    }
    Ok(Ok((body, session.user_id.clone())))
}

/// `POST /oauth2/revoke`: ends the session of a refresh or access token. Always 200 for a
/// well-formed request, whether or not the token was valid (RFC 7009 §2.2).
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return oauth_error("invalid_request", "token is required");
    };
    let session_id = match token.matches('.').count() {
        1 => token.split('.').next().map(str::to_owned),
        2 => {
            let kid = super::bearer::kid(token);
            match state.oauth().keys.verifying(&state, kid.as_deref()).await {
                // An expired access token can still be revoked: check everything but the time.
                Ok(keys) => verify(token, &keys, &issuer(&headers), AUDIENCE, i64::MIN)
                    .ok()
                    .map(|claims| claims.sid),
                Err(failure) => return unavailable(failure),
            }
        }
        _ => None,
    };
    if let Some(session_id) = session_id {
        let ended = state
            .store()
            .runtime()
            .delete_value(state.instance(), SESSION, &session_id)
            .await;
        if let Err(err) = ended {
            return unavailable(err.into());
        }
    }
    answer(StatusCode::OK, &json!({}))
}
