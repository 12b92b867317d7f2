//! The samples a new instance gets (Echo API, Starter, Unlimited) and `--no-samples`.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;

on_both_engines!(new_instances_get_the_samples_once, no_samples_means_none);

async fn new_instances_get_the_samples_once(engine: Engine) {
    let mut s = Server::start_with_samples(engine).await;
    let products = s.get(&format!("/products?{V17}")).await.json();
    let summary: Vec<_> = products["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["state"].as_str().unwrap().to_owned(),
                p["approvalRequired"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "/products/starter".to_owned(),
                "published".to_owned(),
                false
            ),
            (
                "/products/unlimited".to_owned(),
                "published".to_owned(),
                true
            ),
        ]
    );
    let policy = s
        .get(&format!("/products/starter/policies/policy?{V17}"))
        .await;
    assert!(
        policy.text.contains("<rate-limit") && policy.text.contains("<quota"),
        "{}",
        policy.text
    );
    let operations = s.get(&format!("/apis/echo-api/operations?{V17}")).await;
    assert_eq!(operations.json()["count"], 6);
    for product in ["starter", "unlimited"] {
        let apis = s.get(&format!("/products/{product}/apis?{V17}")).await;
        assert_eq!(apis.json()["value"][0]["id"], "/apis/echo-api");
        let groups = s.get(&format!("/products/{product}/groups?{V17}")).await;
        assert_eq!(groups.json()["count"], 3);
    }
    // The administrator subscribes to both, with generated keys.
    let subscriptions = s.get(&format!("/users/1/subscriptions?{V17}")).await.json();
    assert_eq!(subscriptions["count"], 2);
    for sub in subscriptions["value"].as_array().unwrap() {
        assert_eq!(sub["state"], "active");
        assert_eq!(sub["primaryKey"].as_str().unwrap().len(), 32);
    }
    // Samples are made once, when the instance is created: deleted ones stay deleted.
    let gone = s
        .delete(
            &format!("/products/unlimited?{V17}&deleteSubscriptions=true"),
            "*",
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    assert!(s.terminate());
    s.spawn();
    assert_eq!(s.get(&format!("/products?{V17}")).await.json()["count"], 1);
}

async fn no_samples_means_none(engine: Engine) {
    let s = Server::start(engine).await;
    for collection in ["products", "apis", "subscriptions"] {
        let list = s.get(&format!("/{collection}?{V17}")).await.json();
        assert_eq!(list["count"], 0, "{collection}: {list}");
    }
}
