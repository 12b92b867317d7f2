//! `/oauth2/authorize`: the sign-in page (`GET`) and the sign-in itself (`POST` of its form).
//!
//! Requests are checked as RFC 6749 §4.1.2.1 says: an unknown client or a redirect URI that is not
//! one of its registered ones gets an error page (never a redirect); any other problem (response
//! type, a missing or `plain` PKCE challenge, scope) is sent back to the redirect URI as `error`
//! with `state`. A successful sign-in redirects with a single-use code valid 60 seconds.

use super::{CODE, CODE_MS, issuer, now_ms, role};
use crate::audit::{self, Context};
use crate::extract::ClientIp;
use crate::handlers::user::user_by_email;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tollgate_auth::oauth::{is_s256_challenge, random_secret, secret_hash};
use tollgate_auth::password::{hash_password, verify_password};

/// The parameters of an authorization request (query of the page, fields of its form).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Params {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    scope: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    email: String,
    password: String,
}

/// What a code stands for, stored under the code's hash.
#[derive(Debug, Serialize, Deserialize)]
pub struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
    pub user_id: String,
    pub role: String,
    pub scope: String,
}

const SCOPES: &[&str] = &["management", "openid"];

/// A request that cannot be answered with a redirect, or one that can.
enum Refusal {
    Page(StatusCode, String),
    Redirect(&'static str, String),
}

/// Checks a request's client, redirect URI, response type, PKCE challenge and scope.
fn check(state: &AppState, params: &Params, issuer: &str) -> Result<(), Refusal> {
    let settings = &state.oauth().settings;
    if !settings.knows(&params.client_id) {
        let message = format!("The client '{}' is not registered.", params.client_id);
        return Err(Refusal::Page(StatusCode::BAD_REQUEST, message));
    }
    if !settings.allows(&params.client_id, &params.redirect_uri, issuer) {
        let message = format!(
            "The redirect URI '{}' is not registered for the client '{}'.",
            params.redirect_uri, params.client_id
        );
        return Err(Refusal::Page(StatusCode::BAD_REQUEST, message));
    }
    let invalid = |why: &str| Err(Refusal::Redirect("invalid_request", why.to_owned()));
    if params.response_type != "code" {
        return Err(Refusal::Redirect(
            "unsupported_response_type",
            "response_type must be code".to_owned(),
        ));
    }
    let Some(challenge) = params.code_challenge.as_deref().filter(|c| !c.is_empty()) else {
        return invalid("code_challenge is required (PKCE, S256)");
    };
    if params.code_challenge_method.as_deref() != Some("S256") {
        return invalid("code_challenge_method must be S256; plain is not accepted");
    }
    if !is_s256_challenge(challenge) {
        return invalid("code_challenge must be 43 base64url characters (S256)");
    }
    let scope = params.scope.as_deref().unwrap_or("management");
    if let Some(unknown) = scope
        .split(' ')
        .find(|s| !s.is_empty() && !SCOPES.contains(s))
    {
        return Err(Refusal::Redirect(
            "invalid_scope",
            format!("unknown scope '{unknown}'; supported: management, openid"),
        ));
    }
    Ok(())
}

fn redirect(to: &str, pairs: &[(&str, &str)]) -> Response {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let separator = if to.contains('?') { '&' } else { '?' };
    let location = format!("{to}{separator}{query}");
    (
        StatusCode::FOUND,
        [(LOCATION, location), (CACHE_CONTROL, "no-store".to_owned())],
    )
        .into_response()
}

fn refusal(params: &Params, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Page(status, message) => html(status, &error_page(&message)),
        Refusal::Redirect(error, description) => {
            let mut pairs = vec![
                ("error", error),
                ("error_description", description.as_str()),
            ];
            if let Some(state) = &params.state {
                pairs.push(("state", state));
            }
            redirect(&params.redirect_uri, &pairs)
        }
    }
}

/// `GET /oauth2/authorize`: the sign-in form.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params: Params =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    match check(&state, &params, &issuer(&headers)) {
        Ok(()) => html(StatusCode::OK, &form(&params, None)),
        Err(r) => refusal(&params, r),
    }
}

