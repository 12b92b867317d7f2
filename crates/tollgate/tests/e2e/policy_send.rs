//! Calling out and answering (issue 8): `send-request` and `send-one-way-request` to a second real
//! backend started here, responses read by expressions and returned by `return-response`,
//! `set-backend-service backend-id`, `authentication-basic`, `authentication-certificate` and
//! `mock-response` from the operation's samples.

use crate::backend_proxy::forwarding_proxy;
use crate::backend_tls::{make_certificates, tls_backend};
use crate::common::{Engine, Server, V17};
use crate::gateway::{backend, call, shop};
use crate::on_both_engines;
use crate::policy_engine::{eventually, header, put_policy};
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

on_both_engines!(
    send_requests_read_responses,
    forward_request_follows_redirects,
    send_request_bodies_from_liquid_templates,
    send_request_failures_follow_ignore_error,
    one_way_requests_arrive_later,
    backends_by_id_and_basic_credentials,
    mock_responses_answer_from_samples,
    policies_present_client_certificates
);

/// The second backend that policies call.
struct Side {
    /// `http://127.0.0.1:PORT`.
    url: String,
    /// What it received, in order: method, path, query, headers, body.
    seen: Arc<Mutex<Vec<Value>>>,
}

impl Side {
    /// What it received at `path`.
    fn at(&self, path: &str) -> Vec<Value> {
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|r| r["path"] == path).cloned().collect()
    }
}

