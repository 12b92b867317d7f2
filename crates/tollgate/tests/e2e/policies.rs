//! The global policy: representations, versions, and the property-in-use rule (REFERENCE §3, §14.1).

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

const XML: &str = "application/vnd.ms-azure-apim.policy+xml";
const RAW: &str = "application/vnd.ms-azure-apim.policy.raw+xml";

on_both_engines!(
    representations_round_trip,
    legacy_tenant_policy,
    invalid_documents_are_refused,
    referenced_properties_cannot_be_deleted,
    api_and_operation_policies,
    structure_is_checked_per_scope,
    expressions_are_checked_when_stored
);

async fn api_with_operation(s: &Server) {
    let api = json!({"name": "Shop", "path": "shop", "serviceUrl": "http://backend.example.com"});
    assert_eq!(s.put(&format!("/apis/shop?{V17}"), &api).await.status, 201);
    let op = json!({"name": "Get", "method": "GET", "urlTemplate": "/orders"});
    assert_eq!(
        s.put(&format!("/apis/shop/operations/get?{V17}"), &op)
            .await
            .status,
        201
    );
}

async fn representations_round_trip(engine: Engine) {
    let s = Server::start(engine).await;
    let path = format!("/policies/policy?{V17}");
    let default = s.get(&path).await;
    assert_eq!(default.status, 200);
    assert_eq!(default.header("content-type").as_deref(), Some(XML));
    assert!(
        default.text.contains("<forward-request />"),
        "a new instance has the default global policy"
    );
    let raw_doc = r#"<policies><inbound><set-header name="x" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("a","") != "" && 1 < 2 ? "y" : "n")</value></set-header></inbound><backend><forward-request /></backend><outbound /></policies>"#;
    let put = s
        .send(
            "PUT",
            &path,
            Some(raw_doc),
            &[("Content-Type", RAW), ("If-Match", &default.etag())],
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.json()["id"], "/policies/policy");
    let raw = s.send("GET", &path, None, &[("Accept", RAW)]).await;
    assert_eq!((raw.status, raw.text.as_str()), (200, raw_doc));
    let xml = s.get(&path).await.text;
    assert!(
        xml.contains("&amp;&amp; 1 &lt; 2"),
        "the XML form escapes the expression: {xml}"
    );
    let as_json = s
        .send("GET", &path, None, &[("Accept", "application/json")])
        .await
        .json();
    assert_eq!(
        as_json,
        json!({"id": "/policies/policy", "policyContent": xml})
    );
    let doc = "<policies><inbound /><backend><forward-request /></backend><outbound /></policies>";
    let r = s.put(&path, &json!({"policyContent": doc})).await;
    assert_eq!(
        (r.status, r.json()["policyContent"].as_str()),
        (200, Some(doc))
    );
    let r = s.send("GET", &path, None, &[("Accept", "text/csv")]).await;
    assert_eq!((r.status, r.error_code().as_str()), (406, "NotAcceptable"));
    assert_eq!(s.delete(&path, "*").await.status, 204);
    assert_eq!(s.get(&path).await.status, 404);
    let created = s
        .send("PUT", &path, Some(doc), &[("Content-Type", XML)])
        .await;
    assert_eq!(created.status, 201);
    let list = s.get(&format!("/policies?{V17}&scope=All")).await.json();
    assert_eq!(
        (
            list["count"].clone(),
            list["value"][0]["policyContent"].clone()
        ),
        (json!(1), json!(doc))
    );
    assert_eq!(
        s.get(&format!("/policies?{V17}&scope=Api")).await.json()["count"],
        0
    );
    assert_eq!(
        s.get(&format!("/policies?{V17}&scope=Everything"))
            .await
            .status,
        400
    );
}

