//! `set-body template="liquid"` through the real gateway: Azure's documented examples (JSON to
//! SOAP, JSON reshaped), loops, `context` values and headers in the output, XML bodies, run-time
//! failures seen by on-error, and bad templates refused when the policy is stored.

use crate::common::{Engine, Server};
use crate::gateway::shop;
use crate::on_both_engines;
use crate::policy_engine::{put_policy, refused_policy};
use crate::policy_transform::{mirror, send};
use serde_json::{Value, json};

on_both_engines!(
    liquid_templates_reshape_bodies,
    liquid_templates_fail_and_are_refused_like_other_statements
);

async fn liquid_templates_reshape_bodies(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &format!("{}/base", mirror().await)).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());
    let json = ("Content-Type", "application/json");

    // Azure's "Convert JSON to SOAP" example, inbound: the backend receives the envelope (the
    // JSON body is bound as JSON: Content-Type changes after the template).
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base />
            <set-body template="liquid">
                <soap:Envelope xmlns="http://tempuri.org/" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
                    <soap:Body>
                        <GetOpenOrders>
                            <cust>{{body.getOpenOrders.cust}}</cust>
                        </GetOpenOrders>
                    </soap:Body>
                </soap:Envelope>
            </set-body>
            <set-header name="Content-Type" exists-action="override"><value>text/xml</value></set-header>
            </inbound></policies>"#,
    )
    .await;
    let input = r#"{"getOpenOrders": {"cust": "Contoso & Co"}}"#;
    let (status, headers, body) = send(&s, "POST", "/shop/items", &[k, json], input).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "text/xml");
    let compact: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        compact,
        "<soap:Envelope xmlns=\"http://tempuri.org/\" xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"> <soap:Body> <GetOpenOrders> <cust>Contoso & Co</cust> </GetOpenOrders> </soap:Body> </soap:Envelope>"
    );

    // Azure's "Transform JSON" example.
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><set-body template="liquid">
{
"order": {
    "id": "{{body.customer.purchase.identifier}}",
    "summary": "{{body.customer.purchase.orderShortDesc}}"
    }
}
</set-body></inbound></policies>"#,
    )
    .await;
    let input =
        r#"{"customer": {"purchase": {"identifier": "4711", "orderShortDesc": "Two books"}}}"#;
    let (_, _, body) = send(&s, "POST", "/shop/items", &[k, json], input).await;
    let got: Value = serde_json::from_str(&body).expect(&body);
    assert_eq!(
        got,
        json!({"order": {"id": "4711", "summary": "Two books"}})
    );

    // Outbound, over the backend's response: a loop, filters, headers and `context` values.
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /></inbound><outbound><base /><set-body template="liquid">{
  "orders": [{%- for o in body.orders %}{"id": "{{ o.id | Upcase }}", "n": {{ forloop.index }}, "total": {{ o.price | Times: o.qty }}}{% unless forloop.last %}, {% endunless %}{% endfor -%}],
  "count": {{ body.orders.size }},
  "cheap": "{% for o in body.orders %}{% if o.price &lt; 5 %}{{ o.id }}{% endif %}{% endfor %}",
  "method": "{{ context.Request.Method }}",
  "agent": "{{ context.Request.Headers['X-Agent'] }}",
  "status": {{ context.Response.StatusCode }},
  "backend": "{{ context.Response.Headers.x-backend }}",
  "api": "{{ context.Api.Name }}",
  "path": "{{ context.Request.OriginalUrl.Path }}",
  "v": "{{ context.Request.OriginalUrl.Query.v | Join: ',' }}",
  "tier": "{% case context.Variables.tier %}{% when 'gold' %}G{% else %}other{% endcase %}",
  "user": "{{ context.User.FirstName }} {{ context.User.LastName }} &lt;{{ context.User.Email }}&gt;",
  "product": "{{ context.Product.Name }}: {{ context.Product.Apis | Map: 'Name' | Join: ',' }}"
}</set-body></outbound></policies>"#,
    )
    .await;
    put_policy(
        &s,
        "/apis/shop/operations/add",
        r#"<policies><inbound><base /><set-variable name="tier" value="gold" /></inbound></policies>"#,
    )
    .await;
    let input = r#"{"orders": [{"id": "a1", "price": 2.5, "qty": 4}, {"id": "b2", "price": 10, "qty": 1}]}"#;
    let agent = ("X-Agent", "tests/1.0");
    let (status, _, body) = send(&s, "POST", "/shop/items?v=1&v=2", &[k, json, agent], input).await;
    assert_eq!(status, 200, "{body}");
    let got: Value = serde_json::from_str(&body).expect(&body);
    assert_eq!(
        got,
        json!({
            "orders": [{"id": "A1", "n": 1, "total": 10}, {"id": "B2", "n": 2, "total": 10}],
            "count": 2, "cheap": "a1", "method": "POST", "agent": "tests/1.0", "status": 200,
            "backend": "yes", "api": "Shop", "path": "/shop/items", "v": "1,2", "tier": "G",
            "user": "Ann Lee <ann@contoso.com>", "product": "Gold: Shop"
        })
    );

    // An XML body is bound as Tollgate's xml-to-json reads it; xsi-nil decides what a nil
    // element is.
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><set-body template="liquid" xsi-nil="null">{{ body.order.id }}|{% if body.order.note == nil %}no note{% endif %}|{{ body.order.lines.line | Size }}</set-body></inbound></policies>"#,
    )
    .await;
    let xml = r#"<order xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><id>7</id><note xsi:nil="true"/><lines><line>a</line><line>b</line></lines></order>"#;
    let (_, _, body) = send(
        &s,
        "POST",
        "/shop/items",
        &[k, ("Content-Type", "application/xml")],
        xml,
    )
    .await;
    assert_eq!(body, "7|no note|2");
}

