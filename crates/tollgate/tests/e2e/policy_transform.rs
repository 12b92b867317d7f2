//! Browser and body transforms (issue 8): `cors` (preflights answered by the gateway, headers
//! on actual calls), `jsonp`, `cross-domain` (`/crossdomain.xml`), `find-and-replace`,
//! `redirect-content-urls`, `json-to-xml` and `xml-to-json`, against a real backend that
//! answers with what it received.

use crate::common::{Engine, Server, V17};
use crate::gateway::shop;
use crate::on_both_engines;
use crate::policy_engine::{put_policy, refused_policy};
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use serde_json::{Value, json};

on_both_engines!(
    preflights_are_answered_by_the_gateway,
    actual_cors_calls_get_headers,
    jsonp_wraps_json_responses,
    crossdomain_xml_comes_from_the_global_policy,
    find_and_replace_changes_both_bodies,
    content_urls_are_redirected,
    json_becomes_xml_as_documented,
    xml_becomes_json_as_documented
);

/// A backend that answers with the request's body and `Content-Type` (and `x-seen-path`);
/// a path ending in `/links` answers JSON holding the backend's own absolute URLs, with a
/// `Location` header naming one. Returns its base URL.
pub(crate) async fn mirror() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let own = format!("http://{}", listener.local_addr().unwrap());
    let base = own.clone();
    let app = axum::Router::new().fallback(move |request: Request| {
        let own = own.clone();
        async move {
            let (parts, body) = request.into_parts();
            let bytes = to_bytes(body, usize::MAX).await.unwrap();
            let response = axum::response::Response::builder().header("x-backend", "yes");
            if parts.uri.path().ends_with("/links") {
                let links = json!({
                    "self": format!("{own}/base/items/7"),
                    "next": format!("{own}/base/items/8?page=2"),
                    "elsewhere": format!("{own}/basement"),
                });
                return response
                    .header("content-type", "application/json")
                    .header("location", format!("{own}/base/items/7"))
                    .body(Body::from(links.to_string()))
                    .unwrap();
            }
            let response = match parts.headers.get("content-type") {
                Some(t) => response.header("content-type", t),
                None => response,
            };
            response
                .header("x-seen-path", parts.uri.path())
                .body(Body::from(bytes))
                .unwrap()
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// A gateway call, answered with its whole response.
pub(crate) async fn send(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = reqwest::Client::new()
        .request(method.parse().unwrap(), format!("{}{path}", s.gateway))
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// The `Access-Control-*` and `Vary` headers of a response, sorted.
fn cors_headers(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| n.as_str().starts_with("access-control-") || n.as_str() == "vary")
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    out.sort();
    out
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    out.sort();
    out
}

/// The `cors` statement of Azure's reference example, for an API.
const API_CORS: &str = r#"<policies><inbound><cors allow-credentials="true">
    <allowed-origins><origin>http://localhost:8080/</origin><origin>http://app.example.com/</origin></allowed-origins>
    <allowed-methods preflight-result-max-age="300"><method>GET</method><method>POST</method><method>PATCH</method><method>DELETE</method></allowed-methods>
    <allowed-headers><header>x-zumo-installation-id</header><header>content-type</header><header>accept</header></allowed-headers>
    <expose-headers><header>x-zumo-installation-id</header><header>x-backend</header></expose-headers>
  </cors><base /></inbound><backend><base /></backend><outbound><base /></outbound></policies>"#;

async fn preflights_are_answered_by_the_gateway(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &format!("{}/base", mirror().await)).await;
    let op = json!({"name": "replace", "method": "PUT", "urlTemplate": "/items/{id}",
        "templateParameters": [{"name": "id", "type": "string", "required": true}]});
    let r = s
        .put(&format!("/apis/shop/operations/replace?{V17}"), &op)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    put_policy(&s, "/apis/shop", API_CORS).await;
    let preflight = |origin: &'static str, method: &'static str, headers: &'static str| {
        let s = &s;
        async move {
            let mut list = vec![
                ("Origin", origin),
                ("Access-Control-Request-Method", method),
            ];
            if !headers.is_empty() {
                list.push(("Access-Control-Request-Headers", headers));
            }
            send(s, "OPTIONS", "/shop/items/42", &list, "").await
        }
    };

    // Allowed: answered by the gateway (no subscription key, no backend call).
    let (status, headers, body) =
        preflight("http://app.example.com", "GET", "Content-Type, Accept").await;
    assert_eq!((status, body.as_str()), (200, ""));
    assert!(headers.get("x-backend").is_none(), "not forwarded");
    assert_eq!(
        cors_headers(&headers),
        pairs(&[
            ("access-control-allow-origin", "http://app.example.com"),
            ("access-control-allow-credentials", "true"),
            ("access-control-allow-methods", "GET"),
            ("access-control-allow-headers", "content-type,accept"),
            ("access-control-max-age", "300"),
            ("vary", "Origin"),
        ])
    );
    // The port is part of the origin; the default port may be written out.
    let (_, headers, _) = preflight("http://localhost:8080", "GET", "").await;
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:8080"
    );
    let (_, headers, _) = preflight("http://app.example.com:80", "GET", "").await;
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://app.example.com:80"
    );

    // Refused (origin, method or header): an empty 200 without CORS headers.
    for (origin, method, request_headers) in [
        ("http://localhost:8081", "GET", ""),
        ("https://app.example.com", "GET", ""),
        ("http://app.example.com", "PUT", ""),
        ("http://app.example.com", "GET", "x-secret"),
    ] {
        let (status, headers, body) = preflight(origin, method, request_headers).await;
        assert_eq!(
            (status, body.as_str(), cors_headers(&headers)),
            (200, "", vec![]),
            "{origin} {method} {request_headers}"
        );
    }
    // A preflight for a method no operation has: nothing to answer for.
    let (status, _, body) = preflight("http://app.example.com", "PATCH", "").await;
    assert_eq!(status, 404, "{body}");

    // Statements that do not terminate pass the preflight on to the next cors statement.
    put_policy(
        &s,
        "",
        r#"<policies><inbound><cors><allowed-origins><origin>https://global.example.com</origin></allowed-origins></cors></inbound>
           <backend><forward-request /></backend></policies>"#,
    )
    .await;
    let api = API_CORS.replace(
        "<cors allow-credentials=\"true\">",
        "<cors allow-credentials=\"true\" terminate-unmatched-request=\"false\">",
    );
    put_policy(&s, "/apis/shop", &api).await;
    let (_, headers, _) = preflight("https://global.example.com", "GET", "").await;
    assert_eq!(
        cors_headers(&headers),
        pairs(&[
            ("access-control-allow-origin", "https://global.example.com"),
            ("access-control-allow-methods", "GET"),
            ("vary", "Origin"),
        ])
    );
    let (status, headers, _) = preflight("https://nobody.example.com", "GET", "").await;
    assert_eq!((status, cors_headers(&headers)), (200, vec![]));

    // A product's cors applies when the preflight names a subscription key in the query.
    put_policy(
        &s,
        "",
        "<policies><backend><forward-request /></backend></policies>",
    )
    .await;
    put_policy(
        &s,
        "/apis/shop",
        "<policies><inbound><base /></inbound></policies>",
    )
    .await;
    put_policy(
        &s,
        "/products/gold",
        r#"<policies><inbound><cors><allowed-origins><origin>*</origin></allowed-origins>
           <allowed-methods><method>*</method></allowed-methods><allowed-headers><header>*</header></allowed-headers></cors><base /></inbound></policies>"#,
    )
    .await;
    let with_key = format!("/shop/items/42?subscription-key={key}");
    let (status, headers, _) = send(
        &s,
        "OPTIONS",
        &with_key,
        &[
            ("Origin", "https://any.example.com"),
            ("Access-Control-Request-Method", "DELETE"),
            ("Access-Control-Request-Headers", "X-Anything"),
        ],
        "",
    )
    .await;
    assert_eq!(status, 404, "no operation takes DELETE");
    let (status, headers_ok, _) = send(
        &s,
        "OPTIONS",
        &with_key,
        &[
            ("Origin", "https://any.example.com"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "X-Anything"),
        ],
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        cors_headers(&headers_ok),
        pairs(&[
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "GET"),
            ("access-control-allow-headers", "x-anything"),
        ])
    );
    assert!(cors_headers(&headers).is_empty());
    // Without the key there is no product scope, so no cors statement: not found.
    let (status, _, _) = preflight("https://any.example.com", "GET", "").await;
    assert_eq!(status, 404);

    // An OPTIONS operation takes preflights like any call (with its key, to the backend).
    let op = json!({"name": "options", "method": "OPTIONS", "urlTemplate": "/items/{id}",
        "templateParameters": [{"name": "id", "type": "string", "required": true}]});
    let r = s
        .put(&format!("/apis/shop/operations/options?{V17}"), &op)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (status, _, _) = preflight("https://any.example.com", "GET", "").await;
    assert_eq!(status, 401, "the operation needs a key");
    let (status, headers, _) = send(
        &s,
        "OPTIONS",
        &with_key,
        &[
            ("Origin", "https://any.example.com"),
            ("Access-Control-Request-Method", "GET"),
        ],
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-backend"], "yes");
}

