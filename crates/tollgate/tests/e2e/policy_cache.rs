//! The caching policies (issue 8): responses cached by `cache-lookup`/`cache-store`, values by
//! `cache-*-value`, in the gateway's built-in cache, against a real backend that counts calls.

use crate::common::{Engine, Server, V17};
use crate::gateway::shop;
use crate::on_both_engines;
use crate::policy_engine::{eventually, put_policy};
use crate::reports::report;
use axum::extract::Request;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

on_both_engines!(
    responses_are_cached,
    values_are_cached,
    responses_vary_by_developer_groups
);

/// A backend that answers every call with how many calls it has had.
pub(crate) async fn counting_backend() -> String {
    let calls = Arc::new(AtomicU64::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(move |_: Request| {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        async move { axum::Json(json!({ "n": n })) }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

/// A call's status, `Cache-Control` and JSON body.
pub(crate) async fn get(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Option<String>, Value) {
    let (status, response, body) =
        crate::gateway::exchange(s, method, path, headers, Some(Vec::new())).await;
    let control = response
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, control, body)
}

async fn responses_are_cached(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &counting_backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base />
             <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" downstream-caching-type="public">
               <vary-by-header>Accept</vary-by-header><vary-by-query-parameter>v</vary-by-query-parameter></cache-lookup>
           </inbound><backend><base /></backend><outbound><base /><cache-store duration="60" /></outbound></policies>"#,
    )
    .await;
    let (status, control, body) = get(&s, "GET", "/shop/items/1", &[k]).await;
    assert_eq!((status, &body), (200, &json!({"n": 1})));
    assert_eq!(
        control.as_deref(),
        Some("public, max-age=60, must-revalidate")
    );
    let (status, control, body) = get(&s, "GET", "/shop/items/1", &[k]).await;
    assert_eq!(
        (status, &body),
        (200, &json!({"n": 1})),
        "served from the cache"
    );
    let control = control.unwrap();
    assert!(
        control.starts_with("public, max-age=") && control.ends_with(", must-revalidate"),
        "{control}"
    );
    // What the key varies by: the chosen query parameter and header, not other parameters.
    assert_eq!(
        get(&s, "GET", "/shop/items/1?v=2", &[k]).await.2,
        json!({"n": 2})
    );
    assert_eq!(
        get(&s, "GET", "/shop/items/1?v=2&other=x", &[k]).await.2,
        json!({"n": 2})
    );
    assert_eq!(
        get(&s, "GET", "/shop/items/1", &[k, ("Accept", "text/plain")])
            .await
            .2,
        json!({"n": 3})
    );
    assert_eq!(
        get(&s, "GET", "/shop/items/2", &[k]).await.2,
        json!({"n": 4}),
        "another path"
    );
    // Not cached: other methods, and calls with Authorization (private caching not allowed).
    assert_eq!(
        get(&s, "POST", "/shop/items", &[k]).await.2,
        json!({"n": 5})
    );
    assert_eq!(
        get(
            &s,
            "GET",
            "/shop/items/1",
            &[k, ("Authorization", "Bearer x")]
        )
        .await
        .2,
        json!({"n": 6})
    );
    assert_eq!(
        get(&s, "GET", "/shop/items/1", &[k]).await.2,
        json!({"n": 1})
    );

    // Request records say which calls were served from the cache.
    eventually("the records are written", || async {
        let r = report(&s, "byRequest", "", "").await.json();
        r["count"] == 9
    })
    .await;
    let records = report(&s, "byRequest", "", "").await.json();
    let caches: Vec<&str> = records["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cache"].as_str().unwrap())
        .collect();
    let hits = caches.iter().filter(|c| **c == "hit").count();
    let misses = caches.iter().filter(|c| **c == "miss").count();
    assert_eq!((hits, misses), (3, 4), "{caches:?}");
}

async fn values_are_cached(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &counting_backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/apis/shop/operations/special",
        r#"<policies><inbound><base />
             <cache-store-value key="@(&quot;greeting-&quot; + context.Subscription.Id)" value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Set&quot;, &quot;&quot;))" duration="60" />
           </inbound><backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    put_policy(
        &s,
        "/apis/shop/operations/get-item",
        r#"<policies><inbound><base />
             <cache-lookup-value key="@(&quot;greeting-&quot; + context.Subscription.Id)" default-value="none" variable-name="g" />
             <return-response><set-body>@((string)context.Variables["g"])</set-body></return-response>
           </inbound><backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    put_policy(
        &s,
        "/apis/shop/operations/add",
        r#"<policies><inbound><base /><cache-remove-value key="@(&quot;greeting-&quot; + context.Subscription.Id)" /></inbound>
           <backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    assert_eq!(get(&s, "GET", "/shop/items/1", &[k]).await.2, json!("none"));
    assert_eq!(
        get(&s, "GET", "/shop/items/special", &[k, ("X-Set", "hello")])
            .await
            .0,
        200
    );
    assert_eq!(
        get(&s, "GET", "/shop/items/1", &[k]).await.2,
        json!("hello")
    );
    assert_eq!(get(&s, "POST", "/shop/items", &[k]).await.0, 200);
    assert_eq!(
        get(&s, "GET", "/shop/items/1", &[k]).await.2,
        json!("none"),
        "removed"
    );
}

/// A user (a member of Developers, as every new user) with an active subscription to `gold`;
/// returns its key.
async fn subscriber(s: &Server, id: &str) -> String {
    let user = json!({"email": format!("{id}@contoso.com"), "firstName": id, "lastName": "X"});
    assert_eq!(
        s.put(&format!("/users/{id}?{V17}"), &user).await.status,
        201
    );
    let subscription =
        json!({"userId": format!("/users/{id}"), "productId": "/products/gold", "state": "active"});
    let created = s
        .put(&format!("/subscriptions/{id}-gold?{V17}"), &subscription)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()["primaryKey"].as_str().unwrap().to_owned()
}

/// What the counting backend answered a `GET /shop/items/1` with `key` (or the cache did).
async fn counted(s: &Server, key: &str) -> Value {
    let k = ("Ocp-Apim-Subscription-Key", key);
    get(s, "GET", "/shop/items/1", &[k]).await.2
}

async fn responses_vary_by_developer_groups(engine: Engine) {
    let s = Server::start(engine).await;
    let ann = shop(&s, &counting_backend().await).await;
    let (bob, carl) = (subscriber(&s, "bob").await, subscriber(&s, "carl").await);
    let club = json!({"name": "Club"});
    assert_eq!(
        s.put(&format!("/groups/club?{V17}"), &club).await.status,
        201
    );
    let member = format!("/groups/club/users/carl?{V17}");
    assert_eq!(s.put(&member, &json!({})).await.status, 201);
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base />
             <cache-lookup vary-by-developer="false" vary-by-developer-groups="true" />
           </inbound><backend><base /></backend><outbound><base /><cache-store duration="60" /></outbound></policies>"#,
    )
    .await;
    assert_eq!(counted(&s, &ann).await, json!({"n": 1}));
    assert_eq!(
        counted(&s, &bob).await,
        json!({"n": 1}),
        "the same groups share the entry"
    );
    assert_eq!(
        counted(&s, &carl).await,
        json!({"n": 2}),
        "other groups have their own"
    );
    assert_eq!(counted(&s, &carl).await, json!({"n": 2}));
    // Groups are read at the call: a member leaving the club shares the Developers' entry.
    assert_eq!(s.delete(&member, "*").await.status, 204);
    assert_eq!(counted(&s, &carl).await, json!({"n": 1}));
}