/// A backend on an ephemeral port that answers every request `200` with what it received, as
/// JSON, and an `x-side: yes` header; paths starting `/slow` answer after 3 seconds;
/// `/redirect-{status}` answers that status with `Location: landed` (relative), and `/loop`
/// redirects to itself.
async fn side_service() -> Side {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |request: Request| {
        let log = log.clone();
        async move {
            let (parts, body) = request.into_parts();
            let headers = crate::gateway::headers_json(&parts.headers);
            let bytes = to_bytes(body, usize::MAX).await.unwrap();
            let record = json!({
                "method": parts.method.as_str(), "path": parts.uri.path(),
                "query": parts.uri.query().unwrap_or(""), "headers": headers,
                "body": String::from_utf8_lossy(&bytes),
            });
            if parts.uri.path().starts_with("/slow") {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            log.lock().unwrap().push(record.clone());
            let path = parts.uri.path();
            let redirect = match path.strip_prefix("/redirect-") {
                Some(code) => Some((code.parse::<u16>().unwrap(), "landed")),
                None => (path == "/loop").then_some((302, "/loop")),
            };
            if let Some((status, location)) = redirect {
                return axum::response::Response::builder()
                    .status(status)
                    .header("location", location)
                    .body(Body::empty())
                    .unwrap();
            }
            axum::response::Response::builder()
                .header("content-type", "application/json")
                .header("x-side", "yes")
                .body(Body::from(record.to_string()))
                .unwrap()
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Side { url, seen }
}

/// A gateway call's status, headers and body text.
async fn raw_call(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    // Redirects reach the test as the gateway answered them.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.request(method.parse().unwrap(), format!("{}{path}", s.gateway));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.body(body.to_owned()).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// A policy document with these inbound statements (after `<base />`), forwarding, and
/// `on_error` as its on-error section.
fn inbound(statements: &str, on_error: &str) -> String {
    format!(
        "<policies><inbound><base />{statements}</inbound><backend><base /></backend>\
         <outbound><base /></outbound><on-error>{on_error}</on-error></policies>"
    )
}

async fn send_requests_read_responses(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let side = side_service().await;
    let statements = format!(
        r#"<send-request mode="new" response-variable-name="token" timeout="10" ignore-error="false">
             <set-url>{}/introspect?from=gateway</set-url>
             <set-method>POST</set-method>
             <set-header name="X-Asked-By" exists-action="override"><value>@(context.Subscription.Id)</value></set-header>
             <set-body>@("token=" + context.Request.Headers.GetValueOrDefault("X-Token", ""))</set-body>
           </send-request>
           <set-header name="X-Side-Status"><value>@(((IResponse)context.Variables["token"]).StatusCode.ToString())</value></set-header>
           <set-header name="X-Side-Seen"><value>@{{ var seen = ((IResponse)context.Variables["token"]).Body.As&lt;JObject&gt;(); return seen["method"] + " " + seen["body"]; }}</value></set-header>
           <set-header name="X-Side-Header"><value>@(((IResponse)context.Variables["token"]).Headers.GetValueOrDefault("x-side", "none"))</value></set-header>"#,
        side.url
    );
    put_policy(&s, "/apis/shop", &inbound(&statements, "")).await;
    let (status, seen) = call(&s, "GET", "/shop/items/1", &[k, ("X-Token", "abc")], None).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(header(&seen, "x-side-status"), "200");
    assert_eq!(header(&seen, "x-side-seen"), "POST token=abc");
    assert_eq!(header(&seen, "x-side-header"), "yes");
    let asked = side.at("/introspect");
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0]["query"], "from=gateway");
    assert_eq!(asked[0]["headers"]["x-asked-by"], "ann-gold");
    assert!(asked[0]["headers"]["ocp-apim-subscription-key"].is_null());

    // A copy of the call's request (method, headers, body), returned as the call's response.
    put_policy(
        &s,
        "/apis/shop/operations/add",
        &inbound(
            &format!(
                r#"<send-request mode="copy" response-variable-name="copied"><set-url>{}/copy</set-url>
                     <set-header name="X-Extra" exists-action="append"><value>more</value></set-header></send-request>
                   <return-response response-variable-name="copied">
                     <set-header name="X-Returned" exists-action="override"><value>yes</value></set-header></return-response>"#,
                side.url
            ),
            "",
        ),
    )
    .await;
    let headers = [k, ("X-Custom", "1"), ("X-Extra", "first")];
    let (status, got, text) = raw_call(&s, "POST", "/shop/items", &headers, "hello").await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(got["x-returned"], "yes");
    assert_eq!(got["x-side"], "yes", "the held response's headers");
    assert!(got.get("x-backend").is_none(), "the backend is not called");
    let copied: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (&copied["method"], &copied["path"]),
        (&json!("POST"), &json!("/copy"))
    );
    assert_eq!(copied["body"], "hello");
    assert_eq!(copied["headers"]["x-custom"], "1");
    assert_eq!(copied["headers"]["x-extra"], "first, more");
    assert!(copied["headers"]["ocp-apim-subscription-key"].is_null());

    // Through an HTTP proxy.
    let proxy = forwarding_proxy("ann", "pw").await;
    put_policy(
        &s,
        "/apis/shop/operations/special",
        &inbound(
            &format!(
                r#"<send-request mode="new" response-variable-name="proxied"><set-url>{}/via-proxy</set-url>
                     <proxy url="{}" username="ann" password="pw" /></send-request>
                   <return-response response-variable-name="proxied" />"#,
                side.url, proxy.url
            ),
            "",
        ),
    )
    .await;
    let (status, body) = call(&s, "GET", "/shop/items/special", &[k], None).await;
    assert_eq!(
        (status, &body["path"]),
        (200, &json!("/via-proxy")),
        "{body}"
    );
    let relayed = proxy.relayed();
    assert!(
        relayed
            .iter()
            .any(|line| line.starts_with(&format!("GET {}/via-proxy", side.url))),
        "{relayed:?}"
    );
}

async fn send_request_failures_follow_ignore_error(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let side = side_service().await;
    let report = r#"<set-status code="502" reason="Side failed" />
        <set-body>@(context.LastError.Source + "|" + context.LastError.Reason + "|" + context.LastError.Section)</set-body>"#;
    put_policy(&s, "/apis/shop", &inbound("", report)).await;
    // ignore-error: a timeout and an unreachable URL leave null variables; the call goes on.
    put_policy(
        &s,
        "/apis/shop/operations/get-item",
        &format!(
            r#"<policies><inbound><base />
                 <send-request mode="new" response-variable-name="slow" timeout="1" ignore-error="true"><set-url>{}/slow</set-url></send-request>
                 <send-request mode="new" response-variable-name="nowhere" ignore-error="true"><set-url>http://127.0.0.1:1/</set-url></send-request>
                 <set-header name="X-Nulls"><value>@((context.Variables["slow"] == null ? "null" : "set") + " " + (context.Variables["nowhere"] == null ? "null" : "set"))</value></set-header>
               </inbound></policies>"#,
            side.url
        ),
    )
    .await;
    let started = Instant::now();
    let (status, seen) = call(&s, "GET", "/shop/items/1", &[k], None).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(header(&seen, "x-nulls"), "null null");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "the timeout cut the slow request short"
    );

    // Without ignore-error: on-error runs, with Azure's reasons.
    for (operation, url, timeout) in [
        ("special", format!("{}/slow", side.url), "1"),
        ("add", "http://127.0.0.1:1/".to_owned(), "5"),
    ] {
        let statement = format!(
            r#"<send-request mode="new" response-variable-name="r" timeout="{timeout}"><set-url>{url}</set-url></send-request>"#
        );
        let path = format!("/apis/shop/operations/{operation}");
        put_policy(&s, &path, &inbound(&statement, "<base />")).await;
    }
    let (status, body) = call(&s, "GET", "/shop/items/special", &[k], None).await;
    assert_eq!((status, body), (502, json!("send-request|Timeout|inbound")));
    let (status, body) = call(&s, "POST", "/shop/items", &[k], Some(vec![])).await;
    assert_eq!(
        (status, body),
        (502, json!("send-request|BackendConnectionFailure|inbound"))
    );
    // Without on-error: Azure's 500.
    put_policy(&s, "/apis/shop", &inbound("", "")).await;
    let (status, body) = call(&s, "POST", "/shop/items", &[k], Some(vec![])).await;
    assert_eq!(
        (status, &body["message"]),
        (500, &json!("Internal server error"))
    );
}

