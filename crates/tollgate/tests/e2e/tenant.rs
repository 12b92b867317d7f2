//! `/tenant/access/git` (REFERENCE §14.3), and the start-up additions an older store receives.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;
use tollgate_store::Key;
use tollgate_store::Store;

on_both_engines!(git_access_keys, older_stores_get_what_new_ones_have);

async fn git_access_keys(engine: Engine) {
    let s = Server::start(engine).await;
    let path = format!("/tenant/access/git?{V17}");
    let first = s.get(&path).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let git = first.json();
    assert_eq!(
        (&git["id"], &git["enabled"]),
        (&json!("git"), &json!(false))
    );
    let management = s.get(&format!("/tenant/access?{V17}")).await.json();
    assert_ne!(git["primaryKey"], management["primaryKey"]);
    assert_eq!(
        s.send(
            "HEAD",
            "/tenant/access/git?api-version=2014-02-14",
            None,
            &[]
        )
        .await
        .status,
        200
    );

    let regenerated = s
        .send(
            "POST",
            &format!("/tenant/access/git/regeneratePrimaryKey?{V17}"),
            None,
            &[],
        )
        .await;
    assert_eq!(regenerated.status, 204);
    let now = s.get(&path).await.json();
    assert_ne!(now["primaryKey"], git["primaryKey"]);
    assert_eq!(now["secondaryKey"], git["secondaryKey"]);
    assert_eq!(
        s.send(
            "POST",
            &format!("/tenant/access/git/regenerateSecondaryKey?{V17}"),
            None,
            &[]
        )
        .await
        .status,
        204
    );
    assert_ne!(
        s.get(&path).await.json()["secondaryKey"],
        git["secondaryKey"]
    );
    // The management keys, which sign this test's token, are untouched.
    assert_eq!(
        s.get(&format!("/tenant/access?{V17}")).await.json(),
        management
    );

    let etag = s.get(&path).await.etag();
    assert_eq!(
        s.patch(&path, &json!({"enabled": true}), &etag)
            .await
            .status,
        204
    );
    assert_eq!(s.get(&path).await.json()["enabled"], true);
    assert_eq!(
        s.patch(&path, &json!({"enabled": false}), &etag)
            .await
            .status,
        412
    );
}

async fn older_stores_get_what_new_ones_have(engine: Engine) {
    let mut s = Server::start(engine).await;
    assert!(s.terminate(), "{}", s.log());
    // Remove what the bootstrap adds at every start to a store that lacks it.
    let store = tollgate_store::open(&s.database_url).await.unwrap();
    let mut tx = store.begin("default").await.unwrap();
    for kind in ["emailTemplate", "portalSetting", "storeFeature"] {
        for record in tx.list(kind, "").await.unwrap() {
            tx.delete(Key::top(kind, &record.id)).await.unwrap();
        }
    }
    tx.delete(Key::top("tenantAccess", "git")).await.unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    s.spawn();
    assert_eq!(
        s.get(&format!("/templates?{V17}")).await.json()["count"],
        14
    );
    assert_eq!(
        s.get(&format!("/portalsettings/signup?{V17}")).await.status,
        200
    );
    assert_eq!(
        s.get(&format!("/tenant/access/git?{V17}")).await.status,
        200
    );
    // A second start finds everything and writes nothing.
    let revision = s.get(&format!("/portalsettings/signin?{V17}")).await.etag();
    assert!(s.terminate());
    s.spawn();
    assert_eq!(
        s.get(&format!("/portalsettings/signin?{V17}")).await.etag(),
        revision
    );
}
