//! API schemas (REFERENCE §4.5): documents checked by type, references from operations.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(schemas_are_checked_and_referenced);

const JSON_TYPE: &str = "application/vnd.ms-azure-apim.swagger.definitions+json";

async fn schemas_are_checked_and_referenced(engine: Engine) {
    let s = Server::start(engine).await;
    let api = json!({"name": "Shop", "path": "shop", "serviceUrl": "http://backend.example.com"});
    assert_eq!(s.put(&format!("/apis/shop?{V17}"), &api).await.status, 201);
    let doc = json!({"contentType": JSON_TYPE, "document": {"value": "{\"Order\": {\"type\": \"object\"}}"}});
    let r = s
        .put("/apis/shop/schemas/defs?api-version=2016-10-10", &doc)
        .await;
    assert_eq!(r.status, 404, "schemas arrived in 2017-03-01");
    assert!(r.text.contains("2017-03-01"), "{}", r.text);
    let created = s.put(&format!("/apis/shop/schemas/defs?{V17}"), &doc).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let mut expected = doc.clone();
    expected["id"] = json!("/apis/shop/schemas/defs");
    assert_eq!(created.json(), expected);
    assert_eq!(
        s.put(&format!("/apis/shop/schemas/defs?{V17}"), &doc)
            .await
            .status,
        200
    );
    assert_eq!(
        s.get(&format!("/apis/shop/schemas?{V17}")).await.json()["count"],
        1
    );
    for (bad, target) in [
        (
            json!({"contentType": JSON_TYPE, "document": {"value": "{not json"}}),
            "document.value",
        ),
        (
            json!({"contentType": "application/vnd.ms-azure-apim.xsd+xml", "document": {"value": "<a><b></a>"}}),
            "document.value",
        ),
        (
            json!({"contentType": "text/plain", "document": {"value": "x"}}),
            "contentType",
        ),
    ] {
        let r = s.put(&format!("/apis/shop/schemas/bad?{V17}"), &bad).await;
        assert_eq!(
            (r.status, r.error_targets()),
            (400, vec![target.to_owned()]),
            "{bad}"
        );
    }
    let op = json!({"name": "Create", "method": "POST", "urlTemplate": "/orders",
                    "request": {"representations": [{"contentType": "application/json", "schemaId": "defs", "typeName": "Order"}]}});
    assert_eq!(
        s.put(&format!("/apis/shop/operations/create?{V17}"), &op)
            .await
            .status,
        201
    );
    let r = s
        .delete(&format!("/apis/shop/schemas/defs?{V17}"), "*")
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "ResourceReferenced")
    );
    assert!(
        r.text.contains("/apis/shop/operations/create"),
        "names the operation: {}",
        r.text
    );
    assert_eq!(
        s.delete(&format!("/apis/shop/operations/create?{V17}"), "*")
            .await
            .status,
        204
    );
    assert_eq!(
        s.delete(&format!("/apis/shop/schemas/defs?{V17}"), "*")
            .await
            .status,
        204
    );
    assert_eq!(
        s.put(&format!("/apis/shop/schemas/defs?{V17}"), &doc)
            .await
            .status,
        201
    );
    assert_eq!(
        s.delete(&format!("/apis/shop?{V17}"), "*").await.status,
        204
    );
    assert_eq!(s.put(&format!("/apis/shop?{V17}"), &api).await.status, 201);
    assert_eq!(
        s.get(&format!("/apis/shop/schemas?{V17}")).await.json()["count"],
        0,
        "schemas went with their API"
    );
}
