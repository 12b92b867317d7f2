//! `validate-jwt` (issue 8): tokens signed here (HS256 with a base64 key, RS256 and ES256 with
//! keys the openssl command line makes) checked by the gateway before the call reaches a real
//! backend; failures answer Azure's `{"statusCode", "message"}` and run on-error; keys of an
//! OpenID configuration served by a real HTTP server started here are fetched once and kept.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::common::{Engine, Server, V17};
use crate::gateway::{backend, openssl, shop};
use crate::on_both_engines;
use crate::policy_engine::{put_policy, refused_policy};

on_both_engines!(
    tokens_are_checked_before_the_backend,
    lifetimes_claims_and_sources,
    rsa_keys_given_as_modulus_and_exponent,
    uploaded_certificates_verify_tokens
);

/// The symmetric key of the HS256 tokens.
pub(crate) const SECRET: &[u8] = b"a symmetric key of thirty-two bytes or more!";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An HS256 token of `claims`, signed with `key`.
pub(crate) fn hs256(claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key),
    )
    .unwrap()
}

/// A token signed with an asymmetric key, with a `kid` (none when empty).
fn signed(alg: Algorithm, kid: &str, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned()).filter(|k| !k.is_empty());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

/// The claims of a token valid for an hour, with `extra` added.
pub(crate) fn claims(extra: Value) -> Value {
    let mut c = json!({"sub": "ann", "iss": "https://issuer.example", "aud": ["api://shop", "other"], "exp": now() + 3600});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

/// A gateway call: status, `X-Reason` (the on-error header the policies set) and the body.
async fn call(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String, Value) {
    let mut request =
        reqwest::Client::new().request(method.parse().unwrap(), format!("{}{path}", s.gateway));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let reason = response
        .headers()
        .get("x-reason")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, reason, body)
}

/// The on-error section the tests' policies end with: it shows `context.LastError.Reason`.
const ON_ERROR: &str = r#"<on-error><set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Source + ":" + context.LastError.Reason)</value></set-header></on-error>"#;

fn invalid(status: u16) -> Value {
    json!({"statusCode": status, "message": "Invalid JWT."})
}

