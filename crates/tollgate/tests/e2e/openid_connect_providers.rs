//! OpenID Connect providers (REFERENCE §16.4).

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(crud_and_validation);

async fn crud_and_validation(engine: Engine) {
    let s = Server::start(engine).await;
    let path = format!("/openidConnectProviders/op1?{V17}");
    let body = json!({"name": "contoso", "metadataEndpoint": "https://login.contoso.com/.well-known/openid-configuration",
        "clientId": "console", "clientSecret": "s"});
    let created = s.put(&path, &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let mut expected = body.clone();
    expected["id"] = json!("/openidConnectProviders/op1");
    assert_eq!(s.get(&path).await.json(), expected);
    let refused = s
        .put(
            &format!("/openidConnectProviders/op2?{V17}"),
            &json!({"name": "x", "metadataEndpoint": "contoso", "clientId": "c"}),
        )
        .await;
    assert_eq!(
        (refused.status, refused.error_targets()),
        (400, vec!["metadataEndpoint".to_owned()])
    );
    let missing = s
        .put(
            &format!("/openidConnectProviders/op2?{V17}"),
            &json!({"description": "d"}),
        )
        .await;
    assert_eq!(
        missing.error_targets(),
        ["name", "metadataEndpoint", "clientId"]
    );
    assert_eq!(
        s.get("/openidConnectProviders?api-version=2015-09-15")
            .await
            .status,
        404
    );
    let filtered = s
        .get(&format!(
            "/openidConnectProviders?{V17}&$filter=name eq 'contoso'"
        ))
        .await
        .json();
    assert_eq!(filtered["count"], 1);

    let etag = s.get(&path).await.etag();
    let patched = s
        .patch(
            &path,
            &json!({"clientSecret": null, "description": "Contoso sign-in"}),
            &etag,
        )
        .await;
    assert_eq!(patched.status, 204, "{}", patched.text);
    let now = s.get(&path).await.json();
    assert!(now.get("clientSecret").is_none(), "{now}");
    assert_eq!(now["description"], "Contoso sign-in");
    let stale = s.delete(&path, &etag).await;
    assert_eq!(stale.status, 412);
    let etag = s.get(&path).await.etag();
    assert_eq!(s.delete(&path, &etag).await.status, 204);
    assert_eq!(s.get(&path).await.status, 404);
}
