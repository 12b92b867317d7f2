//! Tokens for users (REFERENCE §7): `POST /users/{uid}/token`, `POST /users/{uid}/generateSsoUrl`,
//! and the sign-on endpoint `GET /signin-sso?token=…` the generated URL points at. How the tokens
//! are signed is in [`tollgate_auth::user_token`]; the decisions are in docs/COMPATIBILITY.md.

use crate::error::{Failure, Outcome};
use crate::extract::{JsonBody, ListQuery};
use crate::resource::{decode_record, existing};
use crate::respond;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use tollgate_auth::user_token::{self, Purpose};
use tollgate_contract::body::decode;
use tollgate_contract::entity::user::User;
use tollgate_contract::validate::Validator;
use tollgate_contract::{ApiError, ErrorCode};

/// The longest a user token may live, as the contract says.
const MAX_TOKEN_LIFETIME_DAYS: i64 = 30;

/// How long a sign-on link is valid (rounded down to the minute, so 9 to 10 minutes).
const SIGN_ON_LIFETIME_MINUTES: i64 = 10;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenRequest {
    key_type: Option<String>,
    expiry: Option<String>,
}

/// The user `uid`, or 404.
async fn user(state: &AppState, uid: &str) -> Result<(String, User), Failure> {
    let record = existing::<User>(state, uid).await?;
    let user = decode_record(&record)?;
    Ok((record.id, user))
}

/// `POST /users/{uid}/token` with `{keyType, expiry}`: a token for reading the user's own
/// resources, signed with the chosen access key, valid until `expiry` (at most 30 days ahead).
pub async fn issue_token(
    State(state): State<AppState>,
    Path(uid): Path<String>,
    JsonBody(body): JsonBody,
) -> Outcome {
    let (uid, _) = user(&state, &uid).await?;
    let request: TokenRequest = decode(&body)?;
    let mut v = Validator::new();
    v.required("keyType", &request.key_type);
    v.required("expiry", &request.expiry);
    v.finish()?;
    let access = state.access();
    let key = match request.key_type.as_deref().map(str::to_ascii_lowercase) {
        Some(k) if k == "primary" => access.primary_key.clone(),
        Some(k) if k == "secondary" => access.secondary_key.clone(),
        _ => {
            return Err(ApiError::invalid_field(
                "keyType",
                "Enum",
                "keyType must be primary or secondary",
            )
            .into());
        }
    };
    let expiry = request.expiry.unwrap_or_default();
    let expiry = DateTime::parse_from_rfc3339(&expiry)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::invalid_field(
                "expiry",
                "DateTime",
                format!("'{expiry}' is not a date-time like 2030-01-01T00:00:00Z"),
            )
        })?;
    let now = Utc::now();
    if expiry <= now + Duration::minutes(1)
        || expiry > now + Duration::days(MAX_TOKEN_LIFETIME_DAYS)
    {
        return Err(ApiError::invalid_field(
            "expiry",
            "Range",
            format!(
                "expiry must be in the future (past the current minute) and at most {MAX_TOKEN_LIFETIME_DAYS} days ahead"
            ),
        )
        .into());
    }
    let token = user_token::issue(&uid, &key, Purpose::Access, expiry);
    Ok(respond::json(
        StatusCode::OK,
        None,
        &json!({"value": token}),
    ))
}

/// `POST /users/{uid}/generateSsoUrl`: a sign-on URL on this host, valid for about ten minutes.
pub async fn generate_sso_url(
    State(state): State<AppState>,
    Path(uid): Path<String>,
    headers: HeaderMap,
) -> Outcome {
    let (uid, _) = user(&state, &uid).await?;
    let expiry = Utc::now() + Duration::minutes(SIGN_ON_LIFETIME_MINUTES);
    let token = user_token::issue(&uid, &state.access().primary_key, Purpose::SignOn, expiry);
    let query = serde_urlencoded::to_string([("token", token.as_str())]).unwrap_or_default();
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let url = format!("http://{host}/signin-sso?{query}");
    Ok(respond::json(StatusCode::OK, None, &json!({"value": url})))
}

/// `GET /signin-sso?token=…`: checks a sign-on token and answers who it signs in (200
/// `{userId, expires}`), or 401. Tollgate has no developer portal to open yet.
pub async fn sign_in(State(state): State<AppState>, query: ListQuery) -> Outcome {
    let token = query.other("token").unwrap_or("");
    let uid = verified_user(&state, token, Purpose::SignOn).await?;
    let expires = token.split('&').nth(1).unwrap_or_default();
    Ok(respond::json(
        StatusCode::OK,
        None,
        &json!({"userId": format!("/users/{uid}"), "expires": expires}),
    ))
}

/// The id of the user a token of `purpose` speaks for: the signature holds under either current
/// access key, the expiry has not passed, and the user exists and is not blocked. 401 otherwise.
pub async fn verified_user(
    state: &AppState,
    token: &str,
    purpose: Purpose,
) -> Result<String, Failure> {
    let refused = |why: String| Failure(ApiError::new(ErrorCode::Unauthorized, why));
    let access = state.access();
    let keys = [access.primary_key.as_str(), access.secondary_key.as_str()];
    let uid = user_token::verify(token, purpose, &keys, Utc::now())
        .map_err(|e| refused(format!("The user token is not valid: {e}.")))?;
    match user(state, &uid).await {
        Ok((id, user)) if user.state != "blocked" => Ok(id),
        Ok(_) => Err(refused(format!("User '{uid}' is blocked."))),
        Err(_) => Err(refused(format!("User '{uid}' does not exist."))),
    }
}
