//! Rate limits shared by two gateway nodes through a real Redis (`--redis-url`), and what
//! happens when Redis cannot be reached (`--redis-unavailable open|closed`). `scripts/test`
//! starts the Redis server and names it in `TOLLGATE_TEST_REDIS_URL`.

use crate::common::{Engine, Server};
use crate::gateway::{backend, call, shop};
use crate::policy_engine::put_policy;

fn redis_url() -> String {
    std::env::var("TOLLGATE_TEST_REDIS_URL").expect(
        "TOLLGATE_TEST_REDIS_URL is not set: run the tests with scripts/test, which starts a Redis server",
    )
}

/// Two nodes on one PostgreSQL database and one Redis share one limit of 4 calls a minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_limit() {
    let redis = redis_url();
    let a = Server::start_on(Engine::Postgres, &["--redis-url", &redis]).await;
    let b = a.second_node();
    let key = shop(&a, &backend().await).await;
    // The counter is per X-Round header (and per test run: Redis outlives the test).
    let round = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    put_policy(
        &a,
        "/apis/shop",
        r#"<policies><inbound><base /><rate-limit-by-key calls="4" renewal-period="60" counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;X-Round&quot;, &quot;&quot;))" /></inbound>
           <backend><base /></backend><outbound><base /><set-header name="X-Limited"><value>yes</value></set-header></outbound></policies>"#,
    )
    .await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    // Both nodes run the policy (a 429 also shows it) within five seconds.
    for node in [&a, &b] {
        let started = std::time::Instant::now();
        loop {
            let response = reqwest::Client::new()
                .get(format!("{}/shop/items/1", node.gateway))
                .header(k.0, k.1)
                .header("X-Round", format!("probe-{round}"))
                .send()
                .await
                .unwrap();
            if response.status().as_u16() == 429 || response.headers().contains_key("x-limited") {
                break;
            }
            assert!(
                started.elapsed().as_secs() < 5,
                "the node does not run the policy"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    let r = format!("shared-{round}");
    let mut statuses = Vec::new();
    for n in 0..8 {
        let node = if n % 2 == 0 { &a } else { &b };
        statuses.push(
            call(node, "GET", "/shop/items/1", &[k, ("X-Round", &r)], None)
                .await
                .0,
        );
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429, 429, 429]);
}

/// A Redis that cannot be reached: fail open lets calls through, fail closed fails them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_redis_fails_open_or_closed() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("redis://{}", closed.local_addr().unwrap());
    drop(closed);
    for (mode, expected) in [("open", 200), ("closed", 500)] {
        let s = Server::start_on(
            Engine::Sqlite,
            &["--redis-url", &nowhere, "--redis-unavailable", mode],
        )
        .await;
        let key = shop(&s, &backend().await).await;
        put_policy(
            &s,
            "/apis/shop",
            r#"<policies><inbound><base /><rate-limit-by-key calls="1" renewal-period="60" counter-key="k" /></inbound>
               <backend><base /></backend><outbound><base /></outbound></policies>"#,
        )
        .await;
        let k = [("Ocp-Apim-Subscription-Key", key.as_str())];
        for _ in 0..2 {
            let (status, body) = call(&s, "GET", "/shop/items/1", &k, None).await;
            assert_eq!(status, expected, "{mode}: {body}");
        }
    }
}