async fn tokens_are_checked_before_the_backend(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let r = s
        .put(
            &format!("/properties/jwt-key?{V17}"),
            &json!({"name": "jwt-key", "value": STANDARD.encode(SECRET), "secret": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    put_policy(
        &s,
        "/apis/shop",
        &format!(
            r#"<policies><inbound><base />
                 <validate-jwt header-name="Authorization" require-scheme="Bearer" output-token-variable-name="jwt">
                   <issuer-signing-keys><key>{{{{jwt-key}}}}</key></issuer-signing-keys>
                   <audiences><audience>api://shop</audience></audiences>
                   <issuers><issuer>https://issuer.example</issuer></issuers>
                 </validate-jwt>
                 <set-header name="X-Subject"><value>@(((Jwt)context.Variables["jwt"]).Subject)</value></set-header>
                 <set-header name="X-Roles"><value>@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("roles", ""))</value></set-header>
               </inbound><backend><base /></backend><outbound><base /></outbound>{ON_ERROR}</policies>"#
        ),
    )
    .await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let bearer = |token: &str| format!("Bearer {token}");

    // A valid token: the backend is reached, and later statements read the parsed token.
    let good = bearer(&hs256(&claims(json!({"roles": ["read", "write"]})), SECRET));
    let (status, _, seen) = call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &good)]).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["headers"]["x-subject"], "ann");
    assert_eq!(seen["headers"]["x-roles"], "read,write");
    assert_eq!(
        seen["headers"]["authorization"],
        good.as_str(),
        "the token is forwarded"
    );

    // No token.
    let (status, reason, body) = call(&s, "GET", "/shop/items/1", &[k]).await;
    assert_eq!(
        (status, reason.as_str()),
        (401, "validate-jwt:TokenNotPresent")
    );
    assert_eq!(
        body,
        json!({"statusCode": 401, "message": "JWT not present."})
    );

    // The scheme is required: a bare token, or another scheme, is no token.
    let bare = hs256(&claims(json!({})), SECRET);
    for value in [bare.clone(), format!("Basic {bare}")] {
        let (status, reason, _) =
            call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &value)]).await;
        assert_eq!(
            (status, reason.as_str()),
            (401, "validate-jwt:TokenNotPresent")
        );
    }
    // Compared ignoring case.
    let lower = format!("bearer {bare}");
    let (status, _, _) = call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &lower)]).await;
    assert_eq!(status, 200);

    for (token, expected) in [
        ("not.a-jwt".to_owned(), "JwtInvalid"),
        (
            hs256(&claims(json!({})), b"another key altogether, also long"),
            "TokenSignatureInvalid",
        ),
        (
            hs256(&claims(json!({"exp": now() - 60})), SECRET),
            "TokenExpired",
        ),
        (
            hs256(&claims(json!({"aud": "api://elsewhere"})), SECRET),
            "TokenAudienceNotAllowed",
        ),
        (
            hs256(&claims(json!({"iss": "https://evil.example"})), SECRET),
            "TokenIssuerNotAllowed",
        ),
        (
            hs256(
                &json!({"sub": "ann", "iss": "https://issuer.example", "aud": "api://shop"}),
                SECRET,
            ),
            "JwtInvalid",
        ),
        (
            hs256(&claims(json!({"nbf": now() + 600})), SECRET),
            "JwtInvalid",
        ),
    ] {
        let (status, reason, body) = call(
            &s,
            "GET",
            "/shop/items/1",
            &[k, ("Authorization", &bearer(&token))],
        )
        .await;
        assert_eq!((status, &body), (401, &invalid(401)), "{expected}");
        assert_eq!(reason, format!("validate-jwt:{expected}"));
    }

    // A token whose payload was changed after signing.
    let mut parts: Vec<String> = good
        .trim_start_matches("Bearer ")
        .split('.')
        .map(str::to_owned)
        .collect();
    parts[1] = URL_SAFE_NO_PAD.encode(claims(json!({"sub": "mallory"})).to_string());
    let forged = bearer(&parts.join("."));
    let (status, reason, _) =
        call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &forged)]).await;
    assert_eq!(
        (status, reason.as_str()),
        (401, "validate-jwt:TokenSignatureInvalid")
    );

    // Unsigned tokens are refused (require-signed-tokens defaults to true).
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims(json!({})).to_string())
    );
    let (status, reason, _) = call(
        &s,
        "GET",
        "/shop/items/1",
        &[k, ("Authorization", &bearer(&unsigned))],
    )
    .await;
    assert_eq!(
        (status, reason.as_str()),
        (401, "validate-jwt:TokenSignatureInvalid")
    );
}

