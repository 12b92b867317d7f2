//! Realistic policy documents run as a user would (issue 8): the samples' Starter product
//! (a rate limit and a quota) on the sample Echo API.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;

on_both_engines!(the_starter_product_limits_its_subscribers);

/// Starter: 5 calls a minute, 100 a week, per subscription (Azure's sample product policy);
/// Unlimited has no policy.
async fn the_starter_product_limits_its_subscribers(engine: Engine) {
    let s = Server::start_with_samples(engine).await;
    let key = |id: &str| {
        let s = &s;
        let path = format!("/subscriptions/{id}?{V17}");
        async move {
            s.get(&path).await.json()["primaryKey"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let starter = key("administrator-starter").await;
    let unlimited = key("administrator-unlimited").await;
    let client = reqwest::Client::new();
    let echo = |key: String| {
        let request = client
            .get(format!("{}/echo/resource?param1=sample", s.gateway))
            .header("Ocp-Apim-Subscription-Key", key);
        async move { request.send().await.unwrap() }
    };
    for n in 1..=5 {
        assert_eq!(
            echo(starter.clone()).await.status().as_u16(),
            200,
            "call {n}"
        );
    }
    let refused = echo(starter.clone()).await;
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    for _ in 0..7 {
        assert_eq!(echo(unlimited.clone()).await.status().as_u16(), 200);
    }
    // The quota counted the five admitted calls (the subscription's counter, in the store).
    let path = format!("/quotas/administrator-starter?{V17}");
    crate::policy_engine::eventually("the quota counter is saved", || async {
        let r = s.get(&path).await;
        r.status == 200 && r.json()["value"][0]["Value"]["callsCount"] == 5
    })
    .await;
}
