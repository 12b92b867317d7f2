//! The gateway (issue 6): routing, subscription keys, forwarding to a real HTTP backend started
//! here, and the visibility of management writes to the next call.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use serde_json::{Value, json};

on_both_engines!(
    calls_reach_the_backend,
    keys_are_checked_against_the_live_configuration,
    routing_follows_azure,
    open_products_need_no_key
);

/// Headers as a JSON object; repeated headers are shown as one, their values joined with ", "
/// (RFC 9110 §5.3).
pub(crate) fn headers_json(headers: &axum::http::HeaderMap) -> serde_json::Map<String, Value> {
    headers
        .keys()
        .map(|k| {
            let values: Vec<&str> = headers
                .get_all(k)
                .iter()
                .map(|v| v.to_str().unwrap_or(""))
                .collect();
            (k.to_string(), json!(values.join(", ")))
        })
        .collect()
}

/// A backend on an ephemeral port that answers every call with what it received, as JSON.
pub(crate) async fn backend() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|request: Request| async move {
        let (parts, body) = request.into_parts();
        let headers = headers_json(&parts.headers);
        let bytes = to_bytes(body, usize::MAX).await.unwrap();
        let seen = json!({
            "method": parts.method.as_str(), "path": parts.uri.path(),
            "query": parts.uri.query().unwrap_or(""), "headers": headers, "bodyLength": bytes.len(),
        });
        axum::response::Response::builder()
            .header("content-type", "application/json")
            .header("x-backend", "yes")
            .body(Body::from(seen.to_string()))
            .unwrap()
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

/// A gateway call.
pub(crate) async fn call(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> (u16, Value) {
    let (status, _, body) = exchange(s, method, path, headers, body).await;
    (status, body)
}

/// A gateway call: its status, response headers, and body (JSON, or the text as a string).
pub(crate) async fn exchange(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method.parse().unwrap(), format!("{}{path}", s.gateway));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let response_headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        response_headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// An API `shop` on `service_url` with three operations, in a published product `gold` with a
/// user's active subscription; returns its primary key.
pub(crate) async fn shop(s: &Server, service_url: &str) -> String {
    let api = json!({"name": "Shop", "path": "shop", "serviceUrl": service_url, "protocols": ["http", "https"]});
    assert_eq!(s.put(&format!("/apis/shop?{V17}"), &api).await.status, 201);
    for (id, method, template) in [
        ("get-item", "GET", "/items/{id}"),
        ("special", "GET", "/items/special"),
        ("add", "POST", "/items"),
    ] {
        let op = json!({"name": id, "method": method, "urlTemplate": template,
            "templateParameters": if template.contains("{id}") { json!([{"name": "id", "type": "string", "required": true}]) } else { json!([]) }});
        let r = s
            .put(&format!("/apis/shop/operations/{id}?{V17}"), &op)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let product = json!({"name": "Gold", "state": "published", "subscriptionRequired": true});
    assert_eq!(
        s.put(&format!("/products/gold?{V17}"), &product)
            .await
            .status,
        201
    );
    assert_eq!(
        s.put(&format!("/products/gold/apis/shop?{V17}"), &json!({}))
            .await
            .status,
        201
    );
    let user = json!({"email": "ann@contoso.com", "firstName": "Ann", "lastName": "Lee"});
    assert_eq!(s.put(&format!("/users/ann?{V17}"), &user).await.status, 201);
    let subscription = json!({"userId": "/users/ann", "productId": "/products/gold", "name": "ann-gold", "state": "active"});
    let created = s
        .put(&format!("/subscriptions/ann-gold?{V17}"), &subscription)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()["primaryKey"].as_str().unwrap().to_owned()
}

async fn calls_reach_the_backend(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &format!("{}/base/", backend().await)).await;
    let header = ("Ocp-Apim-Subscription-Key", key.as_str());
    let (status, seen) = call(
        &s,
        "GET",
        "/shop/items/42?color=red",
        &[header, ("X-Forwarded-For", "10.0.0.1")],
        None,
    )
    .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(
        (&seen["method"], &seen["path"], &seen["query"]),
        (&json!("GET"), &json!("/base/items/42"), &json!("color=red"))
    );
    let headers = &seen["headers"];
    assert!(
        headers.get("ocp-apim-subscription-key").is_none(),
        "the key is not forwarded: {headers}"
    );
    assert!(
        headers["x-forwarded-for"]
            .as_str()
            .unwrap()
            .starts_with("10.0.0.1, 127.0.0.1"),
        "{headers}"
    );
    assert!(
        headers["x-forwarded-host"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:"),
        "{headers}"
    );
    assert_eq!(headers["x-forwarded-proto"], "http");

    // The key in the query works too, and is removed before forwarding.
    let (status, seen) = call(
        &s,
        "GET",
        &format!("/shop/items/7?a=1&subscription-key={key}&b=2"),
        &[],
        None,
    )
    .await;
    assert_eq!((status, &seen["query"]), (200, &json!("a=1&b=2")));

    // A body goes through as it is (4 MiB here).
    let body = vec![b'x'; 4 << 20];
    let (status, seen) = call(&s, "POST", "/shop/items", &[header], Some(body)).await;
    assert_eq!((status, &seen["bodyLength"]), (200, &json!(4 << 20)));
}

async fn keys_are_checked_against_the_live_configuration(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let (status, body) = call(&s, "GET", "/shop/items/1", &[], None).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"statusCode": 401, "message": "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."})
    );
    let (status, body) = call(
        &s,
        "GET",
        "/shop/items/1",
        &[("Ocp-Apim-Subscription-Key", "nope")],
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        body["message"],
        "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
    );

    let subscription = s
        .get(&format!("/subscriptions/ann-gold?{V17}"))
        .await
        .json();
    let secondary = subscription["secondaryKey"].as_str().unwrap().to_owned();
    assert_eq!(
        call(
            &s,
            "GET",
            "/shop/items/1",
            &[("Ocp-Apim-Subscription-Key", &secondary)],
            None
        )
        .await
        .0,
        200
    );
    // A regenerated key stops working at once: the next call sees the write.
    let r = s
        .send(
            "POST",
            &format!("/subscriptions/ann-gold/regeneratePrimaryKey?{V17}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        call(
            &s,
            "GET",
            "/shop/items/1",
            &[("Ocp-Apim-Subscription-Key", &key)],
            None
        )
        .await
        .0,
        401
    );
    // A suspended subscription is refused; an active one again admitted.
    for (state, expected) in [("suspended", 401), ("active", 200)] {
        let etag = s
            .get(&format!("/subscriptions/ann-gold?{V17}"))
            .await
            .etag();
        let r = s
            .patch(
                &format!("/subscriptions/ann-gold?{V17}"),
                &json!({"state": state}),
                &etag,
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
        assert_eq!(
            call(
                &s,
                "GET",
                "/shop/items/1",
                &[("Ocp-Apim-Subscription-Key", &secondary)],
                None
            )
            .await
            .0,
            expected,
            "{state}"
        );
    }
    // A key of a product that does not contain the API is invalid for it.
    let other = json!({"name": "Silver", "state": "published"});
    assert_eq!(
        s.put(&format!("/products/silver?{V17}"), &other)
            .await
            .status,
        201
    );
    let sub = json!({"userId": "/users/ann", "productId": "/products/silver", "state": "active"});
    let silver = s
        .put(&format!("/subscriptions/ann-silver?{V17}"), &sub)
        .await
        .json();
    let silver_key = silver["primaryKey"].as_str().unwrap();
    assert_eq!(
        call(
            &s,
            "GET",
            "/shop/items/1",
            &[("Ocp-Apim-Subscription-Key", silver_key)],
            None
        )
        .await
        .0,
        401
    );
    // Unpublishing the product closes the API to its subscriptions.
    let etag = s.get(&format!("/products/gold?{V17}")).await.etag();
    assert_eq!(
        s.patch(
            &format!("/products/gold?{V17}"),
            &json!({"state": "notPublished"}),
            &etag
        )
        .await
        .status,
        204
    );
    assert_eq!(
        call(
            &s,
            "GET",
            "/shop/items/1",
            &[("Ocp-Apim-Subscription-Key", &secondary)],
            None
        )
        .await
        .0,
        401
    );
}

async fn routing_follows_azure(engine: Engine) {
    let s = Server::start(engine).await;
    let base = backend().await;
    let key = shop(&s, &base).await;
    let header = [("Ocp-Apim-Subscription-Key", key.as_str())];
    // Literal segments win over parameters; literals ignore case; a trailing slash is ignored.
    let (_, seen) = call(&s, "GET", "/SHOP/Items/Special/", &header, None).await;
    assert_eq!(seen["path"], "/Items/Special/");
    let not_found = json!({"statusCode": 404, "message": "Resource not found"});
    for (method, path) in [
        ("GET", "/nowhere"),
        ("DELETE", "/shop/items/1"),
        ("GET", "/shop/items"),
        ("GET", "/shopping/items/1"),
    ] {
        let (status, body) = call(&s, method, path, &header, None).await;
        assert_eq!((status, &body), (404, &not_found), "{method} {path}");
    }
    // The longest API path wins, on segment boundaries.
    let nested = json!({"name": "Shop v2", "path": "shop/v2", "serviceUrl": format!("{base}/v2"), "protocols": ["http"]});
    assert_eq!(
        s.put(&format!("/apis/shop-v2?{V17}"), &nested).await.status,
        201
    );
    let op = json!({"name": "any", "method": "GET", "urlTemplate": "/items/{id}",
        "templateParameters": [{"name": "id", "type": "string", "required": true}]});
    assert_eq!(
        s.put(&format!("/apis/shop-v2/operations/any?{V17}"), &op)
            .await
            .status,
        201
    );
    assert_eq!(
        s.put(&format!("/products/gold/apis/shop-v2?{V17}"), &json!({}))
            .await
            .status,
        201
    );
    let (status, seen) = call(&s, "GET", "/shop/v2/items/9", &header, None).await;
    assert_eq!((status, &seen["path"]), (200, &json!("/v2/items/9")));
    // An https-only API is not served over http.
    let etag = s.get(&format!("/apis/shop?{V17}")).await.etag();
    assert_eq!(
        s.patch(
            &format!("/apis/shop?{V17}"),
            &json!({"protocols": ["https"]}),
            &etag
        )
        .await
        .status,
        204
    );
    assert_eq!(call(&s, "GET", "/shop/items/1", &header, None).await.0, 404);
}

async fn open_products_need_no_key(engine: Engine) {
    let s = Server::start(engine).await;
    let base = backend().await;
    shop(&s, &base).await;
    let open = json!({"name": "Free", "state": "published", "subscriptionRequired": false});
    assert_eq!(
        s.put(&format!("/products/free?{V17}"), &open).await.status,
        201
    );
    assert_eq!(
        s.put(&format!("/products/free/apis/shop?{V17}"), &json!({}))
            .await
            .status,
        201
    );
    let (status, seen) = call(&s, "GET", "/shop/items/3", &[], None).await;
    assert_eq!((status, &seen["path"]), (200, &json!("/items/3")));
    // A key that is given must still be valid.
    assert_eq!(
        call(
            &s,
            "GET",
            "/shop/items/3",
            &[("Ocp-Apim-Subscription-Key", "nope")],
            None
        )
        .await
        .0,
        401
    );
}

/// The samples' Echo API answers through the built-in echo backend; a backend that is down gives
/// a JSON 502.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_and_unreachable_backends() {
    let s = Server::start_with_samples(Engine::Sqlite).await;
    let subscription = s
        .get(&format!("/subscriptions/administrator-starter?{V17}"))
        .await
        .json();
    let key = subscription["primaryKey"].as_str().unwrap();
    let client = reqwest::Client::new();
    let echoed = client
        .post(format!("{}/echo/resource", s.gateway))
        .header("Ocp-Apim-Subscription-Key", key)
        .header("X-Custom", "hello")
        .body("ping")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.status().as_u16(), 200);
    assert_eq!(echoed.headers()["x-custom"], "hello");
    assert_eq!(echoed.text().await.unwrap(), "ping");

    // A port that nothing listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let key = shop(&s, &dead).await;
    let (status, body) = call(
        &s,
        "GET",
        "/shop/items/1",
        &[("Ocp-Apim-Subscription-Key", &key)],
        None,
    )
    .await;
    assert_eq!((status, &body["statusCode"]), (502, &json!(502)), "{body}");
}