async fn lifetimes_claims_and_sources(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let b64 = STANDARD.encode(SECRET);
    // get-item: the token in a query parameter, two minutes of clock skew, a status and a
    // message of the policy's own.
    put_policy(
        &s,
        "/apis/shop/operations/get-item",
        &format!(
            r#"<policies><inbound><base />
                 <validate-jwt query-parameter-name="access_token" clock-skew="120" failed-validation-httpcode="403"
                     failed-validation-error-message="@(&quot;No entry for &quot; + context.Request.Method)">
                   <issuer-signing-keys><key>{b64}</key></issuer-signing-keys>
                 </validate-jwt></inbound><backend><base /></backend><outbound><base /></outbound>{ON_ERROR}</policies>"#
        ),
    )
    .await;
    let query = |token: &str| format!("/shop/items/1?access_token={token}");
    let fresh = hs256(&claims(json!({})), SECRET);
    let (status, _, seen) = call(&s, "GET", &query(&fresh), &[k]).await;
    assert_eq!(status, 200, "{seen}");
    assert!(
        seen["query"].as_str().unwrap().starts_with("access_token="),
        "{seen}"
    );
    let lately = hs256(&claims(json!({"exp": now() - 60})), SECRET);
    let (status, _, _) = call(&s, "GET", &query(&lately), &[k]).await;
    assert_eq!(status, 200, "within the clock skew");
    let long_ago = hs256(&claims(json!({"exp": now() - 300})), SECRET);
    let (status, reason, body) = call(&s, "GET", &query(&long_ago), &[k]).await;
    assert_eq!(
        (status, reason.as_str()),
        (403, "validate-jwt:TokenExpired")
    );
    assert_eq!(
        body,
        json!({"statusCode": 403, "message": "No entry for GET"})
    );
    let (status, reason, _) = call(&s, "GET", "/shop/items/1", &[k]).await;
    assert_eq!(
        (status, reason.as_str()),
        (403, "validate-jwt:TokenNotPresent")
    );

    // special: required claims; no expiration required; the token from an expression.
    put_policy(
        &s,
        "/apis/shop/operations/special",
        &format!(
            r#"<policies><inbound><base />
                 <validate-jwt token-value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Token&quot;, &quot;&quot;))" require-expiration-time="false">
                   <issuer-signing-keys><key id="other">{other}</key><key id="main">{b64}</key></issuer-signing-keys>
                   <required-claims>
                     <claim name="roles" match="all"><value>read</value><value>write</value></claim>
                     <claim name="groups" match="any" separator=","><value>finance</value><value>logistics</value></claim>
                     <claim name="tenant" />
                   </required-claims>
                 </validate-jwt></inbound><backend><base /></backend><outbound><base /></outbound>{ON_ERROR}</policies>"#,
            other = STANDARD.encode(b"the other key, which signs nothing here"),
        ),
    )
    .await;
    let token = |c: Value| hs256(&c, SECRET);
    let passing =
        json!({"roles": ["read", "write", "admin"], "groups": "hr, logistics", "tenant": "t1"});
    let (status, _, seen) = call(
        &s,
        "GET",
        "/shop/items/special",
        &[k, ("X-Token", &token(passing.clone()))],
    )
    .await;
    assert_eq!(status, 200, "{seen}");
    for (claims, expected) in [
        (
            json!({"roles": ["read"], "groups": "finance", "tenant": "t1"}),
            "TokenClaimValueNotAllowed",
        ),
        (
            json!({"roles": ["read", "write"], "groups": "hr,legal", "tenant": "t1"}),
            "TokenClaimValueNotAllowed",
        ),
        (
            json!({"roles": ["read", "write"], "groups": "finance"}),
            "TokenClaimNotFound",
        ),
    ] {
        let (status, reason, body) = call(
            &s,
            "GET",
            "/shop/items/special",
            &[k, ("X-Token", &token(claims))],
        )
        .await;
        assert_eq!((status, &body), (401, &invalid(401)), "{expected}");
        assert_eq!(reason, format!("validate-jwt:{expected}"));
    }
    // A kid names the key to use.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("main".into());
    let with_kid =
        jsonwebtoken::encode(&header, &passing, &EncodingKey::from_secret(SECRET)).unwrap();
    let (status, _, _) = call(
        &s,
        "GET",
        "/shop/items/special",
        &[k, ("X-Token", &with_kid)],
    )
    .await;
    assert_eq!(status, 200);

    // add: unsigned tokens accepted when the policy says so.
    put_policy(
        &s,
        "/apis/shop/operations/add",
        &format!(
            r#"<policies><inbound><base /><validate-jwt header-name="X-Token" require-signed-tokens="false" />
               </inbound><backend><base /></backend><outbound><base /></outbound>{ON_ERROR}</policies>"#
        ),
    )
    .await;
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims(json!({})).to_string())
    );
    let (status, _, seen) = call(&s, "POST", "/shop/items", &[k, ("X-Token", &unsigned)]).await;
    assert_eq!(status, 200, "{seen}");

    // Parts Tollgate does not support yet are refused, never skipped.
    let refused = refused_policy(
        &s,
        "/apis/shop/operations/add",
        r#"<policies><inbound><base /><validate-jwt header-name="X-Token"><decryption-keys><key>AAAA</key></decryption-keys></validate-jwt>
           </inbound><backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    assert!(
        refused.contains("<decryption-keys> of <validate-jwt> is not supported"),
        "{refused}"
    );
}