async fn one_way_requests_arrive_later(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let side = side_service().await;
    put_policy(
        &s,
        "/apis/shop",
        &format!(
            r#"<policies><inbound><base />
                 <send-one-way-request mode="new" timeout="10"><set-url>{side}/slow-hook</set-url><set-method>PUT</set-method>
                   <set-body>@("called " + context.Operation.Id)</set-body></send-one-way-request>
                 <send-one-way-request mode="new"><set-url>http://127.0.0.1:1/</set-url></send-one-way-request>
               </inbound><backend><base /></backend>
               <outbound><base /><send-one-way-request mode="copy"><set-url>{side}/after</set-url></send-one-way-request></outbound></policies>"#,
            side = side.url
        ),
    )
    .await;
    let started = Instant::now();
    let (status, seen) = call(&s, "POST", "/shop/items", &[k], Some(b"order".to_vec())).await;
    assert_eq!(status, 200, "{seen}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the call does not wait for the hook (which answers after 3 s)"
    );
    eventually("the hook was called", || async {
        !side.at("/slow-hook").is_empty()
    })
    .await;
    let hook = &side.at("/slow-hook")[0];
    assert_eq!(
        (&hook["method"], &hook["body"]),
        (&json!("PUT"), &json!("called add"))
    );
    eventually("the outbound copy arrived", || async {
        !side.at("/after").is_empty()
    })
    .await;
    let after = &side.at("/after")[0];
    // In outbound a copy has the request's method and headers but no body.
    assert_eq!(
        (&after["method"], &after["body"]),
        (&json!("POST"), &json!(""))
    );
    eventually("the failure is logged", || async {
        s.log().contains("send-one-way-request failed")
    })
    .await;
}