/// `POST /oauth2/authorize`: checks the email and password, then redirects with a code.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(address): ClientIp,
    body: Bytes,
) -> Response {
    let params: Params = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if let Err(r) = check(&state, &params, &issuer(&headers)) {
        return refusal(&params, r);
    }
    let limiter = &state.oauth().limiter;
    if let Err(wait) = limiter.check(&params.email, &address) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let message = format!(
            "Too many failed sign-ins. Try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        );
        audit_sign_in(
            &state,
            &address,
            "anonymous",
            429,
            "sign-in refused: too many failures",
        );
        return html(
            StatusCode::TOO_MANY_REQUESTS,
            &form(&params, Some(&message)),
        );
    }
    let signed_in = match authenticate(&state, &params).await {
        Ok(found) => found,
        Err(_) => {
            return html(
                StatusCode::SERVICE_UNAVAILABLE,
                &error_page("Sign-in is unavailable; try again."),
            );
        }
    };
    let Some((user_id, role)) = signed_in else {
        limiter.failed(&params.email, &address);
        audit_sign_in(&state, &address, "anonymous", 401, "sign-in failed");
        let message =
            "The email or password is not correct, or this account may not use the management API.";
        return html(StatusCode::UNAUTHORIZED, &form(&params, Some(message)));
    };
    limiter.succeeded(&params.email);
    let code = random_secret(32);
    let grant = Grant {
        client_id: params.client_id.clone(),
        redirect_uri: params.redirect_uri.clone(),
        challenge: params.code_challenge.clone().unwrap_or_default(),
        user_id: user_id.clone(),
        role: role.to_owned(),
        scope: params
            .scope
            .clone()
            .unwrap_or_else(|| "management".to_owned()),
    };
    let stored = serde_json::to_string(&grant).unwrap_or_default();
    let kept = state
        .store()
        .runtime()
        .insert_value(
            state.instance(),
            CODE,
            &secret_hash(&code),
            &stored,
            now_ms() + CODE_MS,
        )
        .await;
    if !matches!(kept, Ok(true)) {
        return html(
            StatusCode::SERVICE_UNAVAILABLE,
            &error_page("Sign-in is unavailable; try again."),
        );
    }
    audit_sign_in(
        &state,
        &address,
        &format!("user:{user_id}"),
        302,
        "signed in",
    );
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = &params.state {
        pairs.push(("state", s));
    }
    redirect(&params.redirect_uri, &pairs)
}

/// The user id and role of valid credentials of a user who may sign in.
async fn authenticate(
    state: &AppState,
    params: &Params,
) -> Result<Option<(String, &'static str)>, crate::error::Failure> {
    let Some((id, user)) = user_by_email(state, params.email.trim()).await? else {
        // Spend the time a password check takes, so that timing does not tell who exists.
        let _ = verify_password(&params.password, dummy_hash());
        return Ok(None);
    };
    let password_ok = user
        .password_hash
        .as_deref()
        .is_some_and(|hash| verify_password(&params.password, hash));
    if !password_ok {
        return Ok(None);
    }
    Ok(role(state, &id, &user).await?.map(|role| (id, role)))
}

/// An Argon2id hash of a random password, checked when the email is unknown.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&random_secret(16)))
}

fn audit_sign_in(state: &AppState, address: &str, actor: &str, status: u16, summary: &str) {
    let context = Context {
        actor: actor.to_owned(),
        method: "sign-in".to_owned(),
        path: "/oauth2/authorize".to_owned(),
        client_ip: address.to_owned(),
    };
    audit::record(state, &context, status, summary.to_owned());
}

fn html(status: StatusCode, body: &str) -> Response {
    (
        status,
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
        ],
        body.to_owned(),
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;line-height:1.5}\
label{display:block;margin-top:1rem;font-weight:600}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}\
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}[role=alert]{color:#a00;font-weight:600}";

fn document(title: &str, content: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
        <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
        <title>{title}</title><style>{STYLE}</style></head><body><main>{content}</main></body></html>"
    )
}

fn error_page(message: &str) -> String {
    document(
        "Sign-in error — Tollgate",
        &format!(
            "<h1>Sign-in error</h1><p role=\"alert\">{}</p>",
            escape(message)
        ),
    )
}

fn form(params: &Params, message: Option<&str>) -> String {
    let hidden: String = [
        ("response_type", Some(params.response_type.as_str())),
        ("client_id", Some(params.client_id.as_str())),
        ("redirect_uri", Some(params.redirect_uri.as_str())),
        ("state", params.state.as_deref()),
        ("scope", params.scope.as_deref()),
        ("code_challenge", params.code_challenge.as_deref()),
        (
            "code_challenge_method",
            params.code_challenge_method.as_deref(),
        ),
    ]
    .iter()
    .filter_map(|(name, value)| {
        value.map(|v| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(v)
            )
        })
    })
    .collect();
    let alert = message
        .map(|m| format!("<p role=\"alert\" id=\"problem\">{}</p>", escape(m)))
        .unwrap_or_default();
    let described = if message.is_some() {
        " aria-describedby=\"problem\""
    } else {
        ""
    };
    document(
        "Sign in — Tollgate",
        &format!(
            "<h1>Sign in to Tollgate</h1><p>The application <strong>{client}</strong> asks to use the \
            management API on your behalf.</p>{alert}\
            <form method=\"post\" action=\"/oauth2/authorize\"{described}>{hidden}\
            <label for=\"email\">Email</label>\
            <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{email}\">\
            <label for=\"password\">Password</label>\
            <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
            <button type=\"submit\">Sign in</button></form>",
            client = escape(&params.client_id),
            email = escape(&params.email),
        ),
    )
}
