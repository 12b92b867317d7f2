//! `log-to-eventhub` and `emit-metric` (issue 8): messages of gateway calls reach the logger's
//! event hub, in batches, signed with the logger's key, off the calls' path; metrics reach
//! `/metrics`. The event hub here is a real HTTP server on an ephemeral port speaking the
//! receiving side of Event Hubs' REST send API; the logger's connection string names it with an
//! `http://` endpoint.

use crate::common::{Engine, Server, V17};
use crate::gateway::{backend, call, shop};
use crate::on_both_engines;
use crate::policy_engine::{eventually, put_policy, refused_policy};
use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

on_both_engines!(
    events_reach_the_hub_in_signed_batches,
    unbuffered_events_go_to_their_partition_after_failures,
    emitted_metrics_reach_the_metrics_endpoint
);

/// The shared access key of the test hub.
const KEY: &str = "c2VjcmV0LWtleQ==";

/// An event hub: records every batch posted to it, answering 201, or 503 while `failures` lasts.
struct Hub {
    /// `http://127.0.0.1:PORT/`.
    endpoint: String,
    /// Each post: path, authorization, content type, and the batch.
    posts: Arc<Mutex<Vec<Value>>>,
    failures: Arc<AtomicUsize>,
}

impl Hub {
    async fn start(failures: usize) -> Hub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}/", listener.local_addr().unwrap());
        let posts = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(AtomicUsize::new(failures));
        let (log, left) = (posts.clone(), failures.clone());
        let app = axum::Router::new().fallback(move |request: Request| {
            let (log, left) = (log.clone(), left.clone());
            async move {
                let (parts, body) = request.into_parts();
                let header = |name: &str| {
                    let value = parts.headers.get(name).map(|v| v.to_str().unwrap());
                    json!(value.unwrap_or_default())
                };
                let bytes = to_bytes(body, usize::MAX).await.unwrap();
                let failed = left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                log.lock().unwrap().push(json!({
                    "method": parts.method.as_str(), "path": parts.uri.path(),
                    "authorization": header("authorization"), "contentType": header("content-type"),
                    "batch": serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
                    "failed": failed,
                }));
                if failed {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::CREATED
                }
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Hub {
            endpoint,
            posts,
            failures,
        }
    }

    fn posts(&self) -> Vec<Value> {
        self.posts.lock().unwrap().clone()
    }

    /// The events accepted so far.
    fn events(&self) -> Vec<Value> {
        let accepted = self.posts().into_iter().filter(|p| p["failed"] == false);
        accepted
            .flat_map(|p| p["batch"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// A logger sending to hub `name` of this event hub.
    async fn logger(&self, s: &Server, id: &str, name: &str, buffered: bool) {
        let connection = format!(
            "Endpoint={};SharedAccessKeyName=send;SharedAccessKey={KEY}",
            self.endpoint
        );
        let body = json!({"loggerType": "azureEventHub", "isBuffered": buffered,
            "credentials": {"name": name, "connectionString": connection}});
        let r = s.put(&format!("/loggers/{id}?{V17}"), &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
}

/// Checks a post's shared access signature: `sr` is the hub's URL, signed with [`KEY`] by
/// `send`, valid for about an hour.
fn check_signature(post: &Value, hub_url: &str) {
    let token = post["authorization"].as_str().unwrap();
    let fields = token
        .strip_prefix("SharedAccessSignature ")
        .expect("a shared access signature");
    let field = |name: &str| {
        let found = fields
            .split('&')
            .find_map(|f| f.strip_prefix(&format!("{name}=")));
        found.unwrap_or_else(|| panic!("{name} in {token}"))
    };
    let decode = |v: &str| {
        let url = reqwest::Url::parse(&format!("http://x/?v={v}")).unwrap();
        url.query_pairs()
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    assert_eq!(decode(field("sr")), hub_url);
    assert_eq!(field("skn"), "send");
    let expiry: i64 = field("se").parse().unwrap();
    let left = expiry - chrono::Utc::now().timestamp();
    assert!((3000..=3600).contains(&left), "expires in {left} s");
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(format!("{}\n{}", field("sr"), field("se")).as_bytes());
    let expected = BASE64.encode(mac.finalize().into_bytes());
    assert_eq!(decode(field("sig")), expected, "the signature verifies");
}

async fn events_reach_the_hub_in_signed_batches(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let hub = Hub::start(0).await;
    hub.logger(&s, "audit", "calls", true).await;
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base />
             <log-to-eventhub logger-id="audit" partition-key="@(context.Request.Headers.GetValueOrDefault(&quot;X-Tenant&quot;, &quot;none&quot;))">@("in " + context.Operation.Id + " " + context.Request.Method)</log-to-eventhub>
           </inbound><backend><base /></backend>
           <outbound><base /><log-to-eventhub logger-id="AUDIT">@("out " + context.Response.StatusCode)</log-to-eventhub>
             <log-to-eventhub logger-id="audit">@(new string('x', 300000))</log-to-eventhub></outbound></policies>"#,
    )
    .await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    for tenant in ["t1", "t2", "t3"] {
        let (status, seen) =
            call(&s, "GET", "/shop/items/1", &[k, ("X-Tenant", tenant)], None).await;
        assert_eq!(status, 200, "{seen}");
    }
    eventually("nine events reached the hub", || async {
        hub.events().len() == 9
    })
    .await;
    let posts = hub.posts();
    assert!(
        posts.len() < 9,
        "a buffered logger sends events together ({} posts)",
        posts.len()
    );
    let hub_url = format!("{}calls", hub.endpoint);
    for post in &posts {
        assert_eq!(post["method"], "POST");
        assert_eq!(post["path"], "/calls/messages");
        assert_eq!(
            post["contentType"],
            "application/vnd.microsoft.servicebus.json"
        );
        check_signature(post, &hub_url);
    }
    let events = hub.events();
    let mut inbound: Vec<Value> = events
        .iter()
        .filter(|e| e["Body"].as_str().unwrap().starts_with("in "))
        .cloned()
        .collect();
    inbound.sort_by_key(|e| e["BrokerProperties"]["PartitionKey"].to_string());
    assert_eq!(
        inbound,
        ["t1", "t2", "t3"]
            .map(|t| json!({"Body": "in get-item GET", "BrokerProperties": {"PartitionKey": t}}))
            .to_vec()
    );
    let bodies = |prefix: &str| {
        let matching = events
            .iter()
            .filter(|e| e["Body"].as_str().unwrap().starts_with(prefix));
        matching.cloned().collect::<Vec<_>>()
    };
    assert_eq!(bodies("out "), vec![json!({"Body": "out 200"}); 3]);
    let long = bodies("xxx");
    assert_eq!(long.len(), 3);
    assert!(
        long.iter()
            .all(|e| e["Body"].as_str().unwrap().len() == 200 * 1024),
        "messages above 200 KB are truncated"
    );
}

async fn unbuffered_events_go_to_their_partition_after_failures(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let hub = Hub::start(2).await;
    hub.logger(&s, "direct", "hub", false).await;
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><log-to-eventhub logger-id="direct" partition-id="1">@(context.Request.Method + " " + context.Request.Url.Path)</log-to-eventhub></inbound>
           <backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    let started = std::time::Instant::now();
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let (status, seen) = call(&s, "POST", "/shop/items", &[k], Some(b"x".to_vec())).await;
    assert_eq!(status, 200, "{seen}");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(900),
        "the call does not wait for the hub"
    );
    eventually("the event arrived after two failed tries", || async {
        hub.events().len() == 1
    })
    .await;
    assert_eq!(hub.failures.load(Ordering::SeqCst), 0);
    let posts = hub.posts();
    assert_eq!(posts.len(), 3, "two failures, then the accepted try");
    assert!(
        posts
            .iter()
            .all(|p| p["path"] == "/hub/partitions/1/messages")
    );
    assert_eq!(hub.events(), vec![json!({"Body": "POST /items"})]);
}

async fn emitted_metrics_reach_the_metrics_endpoint(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base />
             <emit-metric name="orders" namespace="shop" value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Count&quot;, &quot;1&quot;))">
               <dimension name="API ID" /><dimension name="User ID" /><dimension name="Tier" value="@(&quot;gold&quot;)" />
             </emit-metric></inbound><backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    for count in ["2", "3.5"] {
        let (status, seen) = call(&s, "GET", "/shop/items/1", &[k, ("X-Count", count)], None).await;
        assert_eq!(status, 200, "{seen}");
    }
    let text = reqwest::get(format!("{}/metrics", s.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = r#"{namespace="shop",name="orders",api_id="shop",user_id="ann",tier="gold"}"#;
    assert!(
        text.contains(&format!("tollgate_custom_metric_sum{series} 5.5")),
        "{text}"
    );
    assert!(
        text.contains(&format!("tollgate_custom_metric_count{series} 2")),
        "{text}"
    );

    // A value that is not a number fails the statement.
    let (status, _) = call(&s, "GET", "/shop/items/1", &[k, ("X-Count", "many")], None).await;
    assert_eq!(status, 500);
    // A dimension that is not a default one needs a value.
    let refused = refused_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><emit-metric name="m"><dimension name="Tier" /></emit-metric></inbound></policies>"#,
    )
    .await;
    assert!(refused.contains("needs a value"), "{refused}");
}
