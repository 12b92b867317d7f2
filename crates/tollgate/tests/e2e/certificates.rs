//! Certificates: uploads of every kind of PKCS#12 file, what is stored and returned, PUT as add
//! or update, filters, the rules against deleting a certificate in use, and the server secret
//! (REFERENCE §11). The files are made by `pfx.rs` with the openssl command line.

use crate::common::{Engine, KEY, SECONDARY_KEY, Server, V17, encode};
use crate::on_both_engines;
use crate::pfx::{self, Key, Pfx, Protection, Spec};
use serde_json::{Value, json};
use tollgate_store::Store;

on_both_engines!(
    uploads_modern_and_legacy_rsa_and_ec_files,
    refuses_bad_uploads_and_stores_nothing,
    put_adds_or_updates_with_if_match,
    filters_and_pages,
    delete_is_refused_while_used,
    key_material_is_sealed_under_the_server_secret
);

fn upload(pfx: &Pfx, password: &str) -> Value {
    json!({"data": pfx.data(), "password": password})
}

fn path(id: &str) -> String {
    format!("/certificates/{id}?{V17}")
}

async fn uploads_modern_and_legacy_rsa_and_ec_files(engine: Engine) {
    let s = Server::start(engine).await;
    let kinds = [
        ("modern-rsa", Key::Rsa, Protection::Modern),
        ("modern-ec", Key::Ec, Protection::Modern),
        ("windows-rsa", Key::Rsa, Protection::Windows),
        ("tdes-rsa", Key::Rsa, Protection::TripleDes),
        ("rc2-ec", Key::Ec, Protection::Rc2),
    ];
    for (id, key, protection) in kinds {
        let spec = Spec {
            key,
            protection,
            subject: "/C=US/O=Contoso/CN=api.contoso.com".to_owned(),
            not_after: Some("20310504030201Z".to_owned()),
            password: format!("{id}-Pässwörd"),
            ..Spec::new("unused")
        };
        let file = pfx::make(&spec);
        let created = s.put(&path(id), &upload(&file, &spec.password)).await;
        assert_eq!(created.status, 201, "{id}: {}", created.text);
        let expected = json!({
            "id": format!("/certificates/{id}"),
            "subject": "CN=api.contoso.com, O=Contoso, C=US",
            "thumbprint": file.thumbprint,
            "expirationDate": "2031-05-04T03:02:01Z",
        });
        assert_eq!(created.json(), expected, "{id}");
        assert_eq!(file.not_after, "May  4 03:02:01 2031 GMT");
        let got = s.get(&path(id)).await;
        assert_eq!((got.status, got.json()), (200, expected), "{id}");
        assert_eq!(got.etag(), created.etag());
        assert!(!got.text.contains(&spec.password));
    }
    let list = s.get(&format!("/certificates?{V17}")).await.json();
    assert_eq!(list["count"], 5);
    for item in list["value"].as_array().unwrap() {
        let keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["id", "subject", "thumbprint", "expirationDate"]);
    }
    // Every version shows the same fields; HEAD answers the ETag without a body.
    let legacy = s
        .get("/certificates/modern-ec?api-version=2014-02-14-preview")
        .await;
    assert_eq!(legacy.json()["expirationDate"], "2031-05-04T03:02:01Z");
    let head = s.send("HEAD", &path("modern-ec"), None, &[]).await;
    assert_eq!((head.status, head.text.as_str()), (200, ""));
    assert_eq!(head.etag(), legacy.etag());
    // No PATCH in the contract.
    let patch = s
        .patch(&path("modern-ec"), &json!({"password": "x"}), "*")
        .await;
    assert_eq!(patch.status, 405);
    assert!(patch.header("allow").unwrap().contains("PUT"));
}

