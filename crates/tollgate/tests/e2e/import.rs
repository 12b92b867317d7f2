//! Importing APIs from OpenAPI documents and exporting them (REFERENCE §4.3).

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::{Value, json};

const PETSTORE: &str =
    include_str!("../../../interchange/tests/fixtures/swagger-2.0-petstore.json");
const PETSTORE_YAML: &str =
    include_str!("../../../interchange/tests/fixtures/openapi-3.0-petstore.yaml");
const ADMIN_WADL: &str = include_str!("../../../interchange/tests/fixtures/wadl/admin.wadl");
const BLZ_WSDL: &str = include_str!("../../../interchange/tests/fixtures/wsdl/BLZService.wsdl");
const PETSTORE_V3: &str =
    include_str!("../../../interchange/tests/fixtures/openapi-3.0-petstore-expanded.json");

on_both_engines!(
    imports_create_everything_at_once,
    reimport_replaces_and_bad_documents_change_nothing,
    export_round_trips,
    legacy_import_takes_the_document_as_the_body,
    imports_fetch_linked_documents,
    wadl_and_wsdl
);

fn import_body(path: &str, format: &str, document: &str) -> Value {
    json!({"path": path, "contentFormat": format, "contentValue": document})
}

fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

async fn imports_create_everything_at_once(engine: Engine) {
    let s = Server::start(engine).await;
    let r = s
        .put(
            &format!("/apis/petstore?{V17}"),
            &import_body("pets", "swagger-json", PETSTORE),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let api = r.json();
    assert_eq!(
        (api["name"].clone(), api["path"].clone()),
        (json!("Swagger Petstore"), json!("pets"))
    );
    assert_eq!(api["serviceUrl"], "http://petstore.swagger.io/v1");
    let ops = s
        .get(&format!("/apis/petstore/operations?{V17}"))
        .await
        .json();
    assert_eq!(
        ids(&ops),
        [
            "/apis/petstore/operations/createPets",
            "/apis/petstore/operations/listPets",
            "/apis/petstore/operations/showPetById"
        ]
    );
    let show = s
        .get(&format!("/apis/petstore/operations/showPetById?{V17}"))
        .await
        .json();
    assert_eq!(
        (show["method"].clone(), show["urlTemplate"].clone()),
        (json!("GET"), json!("/pets/{petId}"))
    );
    assert_eq!(show["templateParameters"][0]["name"], "petId");
    let schemas = s.get(&format!("/apis/petstore/schemas?{V17}")).await.json();
    assert_eq!(
        schemas["count"], 1,
        "the definitions become one schema: {schemas}"
    );
    // OpenAPI 3 with the body's own fields winning over the document's.
    let mut body = import_body("v3", "openapi+json", PETSTORE_V3);
    body["name"] = json!("Pets v3");
    let r = s.put(&format!("/apis/pets3?{V17}"), &body).await;
    assert_eq!(
        (r.status, r.json()["name"].clone()),
        (201, json!("Pets v3")),
        "{}",
        r.text
    );
    assert!(
        s.get(&format!("/apis/pets3/operations?{V17}")).await.json()["count"]
            .as_u64()
            .unwrap()
            >= 4
    );
    // YAML documents import too.
    let r = s
        .put(
            &format!("/apis/yaml?{V17}"),
            &import_body("yaml", "openapi", PETSTORE_YAML),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        s.get(&format!("/apis/yaml/operations?{V17}")).await.json()["count"],
        3
    );
    // The imported API's path is unique like any other.
    let r = s
        .put(
            &format!("/apis/clash?{V17}"),
            &import_body("pets", "swagger-json", PETSTORE),
        )
        .await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["path".to_owned()])
    );
}

