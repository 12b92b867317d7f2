//! The conventions every endpoint shares (REFERENCE §1).

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(
    api_version_is_required_and_checked,
    unknown_paths_and_methods,
    bodies_are_checked,
    identifiers_are_checked,
    paging_counts_and_links,
    filters_are_parsed_and_applied,
    head_returns_metadata_only,
    regions_list_the_one_region
);

async fn api_version_is_required_and_checked(engine: Engine) {
    let s = Server::start(engine).await;
    let missing = s.get("/properties").await;
    assert_eq!(
        (missing.status, missing.error_code().as_str()),
        (400, "InvalidApiVersion")
    );
    let unknown = s.get("/properties?api-version=2099-01-01").await;
    assert_eq!(unknown.status, 400);
    let message = unknown.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    for v in [
        "2014-02-14-preview",
        "2014-02-14",
        "2015-09-15",
        "2016-07-07",
        "2016-10-10",
        "2017-03-01",
    ] {
        assert!(message.contains(v), "{message} lists {v}");
    }
    for v in ["2014-02-14-preview", "2016-07-07", "2017-03-01"] {
        assert_eq!(
            s.get(&format!("/properties?api-version={v}")).await.status,
            200,
            "{v}"
        );
    }
}

async fn unknown_paths_and_methods(engine: Engine) {
    let s = Server::start(engine).await;
    let r = s.get(&format!("/nothing/here?{V17}")).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (404, "ResourceNotFound")
    );
    let r = s
        .send("POST", &format!("/properties/p1?{V17}"), Some("{}"), &[])
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (405, "MethodNotAllowed")
    );
    let allow = r.header("allow").expect("Allow header");
    assert!(
        allow.contains("GET") && allow.contains("PATCH") && !allow.contains("POST"),
        "{allow}"
    );
    let r = s.get(&format!("/properties/missing?{V17}")).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (404, "ResourceNotFound")
    );
}

async fn bodies_are_checked(engine: Engine) {
    let s = Server::start(engine).await;
    let path = format!("/properties/p1?{V17}");
    let form = s
        .send(
            "PUT",
            &path,
            Some("name=a"),
            &[("Content-Type", "application/x-www-form-urlencoded")],
        )
        .await;
    assert_eq!(
        (form.status, form.error_code().as_str()),
        (415, "UnsupportedMediaType")
    );
    let big = format!(
        r#"{{"name":"a","value":"{}"}}"#,
        "x".repeat(5 * 1024 * 1024)
    );
    let r = s.send("PUT", &path, Some(&big), &[]).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (413, "RequestTooLarge")
    );
    let r = s.send("PUT", &path, Some(r#"{"name": "a", "#), &[]).await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["body".to_owned()])
    );
    let r = s.put(&path, &json!({"name": "a", "value": 5})).await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["value".to_owned()])
    );
    let r = s
        .put(&path, &json!({"name": "a", "value": "v", "colour": "red"}))
        .await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["colour".to_owned()])
    );
    assert_eq!(
        s.get(&path).await.status,
        404,
        "nothing was written by refused requests"
    );
}

async fn identifiers_are_checked(engine: Engine) {
    let s = Server::start(engine).await;
    let body = json!({"name": "n", "value": "v"});
    for bad in [
        "a*b", "a%23b", "a%26b", "a+b", "a:b", "a%3Cb", "a%3Eb", "a%3Fb",
    ] {
        let r = s.put(&format!("/properties/{bad}?{V17}"), &body).await;
        assert_eq!(
            (r.status, r.error_targets()),
            (400, vec!["propId".to_owned()]),
            "{bad}"
        );
    }
    let long = "a".repeat(257);
    assert_eq!(
        s.put(&format!("/properties/{long}?{V17}"), &body)
            .await
            .status,
        400
    );
    let ok = "a".repeat(256);
    assert_eq!(
        s.put(&format!("/properties/{ok}?{V17}"), &body)
            .await
            .status,
        201
    );
    let backend = json!({"url": "http://b", "protocol": "http"});
    assert_eq!(
        s.put(&format!("/backends/{ok}?{V17}"), &backend)
            .await
            .status,
        400,
        "backend ids are at most 255"
    );
}

