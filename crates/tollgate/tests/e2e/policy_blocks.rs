//! Statements that run statements (issue 8): `retry` against a backend that fails at first,
//! `limit-concurrency` against a slow one, `wait`.

use crate::common::{Engine, Server};
use crate::gateway::{call, shop};
use crate::on_both_engines;
use crate::policy_engine::put_policy;
use axum::extract::Request;
use axum::http::StatusCode;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

on_both_engines!(
    retry_runs_again_while_the_condition_holds,
    concurrency_is_limited
);

/// A backend whose first `failures` calls answer 500, then 200 with the call's number and body
/// length; returns its URL and its call counter.
async fn flaky_backend(failures: u64, delay: Duration) -> (String, Arc<AtomicU64>) {
    let calls = Arc::new(AtomicU64::new(0));
    let counter = calls.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(move |request: Request| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            tokio::time::sleep(delay).await;
            let body = axum::body::to_bytes(request.into_body(), usize::MAX)
                .await
                .unwrap();
            let status = if n <= failures {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            };
            (
                status,
                axum::Json(json!({"n": n, "bodyLength": body.len()})),
            )
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), calls)
}

async fn retry_runs_again_while_the_condition_holds(engine: Engine) {
    let s = Server::start(engine).await;
    let (url, calls) = flaky_backend(2, Duration::ZERO).await;
    let key = shop(&s, &url).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /></inbound>
           <backend><retry condition="@(context.Response.StatusCode &gt;= 500)" count="3" interval="1" first-fast-retry="true"><forward-request /></retry></backend>
           <outbound><base /></outbound></policies>"#,
    )
    .await;
    // Two failures, then success: three calls, the body sent each time.
    let (status, body) = call(
        &s,
        "POST",
        "/shop/items",
        &[k],
        Some(b"twelve bytes".to_vec()),
    )
    .await;
    assert_eq!((status, &body), (200, &json!({"n": 3, "bodyLength": 12})));
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // Retries exhausted: the last response is the call's.
    let (url, calls) = flaky_backend(10, Duration::ZERO).await;
    let key = {
        let api =
            json!({"name": "Flaky", "path": "flaky", "serviceUrl": url, "protocols": ["http"]});
        assert_eq!(
            s.put(&format!("/apis/flaky?{}", crate::common::V17), &api)
                .await
                .status,
            201
        );
        let op = json!({"name": "any", "method": "GET", "urlTemplate": "/"});
        let r = s
            .put(
                &format!("/apis/flaky/operations/any?{}", crate::common::V17),
                &op,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = s
            .put(
                &format!("/products/gold/apis/flaky?{}", crate::common::V17),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        key.clone()
    };
    put_policy(
        &s,
        "/apis/flaky",
        r#"<policies><inbound><base /></inbound>
           <backend><retry condition="@(context.Response.StatusCode == 500)" count="1" interval="0"><forward-request /></retry></backend>
           <outbound><base /></outbound></policies>"#,
    )
    .await;
    let (status, body) = call(
        &s,
        "GET",
        "/flaky/",
        &[("Ocp-Apim-Subscription-Key", &key)],
        None,
    )
    .await;
    assert_eq!((status, &body["n"]), (500, &json!(2)));
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // wait for="all" runs its statements.
    put_policy(
        &s,
        "/apis/shop/operations/get-item",
        r#"<policies><inbound><base /><wait for="all"><choose><when condition="@(true)"><set-header name="X-Waited"><value>yes</value></set-header></when></choose></wait></inbound>
           <backend><forward-request /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    let (status, _) = call(&s, "GET", "/shop/items/1", &[k], None).await;
    assert_eq!(status, 200);
}

async fn concurrency_is_limited(engine: Engine) {
    let s = Server::start(engine).await;
    let (url, _) = flaky_backend(0, Duration::from_millis(700)).await;
    let key = shop(&s, &url).await;
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /></inbound>
           <backend><limit-concurrency key="@(context.Subscription.Id)" max-count="1"><forward-request /></limit-concurrency></backend>
           <outbound><base /></outbound></policies>"#,
    )
    .await;
    let k = [("Ocp-Apim-Subscription-Key", key.as_str())];
    let (first, second) = tokio::join!(call(&s, "GET", "/shop/items/1", &k, None), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        call(&s, "GET", "/shop/items/2", &k, None).await
    });
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(second.0, 429, "{}", second.1);
    // The place is given back when the call ends.
    assert_eq!(call(&s, "GET", "/shop/items/3", &k, None).await.0, 200);
}
