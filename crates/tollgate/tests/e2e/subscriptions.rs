//! Subscriptions (REFERENCE §6): references, states, keys, limits, and deletion rules.

use crate::common::{Engine, Server, V17};
use crate::integrity::orphans;
use crate::on_both_engines;
use serde_json::json;
use tollgate_store::Key;
use tollgate_store::Store;
use tollgate_store::testing::dump;

on_both_engines!(
    subscriptions_states_and_keys,
    limits_and_approval,
    deleting_owners_needs_the_flag,
    indexes_are_built_for_older_stores
);

async fn setup(s: &Server, product: serde_json::Value) {
    let user = json!({"email": "ann@contoso.com", "firstName": "Ann", "lastName": "Lee"});
    assert_eq!(s.put(&format!("/users/ann?{V17}"), &user).await.status, 201);
    assert_eq!(
        s.put(&format!("/products/starter?{V17}"), &product)
            .await
            .status,
        201
    );
}

fn is_key(value: &serde_json::Value) -> bool {
    value.as_str().is_some_and(|k| {
        k.len() == 32
            && k.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

async fn subscriptions_states_and_keys(engine: Engine) {
    let s = Server::start(engine).await;
    setup(&s, json!({"name": "Starter"})).await;
    let body = json!({"userId": "/users/ann", "productId": "/products/starter", "name": "Ann's"});
    let created = s.put(&format!("/subscriptions/s1?{V17}"), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let sub = created.json();
    assert_eq!(
        (
            sub["state"].clone(),
            sub["userId"].clone(),
            sub["productId"].clone()
        ),
        (
            json!("submitted"),
            json!("/users/ann"),
            json!("/products/starter")
        )
    );
    assert!(
        is_key(&sub["primaryKey"])
            && is_key(&sub["secondaryKey"])
            && sub["primaryKey"] != sub["secondaryKey"],
        "{sub}"
    );
    for (body, target) in [
        (
            json!({"userId": "/users/nobody", "productId": "/products/starter"}),
            "userId",
        ),
        (
            json!({"userId": "/users/ann", "productId": "/products/none"}),
            "productId",
        ),
        (json!({"productId": "/products/starter"}), "userId"),
    ] {
        assert_eq!(
            s.put(&format!("/subscriptions/bad?{V17}"), &body)
                .await
                .error_targets(),
            [target],
            "{body}"
        );
    }
    // submitted → active stamps startDate; active → submitted is not a transition.
    assert_eq!(
        s.patch(
            &format!("/subscriptions/s1?{V17}"),
            &json!({"state": "active"}),
            "*"
        )
        .await
        .status,
        204
    );
    let active = s.get(&format!("/subscriptions/s1?{V17}")).await.json();
    assert!(
        active["startDate"]
            .as_str()
            .unwrap()
            .ends_with("T00:00:00Z")
    );
    let r = s
        .patch(
            &format!("/subscriptions/s1?{V17}"),
            &json!({"state": "submitted"}),
            "*",
        )
        .await;
    assert_eq!(r.error_targets(), ["state"]);
    // Regenerating changes the key.
    assert_eq!(
        s.send(
            "POST",
            &format!("/subscriptions/s1/regeneratePrimaryKey?{V17}"),
            None,
            &[]
        )
        .await
        .status,
        204
    );
    let after = s.get(&format!("/subscriptions/s1?{V17}")).await.json();
    assert!(
        is_key(&after["primaryKey"])
            && after["primaryKey"] != active["primaryKey"]
            && after["secondaryKey"] == active["secondaryKey"]
    );
    // A key used by another subscription is refused.
    let dup = json!({"userId": "/users/ann", "productId": "/products/starter", "primaryKey": after["secondaryKey"]});
    let r = s.put(&format!("/subscriptions/s2?{V17}"), &dup).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "KeyAlreadyInUse")
    );
    // Cancelled: endDate, and no more key regeneration.
    assert_eq!(
        s.patch(
            &format!("/subscriptions/s1?{V17}"),
            &json!({"state": "cancelled"}),
            "*"
        )
        .await
        .status,
        204
    );
    assert!(s.get(&format!("/subscriptions/s1?{V17}")).await.json()["endDate"].is_string());
    let r = s
        .send(
            "POST",
            &format!("/subscriptions/s1/regenerateSecondaryKey?{V17}"),
            None,
            &[],
        )
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (409, "StateConflict"));
    let head = s
        .send(
            "HEAD",
            "/subscriptions/s1?api-version=2016-10-10",
            None,
            &[],
        )
        .await;
    assert_eq!((head.status, head.text.as_str()), (200, ""));
    assert!(head.headers.contains_key("etag"));
    // Lists and filters.
    assert_eq!(
        s.get(&format!("/products/starter/subscriptions?{V17}"))
            .await
            .json()["count"],
        1
    );
    assert_eq!(
        s.get(&format!("/users/ann/subscriptions?{V17}"))
            .await
            .json()["count"],
        1
    );
    let filtered = s.get(&format!("/subscriptions?{V17}&$filter=state%20eq%20%27cancelled%27%20and%20userId%20eq%20%27/users/ann%27")).await.json();
    assert_eq!(filtered["count"], 1);
}

async fn limits_and_approval(engine: Engine) {
    let s = Server::start(engine).await;
    setup(
        &s,
        json!({"name": "Starter", "subscriptionsLimit": 1, "approvalRequired": true}),
    )
    .await;
    let body = json!({"userId": "/users/ann", "productId": "/products/starter"});
    // A legacy call creates active subscriptions, except for products that need approval.
    let legacy = s
        .send(
            "PUT",
            "/subscriptions/a?api-version=2016-10-10",
            Some(&body.to_string()),
            &[],
        )
        .await;
    assert_eq!(legacy.status, 201);
    assert_eq!(
        s.get(&format!("/subscriptions/a?{V17}")).await.json()["state"],
        "submitted"
    );
    let r = s.put(&format!("/subscriptions/b?{V17}"), &body).await;
    assert_eq!((r.status, r.error_code().as_str()), (409, "LimitReached"));
    assert!(r.text.contains("subscriptionsLimit"), "{}", r.text);
    assert_eq!(
        s.patch(
            &format!("/subscriptions/a?{V17}"),
            &json!({"state": "cancelled"}),
            "*"
        )
        .await
        .status,
        204
    );
    assert_eq!(
        s.put(&format!("/subscriptions/b?{V17}"), &body)
            .await
            .status,
        201,
        "a cancelled subscription no longer counts"
    );
}

async fn deleting_owners_needs_the_flag(engine: Engine) {
    let s = Server::start(engine).await;
    setup(&s, json!({"name": "Starter"})).await;
    let body = json!({"userId": "/users/ann", "productId": "/products/starter", "state": "active"});
    assert_eq!(
        s.put(&format!("/subscriptions/s1?{V17}"), &body)
            .await
            .status,
        201
    );
    let r = s.delete(&format!("/products/starter?{V17}"), "*").await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["deleteSubscriptions".to_owned()])
    );
    let r = s.delete(&format!("/users/ann?{V17}"), "*").await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["deleteSubscriptions".to_owned()])
    );
    let r = s
        .send(
            "DELETE",
            &format!("/users/ann?{V17}&deleteSubscriptions=true"),
            None,
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        s.get(&format!("/subscriptions/s1?{V17}")).await.status,
        404,
        "the user's subscriptions went with them"
    );
    assert_eq!(
        s.delete(&format!("/products/starter?{V17}"), "*")
            .await
            .status,
        204,
        "no subscriptions left"
    );
}

