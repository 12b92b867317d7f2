//! Request records and reports (issue 6): real traffic through the gateway to a backend started
//! here, then every aggregation's numbers checked exactly, paging, ordering, CSV, filter errors,
//! and records flushed on shutdown.

use crate::common::{Engine, Server, V17, encode};
use crate::on_both_engines;
use axum::body::Body;
use axum::extract::Request;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

on_both_engines!(
    every_aggregation_counts_the_traffic,
    records_are_flushed_on_shutdown
);

/// A backend answering `boom` with 500 under `/fail`, else `ok` with 200.
async fn backend() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|request: Request| async move {
        let (status, text) = if request.uri().path().ends_with("/fail") {
            (500, "boom")
        } else {
            (200, "ok")
        };
        axum::response::Response::builder()
            .status(status)
            .body(Body::from(text))
            .unwrap()
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

async fn put(s: &Server, path: &str, body: Value) -> Value {
    let r = s.put(&format!("{path}?{V17}"), &body).await;
    assert!(r.status == 201 || r.status == 200, "{path}: {}", r.text);
    r.json()
}

/// APIs alpha (operations get-a, fail) and beta (get-b); products gold (both APIs) and silver
/// (beta); users ann and bob; subscriptions ann-gold and bob-silver. Returns their keys.
async fn configure(s: &Server) -> (String, String) {
    let url = backend().await;
    for (api, ops) in [
        ("alpha", vec![("get-a", "/a"), ("fail", "/fail")]),
        ("beta", vec![("get-b", "/b")]),
    ] {
        let name = format!("{}{}", api[..1].to_uppercase(), &api[1..]);
        put(
            s,
            &format!("/apis/{api}"),
            json!({"name": name, "path": api, "serviceUrl": url, "protocols": ["http"]}),
        )
        .await;
        for (op, template) in ops {
            put(
                s,
                &format!("/apis/{api}/operations/{op}"),
                json!({"name": format!("Op {op}"), "method": "GET", "urlTemplate": template}),
            )
            .await;
        }
    }
    for (product, apis) in [("gold", vec!["alpha", "beta"]), ("silver", vec!["beta"])] {
        put(s, &format!("/products/{product}"), json!({"name": product.to_uppercase(), "state": "published", "subscriptionRequired": true})).await;
        for api in apis {
            put(s, &format!("/products/{product}/apis/{api}"), json!({})).await;
        }
    }
    let mut keys = Vec::new();
    for (user, first, product) in [("ann", "Ann", "gold"), ("bob", "Bob", "silver")] {
        put(
            s,
            &format!("/users/{user}"),
            json!({"email": format!("{user}@contoso.com"), "firstName": first, "lastName": "Lee"}),
        )
        .await;
        let sub = put(s, &format!("/subscriptions/{user}-{product}"), json!({"userId": format!("/users/{user}"), "productId": format!("/products/{product}"), "name": format!("{first}'s {product}"), "state": "active"})).await;
        keys.push(sub["primaryKey"].as_str().unwrap().to_owned());
    }
    (keys[0].clone(), keys[1].clone())
}

/// A gateway call; returns the status and the request id header.
async fn call(s: &Server, path: &str, key: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(format!("{}{path}", s.gateway));
    if let Some(key) = key {
        request = request.header("Ocp-Apim-Subscription-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let id = response
        .headers()
        .get("tollgate-request-id")
        .map(|v| v.to_str().unwrap().to_owned())
        .expect("a request id header");
    response.bytes().await.unwrap();
    (status, id)
}

/// Ten calls: ann 3×200 + 1×500 on alpha, 1×200 on beta; bob 2×200 on beta and a 401 on alpha
/// (silver lacks it); a 401 without a key; a 404. Returns the request id of the 500.
async fn traffic(s: &Server, ann: &str, bob: &str) -> String {
    for _ in 0..3 {
        assert_eq!(call(s, "/alpha/a", Some(ann)).await.0, 200);
    }
    let (status, failed) = call(s, "/alpha/fail", Some(ann)).await;
    assert_eq!(status, 500);
    assert_eq!(call(s, "/beta/b", Some(ann)).await.0, 200);
    for _ in 0..2 {
        assert_eq!(call(s, "/beta/b", Some(bob)).await.0, 200);
    }
    assert_eq!(call(s, "/alpha/a", Some(bob)).await.0, 401);
    assert_eq!(call(s, "/alpha/a", None).await.0, 401);
    assert_eq!(call(s, "/nowhere", None).await.0, 404);
    failed
}

fn range() -> String {
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let from = fmt(Utc::now() - Duration::hours(1));
    let to = fmt(Utc::now() + Duration::hours(1));
    format!("timestamp ge datetime'{from}' and timestamp le datetime'{to}'")
}

pub(crate) async fn report(
    s: &Server,
    aggregation: &str,
    extra: &str,
    terms: &str,
) -> crate::common::Reply {
    let filter = format!("{}{terms}", range());
    let query = format!("$filter={}", encode(&filter));
    s.get(&format!("/reports/{aggregation}?{V17}&{query}{extra}"))
        .await
}

async fn wait_for_records(s: &Server, count: u64) {
    for _ in 0..100 {
        let r = report(s, "byRequest", "", "").await;
        assert_eq!(r.status, 200, "{}", r.text);
        if r.json()["count"] == count {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the records did not arrive: {}",
        report(s, "byRequest", "", "").await.text
    );
}

/// `(key, success, blocked, failed, other, total)` of each item.
fn counts(body: &Value, key: &str) -> Vec<(String, i64, i64, i64, i64, i64)> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let n = |f: &str| v[f].as_i64().unwrap();
            (
                v[key].as_str().unwrap().to_owned(),
                n("callCountSuccess"),
                n("callCountBlocked"),
                n("callCountFailed"),
                n("callCountOther"),
                n("callCountTotal"),
            )
        })
        .collect()
}

fn row(key: &str, s: i64, b: i64, f: i64, o: i64, t: i64) -> (String, i64, i64, i64, i64, i64) {
    (key.to_owned(), s, b, f, o, t)
}

async fn every_aggregation_counts_the_traffic(engine: Engine) {
    let s = Server::start(engine).await;
    let (ann, bob) = configure(&s).await;
    let failed = traffic(&s, &ann, &bob).await;
    wait_for_records(&s, 10).await;

    let by_api = report(&s, "byApi", "", "").await.json();
    assert_eq!(
        counts(&by_api, "apiId"),
        vec![
            row("/apis/alpha", 3, 2, 1, 0, 6),
            row("/apis/beta", 3, 0, 0, 0, 3)
        ]
    );
    assert_eq!(by_api["value"][0]["name"], "Alpha");
    let by_user = report(&s, "byUser", "", "").await.json();
    assert_eq!(
        counts(&by_user, "userId"),
        vec![
            row("/users/ann", 4, 0, 1, 0, 5),
            row("/users/bob", 2, 1, 0, 0, 3)
        ]
    );
    assert_eq!(by_user["value"][0]["name"], "Ann Lee");
    let by_product = report(&s, "byProduct", "", "").await.json();
    assert_eq!(
        counts(&by_product, "productId"),
        vec![
            row("/products/gold", 4, 0, 1, 0, 5),
            row("/products/silver", 2, 1, 0, 0, 3)
        ]
    );
    assert_eq!(by_product["value"][1]["name"], "SILVER");
    let by_subscription = report(&s, "bySubscription", "", "").await.json();
    assert_eq!(
        counts(&by_subscription, "subscriptionId"),
        vec![
            row("/subscriptions/ann-gold", 4, 0, 1, 0, 5),
            row("/subscriptions/bob-silver", 2, 1, 0, 0, 3)
        ]
    );
    assert_eq!(
        (
            &by_subscription["value"][1]["userId"],
            &by_subscription["value"][1]["productId"]
        ),
        (&json!("/users/bob"), &json!("/products/silver"))
    );
    let by_operation = report(&s, "byOperation", "", "").await.json();
    assert_eq!(
        counts(&by_operation, "operationId"),
        vec![
            row("/apis/alpha/operations/fail", 0, 0, 1, 0, 1),
            row("/apis/alpha/operations/get-a", 3, 2, 0, 0, 5),
            row("/apis/beta/operations/get-b", 3, 0, 0, 0, 3)
        ]
    );
    assert_eq!(by_operation["value"][1]["name"], "Op get-a");
    assert_eq!(by_operation["value"][1]["apiId"], "/apis/alpha");
    let by_geo = report(&s, "byGeo", "", "").await.json();
    assert_eq!(
        counts(&by_geo, "country"),
        vec![row("local", 6, 2, 1, 1, 10)]
    );

    // byRequest: every call, with its fields; bandwidth and times agree with the aggregates.
    let by_request = report(&s, "byRequest", "", "").await.json();
    let requests = by_request["value"].as_array().unwrap();
    assert_eq!(requests.len(), 10);
    let boom = requests
        .iter()
        .find(|r| r["requestId"] == failed.as_str())
        .unwrap();
    assert_eq!(
        (
            &boom["responseCode"],
            &boom["backendResponseCode"],
            &boom["responseSize"]
        ),
        (&json!(500), &json!("500"), &json!(4))
    );
    assert_eq!(
        (
            &boom["apiId"],
            &boom["operationId"],
            &boom["productId"],
            &boom["userId"],
            &boom["subscriptionId"]
        ),
        (
            &json!("/apis/alpha"),
            &json!("/apis/alpha/operations/fail"),
            &json!("/products/gold"),
            &json!("/users/ann"),
            &json!("/subscriptions/ann-gold")
        )
    );
    assert_eq!(
        (
            &boom["method"],
            &boom["cache"],
            &boom["apiRegion"],
            &boom["ipAddress"]
        ),
        (
            &json!("GET"),
            &json!("none"),
            &json!("local"),
            &json!("127.0.0.1")
        )
    );
    assert!(
        boom["url"].as_str().unwrap().ends_with("/alpha/fail"),
        "{boom}"
    );
    let missing = requests.iter().find(|r| r["responseCode"] == 404).unwrap();
    assert_eq!(
        (&missing["apiId"], &missing["productId"]),
        (&json!("/apis/-"), &json!("/products/-"))
    );
    assert!(missing.get("backendResponseCode").is_none());
    let bytes: i64 = requests
        .iter()
        .map(|r| r["requestSize"].as_i64().unwrap() + r["responseSize"].as_i64().unwrap())
        .sum();
    assert_eq!(by_geo["value"][0]["bandwidth"], bytes);
    let max_time = requests
        .iter()
        .map(|r| r["apiTime"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert_eq!(by_geo["value"][0]["apiTimeMax"].as_f64().unwrap(), max_time);
    let page = report(&s, "byRequest", "&$top=3&$skip=8", "").await.json();
    assert_eq!(
        (
            page["count"].clone(),
            page["value"].as_array().unwrap().len()
        ),
        (json!(10), 2)
    );

    // The records have the fields of the contract's examples, in their order.
    let shape = |body: &Value, i: usize| -> Vec<String> {
        body["value"][i]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let example = |name: &str| -> Vec<String> {
        let path = crate::replay::spec_dir()
            .join(format!("examples/ApiManagementGetReportsBy{name}.json"));
        let body = crate::replay::read_json(&path);
        body["responses"]["200"]["body"]["value"][0]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    for (name, body) in [
        ("Api", &by_api),
        ("User", &by_user),
        ("Product", &by_product),
        ("Subscription", &by_subscription),
        ("Operation", &by_operation),
        ("Geo", &by_geo),
    ] {
        assert_eq!(shape(body, 0), example(name), "by{name}");
    }
    let position = requests
        .iter()
        .position(|r| r["responseCode"] == 404)
        .unwrap();
    assert_eq!(shape(&by_request, position), example("Request"));

    // byTime: buckets on multiples of the interval that add up to every call.
    for (interval, ms) in [("PT15M", 900_000_i64), ("P1D", 86_400_000)] {
        let by_time = report(&s, "byTime", &format!("&interval={interval}"), "").await;
        assert_eq!(by_time.status, 200, "{}", by_time.text);
        let body = by_time.json();
        assert_eq!(shape(&body, 0), example("Time"));
        let buckets = body["value"].as_array().unwrap();
        let total: i64 = buckets
            .iter()
            .map(|b| b["callCountTotal"].as_i64().unwrap())
            .sum();
        assert_eq!(total, 10);
        for bucket in buckets {
            assert_eq!(bucket["interval"], interval);
            let at = chrono::DateTime::parse_from_rfc3339(bucket["timestamp"].as_str().unwrap())
                .unwrap();
            assert_eq!(at.timestamp_millis() % ms, 0, "{bucket}");
        }
    }

    // eq terms, ordering and paging.
    let beta_users = report(&s, "byUser", "", " and apiId eq 'beta'")
        .await
        .json();
    assert_eq!(
        counts(&beta_users, "userId"),
        vec![
            row("/users/ann", 1, 0, 0, 0, 1),
            row("/users/bob", 2, 0, 0, 0, 2)
        ]
    );
    let ordered = report(&s, "byUser", "&$orderby=callCountBlocked%20desc", "")
        .await
        .json();
    assert_eq!(ordered["value"][0]["userId"], "/users/bob");
    let second = report(&s, "byApi", "&$orderby=name&$top=1&$skip=1", "")
        .await
        .json();
    assert_eq!(
        (second["count"].clone(), second["value"][0]["apiId"].clone()),
        (json!(2), json!("/apis/beta"))
    );
    let first = report(&s, "byApi", "&$orderby=name%20desc&$top=1", "")
        .await
        .json();
    assert_eq!(first["value"][0]["apiId"], "/apis/beta");
    assert!(
        first["nextLink"].as_str().unwrap().contains("%24skip=1"),
        "{first}"
    );

    // CSV: the JSON field names as the header row.
    let filter = format!("$filter={}", encode(&range()));
    let csv = s
        .send(
            "GET",
            &format!("/reports/byApi?{V17}&{filter}"),
            None,
            &[("Accept", "text/csv")],
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 3, "{}", csv.text);
    assert!(lines[0].starts_with("name,apiId,callCountSuccess,callCountBlocked,callCountFailed,callCountOther,callCountTotal,bandwidth,"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("Alpha,/apis/alpha,3,2,1,0,6,"),
        "{}",
        lines[1]
    );

    // Errors name what is wrong.
    let none = s.get(&format!("/reports/byApi?{V17}")).await;
    assert_eq!(
        (none.status, none.error_targets()),
        (400, vec!["$filter".to_owned()])
    );
    let no_start = s
        .get(&format!(
            "/reports/byApi?{V17}&$filter=apiId%20eq%20'alpha'"
        ))
        .await;
    assert_eq!(
        (no_start.status, no_start.error_targets()),
        (400, vec!["timestamp".to_owned()])
    );
    for (aggregation, extra, terms, target) in [
        ("byApi", "", " and operationId eq 'get-a'", "operationId"),
        ("byApi", "", " and apiId ne 'alpha'", "apiId"),
        ("byRequest", "", " and apiId eq 'alpha'", "apiId"),
        ("byTime", "", "", "interval"),
        ("byTime", "&interval=PT10M", "", "interval"),
        ("byFoo", "", "", "aggregation"),
        ("byUser", "&$orderby=bogus", "", "$orderby"),
        ("byGeo", "&$orderby=name", "", "$orderby"),
    ] {
        let r = report(&s, aggregation, extra, terms).await;
        assert_eq!(
            (r.status, r.error_targets()),
            (400, vec![target.to_owned()]),
            "{aggregation}{extra}{terms}: {}",
            r.text
        );
    }
}

async fn records_are_flushed_on_shutdown(engine: Engine) {
    let mut s = Server::start(engine).await;
    let (ann, bob) = configure(&s).await;
    traffic(&s, &ann, &bob).await;
    assert!(s.terminate(), "{}", s.log());
    s.spawn();
    let r = report(&s, "byRequest", "", "").await;
    assert_eq!(r.json()["count"], 10, "{}", r.text);
}
