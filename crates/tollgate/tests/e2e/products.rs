//! Products (REFERENCE §5): rules, links to APIs and groups, policies, and clean deletion.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(
    products_and_their_rules,
    products_link_apis_and_groups,
    deleting_removes_every_link
);

async fn api(s: &Server, id: &str) {
    let body = json!({"name": id, "path": id, "serviceUrl": "http://backend.example.com"});
    assert_eq!(s.put(&format!("/apis/{id}?{V17}"), &body).await.status, 201);
}

async fn products_and_their_rules(engine: Engine) {
    let s = Server::start(engine).await;
    let created = s
        .put(
            &format!("/products/starter?{V17}"),
            &json!({"name": "Starter", "description": "5 calls a minute"}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(
        created.json(),
        json!({"id": "/products/starter", "name": "Starter", "description": "5 calls a minute", "subscriptionRequired": true, "approvalRequired": false, "state": "notPublished"})
    );
    let r = s
        .patch(
            &format!("/products/starter?{V17}"),
            &json!({"state": "published", "subscriptionsLimit": 1}),
            &created.etag(),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        s.get(&format!("/products/starter?{V17}")).await.json()["subscriptionsLimit"],
        1
    );
    let open = json!({"name": "Open", "subscriptionRequired": false, "approvalRequired": true});
    assert_eq!(
        s.put(&format!("/products/open?{V17}"), &open)
            .await
            .error_targets(),
        ["approvalRequired"]
    );
    let r = s
        .patch(
            &format!("/products/starter?{V17}"),
            &json!({"subscriptionRequired": false}),
            "*",
        )
        .await;
    assert_eq!(
        r.error_targets(),
        ["subscriptionsLimit"],
        "the limit needs a subscription requirement"
    );
    let published = s
        .get(&format!(
            "/products?{V17}&$filter=state%20eq%20%27published%27"
        ))
        .await
        .json();
    assert_eq!(published["count"], 1);
    // Product policies: product scope allows rate-limit and quota.
    let doc = r#"<policies><inbound><base /><rate-limit calls="5" renewal-period="60" /><quota calls="100" renewal-period="604800" /></inbound><backend><base /></backend><outbound><base /></outbound></policies>"#;
    let r = s
        .send(
            "PUT",
            &format!("/products/starter/policies/policy?{V17}"),
            Some(doc),
            &[("Content-Type", "application/vnd.ms-azure-apim.policy+xml")],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        s.get("/products/starter/policy?api-version=2016-10-10")
            .await
            .text,
        doc
    );
    assert_eq!(
        s.get(&format!("/policies?{V17}&scope=Product"))
            .await
            .json()["count"],
        1
    );
}

async fn products_link_apis_and_groups(engine: Engine) {
    let s = Server::start(engine).await;
    api(&s, "echo").await;
    assert_eq!(
        s.put(&format!("/products/p?{V17}"), &json!({"name": "P"}))
            .await
            .status,
        201
    );
    let r = s
        .put(&format!("/products/p/apis/echo?{V17}"), &json!({}))
        .await;
    assert_eq!(
        (r.status, r.json()["id"].clone()),
        (201, json!("/apis/echo"))
    );
    assert_eq!(
        s.put(&format!("/products/p/apis/echo?{V17}"), &json!({}))
            .await
            .status,
        200,
        "already linked"
    );
    let r = s
        .send(
            "PUT",
            "/products/p/apis/echo?api-version=2014-02-14",
            None,
            &[],
        )
        .await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (204, ""),
        "legacy: 204 when already linked"
    );
    assert_eq!(
        s.put(&format!("/products/p/apis/nope?{V17}"), &json!({}))
            .await
            .status,
        404
    );
    assert_eq!(
        s.put(&format!("/products/nope/apis/echo?{V17}"), &json!({}))
            .await
            .status,
        404
    );
    let head = s
        .send("HEAD", &format!("/products/p/apis/echo?{V17}"), None, &[])
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(
        s.get(&format!("/products/p/apis?{V17}")).await.json()["count"],
        1
    );
    let of_api = s.get(&format!("/apis/echo/products?{V17}")).await.json();
    assert_eq!(
        (of_api["count"].clone(), of_api["value"][0]["id"].clone()),
        (json!(1), json!("/products/p"))
    );
    let r = s
        .put(&format!("/products/p/groups/developers?{V17}"), &json!({}))
        .await;
    assert_eq!((r.status, r.json()["builtIn"].clone()), (201, json!(true)));
    let expanded = s
        .get(&format!("/products?{V17}&expandGroups=true"))
        .await
        .json();
    assert_eq!(
        expanded["value"][0]["groups"][0]["id"],
        "/groups/developers"
    );
    assert!(
        s.get(&format!("/products?{V17}")).await.json()["value"][0]
            .get("groups")
            .is_none()
    );
    assert_eq!(
        s.delete(&format!("/products/p/apis/echo?{V17}"), "*")
            .await
            .status,
        204
    );
    assert_eq!(
        s.delete(&format!("/products/p/apis/echo?{V17}"), "*")
            .await
            .status,
        404
    );
    assert_eq!(
        s.send("HEAD", &format!("/products/p/apis/echo?{V17}"), None, &[])
            .await
            .status,
        404
    );
}

async fn deleting_removes_every_link(engine: Engine) {
    let s = Server::start(engine).await;
    api(&s, "echo").await;
    assert_eq!(
        s.put(
            &format!("/groups/partners?{V17}"),
            &json!({"name": "Partners"})
        )
        .await
        .status,
        201
    );
    for p in ["a", "b"] {
        assert_eq!(
            s.put(&format!("/products/{p}?{V17}"), &json!({"name": p}))
                .await
                .status,
            201
        );
        assert_eq!(
            s.put(&format!("/products/{p}/apis/echo?{V17}"), &json!({}))
                .await
                .status,
            201
        );
        assert_eq!(
            s.put(&format!("/products/{p}/groups/partners?{V17}"), &json!({}))
                .await
                .status,
            201
        );
    }
    let doc = "<policies><inbound><base /></inbound></policies>";
    let xml = [("Content-Type", "application/vnd.ms-azure-apim.policy+xml")];
    assert_eq!(
        s.send(
            "PUT",
            &format!("/products/a/policies/policy?{V17}"),
            Some(doc),
            &xml
        )
        .await
        .status,
        201
    );
    // Deleting the API removes it from both products; deleting the group too.
    assert_eq!(
        s.delete(&format!("/apis/echo?{V17}"), "*").await.status,
        204
    );
    assert_eq!(
        s.get(&format!("/products/a/apis?{V17}")).await.json()["count"],
        0
    );
    assert_eq!(
        s.delete(&format!("/groups/partners?{V17}"), "*")
            .await
            .status,
        204
    );
    assert_eq!(
        s.get(&format!("/products/b/groups?{V17}")).await.json()["count"],
        0
    );
    // Recreating them finds no stale links.
    api(&s, "echo").await;
    assert_eq!(
        s.get(&format!("/apis/echo/products?{V17}")).await.json()["count"],
        0
    );
    // Deleting a product removes its links and its policy.
    assert_eq!(
        s.put(&format!("/products/a/apis/echo?{V17}"), &json!({}))
            .await
            .status,
        201
    );
    assert_eq!(
        s.send(
            "DELETE",
            &format!("/products/a?{V17}&deleteSubscriptions=true"),
            None,
            &[("If-Match", "*")]
        )
        .await
        .status,
        204
    );
    assert_eq!(
        s.get(&format!("/apis/echo/products?{V17}")).await.json()["count"],
        0
    );
    assert_eq!(
        s.get(&format!("/policies?{V17}&scope=Product"))
            .await
            .json()["count"],
        0
    );
    assert_eq!(
        s.put(&format!("/products/a?{V17}"), &json!({"name": "a"}))
            .await
            .status,
        201
    );
    assert_eq!(
        s.get(&format!("/products/a/apis?{V17}")).await.json()["count"],
        0,
        "a new product with the same id starts empty"
    );
}
