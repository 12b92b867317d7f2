//! Properties and backends: every operation, per api-version (REFERENCE §9, §10).

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(
    put_semantics_follow_the_version,
    patch_and_delete_need_a_matching_etag,
    property_rules,
    backend_shapes_map_across_versions
);

async fn put_semantics_follow_the_version(engine: Engine) {
    let s = Server::start(engine).await;
    let body = json!({"name": "n1", "value": "v1"});
    // Up to 2016-07-07: create-only, empty 201, then 409.
    let first = s
        .put("/properties/legacy?api-version=2016-07-07", &body)
        .await;
    assert_eq!((first.status, first.text.as_str()), (201, ""));
    let again = s
        .put(
            "/properties/legacy?api-version=2014-02-14",
            &json!({"name": "n1", "value": "v2"}),
        )
        .await;
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (409, "IdentifierAlreadyInUse")
    );
    // 2016-10-10: create-or-update without bodies.
    let body = json!({"name": "n2", "value": "v"});
    assert_eq!(
        s.put("/properties/mid?api-version=2016-10-10", &body)
            .await
            .status,
        201
    );
    let replaced = s
        .put(
            "/properties/mid?api-version=2016-10-10",
            &json!({"name": "n2", "value": "w"}),
        )
        .await;
    assert_eq!((replaced.status, replaced.text.as_str()), (204, ""));
    // 2017-03-01: 201 then 200, each with the entity.
    let created = s
        .put(
            &format!("/properties/new?{V17}"),
            &json!({"name": "n3", "value": "v", "secret": true}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(
        created.json(),
        json!({"id": "/properties/new", "name": "n3", "value": "v", "secret": true})
    );
    let updated = s
        .put(
            &format!("/properties/new?{V17}"),
            &json!({"name": "n3", "value": "w", "tags": ["a"]}),
        )
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(
        updated.json(),
        json!({"id": "/properties/new", "name": "n3", "value": "w", "tags": ["a"], "secret": false})
    );
    assert_ne!(created.etag(), updated.etag());
    let stale = s
        .send(
            "PUT",
            &format!("/properties/new?{V17}"),
            Some(&body.to_string()),
            &[("If-Match", &created.etag())],
        )
        .await;
    assert_eq!(stale.status, 412, "a PUT with a stale If-Match is refused");
    // Ids are case-insensitive and keep their first spelling.
    let got = s.get(&format!("/properties/NEW?{V17}")).await;
    assert_eq!(
        (got.status, got.json()["id"].as_str()),
        (200, Some("/properties/new"))
    );
}

async fn patch_and_delete_need_a_matching_etag(engine: Engine) {
    let s = Server::start(engine).await;
    let path = format!("/properties/p?{V17}");
    let created = s
        .put(&path, &json!({"name": "n", "value": "v", "tags": ["x"]}))
        .await;
    let etag = created.etag();
    assert_eq!(s.get(&path).await.etag(), etag);
    let r = s.send("PATCH", &path, Some(r#"{"value":"w"}"#), &[]).await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["If-Match".to_owned()])
    );
    let r = s.patch(&path, &json!({"tags": ["y"]}), &etag).await;
    assert_eq!(r.status, 204);
    let new_etag = r.etag();
    assert_ne!(new_etag, etag);
    let got = s.get(&path).await.json();
    assert_eq!(
        (got["tags"].clone(), got["value"].clone()),
        (json!(["y"]), json!("v")),
        "only the given fields change"
    );
    let r = s.patch(&path, &json!({"value": "z"}), &etag).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (412, "PreconditionFailed")
    );
    assert_eq!(s.patch(&path, &json!({"value": ""}), "*").await.status, 400);
    assert_eq!(
        s.patch(
            &format!("/properties/none?{V17}"),
            &json!({"value": "z"}),
            "*"
        )
        .await
        .status,
        404
    );
    assert_eq!(s.send("DELETE", &path, None, &[]).await.status, 400);
    assert_eq!(s.delete(&path, &etag).await.status, 412);
    assert_eq!(s.delete(&path, &new_etag).await.status, 204);
    assert_eq!(s.get(&path).await.status, 404);
    assert_eq!(s.delete(&path, "*").await.status, 404);
}

async fn property_rules(engine: Engine) {
    let s = Server::start(engine).await;
    let put = |id: &str, body: serde_json::Value| {
        let path = format!("/properties/{id}?{V17}");
        let s = &s;
        async move { s.put(&path, &body).await }
    };
    let tags: Vec<String> = (0..33).map(|i| format!("t{i}")).collect();
    for (body, target) in [
        (json!({"value": "v"}), "name"),
        (json!({"name": "has space", "value": "v"}), "name"),
        (json!({"name": "x".repeat(257), "value": "v"}), "name"),
        (json!({"name": "n"}), "value"),
        (json!({"name": "n", "value": "   "}), "value"),
        (json!({"name": "n", "value": "x".repeat(4097)}), "value"),
        (json!({"name": "n", "value": "v", "tags": tags}), "tags"),
        (
            json!({"name": "n", "value": "v", "secret": "yes"}),
            "secret",
        ),
    ] {
        let r = put("p", body.clone()).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(
            r.error_targets().contains(&target.to_owned()),
            "{body}: {:?}",
            r.text
        );
    }
    assert_eq!(
        put("p1", json!({"name": "Shared", "value": "v"}))
            .await
            .status,
        201
    );
    let dup = put("p2", json!({"name": "shared", "value": "v"})).await;
    assert_eq!(
        (dup.status, dup.error_code().as_str()),
        (409, "NameAlreadyInUse")
    );
    assert_eq!(
        put("p1", json!({"name": "Shared", "value": "w"}))
            .await
            .status,
        200,
        "an entity may keep its own name"
    );
}

async fn backend_shapes_map_across_versions(engine: Engine) {
    let s = Server::start(engine).await;
    let legacy = json!({"host": "backend.contoso.com", "skipCertificateChainValidation": true});
    assert_eq!(
        s.put("/backends/old?api-version=2014-02-14", &legacy)
            .await
            .status,
        201
    );
    let read_legacy = s.get("/backends/old?api-version=2014-02-14").await.json();
    assert_eq!(
        read_legacy,
        json!({"id": "/backends/old", "host": "backend.contoso.com", "skipCertificateChainValidation": true})
    );
    let read_new = s.get(&format!("/backends/old?{V17}")).await.json();
    assert_eq!(read_new["url"], "https://backend.contoso.com");
    assert_eq!(read_new["tls"], json!({"validateCertificateChain": false}));
    let r = s
        .put(
            "/backends/bad?api-version=2014-02-14",
            &json!({"host": "a.com:8080"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["host".to_owned()])
    );
    let modern = json!({
        "url": "https://api.example.com/v1", "protocol": "http", "title": "Example",
        "credentials": {"query": {"sv": ["a"]}, "header": {"x-k": ["1", "2"]}, "authorization": {"scheme": "Basic", "parameter": "xyz"}},
        "proxy": {"url": "http://proxy:3128", "username": "u"},
        "tls": {"validateCertificateChain": true, "validateCertificateName": false}
    });
    let created = s.put(&format!("/backends/new?{V17}"), &modern).await;
    assert_eq!(created.status, 201);
    let mut expected = modern.clone();
    expected["id"] = json!("/backends/new");
    assert_eq!(created.json(), expected);
    let as_2016 = s.get("/backends/new?api-version=2016-10-10").await.json();
    assert_eq!(
        as_2016["properties"],
        json!({"skipCertificateChainValidation": false, "skipCertificateNameValidation": true})
    );
    assert!(as_2016.get("tls").is_none());
    assert_eq!(
        s.get("/backends/new?api-version=2016-07-07").await.json()["host"],
        "api.example.com"
    );
    let r = s
        .put(
            &format!("/backends/x?{V17}"),
            &json!({"url": "not a url", "protocol": "ftp"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["url".to_owned(), "protocol".to_owned()])
    );
    let r = s
        .put(&format!("/backends/x?{V17}"), &json!({"host": "a.com"}))
        .await;
    assert_eq!(r.status, 400, "the legacy shape is refused on 2017-03-01");
    let etag = created.etag();
    assert_eq!(
        s.patch(
            &format!("/backends/new?{V17}"),
            &json!({"description": "d"}),
            &etag
        )
        .await
        .status,
        204
    );
    let listed = s.get(&format!("/backends?{V17}")).await.json();
    assert_eq!(listed["count"], 2);
    assert_eq!(listed["value"][1]["description"], "d");
}