async fn reimport_replaces_and_bad_documents_change_nothing(engine: Engine) {
    let s = Server::start(engine).await;
    assert_eq!(
        s.put(
            &format!("/apis/petstore?{V17}"),
            &import_body("pets", "swagger-json", PETSTORE)
        )
        .await
        .status,
        201
    );
    let small = json!({"swagger": "2.0", "info": {"title": "Smaller", "version": "1"}, "paths": {"/ping": {"get": {"operationId": "ping", "responses": {"200": {"description": "ok"}}}}}});
    let reimport = import_body("pets", "swagger-json", &small.to_string()).to_string();
    let r = s
        .send(
            "PUT",
            &format!("/apis/petstore?{V17}"),
            Some(&reimport),
            &[],
        )
        .await;
    assert_eq!(
        r.error_targets(),
        ["If-Match"],
        "re-importing replaces the API, which needs If-Match"
    );
    let r = s
        .send(
            "PUT",
            &format!("/apis/petstore?{V17}"),
            Some(&reimport),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        ids(&s
            .get(&format!("/apis/petstore/operations?{V17}"))
            .await
            .json()),
        ["/apis/petstore/operations/ping"]
    );
    assert_eq!(
        s.get(&format!("/apis/petstore/schemas?{V17}")).await.json()["count"],
        0,
        "re-import replaces the schemas too"
    );
    for (format, document, target) in [
        ("swagger-json", "{ not json", "contentValue"),
        (
            "swagger-json",
            r#"{"swagger": "1.2", "info": {"title": "x"}}"#,
            "contentValue",
        ),
        (
            "swagger-json",
            r#"{"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {"/a/{x}": {"get": {}}, "/a/{y}": {"get": {}}}}"#,
            "contentValue",
        ),
        ("wadl-xml", "<notwadl/>", "contentValue"),
        ("wsdl", "<definitions/>", "contentValue"),
        ("pdf", "x", "contentFormat"),
    ] {
        let r = s
            .put(
                &format!("/apis/other?{V17}"),
                &import_body("other", format, document),
            )
            .await;
        assert_eq!(
            (r.status, r.error_targets()),
            (400, vec![target.to_owned()]),
            "{format}: {}",
            r.text
        );
    }
    assert_eq!(
        s.get(&format!("/apis/other?{V17}")).await.status,
        404,
        "a refused import writes nothing"
    );
    let r = s
        .put(
            "/apis/old?api-version=2016-10-10",
            &import_body("old", "swagger-json", PETSTORE),
        )
        .await;
    assert_eq!(r.status, 400, "contentFormat arrived in 2017-03-01");
}

