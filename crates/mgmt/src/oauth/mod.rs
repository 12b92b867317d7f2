//! Tollgate's OAuth2 authorization server for management users (RFC 6749 authorization code with
//! PKCE, RFC 7636; metadata, RFC 8414; revocation, RFC 7009), and the bearer tokens it issues.
//!
//! Who may sign in: active users with a password who are members of the group
//! `tollgate-administrators` (or the built-in Administrators), role `administrator`, or of the
//! group `tollgate-readers`, role `reader` (reads only). Codes, sessions and signing keys are
//! runtime values in the store, so every node of a cluster honours them; access tokens are
//! Ed25519-signed JWTs valid one hour, tied to a session that revocation or refresh-token reuse
//! ends at once.

mod authorize;
mod bearer;
mod clients;
mod keys;
mod limiter;
mod metadata;
mod token;

pub use bearer::{Bearer, bearer_actor};
pub use clients::{OAuthSettings, Redirect};

use crate::error::Failure;
use crate::handlers::links::is_linked;
use crate::state::AppState;
use axum::Router;
use axum::http::HeaderMap;
use axum::http::header::HOST;
use axum::routing::{get, post};
use tollgate_contract::entity::Entity;
use tollgate_contract::entity::group::Group;
use tollgate_contract::entity::user::User;
use tollgate_store::Key;

/// The audience of access tokens.
pub const AUDIENCE: &str = "tollgate-management";
/// How long an access token is valid, in seconds.
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
/// How long an authorization code is valid, in milliseconds.
const CODE_MS: i64 = 60_000;
/// How long a sign-in session (its refresh token) lives without use, in milliseconds.
const SESSION_MS: i64 = 30 * 24 * 3600 * 1000;

/// Runtime value kinds.
const CODE: &str = "oauthCode";
const SESSION: &str = "oauthSession";

/// The server state shared by the endpoints: settings, signing keys, the sign-in limiter.
#[derive(Debug)]
pub struct Server {
    settings: OAuthSettings,
    keys: keys::Keys,
    limiter: limiter::Limiter,
}

impl Server {
    /// A server with these settings.
    pub fn new(settings: OAuthSettings) -> Server {
        Server {
            settings,
            keys: keys::Keys::default(),
            limiter: limiter::Limiter::default(),
        }
    }
}

/// The routes of the authorization server (outside the guard: they authenticate by themselves).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::authorization_server),
        )
        .route(
            "/.well-known/openid-configuration",
            get(metadata::openid_configuration),
        )
        .route("/oauth2/jwks", get(metadata::jwks))
        .route(
            "/oauth2/authorize",
            get(authorize::page).post(authorize::sign_in),
        )
        .route("/oauth2/token", post(token::token))
        .route("/oauth2/revoke", post(token::revoke))
}

/// The issuer: this server's URL as the client addressed it (`http://{Host}`).
pub fn issuer(headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// The management role of a user, if any: `administrator` or `reader`.
async fn role(
    state: &AppState,
    user_id: &str,
    user: &User,
) -> Result<Option<&'static str>, Failure> {
    if user.state != "active" || user.password_hash.is_none() {
        return Ok(None);
    }
    for (group, role) in [
        ("administrators", "administrator"),
        ("tollgate-administrators", "administrator"),
        ("tollgate-readers", "reader"),
    ] {
        if is_linked::<Group, User>(state.store(), state.instance(), group, user_id).await? {
            return Ok(Some(role));
        }
    }
    Ok(None)
}

/// The user with this id, if it still exists.
async fn user(state: &AppState, id: &str) -> Result<Option<User>, Failure> {
    let record = state
        .store()
        .get(state.instance(), Key::top(User::KIND, id))
        .await?;
    record
        .as_ref()
        .map(crate::resource::decode_record)
        .transpose()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
