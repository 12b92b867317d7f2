//! Realistic policy documents run as a user would (issue 8): the samples' Starter product
//! (a rate limit and a quota) on the sample Echo API; an API behind JWT validation, a rate limit
//! per token subject and response caching; a mock API; CORS for a single-page application.

use crate::common::{Engine, Server, V17};
use crate::gateway::shop;
use crate::on_both_engines;
use crate::policy_cache::{counting_backend, get};
use crate::policy_engine::put_policy;
use crate::policy_jwt::{SECRET, claims, hs256};
use base64::Engine as _;
use serde_json::json;

on_both_engines!(
    the_starter_product_limits_its_subscribers,
    jwt_rate_limit_and_cache_together,
    a_mock_api_and_a_single_page_app
);

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

/// JWT validation, then a rate limit per token subject, then response caching per token.
async fn jwt_rate_limit_and_cache_together(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &counting_backend().await).await;
    let secret = base64::engine::general_purpose::STANDARD.encode(SECRET);
    put_policy(
        &s,
        "/apis/shop",
        &format!(
            r#"<policies><inbound><base />
                 <validate-jwt header-name="Authorization" output-token-variable-name="jwt">
                   <issuer-signing-keys><key>{secret}</key></issuer-signing-keys>
                   <audiences><audience>api://shop</audience></audiences>
                 </validate-jwt>
                 <rate-limit-by-key calls="3" renewal-period="60" counter-key="@(((Jwt)context.Variables[&quot;jwt&quot;]).Subject)" />
                 <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" allow-private-response-caching="@(true)">
                   <vary-by-header>Authorization</vary-by-header></cache-lookup>
               </inbound><backend><base /></backend>
               <outbound><base /><cache-store duration="60" /></outbound></policies>"#
        ),
    )
    .await;
    let ann = format!("Bearer {}", hs256(&claims(json!({})), SECRET));
    let bob = format!("Bearer {}", hs256(&claims(json!({"sub": "bob"})), SECRET));
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    // No token, a token signed with another key: 401 before anything else.
    assert_eq!(get(&s, "GET", "/shop/items/1", &[k]).await.0, 401);
    let forged = format!(
        "Bearer {}",
        hs256(
            &claims(json!({})),
            b"another key of thirty-two bytes or more"
        )
    );
    assert_eq!(
        get(&s, "GET", "/shop/items/1", &[k, ("Authorization", &forged)])
            .await
            .0,
        401
    );
    // Ann: the first call reaches the backend, the next ones come from the cache, and the rate
    // limit counts every call (cached ones too): the fourth is refused.
    let first = get(&s, "GET", "/shop/items/1", &[k, ("Authorization", &ann)]).await;
    assert_eq!((first.0, &first.2), (200, &json!({"n": 1})));
    let second = get(&s, "GET", "/shop/items/1", &[k, ("Authorization", &ann)]).await;
    assert_eq!(
        (second.0, &second.2),
        (200, &json!({"n": 1})),
        "from the cache"
    );
    assert_eq!(
        get(&s, "GET", "/shop/items/2", &[k, ("Authorization", &ann)])
            .await
            .0,
        200
    );
    assert_eq!(
        get(&s, "GET", "/shop/items/1", &[k, ("Authorization", &ann)])
            .await
            .0,
        429
    );
    // Bob has his own limit and his own cache entries (the cache varies by Authorization).
    let bobs = get(&s, "GET", "/shop/items/1", &[k, ("Authorization", &bob)]).await;
    assert_eq!((bobs.0, &bobs.2), (200, &json!({"n": 3})));
}

/// A mock API (operations answered from their samples, no backend) called from a single-page
/// application on another origin (CORS, with preflights answered by the gateway).
async fn a_mock_api_and_a_single_page_app(engine: Engine) {
    let s = Server::start(engine).await;
    // The backend does not exist: nothing may reach it.
    let key = shop(&s, "http://127.0.0.1:9").await;
    let op = json!({"name": "get-item", "method": "GET", "urlTemplate": "/items/{id}",
        "templateParameters": [{"name": "id", "type": "string", "required": true}],
        "responses": [{"statusCode": 200, "representations": [
            {"contentType": "application/json", "sample": "{\"id\": 42, \"name\": \"teapot\"}"}]}]});
    let r = s
        .send(
            "PUT",
            &format!("/apis/shop/operations/get-item?{V17}"),
            Some(&op.to_string()),
            &[("If-Match", "*")],
        )
        .await;
    assert!(matches!(r.status, 200 | 201), "{}", r.text);
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base />
             <cors allow-credentials="true">
               <allowed-origins><origin>https://app.contoso.com</origin></allowed-origins>
               <allowed-methods preflight-result-max-age="300"><method>GET</method><method>POST</method></allowed-methods>
               <allowed-headers><header>Ocp-Apim-Subscription-Key</header><header>Content-Type</header></allowed-headers>
             </cors>
             <mock-response status-code="200" content-type="application/json" />
           </inbound><backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    let client = reqwest::Client::new();
    // The browser's preflight, answered by the gateway.
    let preflight = client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/shop/items/42", s.gateway),
        )
        .header("Origin", "https://app.contoso.com")
        .header("Access-Control-Request-Method", "GET")
        .header(
            "Access-Control-Request-Headers",
            "ocp-apim-subscription-key",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 200);
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "https://app.contoso.com");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert_eq!(h["access-control-max-age"], "300");
    // The call itself: the sample, with the CORS headers.
    let response = client
        .get(format!("{}/shop/items/42", s.gateway))
        .header("Origin", "https://app.contoso.com")
        .header("Ocp-Apim-Subscription-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.contoso.com"
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, json!({"id": 42, "name": "teapot"}));
    // Another origin gets no CORS headers.
    let other = client
        .get(format!("{}/shop/items/42", s.gateway))
        .header("Origin", "https://evil.example")
        .header("Ocp-Apim-Subscription-Key", &key)
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
