//! Developer-portal settings (REFERENCE §16.5): three singletons.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(settings_are_read_replaced_and_changed);

async fn settings_are_read_replaced_and_changed(engine: Engine) {
    let s = Server::start(engine).await;
    let signin = format!("/portalsettings/signin?{V17}");
    let first = s.get(&signin).await;
    assert_eq!(
        (first.status, first.json()),
        (200, json!({"enabled": false}))
    );
    assert_eq!(
        s.get("/portalsettings/signin?api-version=2016-10-10")
            .await
            .status,
        404
    );
    let put = s.put(&signin, &json!({"enabled": true})).await;
    assert_eq!((put.status, put.text.as_str()), (204, ""));
    assert_ne!(put.etag(), first.etag());
    assert_eq!(s.get(&signin).await.json(), json!({"enabled": true}));
    let stale = s
        .patch(&signin, &json!({"enabled": false}), &first.etag())
        .await;
    assert_eq!(stale.status, 412);
    let no_etag = s.patch(&signin, &json!({"enabled": false}), "").await;
    assert_eq!(
        (no_etag.status, no_etag.error_targets()),
        (400, vec!["If-Match".to_owned()])
    );

    let signup = format!("/portalsettings/signup?{V17}");
    assert_eq!(s.get(&signup).await.json()["enabled"], true);
    let terms = json!({"enabled": true, "termsOfService": {"enabled": true, "text": "Be nice.", "consentRequired": true}});
    assert_eq!(s.put(&signup, &terms).await.status, 204);
    assert_eq!(s.get(&signup).await.json(), terms);
    let etag = s.get(&signup).await.etag();
    assert_eq!(
        s.patch(&signup, &json!({"enabled": false}), &etag)
            .await
            .status,
        204
    );
    let now = s.get(&signup).await.json();
    assert_eq!(
        (&now["enabled"], &now["termsOfService"]),
        (&json!(false), &terms["termsOfService"])
    );
    let no_text = s
        .put(&signup, &json!({"termsOfService": {"enabled": true}}))
        .await;
    assert_eq!(
        (no_text.status, no_text.error_targets()),
        (400, vec!["termsOfService.text".to_owned()])
    );

    let delegation = format!("/portalsettings/delegation?{V17}");
    let refused = s
        .put(&delegation, &json!({"subscriptions": {"enabled": true}}))
        .await;
    assert_eq!(
        (refused.status, refused.error_targets()),
        (400, vec!["url".to_owned(), "validationKey".to_owned()])
    );
    let on = json!({"url": "https://contoso.com/delegate", "validationKey": "c2VjcmV0LWtleQ==",
        "subscriptions": {"enabled": true}, "userRegistration": {"enabled": false}});
    assert_eq!(s.put(&delegation, &on).await.status, 204);
    assert_eq!(s.get(&delegation).await.json(), on);
    let unknown = s.put(&delegation, &json!({"callback": "x"})).await;
    assert_eq!(
        (unknown.status, unknown.error_targets()),
        (400, vec!["callback".to_owned()])
    );
    assert_eq!(
        s.get(&delegation).await.json(),
        on,
        "a refused write changes nothing"
    );
}