async fn actual_cors_calls_get_headers(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &format!("{}/base", mirror().await)).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(&s, "/apis/shop", API_CORS).await;

    let (status, headers, _) = send(
        &s,
        "GET",
        "/shop/items/1",
        &[k, ("Origin", "http://app.example.com")],
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-backend"], "yes");
    assert_eq!(
        cors_headers(&headers),
        pairs(&[
            ("access-control-allow-origin", "http://app.example.com"),
            ("access-control-allow-credentials", "true"),
            (
                "access-control-expose-headers",
                "x-zumo-installation-id,x-backend"
            ),
            ("vary", "Origin"),
        ])
    );
    // Not a CORS call: no headers.
    let (_, headers, _) = send(&s, "GET", "/shop/items/1", &[k], "").await;
    assert!(cors_headers(&headers).is_empty());
    // A GET from an origin not allowed ends with an empty 200 (terminate-unmatched-request
    // defaults to true); a POST goes on without CORS headers.
    let evil = ("Origin", "https://evil.example.com");
    let (status, headers, body) = send(&s, "GET", "/shop/items/1", &[k, evil], "").await;
    assert_eq!((status, body.as_str()), (200, ""));
    assert!(headers.get("x-backend").is_none() && cors_headers(&headers).is_empty());
    let (status, headers, body) = send(&s, "POST", "/shop/items", &[k, evil], "data").await;
    assert_eq!((status, body.as_str()), (200, "data"));
    assert!(cors_headers(&headers).is_empty());
    // With terminate-unmatched-request="false" the GET goes on too.
    let api = API_CORS.replace("<cors ", "<cors terminate-unmatched-request=\"false\" ");
    put_policy(&s, "/apis/shop", &api).await;
    let (status, headers, _) = send(&s, "GET", "/shop/items/1", &[k, evil], "").await;
    assert_eq!(
        (status, &headers["x-backend"]),
        (200, &"yes".parse().unwrap())
    );
    assert!(cors_headers(&headers).is_empty());

    // Any origin: '*', and errors of the call carry the headers too.
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><cors><allowed-origins><origin>*</origin></allowed-origins></cors>
           <check-header name="X-Client" failed-check-httpcode="401" failed-check-error-message="Who?" /><base /></inbound></policies>"#,
    )
    .await;
    let (status, headers, _) = send(
        &s,
        "GET",
        "/shop/items/1",
        &[k, evil, ("X-Client", "a")],
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        cors_headers(&headers),
        pairs(&[("access-control-allow-origin", "*")])
    );
    let (status, headers, _) = send(&s, "GET", "/shop/items/1", &[k, evil], "").await;
    assert_eq!(status, 401);
    assert_eq!(headers["access-control-allow-origin"], "*");
}

