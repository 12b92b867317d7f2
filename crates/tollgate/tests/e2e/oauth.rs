//! The OAuth2 authorization server (authorization code + PKCE, refresh rotation, revocation,
//! metadata, JWKS) and bearer tokens on the management API.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

on_both_engines!(
    sign_in_with_pkce_and_call_the_api_with_the_token,
    pkce_and_redirect_mistakes_are_refused,
    refresh_tokens_rotate_and_reuse_ends_the_session,
    bad_revoked_and_foreign_tokens_are_refused,
    readers_may_only_read,
    failed_sign_ins_are_limited,
    production_registers_only_the_back_office,
    a_disabled_api_refuses_bearer_tokens_too
);

const BACKOFFICE_REDIRECT: &str = "https://office.example/callback";
const PASSWORD: &str = "correct horse battery staple";
const VERIFIER: &str = "a-verifier-of-forty-three-or-more-characters-0123456789";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn start(engine: Engine) -> Server {
    let redirect = format!("tollgate-backoffice={BACKOFFICE_REDIRECT}");
    Server::start_on(engine, &["--oauth-redirect", &redirect]).await
}

/// A user with a password in `group` (created if needed).
async fn user_in(s: &Server, id: &str, group: &str) -> String {
    let email = format!("{id}@example.com");
    let r = s
        .put(
            &format!("/users/{id}?{V17}"),
            &json!({"email": email, "firstName": "F", "lastName": "L", "password": PASSWORD, "state": "active"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    if s.get(&format!("/groups/{group}?{V17}")).await.status == 404 {
        let r = s
            .put(&format!("/groups/{group}?{V17}"), &json!({"name": group}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = s
        .send(
            "PUT",
            &format!("/groups/{group}/users/{id}?{V17}"),
            None,
            &[],
        )
        .await;
    assert!(r.status < 300, "{}", r.text);
    email
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

fn authorize_params(client_id: &str, redirect: &str) -> Vec<(String, String)> {
    [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("state", "st-123"),
        ("scope", "management openid"),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .chain([("code_challenge".to_owned(), challenge(VERIFIER))])
    .collect()
}

/// Posts the sign-in form; the response (a redirect on success).
async fn post_sign_in(
    s: &Server,
    params: &[(String, String)],
    email: &str,
    password: &str,
) -> reqwest::Response {
    let mut form = params.to_vec();
    form.push(("email".into(), email.into()));
    form.push(("password".into(), password.into()));
    client()
        .post(format!("{}/oauth2/authorize", s.base))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The query parameters of a redirect's `Location`, which must go to `redirect`.
fn location_query(response: &reqwest::Response, redirect: &str) -> Vec<(String, String)> {
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{redirect}?")),
        "{location} does not go to {redirect}"
    );
    reqwest::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Signs in through the form and returns the code.
async fn code_for(s: &Server, email: &str) -> String {
    let params = authorize_params("tollgate-backoffice", BACKOFFICE_REDIRECT);
    let response = post_sign_in(s, &params, email, PASSWORD).await;
    let pairs = location_query(&response, BACKOFFICE_REDIRECT);
    assert_eq!(param(&pairs, "state"), Some("st-123"), "state is echoed");
    param(&pairs, "code").unwrap().to_owned()
}

/// `POST /oauth2/token` with a form: status and JSON body.
async fn token_call(s: &Server, form: &[(&str, &str)]) -> (u16, Value) {
    let response = client()
        .post(format!("{}/oauth2/token", s.base))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_eq!(response.headers()["cache-control"], "no-store");
    (status, response.json().await.unwrap())
}

async fn exchange(s: &Server, code: &str) -> (u16, Value) {
    token_call(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", BACKOFFICE_REDIRECT),
            ("client_id", "tollgate-backoffice"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

async fn tokens_for(s: &Server, email: &str) -> Value {
    let code = code_for(s, email).await;
    let (status, body) = exchange(s, &code).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn call(s: &Server, method: &str, path: &str, token: &str, body: Option<&str>) -> u16 {
    let bearer = format!("Bearer {token}");
    s.send(method, path, body, &[("Authorization", &bearer)])
        .await
        .status
}

/// `GET` of an unauthenticated JSON document of the authorization server.
async fn get_json(s: &Server, path: &str) -> Value {
    let response = client()
        .get(format!("{}{path}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn sign_in_with_pkce_and_call_the_api_with_the_token(engine: Engine) {
    let s = start(engine).await;
    let email = user_in(&s, "ada", "tollgate-administrators").await;

    let meta: Value = get_json(&s, "/.well-known/oauth-authorization-server").await;
    assert_eq!(meta["issuer"], s.base);
    assert_eq!(meta["token_endpoint"], format!("{}/oauth2/token", s.base));
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    let openid: Value = get_json(&s, "/.well-known/openid-configuration").await;
    assert_eq!(openid["jwks_uri"], format!("{}/oauth2/jwks", s.base));

    // The sign-in page: a form with labelled fields that keeps the request's parameters.
    let page = client()
        .get(format!("{}/oauth2/authorize", s.base))
        .query(&authorize_params(
            "tollgate-backoffice",
            BACKOFFICE_REDIRECT,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for needle in [
        "<label for=\"email\">",
        "<label for=\"password\">",
        "name=\"code_challenge\"",
        "value=\"st-123\"",
        "lang=\"en\"",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }

    let tokens = tokens_for(&s, &email).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let access = tokens["access_token"].as_str().unwrap();

    // The token verifies with the published key, by an independent JWT library.
    let jwks: Value = get_json(&s, "/oauth2/jwks").await;
    let jwk = &jwks["keys"][0];
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    let key = jsonwebtoken::DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["tollgate-management"]);
    validation.set_issuer(&[&s.base]);
    let claims = jsonwebtoken::decode::<Value>(access, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "ada");
    assert_eq!(claims["role"], "administrator");
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 3600, "valid one hour");

    assert_eq!(
        call(&s, "GET", &format!("/properties?{V17}"), access, None).await,
        200
    );
    let body = json!({"name": "p", "value": "v"}).to_string();
    assert_eq!(
        call(
            &s,
            "PUT",
            &format!("/properties/p?{V17}"),
            access,
            Some(&body)
        )
        .await,
        201
    );
    // The audit log names the user, the sign-in and the grant.
    let log = s
        .get(&format!("/auditLogs?{V17}&$filter=actor eq 'user:ada'"))
        .await
        .json();
    let actions: Vec<&str> = log["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"PUT"), "{log}");
    for _ in 0..50 {
        let log = s
            .get(&format!("/auditLogs?{V17}&$filter=actor eq 'user:ada'"))
            .await
            .json();
        let actions: Vec<String> = log["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect();
        if actions.contains(&"sign-in".to_owned()) && actions.contains(&"token".to_owned()) {
            let text = log.to_string();
            assert!(
                !text.contains(access) && !text.contains(PASSWORD),
                "no secrets"
            );
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("sign-in and token grant were not audited");
}

async fn pkce_and_redirect_mistakes_are_refused(engine: Engine) {
    let s = start(engine).await;
    let email = user_in(&s, "ada", "tollgate-administrators").await;

    // A wrong verifier: refused, and the code is spent.
    let code = code_for(&s, &email).await;
    let (status, body) = token_call(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", BACKOFFICE_REDIRECT),
            ("client_id", "tollgate-backoffice"),
            (
                "code_verifier",
                "another-verifier-of-forty-three-or-more-chars-xyz",
            ),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert_eq!(
        exchange(&s, &code).await.1["error"],
        "invalid_grant",
        "spent"
    );

    // A code is used once.
    let code = code_for(&s, &email).await;
    assert_eq!(exchange(&s, &code).await.0, 200);
    let (status, body) = exchange(&s, &code).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // The token request's redirect URI must be the authorization request's.
    let code = code_for(&s, &email).await;
    let (status, body) = token_call(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://office.example/other"),
            ("client_id", "tollgate-backoffice"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // An unregistered redirect URI or client: an error page, never a redirect.
    for (client_id, redirect) in [
        ("tollgate-backoffice", "https://evil.example/callback"),
        ("tollgate-backoffice", "https://office.example/callback/"),
        ("someone-else", BACKOFFICE_REDIRECT),
    ] {
        let page = client()
            .get(format!("{}/oauth2/authorize", s.base))
            .query(&authorize_params(client_id, redirect))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 400, "{client_id} {redirect}");
        assert!(page.headers().get("location").is_none());
    }

    // Missing challenge, `plain`, another response type: sent back with `error` and `state`.
    let mut without = authorize_params("tollgate-backoffice", BACKOFFICE_REDIRECT);
    without.retain(|(k, _)| k != "code_challenge");
    let mut plain = authorize_params("tollgate-backoffice", BACKOFFICE_REDIRECT);
    for pair in &mut plain {
        if pair.0 == "code_challenge_method" {
            pair.1 = "plain".into();
        }
    }
    let mut implicit = authorize_params("tollgate-backoffice", BACKOFFICE_REDIRECT);
    implicit[0].1 = "token".into();
    for (params, error) in [
        (without, "invalid_request"),
        (plain, "invalid_request"),
        (implicit, "unsupported_response_type"),
    ] {
        let response = post_sign_in(&s, &params, &email, PASSWORD).await;
        let pairs = location_query(&response, BACKOFFICE_REDIRECT);
        assert_eq!(param(&pairs, "error"), Some(error), "{pairs:?}");
        assert_eq!(param(&pairs, "state"), Some("st-123"));
        assert_eq!(param(&pairs, "code"), None);
    }
    let (status, body) = token_call(&s, &[("grant_type", "password")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

async fn refresh(s: &Server, refresh_token: &str) -> (u16, Value) {
    token_call(
        s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", "tollgate-backoffice"),
        ],
    )
    .await
}

async fn refresh_tokens_rotate_and_reuse_ends_the_session(engine: Engine) {
    let s = start(engine).await;
    let email = user_in(&s, "ada", "tollgate-administrators").await;
    let first = tokens_for(&s, &email).await;
    let first_refresh = first["refresh_token"].as_str().unwrap();
    let (status, second) = refresh(&s, first_refresh).await;
    assert_eq!(status, 200, "{second}");
    let second_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(first_refresh, second_refresh, "rotated");
    let access = second["access_token"].as_str().unwrap();
    assert_eq!(
        call(&s, "GET", &format!("/apis?{V17}"), access, None).await,
        200
    );
    // The first refresh token again: reuse. The session ends, with every token issued in it.
    let (status, body) = refresh(&s, first_refresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert_eq!(
        call(&s, "GET", &format!("/apis?{V17}"), access, None).await,
        401
    );
    assert_eq!(refresh(&s, second_refresh).await.0, 400);
    // Another client cannot use a refresh token.
    let third = tokens_for(&s, &email).await;
    let (status, _) = token_call(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", third["refresh_token"].as_str().unwrap()),
            ("client_id", "tollgate-postman"),
        ],
    )
    .await;
    assert_eq!(status, 400);
}

async fn bad_revoked_and_foreign_tokens_are_refused(engine: Engine) {
    let s = start(engine).await;
    let email = user_in(&s, "ada", "tollgate-administrators").await;
    let tokens = tokens_for(&s, &email).await;
    let access = tokens["access_token"].as_str().unwrap();
    let path = format!("/properties?{V17}");

    // Tampered: a payload changed, the signature kept.
    let parts: Vec<&str> = access.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("1");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assert_eq!(call(&s, "GET", &path, &forged, None).await, 401);
    assert_eq!(call(&s, "GET", &path, "not-a-jwt", None).await, 401);
    // The ID token is for the client, not the management API: wrong audience.
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(call(&s, "GET", &path, id_token, None).await, 401);
    let r = s
        .send(
            "GET",
            &path,
            None,
            &[("Authorization", &format!("Bearer {id_token}"))],
        )
        .await;
    assert_eq!(r.error_code(), "Unauthorized");
    // Revoked.
    assert_eq!(call(&s, "GET", &path, access, None).await, 200);
    let revoked = client()
        .post(format!("{}/oauth2/revoke", s.base))
        .form(&[("token", access), ("client_id", "tollgate-backoffice")])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(call(&s, "GET", &path, access, None).await, 401);
    assert_eq!(
        refresh(&s, tokens["refresh_token"].as_str().unwrap())
            .await
            .0,
        400
    );
    // Revoking garbage is not an error (RFC 7009).
    let garbage = client()
        .post(format!("{}/oauth2/revoke", s.base))
        .form(&[("token", "garbage")])
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 200);
}

async fn readers_may_only_read(engine: Engine) {
    let s = start(engine).await;
    let reader = user_in(&s, "rita", "tollgate-readers").await;
    let nobody = user_in(&s, "ned", "developers-2").await;
    let access = tokens_for(&s, &reader).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        call(&s, "GET", &format!("/properties?{V17}"), &access, None).await,
        200
    );
    let body = json!({"name": "p", "value": "v"}).to_string();
    let r = s
        .send(
            "PUT",
            &format!("/properties/p?{V17}"),
            Some(&body),
            &[("Authorization", &format!("Bearer {access}"))],
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "Forbidden"),
        "{}",
        r.text
    );
    // A user in neither group cannot sign in at all.
    let params = authorize_params("tollgate-backoffice", BACKOFFICE_REDIRECT);
    let response = post_sign_in(&s, &params, &nobody, PASSWORD).await;
    assert_eq!(response.status(), 401);
}

async fn failed_sign_ins_are_limited(engine: Engine) {
    let s = start(engine).await;
    let email = user_in(&s, "ada", "tollgate-administrators").await;
    let params = authorize_params("tollgate-backoffice", BACKOFFICE_REDIRECT);
    for _ in 0..5 {
        let response = post_sign_in(&s, &params, &email, "wrong password").await;
        assert_eq!(response.status(), 401);
        let html = response.text().await.unwrap();
        assert!(html.contains("role=\"alert\""), "{html}");
    }
    // The right password, too late: limited for a while.
    let response = post_sign_in(&s, &params, &email, PASSWORD).await;
    assert_eq!(response.status(), 429);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Too many failed sign-ins")
    );
}

async fn authorize_status(s: &Server, client_id: &str, redirect: &str) -> u16 {
    client()
        .get(format!("{}/oauth2/authorize", s.base))
        .query(&authorize_params(client_id, redirect))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn production_registers_only_the_back_office(engine: Engine) {
    let s = start(engine).await;
    let swagger = format!("{}/swagger/oauth2-redirect.html", s.base);
    let postman = "https://oauth.pstmn.io/v1/callback";
    assert_eq!(
        authorize_status(&s, "tollgate-swagger", &swagger).await,
        200
    );
    assert_eq!(authorize_status(&s, "tollgate-postman", postman).await, 200);
    drop(s);
    let redirect = format!("tollgate-backoffice={BACKOFFICE_REDIRECT}");
    let s = Server::start_on(engine, &["--production", "--oauth-redirect", &redirect]).await;
    let swagger = format!("{}/swagger/oauth2-redirect.html", s.base);
    assert_eq!(
        authorize_status(&s, "tollgate-swagger", &swagger).await,
        400
    );
    assert_eq!(authorize_status(&s, "tollgate-postman", postman).await, 400);
    assert_eq!(
        authorize_status(&s, "tollgate-backoffice", BACKOFFICE_REDIRECT).await,
        200
    );
}

async fn a_disabled_api_refuses_bearer_tokens_too(engine: Engine) {
    let s = start(engine).await;
    let email = user_in(&s, "ada", "tollgate-administrators").await;
    let access = tokens_for(&s, &email).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {access}");
    let switch = |enabled: bool| json!({ "enabled": enabled }).to_string();
    let patch = |body: String| {
        let bearer = bearer.clone();
        let s = &s;
        async move {
            s.send(
                "PATCH",
                &format!("/tenant/access?{V17}"),
                Some(&body),
                &[("Authorization", &bearer), ("If-Match", "*")],
            )
            .await
            .status
        }
    };
    assert_eq!(patch(switch(false)).await, 204);
    let r = s
        .send(
            "GET",
            &format!("/properties?{V17}"),
            None,
            &[("Authorization", &bearer)],
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (401, "ManagementApiDisabled")
    );
    assert_eq!(
        patch(switch(true)).await,
        204,
        "the switch itself stays reachable"
    );
    assert_eq!(
        call(&s, "GET", &format!("/properties?{V17}"), &access, None).await,
        200
    );
}