async fn refuses_bad_uploads_and_stores_nothing(engine: Engine) {
    let s = Server::start(engine).await;
    let file = pfx::make(&Spec {
        key: Key::Ec,
        password: "right-password".to_owned(),
        ..Spec::new("bad")
    });
    let refused = |r: &crate::common::Reply| (r.status, r.error_code(), r.error_targets());
    let detail = |r: &crate::common::Reply| r.json()["error"]["details"][0].clone();

    let wrong = s.put(&path("c"), &upload(&file, "wrong-password")).await;
    assert_eq!(
        refused(&wrong),
        (400, "ValidationError".into(), vec!["password".into()])
    );
    assert_eq!(detail(&wrong)["code"], "WrongPassword");
    assert!(
        detail(&wrong)["message"]
            .as_str()
            .unwrap()
            .starts_with("password does not open the file"),
        "{}",
        wrong.text
    );
    assert!(!wrong.text.contains("wrong-password") && !wrong.text.contains("right-password"));

    let not_base64 = s
        .put(
            &path("c"),
            &json!({"data": "this is not base64!", "password": "x"}),
        )
        .await;
    assert_eq!(
        refused(&not_base64),
        (400, "ValidationError".into(), vec!["data".into()])
    );
    assert_eq!(detail(&not_base64)["code"], "Base64");

    // Base64 of bytes that are not a PKCS#12 file, and of a truncated one.
    let garbage = json!({"data": "AAECAwQFBgcICQ==", "password": "x"});
    let truncated = Pfx {
        der: file.der[..file.der.len() / 2].to_vec(),
        ..file.clone()
    };
    for body in [garbage, upload(&truncated, "right-password")] {
        let r = s.put(&path("c"), &body).await;
        assert_eq!(
            refused(&r),
            (400, "ValidationError".into(), vec!["data".into()])
        );
        assert_eq!(detail(&r)["code"], "InvalidCertificate");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("is not a PKCS#12 (.pfx) file"),
            "{}",
            r.text
        );
    }

    let no_key = pfx::make(&Spec {
        with_key: false,
        ..Spec::new("nokey")
    });
    let r = s.put(&path("c"), &upload(&no_key, "pw")).await;
    assert_eq!(
        refused(&r),
        (400, "ValidationError".into(), vec!["data".into()])
    );
    assert!(r.text.contains("holds no private key"), "{}", r.text);

    let missing = s.put(&path("c"), &json!({})).await;
    assert_eq!(missing.error_targets(), ["data", "password"]);
    let only_data = s.put(&path("c"), &json!({"data": file.data()})).await;
    assert_eq!(only_data.error_targets(), ["password"]);
    let extra = json!({"data": file.data(), "password": "right-password", "thumbprint": "AB"});
    let r = s.put(&path("c"), &extra).await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["thumbprint".to_owned()])
    );
    let long = "p".repeat(257);
    let r = s.put(&path("c"), &upload(&file, &long)).await;
    assert_eq!(r.error_targets(), ["password"]);
    let bad_id = s
        .put(
            "/certificates/a:b?api-version=2017-03-01",
            &upload(&file, "right-password"),
        )
        .await;
    assert_eq!(bad_id.error_targets(), ["certificateId"]);

    // Nothing was stored.
    assert_eq!(s.get(&path("c")).await.status, 404);
    assert_eq!(
        s.get(&format!("/certificates?{V17}")).await.json()["count"],
        0
    );
    // The same file with its password is fine.
    assert_eq!(
        s.put(&path("c"), &upload(&file, "right-password"))
            .await
            .status,
        201
    );
}