async fn jsonp_wraps_json_responses(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &format!("{}/base", mirror().await)).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /></inbound><outbound><base /><jsonp callback-parameter-name="cb" /></outbound></policies>"#,
    )
    .await;
    let json = ("Content-Type", "application/json");
    let (status, headers, body) = send(
        &s,
        "POST",
        "/shop/items?cb=app.render",
        &[k, json],
        r#"{"a":1}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"app.render({"a":1});"#);
    assert_eq!(headers["content-type"], "application/javascript");
    assert_eq!(headers["content-length"], body.len().to_string().as_str());
    // Without the parameter, plain JSON; a body that is not JSON is left alone.
    let (_, headers, body) = send(&s, "POST", "/shop/items", &[k, json], r#"{"a":1}"#).await;
    assert_eq!(
        (body.as_str(), &headers["content-type"]),
        (r#"{"a":1}"#, &"application/json".parse().unwrap())
    );
    let xml = ("Content-Type", "text/xml");
    let (_, _, body) = send(&s, "POST", "/shop/items?cb=f", &[k, xml], "<a/>").await;
    assert_eq!(body, "<a/>");
    // A callback that is not a function name is refused.
    let (status, _, body) = send(
        &s,
        "POST",
        "/shop/items?cb=alert(document.cookie)//",
        &[k, json],
        "{}",
    )
    .await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, &body["statusCode"]), (400, &json!(400)));
}

