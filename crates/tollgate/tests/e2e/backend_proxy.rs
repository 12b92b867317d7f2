//! Backend entities' `proxy`: calls go through a small forwarding HTTP proxy written here, which
//! checks `Proxy-Authorization`, opens `CONNECT` tunnels, relays absolute-form requests and
//! counts what it relayed.

use crate::backend_tls::{make_certificates, tls_backend};
use crate::common::{Engine, Server, V17};
use crate::gateway::{backend, call, shop};
use crate::on_both_engines;
use crate::policy_engine::put_policy;
use base64::Engine as _;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

on_both_engines!(
    calls_go_through_the_backend_proxy,
    the_proxy_statement_sends_calls_through_a_proxy
);

/// A running test proxy.
pub(crate) struct TestProxy {
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    /// The request lines it relayed (`CONNECT host:port HTTP/1.1`, `GET http://… HTTP/1.1`).
    relayed: Arc<Mutex<Vec<String>>>,
}

impl TestProxy {
    pub(crate) fn relayed(&self) -> Vec<String> {
        self.relayed.lock().unwrap().clone()
    }
}

/// A forwarding proxy on an ephemeral port that requires `Proxy-Authorization: Basic` with `user`
/// and `password` (else 407). `CONNECT` opens a tunnel; another request, in absolute form, is
/// sent to its host in origin form with `connection: close`, so each connection carries one.
pub(crate) async fn forwarding_proxy(user: &str, password: &str) -> TestProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    );
    let relayed = Arc::new(Mutex::new(Vec::new()));
    let log = relayed.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(relay(client, expected.clone(), log.clone()));
        }
    });
    TestProxy { url, relayed }
}