async fn legacy_tenant_policy(engine: Engine) {
    let s = Server::start(engine).await;
    let path = "/tenant/policy?api-version=2014-02-14";
    let doc = "<policies><inbound /><backend><forward-request follow-redirects=\"true\" /></backend><outbound /></policies>";
    let r = s
        .send("PUT", path, Some(doc), &[("Content-Type", XML)])
        .await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["If-Match".to_owned()])
    );
    let r = s
        .send(
            "PUT",
            path,
            Some(doc),
            &[("Content-Type", XML), ("If-Match", "*")],
        )
        .await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (204, ""),
        "replacing the default answers 204 without a body"
    );
    assert_eq!(s.get(path).await.text, doc);
    assert_eq!(s.delete(path, "*").await.status, 204);
    assert_eq!(s.get(path).await.status, 404);
    let r = s
        .send(
            "PUT",
            path,
            Some(doc),
            &[("Content-Type", XML), ("If-Match", "*")],
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        s.get(&format!("/tenant/policy?{V17}")).await.status,
        404,
        "2017-03-01 uses /policies/policy"
    );
    assert_eq!(
        s.get("/policies/policy?api-version=2016-10-10")
            .await
            .status,
        404,
        "older versions use /tenant/policy"
    );
    assert_eq!(
        s.get(&format!("/policies/other?{V17}"))
            .await
            .error_targets(),
        ["policyId"]
    );
}

async fn invalid_documents_are_refused(engine: Engine) {
    let s = Server::start(engine).await;
    let path = format!("/policies/policy?{V17}");
    let before = s.get(&path).await.text;
    for bad in [
        "<policies><inbound></policies>",
        "<policy />",
        "not xml at all",
        "<policies/><policies/>",
    ] {
        let r = s
            .send("PUT", &path, Some(bad), &[("Content-Type", XML)])
            .await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(
            r.json()["error"]["details"][0]["message"]
                .as_str()
                .unwrap()
                .contains("line"),
            "{bad}: {}",
            r.text
        );
    }
    let r = s.put(&path, &json!({"policyContent": "<nope/>"})).await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["policyContent".to_owned()])
    );
    let r = s
        .send(
            "PUT",
            &path,
            Some("<policies/>"),
            &[("Content-Type", "text/plain")],
        )
        .await;
    assert_eq!(r.status, 415);
    assert_eq!(
        s.get(&path).await.text,
        before,
        "a refused PUT changes nothing"
    );
}

async fn referenced_properties_cannot_be_deleted(engine: Engine) {
    let s = Server::start(engine).await;
    assert_eq!(
        s.put(
            &format!("/properties/key?{V17}"),
            &json!({"name": "jwt-key", "value": "s3cret"})
        )
        .await
        .status,
        201
    );
    let doc = r#"<policies><inbound><set-header name="x" exists-action="override"><value>{{JWT-KEY}}</value></set-header></inbound><backend><forward-request /></backend><outbound /></policies>"#;
    let path = format!("/policies/policy?{V17}");
    assert_eq!(
        s.send("PUT", &path, Some(doc), &[("Content-Type", XML)])
            .await
            .status,
        200
    );
    let r = s.delete(&format!("/properties/key?{V17}"), "*").await;
    assert_eq!((r.status, r.error_code().as_str()), (405, "ResourceInUse"));
    assert!(
        r.text.contains("/policies/policy"),
        "names the policy: {}",
        r.text
    );
    let r = s
        .patch(
            &format!("/properties/key?{V17}"),
            &json!({"name": "renamed"}),
            "*",
        )
        .await;
    assert_eq!(
        r.status, 405,
        "a referenced property cannot be renamed either"
    );
    assert_eq!(
        s.patch(
            &format!("/properties/key?{V17}"),
            &json!({"value": "new"}),
            "*"
        )
        .await
        .status,
        204
    );
    let plain =
        "<policies><inbound /><backend><forward-request /></backend><outbound /></policies>";
    assert_eq!(
        s.send("PUT", &path, Some(plain), &[("Content-Type", XML)])
            .await
            .status,
        200
    );
    assert_eq!(
        s.delete(&format!("/properties/key?{V17}"), "*")
            .await
            .status,
        204
    );
}