/// Polls `path` on `s`'s gateway until it answers `expected`; fails after one second.
async fn within_a_second(s: &Server, path: &str, key: &str, expected: u16) {
    let started = std::time::Instant::now();
    loop {
        let status = call(s, "GET", path, &[("Ocp-Apim-Subscription-Key", key)], None)
            .await
            .0;
        if status == expected {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{path} still answers {status}, not {expected}, a second after the write"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Two nodes on one PostgreSQL database: writes through one node's management API reach the other
/// node's gateway within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_nodes_see_writes_within_a_second() {
    let a = Server::start(Engine::Postgres).await;
    let b = a.second_node();
    let key = shop(&a, &backend().await).await;
    within_a_second(&b, "/shop/items/1", &key, 200).await;
    let r = a
        .send(
            "POST",
            &format!("/subscriptions/ann-gold/regeneratePrimaryKey?{V17}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    within_a_second(&b, "/shop/items/1", &key, 401).await;
}

/// A gateway-only node serves calls and, on its management address, only the operations
/// endpoints: probes and metrics, no management API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_only_nodes_serve_operations_endpoints() {
    let a = Server::start(Engine::Postgres).await;
    let b = a.second_node_with(&["--role", "gateway"]);
    let key = shop(&a, &backend().await).await;
    within_a_second(&b, "/shop/items/1", &key, 200).await;
    let client = reqwest::Client::new();
    for (path, status) in [("/health", 200), ("/ready", 200), ("/metrics", 200)] {
        let response = client
            .get(format!("{}{path}", b.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
    }
    let metrics = client
        .get(format!("{}/metrics", b.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tollgate_gateway_requests_total{api=\"shop\",status=\"200\"}"),
        "{metrics}"
    );
    let management = b
        .send("GET", &format!("/subscriptions?{V17}"), None, &[])
        .await;
    assert_eq!(
        management.status, 404,
        "no management API on a gateway node"
    );
}

/// The probes answer without credentials on both planes; an API cannot take their paths.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness() {
    let s = Server::start(Engine::Sqlite).await;
    let client = reqwest::Client::new();
    for base in [&s.base, &s.gateway] {
        for (path, status) in [("/health", "ok"), ("/ready", "ready")] {
            let response = client.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{base}{path}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["status"], status);
        }
    }
    let azure = client
        .get(format!("{}/status-0123456789abcdef", s.gateway))
        .send()
        .await
        .unwrap();
    assert_eq!(azure.status().as_u16(), 200);
    let api = json!({"name": "Health", "path": "health", "serviceUrl": "http://example.com", "protocols": ["http"]});
    assert_eq!(
        s.put(&format!("/apis/health?{V17}"), &api).await.status,
        201
    );
    let probe: Value = client
        .get(format!("{}/health", s.gateway))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(probe["status"], "ok", "the probe keeps its path");
}

/// A backend that counts what it receives (`POST /count`) and sends `bytes` of its own
/// (`GET /download?bytes=N`), both streamed.
async fn streaming_backend() -> String {
    use axum::body::Bytes;
    use http_body_util::BodyExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route(
            "/count",
            axum::routing::post(|body: Body| async move {
                let mut body = body;
                let mut total = 0usize;
                while let Some(frame) = body.frame().await {
                    total += frame.unwrap().data_ref().map_or(0, Bytes::len);
                }
                total.to_string()
            }),
        )
        .route(
            "/download",
            axum::routing::get(|request: Request| async move {
                let bytes: usize = request
                    .uri()
                    .query()
                    .unwrap()
                    .trim_start_matches("bytes=")
                    .parse()
                    .unwrap();
                let chunk = Bytes::from(vec![b'y'; 64 * 1024]);
                let chunks = bytes / chunk.len();
                let stream = futures_util::stream::iter(
                    (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                );
                Body::from_stream(stream)
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

/// 1 GiB up and 1 GiB down pass through the gateway without it holding them in memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gigabytes_stream_through_in_bounded_memory() {
    const GIB: usize = 1 << 30;
    let s = Server::start(Engine::Sqlite).await;
    let api = json!({"name": "Files", "path": "files", "serviceUrl": streaming_backend().await, "protocols": ["http"]});
    assert_eq!(s.put(&format!("/apis/files?{V17}"), &api).await.status, 201);
    for (id, method, template) in [
        ("count", "POST", "/count"),
        ("download", "GET", "/download"),
    ] {
        let op = json!({"name": id, "method": method, "urlTemplate": template});
        assert_eq!(
            s.put(&format!("/apis/files/operations/{id}?{V17}"), &op)
                .await
                .status,
            201
        );
    }
    let open = json!({"name": "Open", "state": "published", "subscriptionRequired": false});
    assert_eq!(
        s.put(&format!("/products/open?{V17}"), &open).await.status,
        201
    );
    assert_eq!(
        s.put(&format!("/products/open/apis/files?{V17}"), &json!({}))
            .await
            .status,
        201
    );

    let chunk = axum::body::Bytes::from(vec![b'x'; 64 * 1024]);
    let chunks = GIB / chunk.len();
    let upload = futures_util::stream::iter(
        (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    );
    let client = reqwest::Client::new();
    let counted = client
        .post(format!("{}/files/count", s.gateway))
        .body(reqwest::Body::wrap_stream(upload))
        .send()
        .await
        .unwrap();
    assert_eq!(counted.status().as_u16(), 200);
    assert_eq!(counted.text().await.unwrap(), GIB.to_string());

    let mut download = client
        .get(format!("{}/files/download?bytes={GIB}", s.gateway))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status().as_u16(), 200);
    let mut received = 0;
    while let Some(chunk) = download.chunk().await.unwrap() {
        received += chunk.len();
    }
    assert_eq!(received, GIB);
    let peak = s.peak_memory_mib();
    assert!(
        peak < 256,
        "the server's memory peaked at {peak} MiB while streaming 2 GiB"
    );
}

/// Runs the openssl command line in `dir` (the tests make their own keys and certificates).
pub(crate) fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the tests need the openssl command line");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An HTTPS backend whose certificate is self-signed (made with the openssl command line): the
/// gateway verifies backends against public roots, so it refuses this one with a 502 that says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_https_backends_are_refused() {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| openssl(dir.path(), args);
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "key.pem",
        "-outform",
        "DER",
        "-out",
        "cert.der",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
    ]);
    run(&[
        "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out", "key.der",
    ]);
    let cert = CertificateDer::from(std::fs::read(dir.path().join("cert.der")).unwrap());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        std::fs::read(dir.path().join("key.der")).unwrap(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (handshakes_tx, mut handshakes) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let handshakes_tx = handshakes_tx.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let accepted = acceptor.accept(stream).await;
                let _ = handshakes_tx.send(accepted.is_ok());
                // A minimal HTTP/1.1 answer for whoever completes the handshake.
                if let Ok(mut tls) = accepted {
                    let mut request = [0u8; 4096];
                    let _ = tls.read(&mut request).await;
                    let answer =
                        "HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nsecret";
                    let _ = tls.write_all(answer.as_bytes()).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });

    let s = Server::start(Engine::Sqlite).await;
    let key = shop(&s, &format!("https://localhost:{port}")).await;
    let (status, body) = call(
        &s,
        "GET",
        "/shop/items/1",
        &[("Ocp-Apim-Subscription-Key", &key)],
        None,
    )
    .await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("TLS"),
        "{body} {}",
        s.log()
    );
    let completed = handshakes
        .recv()
        .await
        .expect("the gateway tried a TLS handshake");
    assert!(
        !completed,
        "the gateway must not complete a handshake with an untrusted certificate"
    );

    // A backend entity for that URL that turns validation off: now it is accepted.
    let backend = json!({"url": format!("https://localhost:{port}"), "protocol": "http",
        "tls": {"validateCertificateChain": false, "validateCertificateName": false}});
    assert_eq!(
        s.put(&format!("/backends/selfsigned?{V17}"), &backend)
            .await
            .status,
        201
    );
    let (status, body) = call(
        &s,
        "GET",
        "/shop/items/1",
        &[("Ocp-Apim-Subscription-Key", &key)],
        None,
    )
    .await;
    assert_eq!((status, body), (200, json!("secret")));
    assert!(handshakes.recv().await.unwrap(), "the handshake completed");
}

/// A backend entity whose `url` is an API's `serviceUrl` adds its credentials to every call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_entities_add_their_credentials() {
    let s = Server::start(Engine::Sqlite).await;
    let base = backend().await;
    let key = shop(&s, &base).await;
    let entity = json!({"url": format!("{base}/"), "protocol": "http", "credentials": {
        "header": {"x-backend-key": ["s3cret"]}, "query": {"code": ["42"]},
        "authorization": {"scheme": "Basic", "parameter": "dXNlcjpwYXNz"}}});
    assert_eq!(
        s.put(&format!("/backends/shop-backend?{V17}"), &entity)
            .await
            .status,
        201
    );
    let (status, seen) = call(
        &s,
        "GET",
        "/shop/items/3?a=1",
        &[("Ocp-Apim-Subscription-Key", &key)],
        None,
    )
    .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["query"], "a=1&code=42");
    assert_eq!(
        (
            &seen["headers"]["x-backend-key"],
            &seen["headers"]["authorization"]
        ),
        (&json!("s3cret"), &json!("Basic dXNlcjpwYXNz"))
    );
}

/// With a certificate and key the gateway speaks HTTPS (HTTP/2 by ALPN): https-only APIs are
/// served, http-only ones are not, and the backend learns the scheme.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_speaks_https_when_given_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| openssl(dir.path(), args);
    // A test CA, and a server certificate for localhost and 127.0.0.1 that it signs.
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=Tollgate test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.path().join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "cert.pem",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
    ]);
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let s = Server::start_with_options(&[
        "--gateway-tls-cert",
        cert.to_str().unwrap(),
        "--gateway-tls-key",
        key.to_str().unwrap(),
    ])
    .await;
    assert!(s.gateway.starts_with("https://"), "{}", s.gateway);
    let base = backend().await;
    let key = shop(&s, &base).await;
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(dir.path().join("ca.pem")).unwrap())
                .unwrap(),
        )
        .build()
        .unwrap();
    let response = client
        .get(format!("{}/shop/items/5", s.gateway))
        .header("Ocp-Apim-Subscription-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    let seen: Value = response.json().await.unwrap();
    assert_eq!(
        (&seen["path"], &seen["headers"]["x-forwarded-proto"]),
        (&json!("/items/5"), &json!("https"))
    );

    let http_only =
        json!({"name": "Plain", "path": "plain", "serviceUrl": base, "protocols": ["http"]});
    assert_eq!(
        s.put(&format!("/apis/plain?{V17}"), &http_only)
            .await
            .status,
        201
    );
    let op = json!({"name": "any", "method": "GET", "urlTemplate": "/x"});
    assert_eq!(
        s.put(&format!("/apis/plain/operations/any?{V17}"), &op)
            .await
            .status,
        201
    );
    assert_eq!(
        s.put(&format!("/products/gold/apis/plain?{V17}"), &json!({}))
            .await
            .status,
        201
    );
    let refused = client
        .get(format!("{}/plain/x", s.gateway))
        .header("Ocp-Apim-Subscription-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status().as_u16(),
        404,
        "an http-only API is not served over https"
    );
}