async fn backends_by_id_and_basic_credentials(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let side = side_service().await;
    let entity = json!({"url": format!("{}/base/", side.url), "protocol": "http", "credentials": {
        "header": {"x-backend-key": ["s3cret"]}, "query": {"code": ["42"]}}});
    let r = s
        .put(&format!("/backends/side-backend?{V17}"), &entity)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    put_policy(
        &s,
        "/apis/shop",
        &inbound(
            r#"<set-backend-service backend-id="Side-Backend" />"#,
            r#"<set-status code="500" reason="Failed" /><set-body>@(context.LastError.Reason + ": " + context.LastError.Message)</set-body>"#,
        ),
    )
    .await;
    let (status, seen) = call(&s, "GET", "/shop/items/1?a=1", &[k], None).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["path"], "/base/items/1");
    assert_eq!(seen["query"], "a=1&code=42");
    assert_eq!(seen["headers"]["x-backend-key"], "s3cret");

    // authentication-basic sets the backend request's Authorization (a secret named value).
    let property = json!({"name": "side-password", "value": "s3cret", "secret": true});
    let r = s
        .put(&format!("/properties/side-password?{V17}"), &property)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    put_policy(
        &s,
        "/apis/shop/operations/add",
        &inbound(
            r#"<authentication-basic username="ann" password="{{side-password}}" />"#,
            "<base />",
        ),
    )
    .await;
    let (status, seen) = call(&s, "POST", "/shop/items", &[k], Some(vec![])).await;
    assert_eq!(status, 200, "{seen}");
    let expected = format!("Basic {}", BASE64.encode("ann:s3cret"));
    assert_eq!(seen["headers"]["authorization"], json!(expected));
    assert_eq!(
        seen["path"], "/base/items",
        "after the API's set-backend-service"
    );

    // An unknown backend: the statement fails.
    put_policy(
        &s,
        "/apis/shop/operations/special",
        &inbound(
            r#"<set-backend-service backend-id="@(&quot;nope&quot;)" />"#,
            "<base />",
        ),
    )
    .await;
    let (status, body) = call(&s, "GET", "/shop/items/special", &[k], None).await;
    assert_eq!(
        (status, body),
        (
            500,
            json!("BackendNotFound: Backend with id 'nope' could not be found.")
        )
    );
}

async fn mock_responses_answer_from_samples(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let operation = json!({"name": "get-item", "method": "GET", "urlTemplate": "/items/{id}",
        "templateParameters": [{"name": "id", "type": "string", "required": true}],
        "responses": [
            {"statusCode": 200, "representations": [
                {"contentType": "application/json", "sample": "{\"id\":1}"},
                {"contentType": "application/xml", "sample": "<id>1</id>"}]},
            {"statusCode": 404, "representations": [{"contentType": "application/json"}]}]});
    let r = s
        .put(&format!("/apis/shop/operations/get-item?{V17}"), &operation)
        .await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text);
    let path = "/apis/shop/operations/get-item";
    let cases = [
        (
            "<mock-response />",
            200,
            Some("application/json"),
            r#"{"id":1}"#,
        ),
        (
            r#"<mock-response status-code="200" content-type="application/xml" />"#,
            200,
            Some("application/xml"),
            "<id>1</id>",
        ),
        (
            r#"<mock-response status-code="404" />"#,
            404,
            Some("application/json"),
            "",
        ),
        (
            r#"<mock-response status-code="201" content-type="text/plain" />"#,
            201,
            Some("text/plain"),
            "",
        ),
        (r#"<mock-response status-code="503" />"#, 503, None, ""),
    ];
    for (statement, status, content_type, body) in cases {
        put_policy(&s, path, &inbound(statement, "")).await;
        let (got, headers, text) = raw_call(&s, "GET", "/shop/items/1", &[k], "").await;
        assert_eq!((got, text.as_str()), (status, body), "{statement}");
        let media = headers.get("content-type").map(|v| v.to_str().unwrap());
        assert_eq!(media, content_type, "{statement}");
        assert!(
            headers.get("x-backend").is_none(),
            "the backend is not called"
        );
    }

    // In outbound: the backend's response is replaced.
    put_policy(
        &s,
        path,
        r#"<policies><inbound><base /></inbound><backend><base /></backend>
           <outbound><base /><mock-response status-code="200" content-type="application/xml" /></outbound></policies>"#,
    )
    .await;
    let (status, headers, text) = raw_call(&s, "GET", "/shop/items/1", &[k], "").await;
    assert_eq!((status, text.as_str()), (200, "<id>1</id>"));
    assert_eq!(headers["content-type"], "application/xml");
}

