//! User tokens (`POST /users/{uid}/token`) and sign-on URLs (`POST /users/{uid}/generateSsoUrl`):
//! issued, accepted where Tollgate accepts them, and refused when forged, expired, of the other
//! kind, or for a blocked user.

use crate::common::{Engine, KEY, Server, V17, signature};
use crate::on_both_engines;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use serde_json::json;

on_both_engines!(user_tokens_read_only_their_user, sign_on_urls);

/// A compact token made independently of Tollgate, by the algorithm docs/COMPATIBILITY.md states.
fn compact(uid: &str, purpose: &str, minute: chrono::DateTime<Utc>) -> String {
    let mut mac = Hmac::<sha2::Sha512>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(format!("tollgate/{purpose}").as_bytes());
    let derived = BASE64.encode(mac.finalize().into_bytes());
    let expiry = format!("{}.0000000Z", minute.format("%Y-%m-%dT%H:%M:00"));
    format!(
        "{uid}&{}&{}",
        minute.format("%Y%m%d%H%M"),
        signature(uid, &expiry, &derived)
    )
}

async fn add_user(s: &Server, id: &str) {
    let body = json!({"email": format!("{id}@contoso.com"), "firstName": id, "lastName": id});
    assert_eq!(
        s.put(&format!("/users/{id}?{V17}"), &body).await.status,
        201
    );
}

async fn read_as(s: &Server, token: &str, path: &str) -> u16 {
    let header = format!("SharedAccessSignature {token}");
    s.send("GET", path, None, &[("Authorization", &header)])
        .await
        .status
}

