//! Authorization servers (REFERENCE §13): validation, secrets hidden in lists, and the APIs
//! that name them.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::{Value, json};

on_both_engines!(crud_and_secrets, validation, apis_name_existing_servers);

fn server(name: &str) -> Value {
    json!({
        "name": name, "description": "test server",
        "clientRegistrationEndpoint": "https://www.contoso.com/apps",
        "authorizationEndpoint": "https://www.contoso.com/oauth2/auth",
        "authorizationMethods": ["GET"], "clientAuthenticationMethod": ["Basic"],
        "tokenEndpoint": "https://www.contoso.com/oauth2/token", "supportState": true,
        "defaultScope": "read write", "grantTypes": ["authorizationCode", "implicit"],
        "bearerTokenSendingMethods": ["authorizationHeader"], "clientId": "1",
        "clientSecret": "2", "resourceOwnerUsername": "un", "resourceOwnerPassword": "pwd"
    })
}

async fn crud_and_secrets(engine: Engine) {
    let s = Server::start(engine).await;
    let path = format!("/authorizationServers/a1?{V17}");
    let created = s.put(&path, &server("contoso")).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let shown = created.json();
    assert_eq!(
        (&shown["id"], &shown["clientSecret"]),
        (&json!("/authorizationServers/a1"), &json!("2"))
    );
    assert_eq!(s.get(&path).await.json(), shown);
    assert_eq!(
        s.put(
            &format!("/authorizationServers/a2?{V17}"),
            &server("fabrikam")
        )
        .await
        .status,
        201
    );
    let list = s.get(&format!("/authorizationServers?{V17}")).await.json();
    assert_eq!(list["count"], 2);
    for item in list["value"].as_array().unwrap() {
        assert!(
            item.get("clientSecret").is_none() && item.get("resourceOwnerPassword").is_none(),
            "{item}"
        );
        assert_eq!(item["resourceOwnerUsername"], "un");
    }
    let filtered = s
        .get(&format!(
            "/authorizationServers?{V17}&$filter=name eq 'fabrikam'"
        ))
        .await
        .json();
    assert_eq!(
        (filtered["count"].as_u64(), &filtered["value"][0]["id"]),
        (Some(1), &json!("/authorizationServers/a2"))
    );

    let etag = s.get(&path).await.etag();
    let patched = s
        .patch(
            &path,
            &json!({"defaultScope": "read", "clientSecret": null}),
            &etag,
        )
        .await;
    assert_eq!(patched.status, 204, "{}", patched.text);
    let now = s.get(&path).await.json();
    assert_eq!(
        (&now["defaultScope"], &now["clientSecret"], &now["name"]),
        (&json!("read"), &Value::Null, &json!("contoso"))
    );
    let legacy = s
        .get("/authorizationServers/a1?api-version=2016-07-07")
        .await;
    assert_eq!(
        (legacy.status, &legacy.json()["clientId"]),
        (200, &json!("1"))
    );
    let etag = s.get(&path).await.etag();
    assert_eq!(s.delete(&path, &etag).await.status, 204);
    assert_eq!(s.get(&path).await.status, 404);
}

async fn validation(engine: Engine) {
    let s = Server::start(engine).await;
    let path = format!("/authorizationServers/v?{V17}");
    let missing = s.put(&path, &json!({"description": "x"})).await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.error_targets(),
        [
            "name",
            "clientRegistrationEndpoint",
            "authorizationEndpoint",
            "grantTypes",
            "clientId"
        ]
    );
    let cases = [
        (
            "authorizationEndpoint",
            json!("oauth2/auth"),
            "authorizationEndpoint",
        ),
        ("grantTypes", json!(["password"]), "grantTypes[0]"),
        (
            "authorizationMethods",
            json!(["POST"]),
            "authorizationMethods",
        ),
        (
            "clientAuthenticationMethod",
            json!(["Header"]),
            "clientAuthenticationMethod[0]",
        ),
        (
            "bearerTokenSendingMethods",
            json!(["cookie"]),
            "bearerTokenSendingMethods[0]",
        ),
        (
            "tokenBodyParameters",
            json!([{"value": "v"}]),
            "tokenBodyParameters[0].name",
        ),
        ("name", json!("n".repeat(51)), "name"),
        ("unknownField", json!(1), "unknownField"),
    ];
    for (field, value, target) in cases {
        let mut body = server("x");
        body[field] = value;
        let refused = s.put(&path, &body).await;
        assert_eq!(
            (refused.status, refused.error_targets()),
            (400, vec![target.to_owned()]),
            "{field}"
        );
    }
    assert_eq!(s.get(&path).await.status, 404, "nothing stored");
    let legacy = s
        .put(
            "/authorizationServers/v?api-version=2016-07-07",
            &server(&"n".repeat(100)),
        )
        .await;
    assert_eq!((legacy.status, legacy.text.as_str()), (201, ""));
}

async fn apis_name_existing_servers(engine: Engine) {
    let s = Server::start(engine).await;
    let api = json!({"name": "Echo", "path": "echo", "serviceUrl": "http://example.com", "protocols": ["https"],
        "authenticationSettings": {"oAuth2": {"authorizationServerId": "auth1", "scope": "read"}}});
    let refused = s.put(&format!("/apis/echo?{V17}"), &api).await;
    assert_eq!(
        (refused.status, refused.error_targets()),
        (
            400,
            vec!["authenticationSettings.oAuth2.authorizationServerId".to_owned()]
        )
    );
    assert_eq!(
        s.put(&format!("/authorizationServers/auth1?{V17}"), &server("a"))
            .await
            .status,
        201
    );
    let created = s.put(&format!("/apis/echo?{V17}"), &api).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let server_path = format!("/authorizationServers/auth1?{V17}");
    let etag = s.get(&server_path).await.etag();
    let in_use = s.delete(&server_path, &etag).await;
    assert_eq!(
        (in_use.status, in_use.error_code().as_str()),
        (400, "ResourceReferenced")
    );
    assert!(in_use.text.contains("/apis/echo"), "{}", in_use.text);
    let api_etag = s.get(&format!("/apis/echo?{V17}")).await.etag();
    let cleared = s
        .patch(
            &format!("/apis/echo?{V17}"),
            &json!({"authenticationSettings": {"oAuth2": null}}),
            &api_etag,
        )
        .await;
    assert_eq!(cleared.status, 204, "{}", cleared.text);
    assert_eq!(s.delete(&server_path, &etag).await.status, 204);
}