async fn api_and_operation_policies(engine: Engine) {
    let s = Server::start(engine).await;
    let doc = "<policies><inbound><base /><set-header name=\"x\" exists-action=\"override\"><value>1</value></set-header></inbound></policies>";
    let api_path = format!("/apis/shop/policies/policy?{V17}");
    assert_eq!(
        s.send(
            "PUT",
            &api_path,
            Some(doc),
            &[("Content-Type", XML), ("If-Match", "*")]
        )
        .await
        .status,
        404,
        "the API must exist"
    );
    api_with_operation(&s).await;
    let r = s
        .send("PUT", &api_path, Some(doc), &[("Content-Type", XML)])
        .await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["If-Match".to_owned()]),
        "API policies need If-Match"
    );
    let r = s
        .send(
            "PUT",
            &api_path,
            Some(doc),
            &[("Content-Type", XML), ("If-Match", "*")],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["id"], "/apis/shop/policies/policy");
    assert_eq!(s.get(&api_path).await.text, doc);
    let op_doc =
        "<policies><inbound><base /><rewrite-uri template=\"/v2/orders\" /></inbound></policies>";
    let op_path = format!("/apis/shop/operations/get/policies/policy?{V17}");
    assert_eq!(
        s.send(
            "PUT",
            &op_path,
            Some(op_doc),
            &[("Content-Type", XML), ("If-Match", "*")]
        )
        .await
        .status,
        201
    );
    assert_eq!(
        s.send(
            "PUT",
            &format!("/apis/shop/operations/nope/policies/policy?{V17}"),
            Some(op_doc),
            &[("Content-Type", XML), ("If-Match", "*")]
        )
        .await
        .status,
        404
    );
    let listed = s
        .get(&format!("/apis/shop/operations/get/policies?{V17}"))
        .await
        .json();
    assert_eq!(
        (listed["count"].clone(), listed["value"][0]["id"].clone()),
        (json!(1), json!("/apis/shop/operations/get/policies/policy"))
    );
    for (scope, count) in [("Tenant", 1), ("Api", 1), ("Operation", 1), ("All", 3)] {
        assert_eq!(
            s.get(&format!("/policies?{V17}&scope={scope}"))
                .await
                .json()["count"],
            count,
            "{scope}"
        );
    }
    // Legacy URLs for legacy versions only.
    let legacy = "/apis/shop/policy?api-version=2016-10-10";
    assert_eq!(s.get(legacy).await.text, doc);
    assert_eq!(
        s.get("/apis/shop/policies/policy?api-version=2016-10-10")
            .await
            .status,
        404
    );
    assert_eq!(s.get(&format!("/apis/shop/policy?{V17}")).await.status, 404);
    // Deleting the operation deletes its policy; deleting the API deletes the rest.
    assert_eq!(
        s.delete(&format!("/apis/shop/operations/get?{V17}"), "*")
            .await
            .status,
        204
    );
    assert_eq!(
        s.get(&format!("/policies?{V17}&scope=Operation"))
            .await
            .json()["count"],
        0
    );
    assert_eq!(
        s.delete(&format!("/apis/shop?{V17}"), "*").await.status,
        204
    );
    assert_eq!(
        s.get(&format!("/policies?{V17}&scope=Api")).await.json()["count"],
        0
    );
}