async fn policies_present_client_certificates(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let port = tls_backend(dir.path(), true).await;
    let s = Server::start(engine).await;
    let url = format!("https://localhost:{port}");
    let key = shop(&s, &url).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    // The self-signed server is accepted (the backend entity turns chain validation off).
    let entity =
        json!({"url": url, "protocol": "http", "tls": {"validateCertificateChain": false}});
    let r = s.put(&format!("/backends/mutual?{V17}"), &entity).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (status, body) = call(&s, "GET", "/shop/items/1", &[k], None).await;
    assert_eq!(status, 502, "no client certificate yet: {body}");

    let pfx = BASE64.encode(std::fs::read(dir.path().join("client.pfx")).unwrap());
    let uploaded = s
        .put(
            &format!("/certificates/client?{V17}"),
            &json!({"data": pfx, "password": "pw"}),
        )
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.text);
    let thumbprint = uploaded.json()["thumbprint"].as_str().unwrap().to_owned();
    let client_der = BASE64.encode(std::fs::read(dir.path().join("client.der")).unwrap());
    let report = r#"<set-status code="500" reason="Failed" /><set-body>@(context.LastError.Reason + ": " + context.LastError.Message)</set-body>"#;
    for statement in [
        format!(
            r#"<authentication-certificate thumbprint="{}" />"#,
            thumbprint.to_lowercase()
        ),
        r#"<authentication-certificate certificate-id="@(&quot;CLIENT&quot;)" />"#.to_owned(),
        // The file itself, in the policy (a named value would usually hold it).
        format!(
            r#"<authentication-certificate body="@(Convert.FromBase64String(&quot;{pfx}&quot;))" password="pw" />"#
        ),
    ] {
        put_policy(&s, "/apis/shop", &inbound(&statement, report)).await;
        let (status, body) = call(&s, "GET", "/shop/items/1", &[k], None).await;
        assert_eq!(status, 200, "{statement}: {body} {}", s.log());
        assert_eq!(
            body.as_str(),
            Some(client_der.as_str()),
            "the backend saw it"
        );
    }

    // A file that does not open: the statement fails, saying why.
    let statement = format!(
        r#"<authentication-certificate body="@(Convert.FromBase64String(&quot;{pfx}&quot;))" password="wrong" />"#
    );
    put_policy(&s, "/apis/shop", &inbound(&statement, report)).await;
    let (status, body) = call(&s, "GET", "/shop/items/1", &[k], None).await;
    assert_eq!(status, 500);
    let text = body.as_str().unwrap();
    assert!(
        text.starts_with("InvalidCertificate: The certificate given in the policy cannot be used"),
        "{text}"
    );

    // An unknown certificate: the statement fails.
    let missing = "0123456789ABCDEF0123456789ABCDEF01234567";
    let statement = format!(r#"<authentication-certificate thumbprint="{missing}" />"#);
    put_policy(&s, "/apis/shop", &inbound(&statement, report)).await;
    let (status, body) = call(&s, "GET", "/shop/items/1", &[k], None).await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        json!(format!(
            "CertificateNotFound: No uploaded certificate has the thumbprint '{missing}'."
        ))
    );

    // send-request speaks https too: this server's certificate is not trusted by the default
    // client, so the request fails in the TLS handshake.
    let statement = format!(
        r#"<send-request mode="new" response-variable-name="r"><set-url>{url}/x</set-url></send-request>"#
    );
    put_policy(&s, "/apis/shop", &inbound(&statement, report)).await;
    let (status, body) = call(&s, "GET", "/shop/items/1", &[k], None).await;
    assert_eq!(status, 500);
    let text = body.as_str().unwrap();
    assert!(
        text.starts_with("BackendConnectionFailure:") && text.contains("TLS"),
        "{text}"
    );
}