/// Without TLS the gateway also speaks HTTP/2 to callers who start with it (h2c).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http2_callers_are_served() {
    let s = Server::start(Engine::Sqlite).await;
    let key = shop(&s, &backend().await).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let response = client
        .get(format!("{}/shop/items/8", s.gateway))
        .header("Ocp-Apim-Subscription-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (response.status().as_u16(), response.version()),
        (200, reqwest::Version::HTTP_2)
    );
    let seen: Value = response.json().await.unwrap();
    assert_eq!(seen["path"], "/items/8");
    assert!(
        seen["headers"]["x-forwarded-host"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:"),
        "{seen}"
    );
}

/// `/metrics` on the management listener counts the gateway's calls by API and status; every call
/// has an access-log line without its query (where keys may be).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_access_log() {
    let s = Server::start(Engine::Sqlite).await;
    let key = shop(&s, &backend().await).await;
    for _ in 0..3 {
        assert_eq!(
            call(
                &s,
                "GET",
                &format!("/shop/items/1?subscription-key={key}"),
                &[],
                None
            )
            .await
            .0,
            200
        );
    }
    assert_eq!(call(&s, "GET", "/shop/items/1", &[], None).await.0, 401);
    assert_eq!(call(&s, "GET", "/nowhere", &[], None).await.0, 404);
    // Without credentials, like a Prometheus scrape.
    let text = reqwest::get(format!("{}/metrics", s.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "tollgate_gateway_requests_total{api=\"shop\",status=\"200\"} 3",
        "tollgate_gateway_requests_total{api=\"shop\",status=\"401\"} 1",
        "tollgate_gateway_requests_total{api=\"-\",status=\"404\"} 1",
        "tollgate_gateway_request_duration_seconds_count 5",
        "tollgate_gateway_records_dropped_total 0",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    let log = s.log();
    assert_eq!(
        log.matches("path=\"/shop/items/1\" status=").count(),
        4,
        "{log}"
    );
    assert!(!log.contains(&key), "a key reached the log");
}
