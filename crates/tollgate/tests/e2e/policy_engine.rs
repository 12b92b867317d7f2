//! The policy engine (issue 8): policies stored through the management API run on gateway
//! calls — composed across scopes around `<base />`, with named values, expressions, control
//! flow and on-error — against a real backend.

use crate::common::{Engine, Server, V17};
use crate::gateway::{backend, call, shop};
use crate::on_both_engines;
use serde_json::{Value, json};

on_both_engines!(
    scopes_compose_and_change_the_call,
    control_flow_and_checks_answer_early,
    errors_run_on_error,
    named_values_follow_their_properties,
    bodies_are_read_and_replaced,
    rate_limits_refuse_with_429,
    quotas_are_counted_in_the_store,
    bandwidth_quotas_count_kilobytes,
    administrators_trace_their_calls
);

/// Stores a policy document (XML, expressions escaped) at a scope (`/apis/shop`,
/// `/products/gold`, `` for global).
/// Stores a policy Tollgate cannot run: asserts the 400 `UnsupportedPolicy` naming
/// `policyContent`, and returns the error's text.
pub(crate) async fn refused_policy(s: &Server, scope: &str, xml: &str) -> String {
    let path = format!("{scope}/policies/policy?{V17}");
    let body = json!({ "policyContent": xml }).to_string();
    let r = s
        .send("PUT", &path, Some(&body), &[("If-Match", "*")])
        .await;
    assert_eq!(r.status, 400, "{path}: {}", r.text);
    assert_eq!(
        r.json()["error"]["details"][0]["code"],
        "UnsupportedPolicy",
        "{}",
        r.text
    );
    assert_eq!(r.error_targets(), vec!["policyContent".to_owned()]);
    r.text
}

pub(crate) async fn put_policy(s: &Server, scope: &str, xml: &str) {
    let path = format!("{scope}/policies/policy?{V17}");
    let body = json!({ "policyContent": xml }).to_string();
    let r = s
        .send("PUT", &path, Some(&body), &[("If-Match", "*")])
        .await;
    assert!(
        matches!(r.status, 200 | 201),
        "{path}: {} {}",
        r.status,
        r.text
    );
}

pub(crate) fn header<'a>(seen: &'a Value, name: &str) -> &'a Value {
    &seen["headers"][name]
}

async fn scopes_compose_and_change_the_call(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &format!("{}/base/", backend().await)).await;
    let with_key = [("Ocp-Apim-Subscription-Key", key.as_str())];
    put_policy(
        &s,
        "",
        r#"<policies><inbound><set-header name="X-Order" exists-action="append"><value>global</value></set-header></inbound>
           <backend><forward-request /></backend>
           <outbound><set-header name="X-Status"><value>@(context.Response.StatusCode.ToString())</value></set-header></outbound></policies>"#,
    )
    .await;
    put_policy(
        &s,
        "/products/gold",
        r#"<policies><inbound><set-header name="X-Order" exists-action="append"><value>@("product " + context.Product.Id)</value></set-header><base /></inbound>
           <outbound><base /></outbound></policies>"#,
    )
    .await;
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><set-variable name="who" value="@(context.Subscription.Id)" />
           <set-header name="X-Order" exists-action="append"><value>api</value></set-header>
           <set-header name="X-Who"><value>@((string)context.Variables["who"])</value></set-header>
           <set-header name="X-Names"><value>@(context.Subscription.Name + "/" + context.Product.Name + "/" + context.Product.SubscriptionRequired + "/" + context.Subscription.CreatedDate.Year)</value></set-header>
           <set-query-parameter name="added" exists-action="override"><value>1</value></set-query-parameter>
           <set-header name="X-Drop" exists-action="delete" /></inbound>
           <backend><base /></backend><outbound><base /><set-header name="X-Api" exists-action="skip"><value>yes</value></set-header></outbound></policies>"#,
    )
    .await;
    put_policy(
        &s,
        "/apis/shop/operations/get-item",
        r#"<policies><inbound><base /><rewrite-uri template="/catalog/{id}/details" /></inbound>
           <backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;

    let headers = [with_key[0], ("X-Drop", "gone")];
    let (status, seen) = call(&s, "GET", "/shop/items/42?color=red", &headers, None).await;
    assert_eq!(status, 200, "{seen}");
    // Product before global (the product's <base /> comes after its statement), then the API.
    assert_eq!(header(&seen, "x-order"), "product gold, global, api");
    assert_eq!(header(&seen, "x-who"), "ann-gold");
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(
        header(&seen, "x-names"),
        format!("ann-gold/Gold/True/{year}").as_str()
    );
    assert!(header(&seen, "x-drop").is_null(), "{seen}");
    assert_eq!(seen["path"], "/base/catalog/42/details");
    assert_eq!(seen["query"], "color=red&added=1");

    // Another operation of the API: no rewrite.
    let (status, seen) = call(&s, "GET", "/shop/items/special", &with_key, None).await;
    assert_eq!(
        (status, &seen["path"]),
        (200, &json!("/base/items/special"))
    );

    // The outbound statements changed the response's headers.
    let response = reqwest::Client::new()
        .get(format!("{}/shop/items/7", s.gateway))
        .header("Ocp-Apim-Subscription-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-status"], "200");
    assert_eq!(response.headers()["x-api"], "yes");
    assert_eq!(response.headers()["x-backend"], "yes");
}