async fn export_round_trips(engine: Engine) {
    let s = Server::start(engine).await;
    assert_eq!(
        s.put(
            &format!("/apis/petstore?{V17}"),
            &import_body("pets", "swagger-json", PETSTORE)
        )
        .await
        .status,
        201
    );
    let exported = s
        .send(
            "GET",
            &format!("/apis/petstore?{V17}&export=true"),
            None,
            &[("Accept", "application/vnd.swagger.doc+json")],
        )
        .await;
    assert_eq!(exported.status, 200, "{}", exported.text);
    assert_eq!(
        exported.header("content-type").as_deref(),
        Some("application/vnd.swagger.doc+json")
    );
    let document = exported.json();
    assert_eq!(document["swagger"], "2.0");
    let r = s
        .put(
            &format!("/apis/copy?{V17}"),
            &import_body("copy", "swagger-json", &document.to_string()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let original = s
        .get(&format!("/apis/petstore/operations?{V17}"))
        .await
        .json();
    let copy = s.get(&format!("/apis/copy/operations?{V17}")).await.json();
    let shape = |list: &Value| {
        let mut v: Vec<(String, String, String)> = list["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["name"].as_str().unwrap().to_owned(),
                    o["method"].as_str().unwrap().to_owned(),
                    o["urlTemplate"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        shape(&original),
        shape(&copy),
        "export then import yields the same operations"
    );
    let legacy = s
        .send(
            "GET",
            "/apis/petstore?api-version=2014-02-14&export=true",
            None,
            &[("Accept", "application/json")],
        )
        .await
        .json();
    assert_eq!(
        legacy["operations"]["count"], 3,
        "the JSON export embeds the operations"
    );
    // The 2017 link form: a URL that serves the document without credentials for a while.
    let link = s
        .send(
            "GET",
            &format!("/apis/petstore?{V17}&export=true"),
            None,
            &[("Accept", "application/vnd.swagger.link+json")],
        )
        .await;
    assert_eq!(link.status, 200, "{}", link.text);
    let url = link.json()["link"].as_str().unwrap().to_owned();
    let path = format!(
        "/{}",
        url.split_once("://").unwrap().1.split_once('/').unwrap().1
    );
    let fetched = s.send("GET", &path, None, &[("Authorization", "")]).await;
    assert_eq!(
        (fetched.status, fetched.json()),
        (200, document.clone()),
        "the link serves the same document"
    );
    let tampered = path.replace("expires=", "expires=9");
    assert_eq!(
        s.send("GET", &tampered, None, &[("Authorization", "")])
            .await
            .status,
        401,
        "a changed expiry breaks the signature"
    );
    let wrong_api = path.replace("/apis/petstore/", "/apis/other/");
    assert_eq!(
        s.send("GET", &wrong_api, None, &[("Authorization", "")])
            .await
            .status,
        401,
        "the link names one API"
    );
    let r = s
        .send(
            "GET",
            &format!("/apis/petstore?{V17}&export=true"),
            None,
            &[("Accept", "application/vnd.ms.wsdl.link+xml")],
        )
        .await;
    assert_eq!(
        r.status, 200,
        "a link is made; fetching it says why WSDL does not apply"
    );
    let wsdl = s
        .send(
            "GET",
            &format!("/apis/petstore?{V17}&export=true"),
            None,
            &[("Accept", "application/wsdl+xml")],
        )
        .await;
    assert_eq!(
        (wsdl.status, wsdl.error_code().as_str()),
        (406, "NotAcceptable"),
        "only SOAP APIs export as WSDL"
    );
    let r = s
        .send(
            "GET",
            &format!("/apis/petstore?{V17}&export=true"),
            None,
            &[("Accept", "text/csv")],
        )
        .await;
    assert_eq!(r.status, 406);
}

async fn legacy_import_takes_the_document_as_the_body(engine: Engine) {
    let s = Server::start(engine).await;
    let swagger = [("Content-Type", "application/vnd.swagger.doc+json")];
    let path = "/apis/legacy?api-version=2014-02-14&import=true&path=old";
    let r = s.send("PUT", path, Some(PETSTORE), &swagger).await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (201, ""),
        "legacy import answers 201 without a body"
    );
    assert_eq!(
        s.get(&format!("/apis/legacy/operations?{V17}"))
            .await
            .json()["count"],
        3
    );
    assert_eq!(
        s.get(&format!("/apis/legacy?{V17}")).await.json()["path"],
        "old"
    );
    let r = s.send("PUT", path, Some(PETSTORE), &swagger).await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["If-Match".to_owned()]),
        "re-import needs If-Match"
    );
    let r = s
        .send(
            "PUT",
            path,
            Some(PETSTORE),
            &[swagger[0], ("If-Match", "*")],
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let r = s
        .send(
            "PUT",
            "/apis/x?api-version=2014-02-14&import=true",
            Some(PETSTORE),
            &swagger,
        )
        .await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["path".to_owned()])
    );
    let r = s
        .send(
            "PUT",
            "/apis/x?api-version=2014-02-14&import=true&path=x",
            Some("<application/>"),
            &[("Content-Type", "application/vnd.sun.wadl+xml")],
        )
        .await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["serviceUrl".to_owned()]),
        "legacy versions need a serviceUrl, which an empty WADL does not give"
    );
    let wadl = [("Content-Type", "application/vnd.sun.wadl+xml")];
    let r = s
        .send(
            "PUT",
            "/apis/admin?api-version=2014-02-14&import=true&path=admin",
            Some(ADMIN_WADL),
            &wadl,
        )
        .await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (201, ""),
        "a WADL imports through the legacy form too"
    );
    let r = s
        .send(
            "PUT",
            "/apis/x?api-version=2014-02-14&import=true&path=x",
            Some("x"),
            &[("Content-Type", "text/plain")],
        )
        .await;
    assert_eq!(r.status, 415);
}