/// An RSA key made with openssl: its PKCS#1 DER private key, and its modulus and exponent
/// (base64url).
fn rsa_key(dir: &std::path::Path, name: &str) -> (EncodingKey, String, String) {
    let pem = format!("{name}.pem");
    let der = format!("{name}.der");
    openssl(dir, &["genrsa", "-out", &pem, "2048"]);
    openssl(
        dir,
        &[
            "rsa",
            "-in",
            &pem,
            "-outform",
            "DER",
            "-traditional",
            "-out",
            &der,
        ],
    );
    let out = std::process::Command::new("openssl")
        .args(["rsa", "-in", &pem, "-noout", "-modulus"])
        .current_dir(dir)
        .output()
        .unwrap();
    let hex = String::from_utf8(out.stdout).unwrap();
    let hex = hex.trim().trim_start_matches("Modulus=");
    let modulus: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let private = std::fs::read(dir.join(der)).unwrap();
    (
        EncodingKey::from_rsa_der(&private),
        URL_SAFE_NO_PAD.encode(modulus),
        "AQAB".to_owned(),
    )
}

async fn rsa_keys_given_as_modulus_and_exponent(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let (private, n, e) = rsa_key(dir.path(), "rsa");
    let (stranger, ..) = rsa_key(dir.path(), "stranger");
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/apis/shop",
        &format!(
            r#"<policies><inbound><base />
                 <validate-jwt header-name="Authorization">
                   <issuer-signing-keys><key n="{n}" e="{e}" /></issuer-signing-keys>
                 </validate-jwt></inbound><backend><base /></backend><outbound><base /></outbound>{ON_ERROR}</policies>"#
        ),
    )
    .await;
    let auth = |token: String| format!("Bearer {token}");
    for alg in [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
    ] {
        let token = auth(signed(alg, "", &claims(json!({})), &private));
        let (status, _, seen) =
            call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &token)]).await;
        assert_eq!(status, 200, "{alg:?}: {seen}");
    }
    let token = auth(signed(Algorithm::RS256, "", &claims(json!({})), &stranger));
    let (status, reason, _) =
        call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &token)]).await;
    assert_eq!(
        (status, reason.as_str()),
        (401, "validate-jwt:TokenSignatureInvalid")
    );
    // The RSA key's public parts used as an HMAC secret do not verify anything.
    let confused = auth(hs256(&claims(json!({})), n.as_bytes()));
    let (status, _, _) = call(
        &s,
        "GET",
        "/shop/items/1",
        &[k, ("Authorization", &confused)],
    )
    .await;
    assert_eq!(status, 401);
}