async fn crossdomain_xml_comes_from_the_global_policy(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &format!("{}/base", mirror().await)).await;
    let (status, _, _) = send(&s, "GET", "/crossdomain.xml", &[], "").await;
    assert_eq!(status, 404, "no cross-domain statement");
    put_policy(
        &s,
        "",
        r#"<policies><inbound><cross-domain>
             <cross-domain-policy>
               <allow-http-request-headers-from domain='*' headers='*' />
             </cross-domain-policy>
           </cross-domain></inbound><backend><forward-request /></backend></policies>"#,
    )
    .await;
    let (status, headers, body) = send(&s, "GET", "/crossdomain.xml", &[], "").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/xml");
    assert_eq!(
        body,
        "<cross-domain-policy>\n               <allow-http-request-headers-from domain=\"*\" headers=\"*\" />\n             </cross-domain-policy>"
    );
    // Other calls are not affected.
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let (status, headers, _) = send(&s, "GET", "/shop/items/1", &[k], "").await;
    assert_eq!(
        (status, &headers["x-backend"]),
        (200, &"yes".parse().unwrap())
    );
    // Azure allows the statement at the global scope only.
    let refused = refused_policy(
        &s,
        "/apis/shop",
        "<policies><inbound><base /><cross-domain><cross-domain-policy /></cross-domain></inbound></policies>",
    )
    .await;
    assert!(refused.contains("global scope only"), "{refused}");
}

async fn find_and_replace_changes_both_bodies(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &format!("{}/base", mirror().await)).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><find-and-replace from="notebook" to="laptop" /></inbound>
           <outbound><base /><find-and-replace from="@(&quot;lap&quot; + &quot;top&quot;)" to="@(context.Request.Method)" /></outbound></policies>"#,
    )
    .await;
    // The backend receives "laptop" (inbound); the caller gets "POST" in its place (outbound).
    let (status, headers, body) = send(
        &s,
        "POST",
        "/shop/items",
        &[k, ("Content-Type", "text/plain")],
        "a notebook, another notebook",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "a POST, another POST"));
    assert_eq!(headers["content-length"], "20");
    // Nothing to replace: unchanged.
    let (_, _, body) = send(&s, "POST", "/shop/items", &[k], "a tablet").await;
    assert_eq!(body, "a tablet");
}