async fn control_flow_and_checks_answer_early(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base />
             <check-header name="X-Client" failed-check-httpcode="401" failed-check-error-message="Who are you?" ignore-case="true">
               <value>App</value><value>cli</value></check-header>
             <choose>
               <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;X-Mode&quot;, &quot;&quot;) == &quot;teapot&quot;)">
                 <return-response><set-status code="418" reason="I'm a teapot" />
                   <set-header name="X-Short"><value>circuit</value></set-header>
                   <set-body>@("short and stout: " + context.Request.Method)</set-body></return-response>
               </when>
               <when condition="@(context.Request.Url.Query.GetValueOrDefault(&quot;v&quot;, &quot;&quot;) == &quot;2&quot;)">
                 <set-header name="X-Branch"><value>v2</value></set-header>
               </when>
               <otherwise><set-header name="X-Branch"><value>default</value></set-header></otherwise>
             </choose>
           </inbound><backend><base /></backend><outbound><base /></outbound>
           <on-error><set-header name="X-Error"><value>@(context.LastError.Source + ":" + context.LastError.Reason)</value></set-header></on-error></policies>"#,
    )
    .await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let (status, body) = call(&s, "GET", "/shop/items/1", &[k], None).await;
    assert_eq!(
        (status, &body),
        (401, &json!({"statusCode": 401, "message": "Who are you?"}))
    );
    // The refusal is an error on-error sees (Azure's predefined HeaderNotFound), on its answer.
    let refused = reqwest::Client::new()
        .get(format!("{}/shop/items/1", s.gateway))
        .header(k.0, k.1)
        .header("X-Client", "someone")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    assert_eq!(
        refused.headers()["x-error"],
        "check-header:HeaderValueNotAllowed"
    );
    let client = ("X-Client", "APP");
    let (status, seen) = call(&s, "GET", "/shop/items/1", &[k, client], None).await;
    assert_eq!(
        (status, header(&seen, "x-branch")),
        (200, &json!("default"))
    );
    let (status, seen) = call(&s, "GET", "/shop/items/1?v=2", &[k, client], None).await;
    assert_eq!((status, header(&seen, "x-branch")), (200, &json!("v2")));

    let response = reqwest::Client::new()
        .get(format!("{}/shop/items/1", s.gateway))
        .header(k.0, k.1)
        .header("X-Client", "cli")
        .header("X-Mode", "teapot")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 418);
    assert_eq!(response.headers()["x-short"], "circuit");
    assert!(
        response.headers().get("x-backend").is_none(),
        "not forwarded"
    );
    assert_eq!(response.text().await.unwrap(), "short and stout: GET");

    // ip-filter: this caller (127.0.0.1) is not in the allowed range.
    put_policy(
        &s,
        "/apis/shop/operations/add",
        r#"<policies><inbound><base /><ip-filter action="allow"><address-range from="10.0.0.0" to="10.255.255.255" /></ip-filter></inbound>
           <backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    let (status, body) = call(&s, "POST", "/shop/items", &[k, client], Some(vec![])).await;
    assert_eq!((status, &body["statusCode"]), (403, &json!(403)));
    let (status, _) = call(&s, "GET", "/shop/items/3", &[k, client], None).await;
    assert_eq!(status, 200, "other operations are not filtered");
}