/// `<key certificate-id>`: the public key of an uploaded certificate (RSA and EC) verifies the
/// tokens its private key signed.
async fn uploaded_certificates_verify_tokens(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let rsa = crate::pfx::make(&crate::pfx::Spec::new("rsa-signer"));
    let ec = crate::pfx::make(&crate::pfx::Spec {
        key: crate::pfx::Key::Ec,
        ..crate::pfx::Spec::new("ec-signer")
    });
    for (id, file) in [("rsa-signer", &rsa), ("ec-signer", &ec)] {
        let body = json!({"data": file.data(), "password": "pw"});
        let r = s.put(&format!("/certificates/{id}?{V17}"), &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    put_policy(
        &s,
        "/apis/shop",
        &format!(
            r#"<policies><inbound><base />
                 <validate-jwt header-name="Authorization">
                   <issuer-signing-keys><key certificate-id="rsa-signer" /><key certificate-id="EC-Signer" /></issuer-signing-keys>
                 </validate-jwt></inbound><backend><base /></backend><outbound><base /></outbound>{ON_ERROR}</policies>"#
        ),
    )
    .await;
    let auth = |token: String| format!("Bearer {token}");
    // The RSA key as PKCS#1 DER (what jsonwebtoken signs with); the EC key as PKCS#8 DER.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("signer.pem"), &rsa.key_pem).unwrap();
    openssl(
        dir.path(),
        &[
            "rsa",
            "-in",
            "signer.pem",
            "-traditional",
            "-outform",
            "DER",
            "-out",
            "signer.der",
        ],
    );
    let rsa_signer =
        EncodingKey::from_rsa_der(&std::fs::read(dir.path().join("signer.der")).unwrap());
    let ec_key = EncodingKey::from_ec_der(&ec.key_der);
    for (alg, signer) in [
        (Algorithm::RS256, &rsa_signer),
        (Algorithm::PS384, &rsa_signer),
        (Algorithm::ES256, &ec_key),
    ] {
        let token = auth(signed(alg, "", &claims(json!({})), signer));
        let (status, _, seen) =
            call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &token)]).await;
        assert_eq!(status, 200, "{alg:?}: {seen}");
    }
    let (stranger, ..) = rsa_key(dir.path(), "stranger");
    let token = auth(signed(Algorithm::RS256, "", &claims(json!({})), &stranger));
    let (status, reason, _) =
        call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &token)]).await;
    assert_eq!(
        (status, reason.as_str()),
        (401, "validate-jwt:TokenSignatureInvalid")
    );

    // An id that names no certificate is a policy error, seen by on-error.
    put_policy(
        &s,
        "/apis/shop",
        &format!(
            r#"<policies><inbound><base />
                 <validate-jwt header-name="Authorization"><issuer-signing-keys><key certificate-id="gone" /></issuer-signing-keys></validate-jwt>
               </inbound><backend><base /></backend><outbound><base /></outbound>{ON_ERROR}</policies>"#
        ),
    )
    .await;
    let token = auth(signed(
        Algorithm::RS256,
        "",
        &claims(json!({})),
        &rsa_signer,
    ));
    let (status, reason, _) =
        call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &token)]).await;
    assert_eq!(reason, "validate-jwt:CertificateNotFound", "{status}");
}