async fn content_urls_are_redirected(engine: Engine) {
    let s = Server::start(engine).await;
    let backend = mirror().await;
    let key = shop(&s, &format!("{backend}/base")).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><redirect-content-urls /></inbound>
           <outbound><base /><redirect-content-urls /></outbound></policies>"#,
    )
    .await;
    // Outbound: the backend's URLs become the gateway's; other URLs and headers stay.
    let (status, headers, body) = send(&s, "GET", "/shop/items/links", &[k], "").await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&body).unwrap();
    let gateway = &s.gateway;
    assert_eq!(
        body,
        json!({
            "self": format!("{gateway}/shop/items/7"),
            "next": format!("{gateway}/shop/items/8?page=2"),
            "elsewhere": format!("{backend}/basement"),
        })
    );
    assert_eq!(
        headers["location"],
        format!("{backend}/base/items/7").as_str(),
        "Azure does not change headers"
    );
    // Inbound: the gateway's URLs in the request become the backend's (the mirror answers
    // with what it received).
    let sent = format!(r#"{{"item": "{gateway}/shop/items/3", "api": "{gateway}/shop"}}"#);
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><redirect-content-urls /></inbound></policies>"#,
    )
    .await;
    let (_, _, body) = send(&s, "POST", "/shop/items", &[k], &sent).await;
    assert_eq!(
        body,
        format!(r#"{{"item": "{backend}/base/items/3", "api": "{backend}/base"}}"#)
    );
}

/// The JSON of the example on Azure's json-to-xml reference page.
const SOAP_JSON: &str = r##"{
  "soapenv:Envelope": {
    "xmlns:soapenv": "http://schemas.xmlsoap.org/soap/envelope/",
    "xmlns:v1": "http://localdomain.com/core/v1",
    "soapenv:Header": {},
    "soapenv:Body": {
      "v1:QueryList": {
        "#attrs": {
          "queryName": "test"
        },
        "v1:QueryItem": {
          "name": "dummy text"
        }
      }
    }
  }
}"##;

async fn json_becomes_xml_as_documented(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &format!("{}/base", mirror().await)).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let json = ("Content-Type", "application/json");
    // The reference page's policy and example (its output omits <v1:QueryItem> while
    // showing its content: Tollgate writes the element).
    put_policy(
        &s,
        "/apis/shop",
        r##"<policies><inbound><base /></inbound><outbound><base />
            <json-to-xml apply="always" consider-accept-header="false" parse-date="false" namespace-separator=":" namespace-prefix="xmlns" attribute-block-name="#attrs" />
           </outbound></policies>"##,
    )
    .await;
    let (status, headers, body) = send(&s, "POST", "/shop/items", &[k, json], SOAP_JSON).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/xml");
    assert_eq!(
        body,
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:v1=\"http://localdomain.com/core/v1\">\n  <soapenv:Header />\n  <soapenv:Body>\n    <v1:QueryList queryName=\"test\">\n      <v1:QueryItem>\n        <name>dummy text</name>\n      </v1:QueryItem>\n    </v1:QueryList>\n  </soapenv:Body>\n</soapenv:Envelope>"
    );

    // apply="content-type-json" and the Accept header (consider-accept-header defaults to
    // true); the request is converted inbound, so the backend receives XML.
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><json-to-xml apply="content-type-json" parse-date="false" /></inbound></policies>"#,
    )
    .await;
    let person = r#"{"name": "Ann", "tags": ["a", "b"], "active": true, "manager": null}"#;
    let accept_xml = ("Accept", "text/html, application/xml;q=0.9");
    let (_, headers, body) = send(&s, "POST", "/shop/items", &[k, json, accept_xml], person).await;
    assert_eq!(
        headers["content-type"], "application/xml",
        "the backend saw XML"
    );
    assert_eq!(
        body,
        "<Document>\n  <name>Ann</name>\n  <tags>a</tags>\n  <tags>b</tags>\n  <active>True</active>\n  <manager xsi:nil=\"true\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" />\n</Document>"
    );
    for headers in [
        vec![k, json],
        vec![k, ("Content-Type", "text/plain"), accept_xml],
        vec![k, json, ("Accept", "application/xml;q=0")],
    ] {
        let (_, _, body) = send(&s, "POST", "/shop/items", &headers, person).await;
        assert_eq!(body, person, "not converted: {headers:?}");
    }

    // What Azure does not document is refused: on-error sees why.
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><json-to-xml apply="always" consider-accept-header="false" /></inbound>
           <on-error><set-body>@(context.LastError.Source + ": " + context.LastError.Message)</set-body></on-error></policies>"#,
    )
    .await;
    let (status, _, body) = send(&s, "POST", "/shop/items", &[k], "[1, 2]").await;
    assert_eq!(status, 500);
    assert!(
        body.starts_with("json-to-xml: a JSON body whose top level is not an object"),
        "{body}"
    );
    let dated = r#"{"at": "2024-05-01T10:00:00Z"}"#;
    let (status, _, body) = send(&s, "POST", "/shop/items", &[k], dated).await;
    assert_eq!(status, 500);
    assert!(body.contains("set parse-date=\"false\""), "{body}");
}