/// Serves one proxy connection.
async fn relay(mut client: TcpStream, expected: String, log: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    let end = loop {
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    };
    let rest = head.split_off(end);
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap().to_owned();
    let headers: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let authorized = headers.iter().any(|h| {
        h.split_once(':').is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case("proxy-authorization") && value.trim() == expected
        })
    });
    if !authorized {
        let refusal = "HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        let _ = client.write_all(refusal.as_bytes()).await;
        return;
    }
    let mut words = request_line.split(' ');
    let (method, target) = (words.next().unwrap(), words.next().unwrap().to_owned());
    let (authority, first) = if method == "CONNECT" {
        (target.clone(), None)
    } else {
        let without_scheme = target.strip_prefix("http://").expect("absolute form");
        let (authority, path) = without_scheme
            .find('/')
            .map_or((without_scheme, "/"), |i| without_scheme.split_at(i));
        let mut forwarded = format!("{method} {path} HTTP/1.1\r\n");
        for header in &headers {
            let name = header.split(':').next().unwrap().to_ascii_lowercase();
            if !["proxy-authorization", "proxy-connection", "connection"].contains(&name.as_str()) {
                forwarded.push_str(&format!("{header}\r\n"));
            }
        }
        forwarded.push_str("connection: close\r\n\r\n");
        (authority.to_owned(), Some(forwarded))
    };
    let Ok(mut upstream) = TcpStream::connect(&authority).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    log.lock().unwrap().push(request_line);
    match first {
        Some(forwarded) => upstream.write_all(forwarded.as_bytes()).await.unwrap(),
        None => client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .unwrap(),
    }
    if !rest.is_empty() {
        upstream.write_all(&rest).await.unwrap();
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

async fn calls_go_through_the_backend_proxy(engine: Engine) {
    let s = Server::start(engine).await;
    let plain = backend().await;
    let key = shop(&s, &plain).await;
    let header = [("Ocp-Apim-Subscription-Key", key.as_str())];
    // A second API on an HTTPS backend with a self-signed certificate.
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let secure = format!("https://localhost:{}", tls_backend(dir.path(), false).await);
    let api =
        json!({"name": "Secure", "path": "secure", "serviceUrl": secure, "protocols": ["http"]});
    assert_eq!(
        s.put(&format!("/apis/secure?{V17}"), &api).await.status,
        201
    );
    let op = json!({"name": "x", "method": "GET", "urlTemplate": "/x"});
    let r = s
        .put(&format!("/apis/secure/operations/x?{V17}"), &op)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s
        .put(&format!("/products/gold/apis/secure?{V17}"), &json!({}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let proxy = forwarding_proxy("ann", "s3cret").await;
    let put_backends = |proxy_settings: Value| {
        let s = &s;
        let (plain, secure) = (plain.clone(), secure.clone());
        async move {
            for (id, url) in [("plain", plain), ("secure", secure)] {
                let entity = json!({"url": url, "protocol": "http", "proxy": proxy_settings,
                    "tls": {"validateCertificateChain": false}});
                let r = s.put(&format!("/backends/{id}?{V17}"), &entity).await;
                assert!(r.status == 200 || r.status == 201, "{}", r.text);
            }
        }
    };
    put_backends(json!({"url": proxy.url, "username": "ann", "password": "s3cret"})).await;

    // http: the request goes to the proxy in absolute form.
    let (status, seen) = call(&s, "GET", "/shop/items/1?a=1", &header, None).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(
        (&seen["path"], &seen["query"]),
        (&json!("/items/1"), &json!("a=1"))
    );
    assert!(
        seen["headers"].get("proxy-authorization").is_none(),
        "{seen}"
    );
    let port = plain.rsplit(':').next().unwrap();
    assert_eq!(
        proxy.relayed(),
        [format!("GET http://127.0.0.1:{port}/items/1?a=1 HTTP/1.1")]
    );
    // https: a CONNECT tunnel, and TLS with the backend inside it.
    let (status, body) = call(&s, "GET", "/secure/x", &header, None).await;
    assert_eq!((status, &body), (200, &json!("none")), "{}", s.log());
    let relayed = proxy.relayed();
    assert_eq!(relayed.len(), 2, "{relayed:?}");
    let authority = secure.trim_start_matches("https://");
    assert_eq!(relayed[1], format!("CONNECT {authority} HTTP/1.1"));

    // A wrong password: the proxy refuses, the gateway answers 502 for both kinds.
    put_backends(json!({"url": proxy.url, "username": "ann", "password": "wrong"})).await;
    for path in ["/shop/items/1", "/secure/x"] {
        let (status, body) = call(&s, "GET", path, &header, None).await;
        assert_eq!(status, 502, "{path}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("proxy") && message.contains("407"),
            "{path}: {body}"
        );
    }
    assert_eq!(proxy.relayed().len(), 2, "nothing more was relayed");

    // A proxy that nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    put_backends(json!({"url": nowhere})).await;
    for path in ["/shop/items/1", "/secure/x"] {
        let (status, body) = call(&s, "GET", path, &header, None).await;
        assert_eq!(
            (status, &body["message"]),
            (502, &json!("The backend's proxy could not be reached.")),
            "{path}"
        );
    }
    assert!(
        !s.log().contains("s3cret"),
        "a proxy password reached the log"
    );
}

/// The `proxy` policy statement: the calls of the operation whose policy has it go through the
/// proxy, with its credentials; the others go straight to the backend.
async fn the_proxy_statement_sends_calls_through_a_proxy(engine: Engine) {
    let s = Server::start(engine).await;
    let plain = backend().await;
    let key = shop(&s, &plain).await;
    let header = [("Ocp-Apim-Subscription-Key", key.as_str())];
    let proxy = forwarding_proxy("ann", "s3cret").await;
    put_policy(
        &s,
        "/apis/shop/operations/get-item",
        &format!(
            r#"<policies><inbound><base /><proxy url="{}" username="ann" password="@(&quot;s3&quot; + &quot;cret&quot;)" /></inbound>
               <backend><base /></backend><outbound><base /></outbound></policies>"#,
            proxy.url
        ),
    )
    .await;
    let (status, seen) = call(&s, "GET", "/shop/items/7", &header, None).await;
    assert_eq!((status, &seen["path"]), (200, &json!("/items/7")), "{seen}");
    let port = plain.rsplit(':').next().unwrap();
    assert_eq!(
        proxy.relayed(),
        [format!("GET http://127.0.0.1:{port}/items/7 HTTP/1.1")]
    );
    let (status, seen) = call(&s, "POST", "/shop/items", &header, Some(b"x".to_vec())).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(proxy.relayed().len(), 1, "another operation goes straight");
}