async fn paging_counts_and_links(engine: Engine) {
    let s = Server::start(engine).await;
    for i in 0..7 {
        let tag = if i % 2 == 0 { "even" } else { "odd" };
        let r = s
            .put(
                &format!("/properties/p{i}?{V17}"),
                &json!({"name": format!("n{i}"), "value": "v", "tags": [tag]}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let page = s.get(&format!("/properties?{V17}&$top=3")).await.json();
    assert_eq!(page["count"], 7);
    let names: Vec<&str> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["n0", "n1", "n2"]);
    // Follow nextLink with a filter: the filter and version are kept.
    let filtered = s
        .get(&format!(
            "/properties?{V17}&$top=2&$filter=tags/any(t: t eq 'even')"
        ))
        .await
        .json();
    assert_eq!(filtered["count"], 4);
    let mut seen = Vec::new();
    let mut page = filtered;
    loop {
        seen.extend(
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_owned()),
        );
        let Some(link) = page["nextLink"].as_str() else {
            break;
        };
        let path = link
            .split_once("127.0.0.1")
            .unwrap()
            .1
            .split_once('/')
            .unwrap()
            .1;
        page = s.get(&format!("/{path}")).await.json();
    }
    assert_eq!(seen, ["n0", "n2", "n4", "n6"]);
    let last = s.get(&format!("/properties?{V17}&$skip=6")).await.json();
    assert!(
        last.get("nextLink").is_none(),
        "no nextLink on the last page: {last}"
    );
    let legacy = s
        .get("/properties?api-version=2014-02-14&$skip=6")
        .await
        .json();
    assert!(
        legacy["nextLink"].is_null() && legacy.get("nextLink").is_some(),
        "legacy spells it null: {legacy}"
    );
    for bad in ["$top=0", "$top=abc", "$skip=-1"] {
        let r = s.get(&format!("/properties?{V17}&{bad}")).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.error_targets()[0].starts_with('$'), "{bad}: {:?}", r.text);
    }
}

async fn filters_are_parsed_and_applied(engine: Engine) {
    let s = Server::start(engine).await;
    for (id, name) in [
        ("a", "ContosoHeader"),
        ("b", "ContosoValue"),
        ("c", "Other"),
    ] {
        assert_eq!(
            s.put(
                &format!("/properties/{id}?{V17}"),
                &json!({"name": name, "value": "v"})
            )
            .await
            .status,
            201
        );
    }
    let names = |body: serde_json::Value| -> Vec<String> {
        body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let q = |f: &str| {
        format!(
            "/properties?{V17}&$filter={}",
            f.replace(' ', "%20").replace('\'', "%27")
        )
    };
    assert_eq!(
        names(s.get(&q("startswith(name,'contoso')")).await.json()),
        ["ContosoHeader", "ContosoValue"]
    );
    assert_eq!(
        names(
            s.get(&q("name eq 'Other' or endswith(name,'Value')"))
                .await
                .json()
        ),
        ["ContosoValue", "Other"]
    );
    assert_eq!(
        names(s.get(&q("not (substringof('Header', name))")).await.json()),
        ["ContosoValue", "Other"]
    );
    let r = s.get(&q("colour eq 'red'")).await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["colour".to_owned()])
    );
    assert!(r.text.contains("colour"));
    let r = s.get(&q("name eq")).await;
    assert_eq!(r.status, 400);
    let r = s.get(&q("tolower(name) eq 'x'")).await;
    assert_eq!(r.status, 400);
    // Backends filter on id/host/url.
    assert_eq!(
        s.put(
            &format!("/backends/b1?{V17}"),
            &json!({"url": "https://api.contoso.com/v1", "protocol": "http"})
        )
        .await
        .status,
        201
    );
    let r = s
        .get(&format!(
            "/backends?{V17}&$filter=host%20eq%20%27api.contoso.com%27"
        ))
        .await
        .json();
    assert_eq!(r["count"], 1);
}

async fn regions_list_the_one_region(engine: Engine) {
    let s = Server::start(engine).await;
    let names = |scope: &str| {
        let s = &s;
        let path = format!("/policySnippets?{V17}&scope={scope}");
        async move {
            let body = s.get(&path).await.json();
            body.as_array()
                .unwrap()
                .iter()
                .map(|x| x["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let all = names("All").await;
    assert_eq!(all.len(), 39);
    assert!(
        !names("Tenant").await.contains(&"Rewrite URL".to_owned()),
        "rewrite-uri is not a tenant-scope snippet"
    );
    assert!(!names("Product").await.contains(&"CORS".to_owned()));
    assert!(names("Operation").await.contains(&"Rewrite URL".to_owned()));
    assert_eq!(
        s.get(&format!("/policySnippets?{V17}&scope=Galaxy"))
            .await
            .error_targets(),
        ["scope"]
    );
    let regions = s.get(&format!("/regions?{V17}")).await.json();
    assert_eq!(
        regions,
        json!({"value": [{"name": "local", "isMasterRegion": true, "isDeleted": false}], "count": 1})
    );
}

async fn head_returns_metadata_only(engine: Engine) {
    let s = Server::start(engine).await;
    let put = s
        .put(
            &format!("/properties/p1?{V17}"),
            &json!({"name": "n", "value": "v"}),
        )
        .await;
    let head = s
        .send("HEAD", &format!("/properties/p1?{V17}"), None, &[])
        .await;
    assert_eq!((head.status, head.text.as_str()), (200, ""));
    assert_eq!(head.etag(), put.etag());
    let missing = s
        .send("HEAD", &format!("/properties/nope?{V17}"), None, &[])
        .await;
    assert_eq!((missing.status, missing.text.as_str()), (404, ""));
    for path in ["/tenant/access", "/policies/policy"] {
        let head = s.send("HEAD", &format!("{path}?{V17}"), None, &[]).await;
        assert_eq!(head.status, 200, "{path}");
        assert!(head.header("etag").is_some(), "{path}");
    }
    let head = s
        .send("HEAD", "/tenant/policy?api-version=2014-02-14", None, &[])
        .await;
    assert_eq!(head.status, 200);
}