async fn structure_is_checked_per_scope(engine: Engine) {
    let s = Server::start(engine).await;
    api_with_operation(&s).await;
    let put = |path: String, doc: &'static str| {
        let s = &s;
        async move {
            s.send(
                "PUT",
                &path,
                Some(doc),
                &[("Content-Type", XML), ("If-Match", "*")],
            )
            .await
        }
    };
    let api_path = format!("/apis/shop/policies/policy?{V17}");
    let global_path = format!("/policies/policy?{V17}");
    for (path, doc, needle) in [
        (
            api_path.clone(),
            "<policies>\n<inbound>\n<no-such-policy /></inbound></policies>",
            "line 3",
        ),
        (
            api_path.clone(),
            "<policies><inbound><rewrite-uri template=\"/x\" /></inbound></policies>",
            "operation scope only",
        ),
        (
            api_path.clone(),
            "<policies><inbound /><inbound /></policies>",
            "appears twice",
        ),
        (
            api_path.clone(),
            "<policies><outbound><forward-request /></outbound></policies>",
            "<backend>",
        ),
        (
            global_path.clone(),
            "<policies><inbound><base /></inbound></policies>",
            "global scope",
        ),
        (
            api_path.clone(),
            "<policies><inbound><set-header name=\"k\" exists-action=\"override\"><value>{{missing-key}}</value></set-header></inbound></policies>",
            "missing-key",
        ),
    ] {
        let r = put(path, doc).await;
        assert_eq!(r.status, 400, "{doc}");
        assert!(r.text.contains(needle), "{doc}: {}", r.text);
    }
    assert_eq!(
        s.put(
            &format!("/properties/k?{V17}"),
            &json!({"name": "missing-key", "value": "v"})
        )
        .await
        .status,
        201
    );
    let with_ref = "<policies><inbound><set-header name=\"k\" exists-action=\"override\"><value>{{missing-key}}</value></set-header></inbound></policies>";
    assert_eq!(
        put(api_path, with_ref).await.status,
        201,
        "the named value exists now"
    );
    let r = s.delete(&format!("/properties/k?{V17}"), "*").await;
    assert_eq!(r.status, 405);
    assert!(r.text.contains("/apis/shop/policies/policy"), "{}", r.text);
}

/// Every policy expression is parsed and type-checked when a policy is stored, at every scope: a
/// syntax error or an unknown member is a 400 naming the element, the expression and the place.
async fn expressions_are_checked_when_stored(engine: Engine) {
    let s = Server::start(engine).await;
    api_with_operation(&s).await;
    let policy = |inbound: &str| {
        format!(
            "<policies><inbound><base />{inbound}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"
        )
    };
    let good = policy(
        r#"<set-header name="x-method" exists-action="override"><value>@(context.Request.Method.ToLower())</value></set-header><choose><when condition="@(context.Variables.GetValueOrDefault&lt;int&gt;(&quot;n&quot;, 0) &gt; 1)"><set-variable name="y" value="@{ var n = 2; return n * 3; }" /></when></choose>"#,
    );
    for path in [
        "/apis/shop/policies/policy",
        "/apis/shop/operations/get/policies/policy",
    ] {
        let r = s
            .send(
                "PUT",
                &format!("{path}?{V17}"),
                Some(&good),
                &[("Content-Type", XML), ("If-Match", "*")],
            )
            .await;
        assert!(r.status == 200 || r.status == 201, "{path}: {}", r.text);
    }
    for (inbound, element, problem) in [
        (
            r#"<set-variable name="v" value="@(context.Request.Nope)" />"#,
            "attribute 'value' of <set-variable>",
            "Nope",
        ),
        (
            r#"<set-body>@{ var x = ; return x; }</set-body>"#,
            "<set-body>",
            "line 1, column",
        ),
        (
            r#"<set-header name="h"><value>@(1 + "a".Lenght)</value></set-header>"#,
            "<value>",
            "Lenght",
        ),
    ] {
        let path = format!("/apis/shop/policies/policy?{V17}");
        let before = s.get(&path).await.text;
        let r = s
            .send(
                "PUT",
                &path,
                Some(&policy(inbound)),
                &[("Content-Type", XML), ("If-Match", "*")],
            )
            .await;
        assert_eq!(r.status, 400, "{inbound}: {}", r.text);
        let message = r.json()["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(element), "{message}");
        assert!(message.contains(problem), "{message}");
        assert!(message.contains("@"), "the expression is quoted: {message}");
        assert_eq!(
            s.get(&path).await.text,
            before,
            "a refused PUT changes nothing"
        );
    }
}