async fn forward_request_follows_redirects(engine: Engine) {
    let s = Server::start(engine).await;
    let side = side_service().await;
    let key = shop(&s, &side.url).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/apis/shop/operations/add",
        r#"<policies><inbound><base /><rewrite-uri template="@(context.Request.Headers.GetValueOrDefault(&quot;X-Path&quot;, &quot;/items&quot;))" /></inbound>
           <backend><forward-request follow-redirects="true" /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    // 307 and 308 repeat the method and body; 301, 302 and 303 go on as GET without body.
    for (code, method, body) in [
        (307, "POST", "order"),
        (308, "POST", "order"),
        (301, "GET", ""),
        (302, "GET", ""),
        (303, "GET", ""),
    ] {
        let path = format!("/redirect-{code}");
        let headers = [k, ("X-Path", path.as_str())];
        let (status, _, text) = raw_call(&s, "POST", "/shop/items", &headers, "order").await;
        assert_eq!(status, 200, "{code}: {text}");
        let landed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            (&landed["path"], &landed["method"], &landed["body"]),
            (&json!("/landed"), &json!(method), &json!(body)),
            "{code}"
        );
    }
    // A loop ends after ten redirects, with the last redirect as the answer.
    let (status, headers, _) =
        raw_call(&s, "POST", "/shop/items", &[k, ("X-Path", "/loop")], "").await;
    assert_eq!(
        (status, &headers["location"]),
        (302, &"/loop".parse().unwrap())
    );
    assert_eq!(side.at("/loop").len(), 11);
    // Without follow-redirects the caller gets the redirect.
    put_policy(
        &s,
        "/apis/shop/operations/add",
        r#"<policies><inbound><base /><rewrite-uri template="/redirect-302" /></inbound>
           <backend><forward-request /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    let (status, headers, _) = raw_call(&s, "POST", "/shop/items", &[k], "order").await;
    assert_eq!(
        (status, &headers["location"]),
        (302, &"landed".parse().unwrap())
    );

    // A chunked upload reaches the backend chunked, unless buffer-request-body reads it whole
    // first (then its length is known).
    let chunked_upload = || async {
        let chunks = ["or", "der"].map(|c| Ok::<_, std::io::Error>(axum::body::Bytes::from(c)));
        let response = reqwest::Client::new()
            .post(format!("{}/shop/items", s.gateway))
            .header(k.0, k.1)
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks,
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let seen: Value = response.json().await.unwrap();
        (seen["body"].clone(), seen["headers"].clone())
    };
    for (buffer, length, chunked) in [
        ("false", json!(null), json!("chunked")),
        ("true", json!("5"), json!(null)),
    ] {
        put_policy(
            &s,
            "/apis/shop/operations/add",
            &format!(
                r#"<policies><inbound><base /></inbound><backend><forward-request buffer-request-body="{buffer}" /></backend>
                   <outbound><base /></outbound></policies>"#
            ),
        )
        .await;
        let (body, headers) = chunked_upload().await;
        assert_eq!(body, "order");
        assert_eq!(
            (&headers["content-length"], &headers["transfer-encoding"]),
            (&length, &chunked),
            "buffer-request-body={buffer}"
        );
    }
}

/// A `send-request`'s `set-body template="liquid"` binds the call's request body (inbound).
async fn send_request_bodies_from_liquid_templates(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let side = side_service().await;
    let statements = format!(
        r#"<send-one-way-request mode="new"><set-url>{}/audit</set-url><set-method>POST</set-method>
             <set-body template="liquid">{{"item": "{{{{ body.name | Upcase }}}}", "by": "{{{{ context.User.Email }}}}"}}</set-body>
           </send-one-way-request>"#,
        side.url
    );
    put_policy(&s, "/apis/shop", &inbound(&statements, "")).await;
    let json = ("Content-Type", "application/json");
    let (status, _, text) =
        raw_call(&s, "POST", "/shop/items", &[k, json], r#"{"name": "pen"}"#).await;
    assert_eq!(status, 200, "{text}");
    eventually("the audit request arrived", || async {
        !side.at("/audit").is_empty()
    })
    .await;
    let audit = &side.at("/audit")[0];
    let body: Value = serde_json::from_str(audit["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"item": "PEN", "by": "ann@contoso.com"}));
}