async fn errors_run_on_error(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><set-header name="X-N"><value>@(int.Parse("not a number").ToString())</value></set-header></inbound>
           <backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    // No on-error: Azure's 500.
    let (status, body) = call(&s, "GET", "/shop/items/1", &[k], None).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["message"], "Internal server error");
    assert!(
        body["activityId"].as_str().is_some_and(|id| id.len() == 36),
        "{body}"
    );

    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><set-header name="X-N"><value>@(int.Parse("not a number").ToString())</value></set-header></inbound>
           <backend><base /></backend><outbound><base /></outbound>
           <on-error><set-status code="503" reason="Unavailable" />
             <set-header name="X-Error-Source"><value>@(context.LastError.Source + "/" + context.LastError.Section)</value></set-header>
             <set-body>@(context.LastError.Reason + ": " + context.LastError.Message)</set-body></on-error></policies>"#,
    )
    .await;
    let response = reqwest::Client::new()
        .get(format!("{}/shop/items/1", s.gateway))
        .header(k.0, k.1)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["x-error-source"], "set-header/inbound");
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("ExpressionValueEvaluationFailure: Expression evaluation failed.")
            && text.contains("FormatException"),
        "{text}"
    );

    // A statement Tollgate cannot run yet is refused when the policy is stored.
    let refused = refused_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><xsl-transform><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" /></xsl-transform></inbound>
           <backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    assert!(
        refused.contains("<xsl-transform> is not supported"),
        "{refused}"
    );

    // A named value changed into an invalid expression after the policy was stored: the calls
    // say which policy cannot run, nothing is silently skipped.
    let property = |value: &str| json!({"name": "Tag", "value": value});
    let r = s
        .put(&format!("/properties/tag?{V17}"), &property("fine"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><set-header name="X-Tag"><value>{{Tag}}</value></set-header></inbound>
           <backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    assert_eq!(call(&s, "GET", "/shop/items/1", &[k], None).await.0, 200);
    let r = s
        .patch(
            &format!("/properties/tag?{V17}"),
            &json!({"value": "@(1 +)"}),
            "*",
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let (status, body) = call(&s, "GET", "/shop/items/1", &[k], None).await;
    assert_eq!(status, 500);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("A policy of this call cannot run") && message.contains("not valid"),
        "{body}"
    );
}

async fn named_values_follow_their_properties(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let property = |value: &str| json!({"name": "Greeting", "value": value, "secret": true});
    let r = s
        .put(&format!("/properties/greeting?{V17}"), &property("hello"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s
        .put(
            &format!("/properties/expr?{V17}"),
            &json!({"name": "Shout", "value": "@(context.Request.Method.ToLower())"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><set-header name="X-Greeting"><value>{{Greeting}}, world</value></set-header>
           <set-header name="X-Method"><value>{{Shout}}</value></set-header></inbound>
           <backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    let (_, seen) = call(&s, "GET", "/shop/items/1", &[k], None).await;
    assert_eq!(header(&seen, "x-greeting"), "hello, world");
    assert_eq!(header(&seen, "x-method"), "get");

    let etag = s.get(&format!("/properties/greeting?{V17}")).await.etag();
    let r = s
        .patch(
            &format!("/properties/greeting?{V17}"),
            &json!({"value": "bonjour"}),
            &etag,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let (_, seen) = call(&s, "GET", "/shop/items/1", &[k], None).await;
    assert_eq!(header(&seen, "x-greeting"), "bonjour, world");
}

async fn bodies_are_read_and_replaced(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base />
             <set-body>@{ var order = context.Request.Body.As&lt;JObject&gt;(preserveContent: true); order["checked"] = true; return order.ToString(Newtonsoft.Json.Formatting.None); }</set-body>
             <set-header name="X-Items"><value>@(context.Request.Body.As&lt;JObject&gt;(true)["items"].Count().ToString())</value></set-header>
           </inbound><backend><base /></backend>
           <outbound><base /><set-body>@{ var seen = context.Response.Body.As&lt;JObject&gt;(); return seen["method"] + " " + seen["bodyLength"] + " " + seen["headers"]["x-items"]; }</set-body></outbound></policies>"#,
    )
    .await;
    let order = br#"{"items":[1,2,3]}"#.to_vec();
    let (status, body) = call(&s, "POST", "/shop/items", &[k], Some(order)).await;
    let sent = r#"{"items":[1,2,3],"checked":true}"#;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!(format!("POST {} 3", sent.len())));
}

/// A gateway call's status and `Retry-After`.
async fn limited(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Option<u64>, Value) {
    let (status, response, body) =
        crate::gateway::exchange(s, method, path, headers, Some(Vec::new())).await;
    let retry = response
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, body)
}

async fn rate_limits_refuse_with_429(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/products/gold",
        r#"<policies><inbound><rate-limit calls="10" renewal-period="60">
             <api name="Shop" calls="5" renewal-period="60"><operation name="add" calls="2" renewal-period="60" /></api>
           </rate-limit><base /></inbound><outbound><base /></outbound></policies>"#,
    )
    .await;
    for _ in 0..2 {
        assert_eq!(limited(&s, "POST", "/shop/items", &[k]).await.0, 200);
    }
    let (status, retry, body) = limited(&s, "POST", "/shop/items", &[k]).await;
    assert_eq!(status, 429, "the operation's limit: {body}");
    let retry = retry.expect("Retry-After");
    assert!((1..=120).contains(&retry), "{retry}");
    assert_eq!(
        body["message"],
        format!("Rate limit is exceeded. Try again in {retry} seconds.")
    );
    // The API's limit (5) counts the two calls admitted above.
    for _ in 0..3 {
        assert_eq!(limited(&s, "GET", "/shop/items/1", &[k]).await.0, 200);
    }
    assert_eq!(
        limited(&s, "GET", "/shop/items/1", &[k]).await.0,
        429,
        "the API's limit"
    );

    // By key: one call per X-User; failed calls (>= 500) are not counted by the condition.
    put_policy(
        &s,
        "/products/gold",
        "<policies><inbound><base /></inbound></policies>",
    )
    .await;
    put_policy(
        &s,
        "/apis/shop/operations/special",
        r#"<policies><inbound><base />
             <rate-limit-by-key calls="1" renewal-period="60" counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;X-User&quot;, &quot;anonymous&quot;))" />
           </inbound><backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    put_policy(
        &s,
        "/apis/shop/operations/get-item",
        r#"<policies><inbound><base />
             <rate-limit-by-key calls="1" renewal-period="60" counter-key="items" increment-condition="@(context.Response.StatusCode &gt;= 500)" />
           </inbound><backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    let ann = [k, ("X-User", "ann")];
    let bob = [k, ("X-User", "bob")];
    assert_eq!(limited(&s, "GET", "/shop/items/special", &ann).await.0, 200);
    assert_eq!(limited(&s, "GET", "/shop/items/special", &ann).await.0, 429);
    assert_eq!(
        limited(&s, "GET", "/shop/items/special", &bob).await.0,
        200,
        "another key"
    );
    for _ in 0..3 {
        let (status, _, body) = limited(&s, "GET", "/shop/items/9", &[k]).await;
        assert_eq!(status, 200, "successful calls are not counted: {body}");
    }
}

/// Polls `check` every 50 ms until it holds; fails after 5 seconds.
pub(crate) async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while !check().await {
        assert!(started.elapsed().as_secs() < 5, "{what}: not within 5 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn quotas_are_counted_in_the_store(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    put_policy(
        &s,
        "/products/gold",
        r#"<policies><inbound><quota calls="3" renewal-period="3600" /><base /></inbound><outbound><base /></outbound></policies>"#,
    )
    .await;
    for _ in 0..3 {
        assert_eq!(limited(&s, "GET", "/shop/items/1", &[k]).await.0, 200);
    }
    let (status, retry_after, body) = limited(&s, "GET", "/shop/items/1", &[k]).await;
    assert_eq!(status, 403, "{body}");
    assert!(retry_after.is_some_and(|r| r <= 3600), "{retry_after:?}");
    let message = body["message"].as_str().unwrap();
    let renews = message
        .strip_prefix("Out of call volume quota. Quota will be replenished in ")
        .and_then(|m| m.strip_suffix('.'))
        .unwrap_or_else(|| panic!("{message}"));
    assert!(
        renews.len() == 8 && renews.as_bytes()[2] == b':' && renews <= "01:00:00",
        "{renews}"
    );

    // The counter (the subscription's id) reaches the store and is read through /quotas.
    let path = format!("/quotas/ann-gold?{V17}");
    eventually("the counter is saved", || async {
        let r = s.get(&path).await;
        r.status == 200 && r.json()["value"][0]["Value"]["callsCount"] == 3
    })
    .await;
    let counter = s.get(&path).await.json()["value"][0].clone();
    // Periods are counted from the subscription's start date, as Azure counts them.
    let subscription = s
        .get(&format!("/subscriptions/ann-gold?{V17}"))
        .await
        .json();
    let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let (started, period) = (
        time(&subscription["startDate"]),
        time(&counter["periodStartTime"]),
    );
    let seconds = (period - started).num_seconds();
    assert!(
        seconds >= 0 && seconds % 3600 == 0,
        "{counter} {subscription}"
    );
    let key = format!("{}_PT1H", seconds / 3600);
    assert_eq!(counter["periodKey"], key.as_str());

    // A reset through /quotas lets calls through again, within a second or so.
    reset_quota(&s, &path, json!({"callsCount": 0}), k).await;

    // By key, counted only when the condition holds.
    put_policy(
        &s,
        "/products/gold",
        "<policies><inbound><base /></inbound></policies>",
    )
    .await;
    put_policy(
        &s,
        "/apis/shop/operations/special",
        r#"<policies><inbound><base />
             <quota-by-key calls="1" renewal-period="86400" counter-key="@(&quot;special-&quot; + context.Request.Headers.GetValueOrDefault(&quot;X-User&quot;, &quot;&quot;))" increment-condition="@(context.Response.StatusCode == 200)" />
           </inbound><backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    let ann = [k, ("X-User", "ann")];
    assert_eq!(limited(&s, "GET", "/shop/items/special", &ann).await.0, 200);
    let (status, _, body) = limited(&s, "GET", "/shop/items/special", &ann).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        limited(&s, "GET", "/shop/items/special", &[k, ("X-User", "bob")])
            .await
            .0,
        200
    );
    eventually("the by-key counter is saved", || async {
        let r = s.get(&format!("/quotas/special-ann?{V17}")).await;
        r.status == 200 && r.json()["value"][0]["Value"]["callsCount"] == 1
    })
    .await;
}

async fn bandwidth_quotas_count_kilobytes(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    // Two kilobytes for the subscription's lifetime (renewal-period 0).
    put_policy(
        &s,
        "/products/gold",
        r#"<policies><inbound><quota bandwidth="2" renewal-period="0" /><base /></inbound><outbound><base /></outbound></policies>"#,
    )
    .await;
    let upload = || Some(vec![b'x'; 1200]);
    let (status, _) = call(&s, "POST", "/shop/items", &[k], upload()).await;
    assert_eq!(
        status, 200,
        "1.2 KB up and the backend's answer: under 2 KB"
    );
    let (status, _) = call(&s, "POST", "/shop/items", &[k], upload()).await;
    assert_eq!(status, 200, "admitted while some kilobytes are left");
    eventually("the kilobytes run out", || async {
        limited(&s, "GET", "/shop/items/1", &[k]).await.0 == 403
    })
    .await;
    let (status, retry_after, body) = limited(&s, "GET", "/shop/items/1", &[k]).await;
    assert_eq!(status, 403);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Out of bandwidth quota. Quota will be replenished in "),
        "{message}"
    );
    assert!(
        retry_after.is_some_and(|r| r > 365 * 86_400),
        "never renews: {retry_after:?}"
    );
    let path = format!("/quotas/ann-gold?{V17}");
    eventually("the kilobytes are saved", || async {
        let r = s.get(&path).await;
        r.status == 200
            && r.json()["value"][0]["Value"]["kbTransferred"]
                .as_f64()
                .is_some_and(|kb| kb > 2.4)
    })
    .await;
    let counter = s.get(&path).await.json()["value"][0].clone();
    assert_eq!(counter["periodKey"], "0_Lifetime", "{counter}");
    assert_eq!(
        counter["Value"]["callsCount"], 2,
        "the admitted calls are counted too"
    );
    // A reset of the kilobytes lets calls through again.
    reset_quota(&s, &path, json!({"kbTransferred": 0}), k).await;
}

/// Sets a quota counter's values through `/quotas` and waits until the gateway admits calls
/// with `key` again.
async fn reset_quota(s: &Server, path: &str, values: Value, key: (&str, &str)) {
    let r = s.send("PATCH", path, Some(&values.to_string()), &[]).await;
    assert_eq!(r.status, 204, "{}", r.text);
    eventually("the reset reaches the gateway", || async {
        limited(s, "GET", "/shop/items/1", &[key]).await.0 == 200
    })
    .await;
}

async fn administrators_trace_their_calls(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &backend().await).await;
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><set-variable name="who" value="@(context.Subscription.Id)" />
             <trace source="shop"><message>@("hello " + (string)context.Variables["who"])</message></trace></inbound>
           <backend><base /></backend><outbound><base /></outbound></policies>"#,
    )
    .await;
    let traced = |key: String| {
        let gateway = s.gateway.clone();
        async move {
            reqwest::Client::new()
                .get(format!("{gateway}/shop/items/1"))
                .header("Ocp-Apim-Subscription-Key", key)
                .header("Ocp-Apim-Trace", "true")
                .send()
                .await
                .unwrap()
        }
    };
    // Ann is not the administrator: no trace.
    let response = traced(key.clone()).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers().get("ocp-apim-trace-location").is_none());

    // The administrator's subscription (user 1) may trace.
    let subscription = json!({"userId": "/users/1", "productId": "/products/gold", "name": "admin-gold", "state": "active"});
    let created = s
        .put(&format!("/subscriptions/admin-gold?{V17}"), &subscription)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let admin_key = created.json()["primaryKey"].as_str().unwrap().to_owned();
    let response = traced(admin_key.clone()).await;
    assert_eq!(response.status().as_u16(), 200);
    let location = response.headers()["ocp-apim-trace-location"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with(&format!("{}/tollgate-trace/", s.gateway)),
        "{location}"
    );
    let trace: Value = reqwest::get(&location).await.unwrap().json().await.unwrap();
    let steps = trace["steps"].as_array().unwrap();
    let sources: Vec<&str> = steps
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert!(
        sources.contains(&"set-variable") && sources.contains(&"forward-request"),
        "{trace}"
    );
    assert!(
        steps.iter().any(|s| s["message"] == "hello admin-gold"),
        "the trace statement's message: {trace}"
    );
    assert_eq!(trace["variables"]["who"], "admin-gold");
    assert_eq!(trace["response"]["statusCode"], 200);
    // The key is never shown.
    let text = trace.to_string();
    assert!(!text.contains(&admin_key), "{text}");
    assert_eq!(
        trace["request"]["headers"]["ocp-apim-subscription-key"],
        "***"
    );
    // Unknown traces are 404.
    let missing = reqwest::get(format!("{}/tollgate-trace/nope", s.gateway))
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
}
