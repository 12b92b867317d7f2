//! Operations of an API (REFERENCE §4.2, §4.4): templates, uniqueness, parents, cascade.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(
    operations_live_under_their_api,
    templates_are_checked,
    deleting_an_api_deletes_its_operations
);

async fn api(s: &Server, id: &str) {
    let body = json!({"name": id, "path": id, "serviceUrl": "http://backend.example.com"});
    assert_eq!(s.put(&format!("/apis/{id}?{V17}"), &body).await.status, 201);
}

async fn operations_live_under_their_api(engine: Engine) {
    let s = Server::start(engine).await;
    let body = json!({"name": "Get order", "method": "get", "urlTemplate": "orders/{id}",
                      "templateParameters": [{"name": "id", "type": "string", "required": true}]});
    let r = s
        .put(&format!("/apis/shop/operations/get-order?{V17}"), &body)
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (404, "ResourceNotFound"),
        "the API must exist"
    );
    assert_eq!(
        s.get(&format!("/apis/shop/operations?{V17}")).await.status,
        404
    );
    api(&s, "shop").await;
    let created = s
        .put(&format!("/apis/shop/operations/get-order?{V17}"), &body)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let op = created.json();
    assert_eq!(
        (
            op["id"].clone(),
            op["method"].clone(),
            op["urlTemplate"].clone()
        ),
        (
            json!("/apis/shop/operations/get-order"),
            json!("GET"),
            json!("/orders/{id}")
        )
    );
    assert_eq!(
        op["request"],
        json!({"queryParameters": [], "headers": [], "representations": []})
    );
    let list = s.get(&format!("/apis/shop/operations?{V17}")).await.json();
    assert_eq!(
        list["value"],
        json!([{"id": "/apis/shop/operations/get-order", "name": "Get order", "method": "GET", "urlTemplate": "/orders/{id}"}])
    );
    let post = json!({"name": "Create order", "method": "POST", "urlTemplate": "/orders", "description": "new"});
    assert_eq!(
        s.put(&format!("/apis/shop/operations/create-order?{V17}"), &post)
            .await
            .status,
        201
    );
    let filtered = s
        .get(&format!(
            "/apis/shop/operations?{V17}&$filter=method%20eq%20%27post%27"
        ))
        .await
        .json();
    assert_eq!(filtered["count"], 1);
    let r = s
        .patch(
            &format!("/apis/shop/operations/create-order?{V17}"),
            &json!({"description": "Creates an order"}),
            &created.etag(),
        )
        .await;
    assert_eq!(r.status, 412, "each operation has its own ETag");
    let etag = s
        .get(&format!("/apis/shop/operations/create-order?{V17}"))
        .await
        .etag();
    assert_eq!(
        s.patch(
            &format!("/apis/shop/operations/create-order?{V17}"),
            &json!({"description": "Creates an order"}),
            &etag
        )
        .await
        .status,
        204
    );
    assert_eq!(
        s.get(&format!("/apis/shop/operations/create-order?{V17}"))
            .await
            .json()["description"],
        "Creates an order"
    );
    let head = s
        .send(
            "HEAD",
            &format!("/apis/shop/operations/get-order?{V17}"),
            None,
            &[],
        )
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(
        s.delete(&format!("/apis/shop/operations/get-order?{V17}"), "*")
            .await
            .status,
        204
    );
    assert_eq!(
        s.get(&format!("/apis/shop/operations?{V17}")).await.json()["count"],
        1
    );
}

async fn templates_are_checked(engine: Engine) {
    let s = Server::start(engine).await;
    api(&s, "shop").await;
    let put = |id: &'static str, body: serde_json::Value| {
        let s = &s;
        async move {
            s.put(&format!("/apis/shop/operations/{id}?{V17}"), &body)
                .await
        }
    };
    let p = |n: &str| json!({"name": n, "type": "string"});
    for (body, target) in [
        (
            json!({"name": "o", "method": "GET", "urlTemplate": "/a/{id"}),
            "urlTemplate",
        ),
        (
            json!({"name": "o", "method": "GET", "urlTemplate": "/a/{id}"}),
            "templateParameters",
        ),
        (
            json!({"name": "o", "method": "GET", "urlTemplate": "/a", "templateParameters": [p("id")]}),
            "templateParameters[0].name",
        ),
        (
            json!({"name": "o", "method": "GET", "urlTemplate": "/a/{id}/{ID}", "templateParameters": [p("id")]}),
            "urlTemplate",
        ),
        (
            json!({"name": "o", "method": "G E T", "urlTemplate": "/a"}),
            "method",
        ),
        (
            json!({"name": "o", "method": "GET", "urlTemplate": "/a", "responses": [{"statusCode": 42}]}),
            "responses[0].statusCode",
        ),
        (
            json!({"name": "o", "method": "GET", "urlTemplate": "/a", "request": {"representations": [{"contentType": "application/json", "schemaId": "nope"}]}}),
            "schemaId",
        ),
    ] {
        let r = put("o", body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(
            r.error_targets().contains(&target.to_owned()),
            "{body}: {:?}",
            r.error_targets()
        );
    }
    let ok = json!({"name": "Order", "method": "GET", "urlTemplate": "/orders/{id}?date={date}", "templateParameters": [p("id"), p("date")]});
    assert_eq!(put("first", ok).await.status, 201);
    let same = json!({"name": "Same", "method": "GET", "urlTemplate": "/Orders/{orderId}?date={d}", "templateParameters": [p("orderId"), p("d")]});
    let r = put("second", same.clone()).await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["urlTemplate".to_owned()])
    );
    assert!(
        r.text.contains("'first'"),
        "names the other operation: {}",
        r.text
    );
    let mut other_method = same;
    other_method["method"] = json!("DELETE");
    assert_eq!(
        put("second", other_method).await.status,
        201,
        "another method on the same template is fine"
    );
}

async fn deleting_an_api_deletes_its_operations(engine: Engine) {
    let s = Server::start(engine).await;
    api(&s, "shop").await;
    for i in 0..3 {
        let body =
            json!({"name": format!("op{i}"), "method": "GET", "urlTemplate": format!("/items{i}")});
        assert_eq!(
            s.put(&format!("/apis/shop/operations/op{i}?{V17}"), &body)
                .await
                .status,
            201
        );
    }
    assert_eq!(
        s.delete(&format!("/apis/shop?{V17}"), "*").await.status,
        204
    );
    assert_eq!(
        s.get(&format!("/apis/shop/operations/op0?{V17}"))
            .await
            .status,
        404
    );
    api(&s, "shop").await;
    assert_eq!(
        s.get(&format!("/apis/shop/operations?{V17}")).await.json()["count"],
        0,
        "a new API with the same id starts empty"
    );
}
