//! Discovery: the authorization server's metadata (RFC 8414), the same as an OpenID configuration,
//! and the JWKS of the token signing keys.

use super::issuer;
use crate::error::Outcome;
use crate::respond;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

fn metadata(headers: &HeaderMap) -> Value {
    let issuer = issuer(headers);
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
        "jwks_uri": format!("{issuer}/oauth2/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["management", "openid"],
    })
}

/// `GET /.well-known/oauth-authorization-server`.
pub async fn authorization_server(headers: HeaderMap) -> Outcome {
    Ok(respond::json(StatusCode::OK, None, &metadata(&headers)))
}

/// `GET /.well-known/openid-configuration`: the metadata, with what OpenID Connect adds (ID
/// tokens are issued when the scope has `openid`).
pub async fn openid_configuration(headers: HeaderMap) -> Outcome {
    let mut body = metadata(&headers);
    body["subject_types_supported"] = json!(["public"]);
    body["id_token_signing_alg_values_supported"] = json!(["EdDSA"]);
    body["claims_supported"] = json!(["iss", "sub", "aud", "exp", "iat", "role"]);
    Ok(respond::json(StatusCode::OK, None, &body))
}

/// `GET /oauth2/jwks`.
pub async fn jwks(State(state): State<AppState>) -> Outcome {
    // A server that has never signed makes its first key now, so that the set is never empty.
    state.oauth().keys.signing(&state).await?;
    let keys = state.oauth().keys.verifying(&state, None).await?;
    let keys: Vec<Value> = keys.iter().map(|k| k.jwk()).collect();
    Ok(respond::json(
        StatusCode::OK,
        None,
        &json!({ "keys": keys }),
    ))
}