/// An OpenID provider on an ephemeral port: `/.well-known/openid-configuration` and `/jwks`
/// (an RSA and an EC key), counting the requests each gets. `/broken/…` answers 500.
async fn provider(jwks: Value) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (configs, sets) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let config =
        json!({"issuer": "https://login.example/tenant/v2.0", "jwks_uri": format!("{base}/jwks")});
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get({
                let counter = configs.clone();
                move || async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    axum::Json(config)
                }
            }),
        )
        .route(
            "/jwks",
            axum::routing::get({
                let counter = sets.clone();
                move || async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    axum::Json(jwks)
                }
            }),
        )
        .route(
            "/broken/.well-known/openid-configuration",
            axum::routing::get(|| async {
                (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "down")
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, configs, sets)
}

/// The OpenID configuration's keys are fetched on the first call and kept (counted at the
/// provider); its issuer is required. One engine: the keys live in the gateway's memory, and
/// nothing of this path touches the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_configuration_keys_are_fetched_once_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (rsa, n, e) = rsa_key(dir.path(), "rsa");
    openssl(
        dir.path(),
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ec.pem",
        ],
    );
    openssl(
        dir.path(),
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "ec.pem", "-outform", "DER", "-out", "ec.der",
        ],
    );
    openssl(
        dir.path(),
        &[
            "ec",
            "-in",
            "ec.pem",
            "-pubout",
            "-outform",
            "DER",
            "-out",
            "ecpub.der",
        ],
    );
    let ec = EncodingKey::from_ec_der(&std::fs::read(dir.path().join("ec.der")).unwrap());
    let public = std::fs::read(dir.path().join("ecpub.der")).unwrap();
    let point = &public[public.len() - 64..];
    let (x, y) = (
        URL_SAFE_NO_PAD.encode(&point[..32]),
        URL_SAFE_NO_PAD.encode(&point[32..]),
    );
    let jwks = json!({"keys": [
        {"kty": "RSA", "use": "sig", "kid": "rsa-1", "n": n, "e": e},
        {"kty": "EC", "use": "sig", "kid": "ec-1", "crv": "P-256", "x": x, "y": y},
        {"kty": "oct", "kid": "shared", "k": URL_SAFE_NO_PAD.encode(SECRET)},
    ]});
    let (idp, configs, sets) = provider(jwks).await;

    let s = Server::start(Engine::Sqlite).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/apis/shop",
        &format!(
            r#"<policies><inbound><base />
                 <validate-jwt header-name="Authorization" failed-validation-httpcode="401">
                   <openid-config url="{idp}/.well-known/openid-configuration" />
                   <audiences><audience>api://shop</audience></audiences>
                 </validate-jwt></inbound><backend><base /></backend><outbound><base /></outbound>{ON_ERROR}</policies>"#
        ),
    )
    .await;
    put_policy(
        &s,
        "/apis/shop/operations/add",
        &format!(
            r#"<policies><inbound><validate-jwt header-name="Authorization"><openid-config url="{idp}/broken/.well-known/openid-configuration" /></validate-jwt>
               </inbound><backend><base /></backend><outbound><base /></outbound>{ON_ERROR}</policies>"#
        ),
    )
    .await;
    assert_eq!(
        configs.load(Ordering::SeqCst),
        0,
        "nothing is fetched when policies are stored"
    );

    let issued = claims(json!({"iss": "https://login.example/tenant/v2.0"}));
    let auth = |token: String| format!("Bearer {token}");
    for token in [
        signed(Algorithm::RS256, "rsa-1", &issued, &rsa),
        signed(Algorithm::ES256, "ec-1", &issued, &ec),
        signed(Algorithm::RS256, "rsa-1", &issued, &rsa),
    ] {
        let (status, reason, seen) = call(
            &s,
            "GET",
            "/shop/items/1",
            &[k, ("Authorization", &auth(token))],
        )
        .await;
        assert_eq!(status, 200, "{reason} {seen}");
    }
    assert_eq!(
        (configs.load(Ordering::SeqCst), sets.load(Ordering::SeqCst)),
        (1, 1),
        "fetched once"
    );

    // The configuration's issuer is the one accepted.
    let token = auth(signed(Algorithm::RS256, "rsa-1", &claims(json!({})), &rsa));
    let (status, reason, _) =
        call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &token)]).await;
    assert_eq!(
        (status, reason.as_str()),
        (401, "validate-jwt:TokenIssuerNotAllowed")
    );
    // A symmetric key published in a key set is not used.
    let token = auth(hs256(&issued, SECRET));
    let (status, _, _) = call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &token)]).await;
    assert_eq!(status, 401);
    // A kid the keys do not have: refused; the keys were fetched less than a minute ago, so
    // they are not fetched again.
    let token = auth(signed(Algorithm::RS256, "rsa-9", &issued, &rsa));
    let (status, reason, _) =
        call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &token)]).await;
    assert_eq!(
        status, 200,
        "a key without that kid still verifies it: {reason}"
    );
    let (stranger, ..) = rsa_key(dir.path(), "stranger");
    let token = auth(signed(Algorithm::RS256, "rsa-9", &issued, &stranger));
    let (status, reason, _) =
        call(&s, "GET", "/shop/items/1", &[k, ("Authorization", &token)]).await;
    assert_eq!(
        (status, reason.as_str()),
        (401, "validate-jwt:TokenSignatureKeyNotFound")
    );
    assert_eq!(
        (configs.load(Ordering::SeqCst), sets.load(Ordering::SeqCst)),
        (1, 1)
    );

    // A configuration that cannot be fetched: the call fails validation.
    let token = auth(signed(Algorithm::RS256, "rsa-1", &issued, &rsa));
    let (status, reason, body) =
        call(&s, "POST", "/shop/items", &[k, ("Authorization", &token)]).await;
    assert_eq!(
        (status, reason.as_str()),
        (401, "validate-jwt:TokenSignatureKeyNotFound")
    );
    assert_eq!(body, invalid(401));
}