async fn put_adds_or_updates_with_if_match(engine: Engine) {
    let s = Server::start(engine).await;
    let one = pfx::make(&Spec::new("one"));
    let two = pfx::make(&Spec {
        key: Key::Ec,
        ..Spec::new("two")
    });
    // Legacy versions add or update too (the legacy contract: "add or update"), without bodies.
    let legacy = "/certificates/c?api-version=2014-02-14";
    let created = s.put(legacy, &upload(&one, "pw")).await;
    assert_eq!((created.status, created.text.as_str()), (201, ""));
    let etag = created.etag();
    // Updating needs If-Match.
    let r = s.put(legacy, &upload(&two, "pw")).await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["If-Match".to_owned()])
    );
    let stale = s
        .send(
            "PUT",
            &path("c"),
            Some(&upload(&two, "pw").to_string()),
            &[("If-Match", "\"AAAAAAAAAAE=\"")],
        )
        .await;
    assert_eq!(
        (stale.status, stale.error_code().as_str()),
        (412, "PreconditionFailed")
    );
    assert_eq!(s.get(&path("c")).await.json()["thumbprint"], one.thumbprint);
    let replaced = s
        .send(
            "PUT",
            legacy,
            Some(&upload(&two, "pw").to_string()),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!((replaced.status, replaced.text.as_str()), (204, ""));
    assert_ne!(replaced.etag(), etag);
    // 2017-03-01: 200 with the certificate; ids are case-insensitive and keep their spelling.
    let updated = s
        .send(
            "PUT",
            &path("C"),
            Some(&upload(&one, "pw").to_string()),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(
        (
            updated.json()["id"].clone(),
            updated.json()["thumbprint"].clone()
        ),
        (json!("/certificates/c"), json!(one.thumbprint))
    );
    // 2016-10-10 answers 201 / 204 without bodies.
    let mid = "/certificates/m?api-version=2016-10-10";
    assert_eq!(s.put(mid, &upload(&two, "pw")).await.status, 201);
    // A thumbprint is held by one certificate only.
    let dup = s.put(&path("other"), &upload(&one, "pw")).await;
    assert_eq!(
        (dup.status, dup.error_code().as_str()),
        (409, "NameAlreadyInUse")
    );
    assert!(dup.text.contains("'c'"), "{}", dup.text);
    // Deleting needs If-Match, then the certificate is gone.
    let r = s.send("DELETE", &path("c"), None, &[]).await;
    assert_eq!(r.error_targets(), ["If-Match"]);
    assert_eq!(s.delete(&path("c"), "*").await.status, 204);
    assert_eq!(s.get(&path("c")).await.status, 404);
    assert_eq!(s.delete(&path("c"), "*").await.status, 404);
    // … and its file can be uploaded again under another id.
    assert_eq!(s.put(&path("other"), &upload(&one, "pw")).await.status, 201);
}

async fn filters_and_pages(engine: Engine) {
    let s = Server::start(engine).await;
    let files = [
        ("alpha", "CN=alpha.contoso.com", None),
        ("beta", "CN=beta.contoso.com", Some("20400101000000Z")),
        // Expired: accepted as the contract's own examples are (they expired in 2019).
        ("gamma", "CN=gamma.contoso.com", Some("20190112000000Z")),
    ];
    let mut thumbprints = Vec::new();
    for (id, subject, not_after) in files {
        let file = pfx::make(&Spec {
            subject: format!("/{subject}"),
            not_after: not_after.map(str::to_owned),
            key: Key::Ec,
            ..Spec::new("x")
        });
        assert_eq!(s.put(&path(id), &upload(&file, "pw")).await.status, 201);
        thumbprints.push(file.thumbprint);
    }
    assert_eq!(ids(&s, "id eq 'BETA'").await, ["beta"]);
    assert_eq!(
        ids(&s, "subject eq 'CN=alpha.contoso.com'").await,
        ["alpha"]
    );
    assert_eq!(ids(&s, "startswith(subject, 'CN=g')").await, ["gamma"]);
    assert_eq!(ids(&s, "substringof('contoso', subject)").await.len(), 3);
    assert_eq!(
        ids(&s, "endswith(subject, 'beta.contoso.com')").await,
        ["beta"]
    );
    let lower = thumbprints[1].to_lowercase();
    assert_eq!(ids(&s, &format!("thumbprint eq '{lower}'")).await, ["beta"]);
    assert_eq!(
        ids(
            &s,
            &format!("contains(thumbprint, '{}')", &thumbprints[2][..8])
        )
        .await,
        ["gamma"]
    );
    assert_eq!(
        ids(&s, "expirationDate gt datetime'2035-01-01T00:00:00Z'").await,
        ["beta"]
    );
    assert_eq!(
        ids(&s, "expirationDate lt datetime'2020-01-01T00:00:00Z'").await,
        ["gamma"]
    );
    assert_eq!(
        ids(
            &s,
            "expirationDate ge datetime'2020-01-01T00:00:00Z' and expirationDate le datetime'2035-01-01T00:00:00Z'"
        )
        .await,
        ["alpha"]
    );
    for bad in [
        "startswith(expirationDate, '2')",
        "data eq 'x'",
        "password eq 'x'",
    ] {
        let r = s
            .get(&format!("/certificates?{V17}&$filter={}", encode(bad)))
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    let page = s.get(&format!("/certificates?{V17}&$top=2")).await.json();
    assert_eq!(
        (
            page["count"].clone(),
            page["value"].as_array().unwrap().len()
        ),
        (json!(3), 2)
    );
    assert!(page["nextLink"].is_string(), "{page}");
}

/// The ids of the certificates `filter` selects.
async fn ids(s: &Server, filter: &str) -> Vec<String> {
    let r = s
        .get(&format!("/certificates?{V17}&$filter={}", encode(filter)))
        .await;
    assert_eq!(r.status, 200, "{filter}: {}", r.text);
    r.json()["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["id"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// `PUT` of an API policy (JSON form, `If-Match: *`).
async fn put_policy(s: &Server, path: &str, xml: &str) {
    let body = json!({"policyContent": xml}).to_string();
    let r = s.send("PUT", path, Some(&body), &[("If-Match", "*")]).await;
    assert!(matches!(r.status, 200 | 201), "{}", r.text);
}

async fn delete_is_refused_while_used(engine: Engine) {
    let s = Server::start(engine).await;
    let file = pfx::make(&Spec::new("client"));
    let other = pfx::make(&Spec::new("client-next"));
    assert_eq!(
        s.put(&path("client"), &upload(&file, "pw")).await.status,
        201
    );
    let thumbprint = file.thumbprint.clone();
    let refused_naming = |r: &crate::common::Reply, user: &str| {
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "ResourceReferenced"),
            "{}",
            r.text
        );
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains(user), "{user} not named in {message}");
    };

    // A backend that presents the certificate (thumbprints compare without regard to case).
    let backend = json!({"url": "https://orders.example.com", "protocol": "http",
        "credentials": {"certificate": [thumbprint.to_lowercase()]}});
    assert_eq!(
        s.put(&format!("/backends/orders?{V17}"), &backend)
            .await
            .status,
        201
    );
    let r = s.delete(&path("client"), "*").await;
    refused_naming(&r, "/backends/orders (credentials.certificate)");
    // Nor may the certificate be replaced by one with another thumbprint: the backend would
    // lose it. The same file again is fine.
    let r = s
        .send(
            "PUT",
            &path("client"),
            Some(&upload(&other, "pw").to_string()),
            &[("If-Match", "*")],
        )
        .await;
    refused_naming(&r, "/backends/orders");
    assert!(r.text.contains("replaced"), "{}", r.text);
    let r = s
        .send(
            "PUT",
            &path("client"),
            Some(&upload(&file, "pw").to_string()),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let unlink = json!({"credentials": {"certificate": []}});
    assert_eq!(
        s.patch(&format!("/backends/orders?{V17}"), &unlink, "*")
            .await
            .status,
        204
    );

    // A Service Fabric backend's client certificate.
    let fabric = json!({"url": "fabric:/app/svc", "protocol": "http", "properties": {
        "serviceFabricCluster": {"managementEndpoints": ["https://cluster.example.com:19080"],
                                 "clientCertificateThumbprint": thumbprint}}});
    assert_eq!(
        s.put(&format!("/backends/fabric?{V17}"), &fabric)
            .await
            .status,
        201
    );
    let r = s.delete(&path("client"), "*").await;
    refused_naming(
        &r,
        "/backends/fabric (properties.serviceFabricCluster.clientCertificateThumbprint)",
    );
    assert_eq!(
        s.delete(&format!("/backends/fabric?{V17}"), "*")
            .await
            .status,
        204
    );

    // An API policy that names it by thumbprint, nested in control flow.
    let api =
        json!({"name": "Orders", "path": "orders", "serviceUrl": "https://orders.example.com"});
    assert_eq!(
        s.put(&format!("/apis/orders?{V17}"), &api).await.status,
        201
    );
    let policy_path = format!("/apis/orders/policies/policy?{V17}");
    let by_thumbprint = format!(
        "<policies><inbound><base /><choose><when condition=\"@(true)\">\
         <authentication-certificate thumbprint=\"{thumbprint}\" /></when></choose></inbound>\
         <backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"
    );
    put_policy(&s, &policy_path, &by_thumbprint).await;
    let r = s.delete(&path("client"), "*").await;
    refused_naming(
        &r,
        "/apis/orders/policies/policy (<authentication-certificate>)",
    );
    let r = s
        .send(
            "PUT",
            &path("client"),
            Some(&upload(&other, "pw").to_string()),
            &[("If-Match", "*")],
        )
        .await;
    refused_naming(&r, "/apis/orders/policies/policy");

    // By id (`certificate-id`, newer documentation): deleting is refused, replacing is not.
    put_policy(
        &s,
        &policy_path,
        "<policies><inbound><base /><authentication-certificate certificate-id=\"CLIENT\" /></inbound>\
         <backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>",
    )
    .await;
    let r = s.delete(&path("client"), "*").await;
    refused_naming(
        &r,
        "/apis/orders/policies/policy (<authentication-certificate>)",
    );
    let r = s
        .send(
            "PUT",
            &path("client"),
            Some(&upload(&other, "pw").to_string()),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["thumbprint"], other.thumbprint);

    // validate-jwt's keys name certificates by id too.
    put_policy(
        &s,
        &policy_path,
        "<policies><inbound><base /><validate-jwt header-name=\"Authorization\"><issuer-signing-keys>\
         <key certificate-id=\"Client\" /></issuer-signing-keys></validate-jwt></inbound>\
         <backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>",
    )
    .await;
    let r = s.delete(&path("client"), "*").await;
    refused_naming(&r, "/apis/orders/policies/policy (<validate-jwt> <key>)");

    // Once nothing uses it, it can be deleted.
    assert_eq!(s.delete(&policy_path, "*").await.status, 204);
    assert_eq!(s.delete(&path("client"), "*").await.status, 204);

    // Backends may name a thumbprint no certificate has (it is not checked), but it must be one.
    let unknown = json!({"url": "https://a.example.com", "protocol": "http",
        "credentials": {"certificate": ["0997AAAF7DB834B9F5726F20FED2F3D3D086DA07"]}});
    assert_eq!(
        s.put(&format!("/backends/a?{V17}"), &unknown).await.status,
        201
    );
    let malformed = json!({"url": "https://a.example.com", "protocol": "http",
        "credentials": {"certificate": ["09:97:AA"]}});
    let r = s.put(&format!("/backends/b?{V17}"), &malformed).await;
    assert_eq!(
        (r.status, r.error_targets()),
        (400, vec!["credentials.certificate[0]".to_owned()])
    );
}

/// The base64 lines of a PEM file's body.
fn pem_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 40)
        .map(str::to_owned)
        .collect()
}