async fn liquid_templates_fail_and_are_refused_like_other_statements(engine: Engine) {
    let s = Server::start(engine).await;
    let key = shop(&s, &format!("{}/base", mirror().await)).await;
    let k = ("Ocp-Apim-Subscription-Key", key.as_str());

    // Refused when stored: a syntax error, a Liquid (not PascalCase) filter name, a tag
    // Tollgate does not run, a bad attribute.
    for (template, says) in [
        (
            r#"<set-body template="liquid">{% if body.a %}open</set-body>"#,
            "'{% endif %}' is missing",
        ),
        (
            r#"<set-body template="liquid">{{ body.a | upcase }}</set-body>"#,
            "PascalCase ('Upcase')",
        ),
        (
            r#"<set-body template="liquid">{% include 'x' %}</set-body>"#,
            "'include' is not supported",
        ),
        (
            r#"<set-body template="liquid" xsi-nil="maybe">x</set-body>"#,
            "blank or null",
        ),
        (r#"<set-body template="mustache">x</set-body>"#, "mustache"),
    ] {
        let xml = format!("<policies><inbound><base />{template}</inbound></policies>");
        let text = refused_policy(&s, "/apis/shop", &xml).await;
        assert!(text.contains(says), "{template}: {text}");
    }

    // A template that fails at run time fails its statement: on-error sees why.
    put_policy(
        &s,
        "/apis/shop",
        r#"<policies><inbound><base /><set-body template="liquid">{{ body.n | DividedBy: 0 }}</set-body></inbound>
           <on-error><set-body>@(context.LastError.Source + "/" + context.LastError.Reason + ": " + context.LastError.Message)</set-body></on-error></policies>"#,
    )
    .await;
    let (status, _, body) = send(
        &s,
        "POST",
        "/shop/items",
        &[k, ("Content-Type", "application/json")],
        r#"{"n": 4}"#,
    )
    .await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        "set-body/LiquidTemplateFailure: DividedBy: division by zero"
    );
    let (status, _, body) = send(
        &s,
        "POST",
        "/shop/items",
        &[k, ("Content-Type", "application/json")],
        "{not json",
    )
    .await;
    assert_eq!(status, 500);
    assert!(body.contains("the body is not valid JSON"), "{body}");
}
