//! APIs (REFERENCE §4.1, §4.2): every operation per version, unique paths, filters.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(
    apis_follow_the_version,
    api_paths_are_unique,
    apis_filter_and_list_products
);

fn echo() -> serde_json::Value {
    json!({"name": "Echo API", "serviceUrl": "http://echoapi.cloudapp.net/api", "path": "echo", "protocols": ["https"]})
}

async fn apis_follow_the_version(engine: Engine) {
    let s = Server::start(engine).await;
    let created = s.put(&format!("/apis/echo?{V17}"), &echo()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.json(),
        json!({"id": "/apis/echo", "name": "Echo API", "apiRevision": "1", "serviceUrl": "http://echoapi.cloudapp.net/api",
               "path": "echo", "protocols": ["https"],
               "subscriptionKeyParameterNames": {"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"},
               "isCurrent": true})
    );
    let legacy = s.get("/apis/echo?api-version=2014-02-14").await.json();
    assert_eq!(
        (
            legacy["description"].clone(),
            legacy["authenticationSettings"].clone()
        ),
        (json!(null), json!({"oAuth2": null}))
    );
    assert!(legacy.get("apiRevision").is_none());
    let again = s.put("/apis/echo?api-version=2014-02-14", &echo()).await;
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (409, "IdentifierAlreadyInUse")
    );
    let r = s
        .put(
            "/apis/soapy?api-version=2014-02-14",
            &json!({"name": "S", "path": "s", "serviceUrl": "http://s", "type": "soap"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["type".to_owned()]),
        "type arrived in 2016-07-07"
    );
    let etag = created.etag();
    let r = s
        .patch(
            &format!("/apis/echo?{V17}"),
            &json!({"description": "Echoes", "protocols": ["http", "HTTPS"]}),
            &etag,
        )
        .await;
    assert_eq!(r.status, 204);
    let got = s.get(&format!("/apis/echo?{V17}")).await.json();
    assert_eq!(
        (got["description"].clone(), got["protocols"].clone()),
        (json!("Echoes"), json!(["http", "https"]))
    );
    assert_eq!(
        s.patch(&format!("/apis/echo?{V17}"), &json!({"name": "x"}), &etag)
            .await
            .status,
        412
    );
    let r = s.put(&format!("/apis/bad?{V17}"), &json!({"name": "b", "path": "b", "contentFormat": "swagger-json", "contentValue": "{}"})).await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["contentValue".to_owned()]),
        "an import of an empty document is refused, naming it"
    );
    let head = s
        .send("HEAD", &format!("/apis/echo?{V17}"), None, &[])
        .await;
    assert_eq!((head.status, head.text.as_str()), (200, ""));
    assert_eq!(
        s.delete(&format!("/apis/echo?{V17}"), "*").await.status,
        204
    );
    assert_eq!(s.get(&format!("/apis/echo?{V17}")).await.status, 404);
}

async fn api_paths_are_unique(engine: Engine) {
    let s = Server::start(engine).await;
    assert_eq!(s.put(&format!("/apis/a?{V17}"), &echo()).await.status, 201);
    let mut clash = echo();
    clash["path"] = json!("/ECHO/");
    let r = s.put(&format!("/apis/b?{V17}"), &clash).await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["path".to_owned()])
    );
    assert!(r.text.contains("'a'"), "names the other API: {}", r.text);
    let replace = s.put(&format!("/apis/a?{V17}"), &clash).await;
    assert_eq!(
        (replace.status, replace.error_targets()),
        (400, vec!["If-Match".to_owned()]),
        "replacing an API needs If-Match"
    );
    assert_eq!(
        s.send(
            "PUT",
            &format!("/apis/a?{V17}"),
            Some(&clash.to_string()),
            &[("If-Match", "*")]
        )
        .await
        .status,
        200,
        "an API may keep its own path"
    );
    let mut other = echo();
    other["path"] = json!("");
    assert_eq!(
        s.put(&format!("/apis/root?{V17}"), &other).await.status,
        201,
        "an empty path is allowed once"
    );
    assert_eq!(
        s.put(&format!("/apis/root2?{V17}"), &other).await.status,
        400
    );
}

async fn apis_filter_and_list_products(engine: Engine) {
    let s = Server::start(engine).await;
    for (id, name, path) in [
        ("echo", "Echo API", "echo"),
        ("conf", "Conference API", "conference"),
        ("petstore", "Petstore", "pets"),
    ] {
        let body =
            json!({"name": name, "path": path, "serviceUrl": format!("http://{id}.example.com")});
        assert_eq!(s.put(&format!("/apis/{id}?{V17}"), &body).await.status, 201);
    }
    let ids = |r: serde_json::Value| -> Vec<String> {
        r["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let q = |f: &str| {
        format!(
            "/apis?{V17}&$filter={}",
            f.replace(' ', "%20").replace('\'', "%27")
        )
    };
    assert_eq!(
        ids(s.get(&q("endswith(name,'API')")).await.json()),
        ["/apis/echo", "/apis/conf"]
    );
    assert_eq!(
        ids(s.get(&q("path eq 'pets' or id eq 'echo'")).await.json()),
        ["/apis/echo", "/apis/petstore"]
    );
    assert_eq!(
        ids(s.get(&q("contains(serviceUrl,'conf')")).await.json()),
        ["/apis/conf"]
    );
    assert_eq!(
        s.get(&q("version eq '1'")).await.error_targets(),
        ["version"]
    );
    let products = s.get(&format!("/apis/echo/products?{V17}")).await;
    assert_eq!(
        (products.status, products.json()["count"].clone()),
        (200, json!(0))
    );
    assert_eq!(
        s.get(&format!("/apis/nope/products?{V17}")).await.status,
        404
    );
}