async fn xml_becomes_json_as_documented(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &format!("{}/base", mirror().await)).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let xml = ("Content-Type", "text/xml");
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /></inbound><outbound><base />
            <xml-to-json kind="direct" apply="always" consider-accept-header="false" />
           </outbound></policies>"#,
    )
    .await;
    let soap = r#"<?xml version="1.0"?>
<soap:Envelope xmlns="http://fyicenter.com/"
    xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
    <soap:Body>
        <GetOrders>
            <Customer>1234567</Customer>
        </GetOrders>
    </soap:Body>
</soap:Envelope>"#;
    let (status, headers, body) = send(&s, "POST", "/shop/items", &[k, xml], soap).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({
            "version": "1.0",
            "soap$Envelope": {
                "@xmlns": "http://fyicenter.com/",
                "@xmlns$soap": "http://schemas.xmlsoap.org/soap/envelope/",
                "soap$Body": {"GetOrders": {"Customer": "1234567"}}
            }
        })
    );

    // apply="content-type-xml", the Accept header, and always-array-child-elements.
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><outbound><base /><xml-to-json kind="direct" apply="content-type-xml" always-array-child-elements="true" /></outbound></policies>"#,
    )
    .await;
    let orders = r#"<orders count="2"><order>a</order><order>b</order><note>n</note></orders>"#;
    let accept_json = ("Accept", "application/json");
    let (_, _, body) = send(&s, "POST", "/shop/items", &[k, xml, accept_json], orders).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"orders": {"@count": "2", "order": ["a", "b"], "note": ["n"]}})
    );
    for headers in [
        vec![k, xml],
        vec![k, ("Content-Type", "text/plain"), accept_json],
    ] {
        let (_, _, body) = send(&s, "POST", "/shop/items", &headers, orders).await;
        assert_eq!(body, orders, "not converted: {headers:?}");
    }

    // Shapes Azure does not document are refused at run time; javascript-friendly is refused
    // when the policy is stored.
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><outbound><base /><xml-to-json kind="direct" apply="always" consider-accept-header="false" /></outbound>
           <on-error><set-body>@(context.LastError.Message)</set-body></on-error></policies>"#,
    )
    .await;
    let (status, _, body) = send(
        &s,
        "POST",
        "/shop/items",
        &[k, xml],
        r#"<price currency="EUR">10</price>"#,
    )
    .await;
    assert_eq!(status, 200, "on-error keeps the backend's status");
    assert!(body.contains("has both attributes and text"), "{body}");
    let refused = refused_policy(
        &s,
        "/apis/shop",
        r#"<policies><outbound><base /><xml-to-json kind="javascript-friendly" apply="always" /></outbound></policies>"#,
    )
    .await;
    assert!(refused.contains("documents no output shape"), "{refused}");
}