async fn user_tokens_read_only_their_user(engine: Engine) {
    let s = Server::start(engine).await;
    add_user(&s, "ann").await;
    add_user(&s, "bob").await;
    let expiry = (Utc::now() + Duration::days(1)).to_rfc3339();
    let issued = s
        .send(
            "POST",
            &format!("/users/ann/token?{V17}"),
            Some(&json!({"keyType": "primary", "expiry": expiry}).to_string()),
            &[],
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.text);
    let token = issued.json()["value"].as_str().unwrap().to_owned();
    let parts: Vec<&str> = token.split('&').collect();
    assert_eq!((parts[0], parts[1].len()), ("ann", 12), "{token}");
    // Accepted for reads of the user's own resources, and nowhere else.
    assert_eq!(read_as(&s, &token, &format!("/users/ann?{V17}")).await, 200);
    assert_eq!(
        read_as(&s, &token, &format!("/users/ann/subscriptions?{V17}")).await,
        200
    );
    for other in ["/users/bob", "/users/1", "/products", "/tenant/access"] {
        assert_eq!(
            read_as(&s, &token, &format!("{other}?{V17}")).await,
            401,
            "{other}"
        );
    }
    let header = format!("SharedAccessSignature {token}");
    let write = s
        .send(
            "PATCH",
            &format!("/users/ann?{V17}"),
            Some(r#"{"note":"x"}"#),
            &[("Authorization", &header), ("If-Match", "*")],
        )
        .await;
    assert_eq!(write.status, 401);
    // The test's own signature agrees with Tollgate's; forged and expired ones are refused.
    let minute = chrono::DateTime::parse_from_rfc3339(&expiry)
        .unwrap()
        .to_utc();
    assert_eq!(compact("ann", "user-token", minute), token);
    let forged = format!("{}&{}&{}", "bob", parts[1], parts[2]);
    assert_eq!(
        read_as(&s, &forged, &format!("/users/bob?{V17}")).await,
        401
    );
    let mut tampered = token.clone();
    tampered.replace_range(tampered.len() - 6..tampered.len() - 4, "AA");
    assert_eq!(
        read_as(&s, &tampered, &format!("/users/ann?{V17}")).await,
        401
    );
    let expired = compact("ann", "user-token", Utc::now() - Duration::minutes(2));
    let r = s
        .send(
            "GET",
            &format!("/users/ann?{V17}"),
            None,
            &[("Authorization", &format!("SharedAccessSignature {expired}"))],
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r.text.contains("expired"), "{}", r.text);
    // A sign-on token is not a user token.
    let sign_on = compact("ann", "sign-on", Utc::now() + Duration::minutes(5));
    assert_eq!(
        read_as(&s, &sign_on, &format!("/users/ann?{V17}")).await,
        401
    );
    // Bad requests.
    for (body, target) in [
        (json!({"keyType": "primary"}), "expiry"),
        (json!({"keyType": "tertiary", "expiry": expiry}), "keyType"),
        (
            json!({"keyType": "primary", "expiry": (Utc::now() + Duration::days(31)).to_rfc3339()}),
            "expiry",
        ),
        (
            json!({"keyType": "primary", "expiry": (Utc::now() - Duration::days(1)).to_rfc3339()}),
            "expiry",
        ),
    ] {
        let r = s
            .send(
                "POST",
                &format!("/users/ann/token?{V17}"),
                Some(&body.to_string()),
                &[],
            )
            .await;
        assert_eq!(r.error_targets(), [target], "{body}");
    }
    let missing = s
        .send(
            "POST",
            &format!("/users/nobody/token?{V17}"),
            Some(&json!({"keyType": "primary", "expiry": expiry}).to_string()),
            &[],
        )
        .await;
    assert_eq!(missing.status, 404);
    // Blocking the user, or regenerating the key that signed the token, ends it.
    let blocked = s
        .patch(
            &format!("/users/ann?{V17}"),
            &json!({"state": "blocked"}),
            "*",
        )
        .await;
    assert_eq!(blocked.status, 204);
    assert_eq!(read_as(&s, &token, &format!("/users/ann?{V17}")).await, 401);
    s.patch(
        &format!("/users/ann?{V17}"),
        &json!({"state": "active"}),
        "*",
    )
    .await;
    assert_eq!(read_as(&s, &token, &format!("/users/ann?{V17}")).await, 200);
    let regenerated = s
        .send(
            "POST",
            &format!("/tenant/access/regeneratePrimaryKey?{V17}"),
            None,
            &[],
        )
        .await;
    assert_eq!(regenerated.status, 204);
    assert_eq!(read_as(&s, &token, &format!("/users/ann?{V17}")).await, 401);
}

async fn sign_in(s: &Server, token: String) -> u16 {
    let query = format!("token={}", token.replace('&', "%26").replace('+', "%2B"));
    s.send(
        "GET",
        &format!("/signin-sso?{query}"),
        None,
        &[("Authorization", "")],
    )
    .await
    .status
}

async fn sign_on_urls(engine: Engine) {
    let s = Server::start(engine).await;
    add_user(&s, "ann").await;
    let r = s
        .send(
            "POST",
            &format!("/users/ann/generateSsoUrl?{V17}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let url = r.json()["value"].as_str().unwrap().to_owned();
    let path = url
        .strip_prefix(&s.base)
        .unwrap_or_else(|| panic!("{url} is not on {}", s.base));
    assert!(path.starts_with("/signin-sso?token=ann%26"), "{path}");
    // The link needs no other credential.
    let signed_in = s.send("GET", path, None, &[("Authorization", "")]).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    assert_eq!(signed_in.json()["userId"], "/users/ann");
    let later = Utc::now() + Duration::minutes(5);
    assert_eq!(sign_in(&s, compact("ann", "sign-on", later)).await, 200);
    assert_eq!(
        sign_in(
            &s,
            compact("ann", "sign-on", Utc::now() - Duration::minutes(2))
        )
        .await,
        401
    );
    // A user token, a forged one, or one for an unknown user does not sign in.
    assert_eq!(sign_in(&s, compact("ann", "user-token", later)).await, 401);
    let valid = compact("ann", "sign-on", later);
    assert_eq!(sign_in(&s, valid.replacen("ann", "bob", 1)).await, 401);
    assert_eq!(sign_in(&s, compact("nobody", "sign-on", later)).await, 401);
    assert_eq!(sign_in(&s, String::new()).await, 401);
}