async fn key_material_is_sealed_under_the_server_secret(engine: Engine) {
    let mut s = Server::start(engine).await;
    let spec = Spec {
        password: "Sealed-Secret-Password-42".to_owned(),
        ..Spec::new("tls-client")
    };
    let file = pfx::make(&spec);
    assert_eq!(
        s.put(&path("tls-client"), &upload(&file, &spec.password))
            .await
            .status,
        201
    );
    // What is stored holds neither the file, nor its password, nor the plain key.
    let mut forbidden = pem_lines(&file.key_pem);
    forbidden.push(spec.password.clone());
    forbidden.push(file.data()[..64].to_owned());
    let stored: Vec<String> = match engine {
        Engine::Sqlite => ["tollgate.db", "tollgate.db-wal"]
            .iter()
            .map(|f| {
                let bytes = std::fs::read(s.data.path().join(f)).unwrap_or_default();
                for piece in file.key_der.chunks_exact(32) {
                    assert!(
                        !bytes.windows(32).any(|w| w == piece),
                        "DER key bytes in {f}"
                    );
                }
                String::from_utf8_lossy(&bytes).into_owned()
            })
            .collect(),
        Engine::Postgres => {
            let store = tollgate_store::open(&s.database_url).await.unwrap();
            let records = store.list("default", "certificate", "").await.unwrap();
            store.close().await;
            records.into_iter().map(|r| r.body).collect()
        }
    };
    let joined = stored.join("\n");
    assert!(joined.contains("keyMaterial"), "the sealed key is stored");
    for piece in &forbidden {
        assert!(
            !joined.contains(piece.as_str()),
            "plaintext {piece:?} is stored"
        );
    }
    assert!(!s.log().contains(&spec.password));

    // The secret file was created in the data directory, readable by its owner only.
    let secret_file = s.data.path().join("tollgate.secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(s.log().contains("server secret created"));

    match engine {
        Engine::Sqlite => {
            // A restart reads the same secret: no complaint.
            s.terminate();
            s.spawn();
            assert_eq!(s.get(&path("tls-client")).await.status, 200);
            assert!(s.log().contains("server secret read"));
            assert!(!s.log().contains("sealed under another server secret"));
            // Another secret: the server starts, and names the certificate it cannot open.
            s.terminate();
            let other = base64_of([7u8; 32]);
            std::fs::write(&secret_file, format!("{other}\n")).unwrap();
            s.spawn();
            assert_eq!(s.get(&path("tls-client")).await.status, 200);
            let log = s.log();
            assert!(
                log.contains("sealed under another server secret") && log.contains("tls-client"),
                "{log}"
            );
        }
        Engine::Postgres => {
            // A second node with its own data directory has another secret: it warns that
            // nodes must share one and names the certificate it cannot open.
            let node = s.second_node();
            let log = node.log();
            assert!(log.contains("set TOLLGATE_SECRET identically"), "{log}");
            assert!(log.contains("sealed under another server secret"), "{log}");
            assert!(log.contains("tls-client"), "{log}");
        }
    }
}

fn base64_of(bytes: [u8; 32]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A malformed `TOLLGATE_SECRET` stops the server with a message.
#[test]
fn a_malformed_secret_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/tollgate.db", dir.path().display());
    // 16 bytes, too few; and text that is not base64.
    for secret in ["AQEBAQEBAQEBAQEBAQEBAQ==", "not base64 at all!"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args([
                "serve",
                "--management-listen",
                "127.0.0.1:0",
                "--database-url",
                &db,
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .env("TOLLGATE_PRIMARY_KEY", KEY)
            .env("TOLLGATE_SECONDARY_KEY", SECONDARY_KEY)
            .env("TOLLGATE_SECRET", secret)
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "started with TOLLGATE_SECRET={secret}"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("TOLLGATE_SECRET"), "{stderr}");
        assert!(!stderr.contains(secret), "the secret is echoed: {stderr}");
    }
    assert!(!dir.path().join("tollgate.secret").exists());
}