/// A one-route-per-path HTTP server on loopback for the duration of a test: `/petstore.json`,
/// `/huge` (17 MiB) and 404 for anything else. Returns its base URL.
async fn document_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&request)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned();
                let path = line.split(' ').nth(1).unwrap_or("/");
                let (status, body) = match path {
                    "/petstore.json" => ("200 OK", PETSTORE.as_bytes().to_vec()),
                    "/huge" => ("200 OK", vec![b' '; 17 * 1024 * 1024]),
                    _ => ("404 Not Found", b"no".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    base
}

async fn imports_fetch_linked_documents(engine: Engine) {
    let s = Server::start(engine).await;
    let base = document_server().await;
    let link = |path: &str| json!({"path": "linked", "contentFormat": "swagger-link-json", "contentValue": format!("{base}{path}")});
    let r = s
        .put(&format!("/apis/linked?{V17}"), &link("/petstore.json"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        s.get(&format!("/apis/linked/operations?{V17}"))
            .await
            .json()["count"],
        3
    );
    for (path, needle) in [("/missing", "404"), ("/huge", "larger than")] {
        let r = s.put(&format!("/apis/other?{V17}"), &link(path)).await;
        assert_eq!(
            (r.status, r.error_targets()),
            (400, vec!["contentValue".to_owned()]),
            "{path}"
        );
        assert!(r.text.contains(needle), "{path}: {}", r.text);
    }
    let closed = json!({"path": "x", "contentFormat": "swagger-link-json", "contentValue": "http://127.0.0.1:1/doc.json"});
    assert_eq!(
        s.put(&format!("/apis/other?{V17}"), &closed).await.status,
        400
    );
    let not_http = json!({"path": "x", "contentFormat": "swagger-link-json", "contentValue": "file:///etc/passwd"});
    assert_eq!(
        s.put(&format!("/apis/other?{V17}"), &not_http).await.status,
        400
    );
    assert_eq!(
        s.get(&format!("/apis/other?{V17}")).await.status,
        404,
        "failed fetches write nothing"
    );
    let body = json!({"link": format!("{base}/petstore.json")}).to_string();
    let r = s
        .send(
            "PUT",
            "/apis/legacylink?api-version=2014-02-14&import=true&path=ll",
            Some(&body),
            &[("Content-Type", "application/vnd.swagger.link+json")],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

async fn wadl_and_wsdl(engine: Engine) {
    let s = Server::start(engine).await;
    // WADL in, WADL out, and back in again with the same operations.
    let r = s
        .put(
            &format!("/apis/admin?{V17}"),
            &import_body("admin", "wadl-xml", ADMIN_WADL),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        s.get(&format!("/apis/admin/operations?{V17}")).await.json()["count"],
        20
    );
    let wadl = s
        .send(
            "GET",
            &format!("/apis/admin?{V17}&export=true"),
            None,
            &[("Accept", "application/vnd.sun.wadl+xml")],
        )
        .await;
    assert_eq!(
        (wadl.status, wadl.header("content-type").as_deref()),
        (200, Some("application/vnd.sun.wadl+xml"))
    );
    let r = s
        .put(
            &format!("/apis/admin2?{V17}"),
            &import_body("admin2", "wadl-xml", &wadl.text),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let shape = |list: Value| {
        let mut v: Vec<(String, String)> = list["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["method"].as_str().unwrap().to_owned(),
                    o["urlTemplate"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        shape(s.get(&format!("/apis/admin/operations?{V17}")).await.json()),
        shape(
            s.get(&format!("/apis/admin2/operations?{V17}"))
                .await
                .json()
        )
    );
    // WSDL: the document has several SOAP ports, so a selector is needed.
    let r = s
        .put(
            &format!("/apis/blz?{V17}"),
            &import_body("blz", "wsdl", BLZ_WSDL),
        )
        .await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["contentValue".to_owned()])
    );
    assert!(
        r.text.contains("wsdlSelector"),
        "the error explains the choice: {}",
        r.text
    );
    let mut body = import_body("blz", "wsdl", BLZ_WSDL);
    body["wsdlSelector"] =
        json!({"wsdlServiceName": "BLZService", "wsdlEndpointName": "BLZServiceSOAP11port_http"});
    let r = s.put(&format!("/apis/blz?{V17}"), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["type"], "soap");
    assert!(
        s.get(&format!("/apis/blz/operations?{V17}")).await.json()["count"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert!(
        s.get(&format!("/apis/blz/schemas?{V17}")).await.json()["count"]
            .as_u64()
            .unwrap()
            >= 1,
        "the XSD becomes a schema"
    );
    let wsdl = s
        .send(
            "GET",
            &format!("/apis/blz?{V17}&export=true"),
            None,
            &[("Accept", "application/wsdl+xml")],
        )
        .await;
    assert_eq!(wsdl.status, 200, "{}", wsdl.text);
    assert!(wsdl.text.contains("definitions"));
    let mut bad = import_body("x", "swagger-json", PETSTORE);
    bad["wsdlSelector"] = json!({"wsdlServiceName": "S"});
    assert_eq!(
        s.put(&format!("/apis/x?{V17}"), &bad).await.error_targets(),
        ["wsdlSelector"]
    );
    // A WADL link works like the Swagger one.
    let link = s
        .send(
            "GET",
            &format!("/apis/admin?{V17}&export=true"),
            None,
            &[("Accept", "application/vnd.sun.wadl.link+json")],
        )
        .await;
    let url = link.json()["link"].as_str().unwrap().to_owned();
    let path = format!(
        "/{}",
        url.split_once("://").unwrap().1.split_once('/').unwrap().1
    );
    let fetched = s.send("GET", &path, None, &[("Authorization", "")]).await;
    assert_eq!((fetched.status, fetched.text), (200, wadl.text));
}