/// A store written before the subscription and email indexes existed gets them built once, at
/// start.
async fn indexes_are_built_for_older_stores(engine: Engine) {
    let mut s = Server::start(engine).await;
    setup(&s, json!({"name": "Starter", "state": "published"})).await;
    let body = json!({"userId": "/users/ann", "productId": "/products/starter", "name": "old",
        "primaryKey": "older-store-primary-key-0001", "secondaryKey": "older-store-secondary-key-1"});
    assert_eq!(
        s.put(&format!("/subscriptions/old?{V17}"), &body)
            .await
            .status,
        201
    );
    assert!(s.terminate());

    // Make it an older store: no index rows, no feature markers.
    let store = tollgate_store::open(&s.database_url).await.unwrap();
    let mut tx = store.begin("default").await.unwrap();
    let indexes = [
        ("subscriptionKey", ""),
        ("userSubscription", "users/ann"),
        ("userEmail", ""),
    ];
    for (kind, parent) in indexes {
        for record in tx.list(kind, parent).await.unwrap() {
            assert!(
                tx.delete(Key {
                    kind,
                    parent,
                    id: &record.id
                })
                .await
                .unwrap()
            );
        }
    }
    for feature in tx.list("storeFeature", "").await.unwrap() {
        assert!(
            tx.delete(Key::top("storeFeature", &feature.id))
                .await
                .unwrap()
        );
    }
    tx.commit().await.unwrap();
    store.close().await;
    let unindexed = orphans(&dump(&s.database_url, "default").await);
    assert_eq!(
        unindexed.len(),
        3,
        "the subscription, ann and the administrator: {unindexed:?}"
    );

    s.spawn();
    let rows = dump(&s.database_url, "default").await;
    assert_eq!(orphans(&rows), Vec::<String>::new());
    assert!(rows.iter().any(|r| r.kind == "storeFeature"));
    // The rebuilt indexes are the ones writes rely on.
    let same_key = json!({"userId": "/users/ann", "productId": "/products/starter",
        "name": "new", "primaryKey": "older-store-primary-key-0001"});
    let refused = s.put(&format!("/subscriptions/new?{V17}"), &same_key).await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (409, "KeyAlreadyInUse")
    );
    let same_email = json!({"email": "ANN@contoso.com", "firstName": "A", "lastName": "B"});
    let taken = s.put(&format!("/users/other?{V17}"), &same_email).await;
    assert_eq!(
        (taken.status, taken.error_code().as_str()),
        (409, "NameAlreadyInUse")
    );
    let etag = s.get(&format!("/users/ann?{V17}")).await.etag();
    let kept = s.delete(&format!("/users/ann?{V17}"), &etag).await;
    assert_eq!(kept.status, 400, "{}", kept.text);
}
