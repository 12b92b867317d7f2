//! Loggers (REFERENCE §12): shapes per version, credentials kept in generated secret
//! properties, and the rules that tie loggers to properties and policies.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::{Value, json};

on_both_engines!(
    credentials_move_into_a_secret_property,
    shapes_follow_the_version,
    references_are_checked
);

const CONNECTION: &str = "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=Send;SharedAccessKey=c2VjcmV0";

fn hub(connection: &str) -> Value {
    json!({"name": "hub", "connectionString": connection})
}

/// The property a `{{reference}}` names, from the property list.
async fn property_named(s: &Server, reference: &str) -> Option<Value> {
    let name = reference.trim_start_matches("{{").trim_end_matches("}}");
    let list = s.get(&format!("/properties?{V17}")).await.json();
    list["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .cloned()
}

async fn credentials_move_into_a_secret_property(engine: Engine) {
    let s = Server::start(engine).await;
    let path = format!("/loggers/audit?{V17}");
    let body = json!({"loggerType": "azureEventHub", "description": "audit", "credentials": hub(CONNECTION)});
    let created = s.put(&path, &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let shown = created.json();
    let reference = shown["credentials"]["connectionString"]
        .as_str()
        .unwrap()
        .to_owned();
    let hex = reference
        .strip_prefix("{{Logger-Credentials-")
        .and_then(|r| r.strip_suffix("}}"))
        .expect("a generated reference");
    assert!(
        hex.len() == 24 && hex.chars().all(|c| c.is_ascii_hexdigit()),
        "{reference}"
    );
    assert_eq!(
        (
            &shown["loggerType"],
            &shown["isBuffered"],
            &shown["credentials"]["name"]
        ),
        (&json!("azureEventHub"), &json!(true), &json!("hub"))
    );
    assert!(!s.get(&path).await.text.contains("SharedAccessKey"));
    let property = property_named(&s, &reference)
        .await
        .expect("the generated property");
    assert_eq!(
        (&property["value"], &property["secret"]),
        (&json!(CONNECTION), &json!(true))
    );

    // The generated property cannot be deleted from under the logger.
    let property_path = format!("{}?{V17}", property["id"].as_str().unwrap());
    let etag = s.get(&property_path).await.etag();
    let refused = s.delete(&property_path, &etag).await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (405, "ResourceInUse")
    );
    assert!(refused.text.contains("logger audit"), "{}", refused.text);

    // New credentials in clear: a new property, the old one gone.
    let etag = s.get(&path).await.etag();
    let other = CONNECTION.replace("c2VjcmV0", "bmV3");
    let patched = s
        .patch(&path, &json!({"credentials": hub(&other)}), &etag)
        .await;
    assert_eq!(patched.status, 204, "{}", patched.text);
    let now = s.get(&path).await.json()["credentials"]["connectionString"].clone();
    assert_ne!(now.as_str(), Some(reference.as_str()));
    assert!(property_named(&s, &reference).await.is_none());
    assert_eq!(
        property_named(&s, now.as_str().unwrap()).await.unwrap()["value"],
        json!(other)
    );

    // Deleting the logger deletes its property.
    let etag = s.get(&path).await.etag();
    assert_eq!(s.delete(&path, &etag).await.status, 204);
    assert!(property_named(&s, now.as_str().unwrap()).await.is_none());
    assert_eq!(s.get(&path).await.status, 404);
}

async fn shapes_follow_the_version(engine: Engine) {
    let s = Server::start(engine).await;
    let legacy = "api-version=2016-07-07";
    let body =
        json!({"type": "AzureEventHub", "credentials": hub(CONNECTION), "isBuffered": false});
    let created = s.put(&format!("/loggers/old?{legacy}"), &body).await;
    assert_eq!((created.status, created.text.as_str()), (201, ""));
    let shown = s.get(&format!("/loggers/old?{legacy}")).await.json();
    assert_eq!(
        shown,
        json!({"id": "/loggers/old", "type": "azureEventHub", "isBuffered": false})
    );
    let oldest = s.get("/loggers/old?api-version=2014-02-14").await.json();
    assert_eq!(
        oldest,
        json!({"id": "/loggers/old", "type": "azureEventHub"})
    );
    let wrong_name = s
        .put(
            &format!("/loggers/new?{V17}"),
            &json!({"type": "azureEventHub", "credentials": hub(CONNECTION)}),
        )
        .await;
    assert_eq!(
        (wrong_name.status, wrong_name.error_targets()),
        (400, vec!["type".to_owned()])
    );
    let missing = s
        .put(
            &format!("/loggers/new?{V17}"),
            &json!({"loggerType": "azureEventHub"}),
        )
        .await;
    assert_eq!(
        (missing.status, missing.error_targets()),
        (400, vec!["credentials".to_owned()])
    );
    let long = json!({"loggerType": "azureEventHub", "credentials": hub(CONNECTION), "description": "x".repeat(257)});
    let refused = s.put(&format!("/loggers/new?{V17}"), &long).await;
    assert_eq!(
        (refused.status, refused.error_targets()),
        (400, vec!["description".to_owned()])
    );
    let body = json!({"loggerType": "azureEventHub", "credentials": hub(CONNECTION)});
    assert_eq!(
        s.put(&format!("/loggers/new?{V17}"), &body).await.status,
        201
    );
    let filtered = s
        .get(&format!(
            "/loggers?{V17}&$filter=startswith(id,'ne') and loggerType eq 'azureEventHub'"
        ))
        .await
        .json();
    assert_eq!(
        (filtered["count"].as_u64(), &filtered["value"][0]["id"]),
        (Some(1), &json!("/loggers/new"))
    );
}

async fn references_are_checked(engine: Engine) {
    let s = Server::start(engine).await;
    let path = format!("/loggers/l1?{V17}");
    let unknown =
        json!({"loggerType": "azureEventHub", "credentials": hub("{{EventHubConnection}}")});
    let refused = s.put(&path, &unknown).await;
    assert_eq!(
        (refused.status, refused.error_targets()),
        (400, vec!["credentials.connectionString".to_owned()])
    );
    let property = json!({"name": "EventHubConnection", "value": CONNECTION, "secret": true});
    assert_eq!(
        s.put(&format!("/properties/ehc?{V17}"), &property)
            .await
            .status,
        201
    );
    let created = s.put(&path, &unknown).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.json()["credentials"]["connectionString"],
        "{{EventHubConnection}}"
    );

    // A policy that logs to it keeps it.
    assert_eq!(
        s.put(&format!("/products/p?{V17}"), &json!({"name": "P"}))
            .await
            .status,
        201
    );
    let policy = r#"<policies><inbound><base /><log-to-eventhub logger-id="L1">@(context.RequestId)</log-to-eventhub></inbound><backend><base /></backend><outbound><base /></outbound></policies>"#;
    let policy_path = format!("/products/p/policies/policy?{V17}");
    let put = s.put(&policy_path, &json!({"policyContent": policy})).await;
    assert_eq!(put.status, 201, "{}", put.text);
    let etag = s.get(&path).await.etag();
    let refused = s.delete(&path, &etag).await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (400, "ResourceReferenced")
    );
    assert!(
        refused.text.contains("/products/p/policies/policy"),
        "{}",
        refused.text
    );
    let policy_etag = s.get(&policy_path).await.etag();
    assert_eq!(s.delete(&policy_path, &policy_etag).await.status, 204);
    assert_eq!(s.delete(&path, &etag).await.status, 204);
    // The client's own property is left alone.
    assert_eq!(s.get(&format!("/properties/ehc?{V17}")).await.status, 200);
}
