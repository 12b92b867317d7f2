//! Identity providers (REFERENCE §16.3): addressed by type, spelled the contract's way.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(providers_are_addressed_by_type);

async fn providers_are_addressed_by_type(engine: Engine) {
    let s = Server::start(engine).await;
    let body = json!({"clientId": "app", "clientSecret": "secret"});
    let created = s
        .put(&format!("/identityProviders/facebook?{V17}"), &body)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.json(),
        json!({"id": "/identityProviders/Facebook", "clientId": "app", "clientSecret": "secret", "type": "facebook"})
    );
    let again = s
        .put(&format!("/identityProviders/FACEBOOK?{V17}"), &body)
        .await;
    assert_eq!(
        (again.status, &again.json()["id"]),
        (200, &json!("/identityProviders/Facebook"))
    );
    let unknown = s
        .put(&format!("/identityProviders/github?{V17}"), &body)
        .await;
    assert_eq!(
        (unknown.status, unknown.error_targets()),
        (400, vec!["identityProviderName".to_owned()])
    );
    let mismatch = json!({"type": "google", "clientId": "a", "clientSecret": "b"});
    let refused = s
        .put(&format!("/identityProviders/twitter?{V17}"), &mismatch)
        .await;
    assert_eq!(
        (refused.status, refused.error_targets()),
        (400, vec!["type".to_owned()])
    );

    let b2c = json!({"clientId": "a", "clientSecret": "b", "allowedTenants": ["contoso.onmicrosoft.com"],
        "signinPolicyName": "B2C_1_signin"});
    let too_old = s
        .put("/identityProviders/aadB2C?api-version=2016-10-10", &b2c)
        .await;
    assert_eq!(too_old.status, 400);
    let created = s
        .put(&format!("/identityProviders/aadb2c?{V17}"), &b2c)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        (&created.json()["id"], &created.json()["signinPolicyName"]),
        (&json!("/identityProviders/AadB2C"), &json!("B2C_1_signin"))
    );
    let not_b2c = s.put(&format!("/identityProviders/aad?{V17}"), &b2c).await;
    assert_eq!(
        (not_b2c.status, not_b2c.error_targets()),
        (400, vec!["signinPolicyName".to_owned()])
    );

    let list = s.get(&format!("/identityProviders?{V17}")).await.json();
    assert_eq!(list["count"], 2);
    assert_eq!(
        s.get("/identityProviders?api-version=2015-09-15")
            .await
            .status,
        404
    );
    let legacy = s
        .get("/identityProviders/facebook?api-version=2016-07-07")
        .await;
    assert_eq!(
        (legacy.status, &legacy.json()["clientId"]),
        (200, &json!("app"))
    );

    let path = format!("/identityProviders/facebook?{V17}");
    let etag = s.get(&path).await.etag();
    let changed = s.patch(&path, &json!({"type": "google"}), &etag).await;
    assert_eq!(
        (changed.status, changed.error_targets()),
        (400, vec!["type".to_owned()])
    );
    assert_eq!(
        s.patch(&path, &json!({"clientSecret": "new"}), &etag)
            .await
            .status,
        204
    );
    assert_eq!(s.get(&path).await.json()["clientSecret"], "new");
    let etag = s.get(&path).await.etag();
    assert_eq!(s.delete(&path, &etag).await.status, 204);
    assert_eq!(s.get(&path).await.status, 404);
}
