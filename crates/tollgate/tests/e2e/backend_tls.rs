//! Backend entities' client certificates (mutual TLS): an HTTPS backend started here requires a
//! client certificate issued by a test CA; the gateway presents the uploaded certificate that the
//! backend entity lists. The certificates are made with the openssl command line.

use crate::common::{Engine, Server, V17};
use crate::gateway::{call, openssl, shop};
use crate::on_both_engines;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

on_both_engines!(backends_present_client_certificates);

/// Makes in `dir`: `server.der` and `server.key.der`, a self-signed certificate for localhost;
/// `ca.der`, a test CA; `client.der` and `client.pfx` (password `pw`, with the CA), a client
/// certificate that the CA issued.
pub(crate) fn make_certificates(dir: &Path) {
    const NEW_KEY: [&str; 3] = ["-newkey", "rsa:2048", "-nodes"];
    let run = |args: &[&str]| openssl(dir, args);
    for (name, subject) in [("server", "/CN=localhost"), ("ca", "/CN=Tollgate test CA")] {
        let (key, pem, der) = (
            format!("{name}.key"),
            format!("{name}.pem"),
            format!("{name}.der"),
        );
        let rest = [
            "-days", "1", "-subj", subject, "-keyout", &key, "-out", &pem,
        ];
        run(&[&["req", "-x509"][..], &NEW_KEY, &rest].concat());
        run(&["x509", "-in", &pem, "-outform", "DER", "-out", &der]);
    }
    run(&[
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        "server.key",
        "-outform",
        "DER",
        "-out",
        "server.key.der",
    ]);
    let rest = [
        "-subj",
        "/CN=tollgate-client",
        "-keyout",
        "client.key",
        "-out",
        "client.csr",
    ];
    run(&[&["req"][..], &NEW_KEY, &rest].concat());
    std::fs::write(
        dir.join("client.cnf"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "client.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "client.pem",
        "-days",
        "1",
        "-extfile",
        "client.cnf",
    ]);
    run(&[
        "x509",
        "-in",
        "client.pem",
        "-outform",
        "DER",
        "-out",
        "client.der",
    ]);
    run(&[
        "pkcs12",
        "-export",
        "-in",
        "client.pem",
        "-inkey",
        "client.key",
        "-certfile",
        "ca.pem",
        "-out",
        "client.pfx",
        "-passout",
        "pass:pw",
    ]);
}

/// An HTTPS backend on an ephemeral port with the server certificate in `dir` (see
/// [`make_certificates`]); with `require_client_certificate`, the handshake needs a client
/// certificate that `dir`'s CA issued. Every request is answered `200` with the base64 of the
/// client certificate it came with, or `none`. Returns the port.
pub(crate) async fn tls_backend(dir: &Path, require_client_certificate: bool) -> u16 {
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_certificate {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(read("ca.der"))).unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(read("server.key.der")));
    let config = builder
        .with_single_cert(vec![CertificateDer::from(read("server.der"))], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let seen = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .map_or_else(|| "none".to_owned(), |leaf| BASE64.encode(leaf));
                let mut request = [0u8; 4096];
                let _ = tls.read(&mut request).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{seen}",
                    seen.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

/// Creates or replaces the backend entity `mutual` for `url` (self-signed: chain not validated).
async fn put_backend(s: &Server, url: &str, credentials: Value) {
    let entity = json!({"url": url, "protocol": "http", "credentials": credentials,
        "tls": {"validateCertificateChain": false}});
    let r = s.put(&format!("/backends/mutual?{V17}"), &entity).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text);
}

async fn backends_present_client_certificates(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let port = tls_backend(dir.path(), true).await;
    let mut s = Server::start(engine).await;
    let url = format!("https://localhost:{port}");
    let key = shop(&s, &url).await;
    let header = [("Ocp-Apim-Subscription-Key", key.as_str())];
    // The self-signed server is accepted, but without a client certificate the handshake fails.
    put_backend(&s, &url, json!({})).await;
    let (status, body) = call(&s, "GET", "/shop/items/1", &header, None).await;
    assert_eq!(status, 502, "{body}");
    assert!(body["message"].as_str().unwrap().contains("TLS"), "{body}");

    // A thumbprint that names no uploaded certificate: a 500 that says so.
    let missing = "0123456789ABCDEF0123456789ABCDEF01234567";
    put_backend(&s, &url, json!({"certificate": [missing]})).await;
    let (status, body) = call(&s, "GET", "/shop/items/1", &header, None).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["statusCode"], 500);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("client certificate is not available"),
        "{body}"
    );

    // The client certificate, uploaded as a PFX; the first listed thumbprint that names an
    // uploaded certificate is presented.
    let pfx = BASE64.encode(std::fs::read(dir.path().join("client.pfx")).unwrap());
    let uploaded = s
        .put(
            &format!("/certificates/client?{V17}"),
            &json!({"data": pfx, "password": "pw"}),
        )
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.text);
    let thumbprint = uploaded.json()["thumbprint"].as_str().unwrap().to_owned();
    put_backend(
        &s,
        &url,
        json!({"certificate": [missing, thumbprint.to_lowercase()]}),
    )
    .await;
    let client_der = BASE64.encode(std::fs::read(dir.path().join("client.der")).unwrap());
    for _ in 0..2 {
        let (status, body) = call(&s, "GET", "/shop/items/1", &header, None).await;
        assert_eq!(status, 200, "{body} {}", s.log());
        assert_eq!(
            body.as_str(),
            Some(client_der.as_str()),
            "the backend saw the client certificate"
        );
    }

    // A node whose server secret is another cannot open the key: a 500 that says so.
    let node = match engine {
        Engine::Sqlite => {
            s.terminate();
            let other = BASE64.encode([7u8; 32]);
            std::fs::write(s.data.path().join("tollgate.secret"), other).unwrap();
            s.spawn();
            None
        }
        Engine::Postgres => Some(s.second_node()),
    };
    let node = node.as_ref().unwrap_or(&s);
    let (status, body) = call(node, "GET", "/shop/items/1", &header, None).await;
    assert_eq!(status, 500, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("cannot be used"),
        "{body}"
    );
    let log = node.log();
    assert!(
        log.contains("the backend's client certificate cannot be used"),
        "{log}"
    );
    assert!(!log.contains("PRIVATE KEY"), "key material in the log");
}
