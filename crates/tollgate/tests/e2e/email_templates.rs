//! Email templates (REFERENCE §16.2): seeded, changed, reset.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::{Value, json};

on_both_engines!(templates_are_seeded_changed_and_reset);

async fn templates_are_seeded_changed_and_reset(engine: Engine) {
    let s = Server::start(engine).await;
    let list = s.get(&format!("/templates?{V17}")).await.json();
    assert_eq!(list["count"], 14);
    assert!(
        list["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["isDefault"] == true)
    );
    assert_eq!(s.get("/templates?api-version=2016-10-10").await.status, 404);

    let path = format!("/templates/newIssueNotificationMessage?{V17}");
    let default = s.get(&path).await.json();
    assert_eq!(default["id"], "/templates/NewIssueNotificationMessage");
    assert!(default["body"].as_str().unwrap().contains("$IssueName"));
    let names: Vec<&str> = default["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"IssueName") && names.contains(&"DevFirstName"),
        "{names:?}"
    );

    // PUT changes the given fields and keeps the others.
    let changed = s.put(&path, &json!({"subject": "We got $IssueName"})).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let changed = changed.json();
    assert_eq!(
        (&changed["subject"], &changed["isDefault"]),
        (&json!("We got $IssueName"), &json!(false))
    );
    assert_eq!(
        (&changed["body"], &changed["parameters"]),
        (&default["body"], &default["parameters"])
    );

    // PATCH needs no If-Match; a stale one is still refused.
    let body = "<!DOCTYPE html><html><body><p>Thanks, $DevFirstName.</p></body></html>";
    assert_eq!(s.patch(&path, &json!({"body": body}), "").await.status, 204);
    assert_eq!(s.get(&path).await.json()["body"], body);
    let stale = s.patch(&path, &json!({"title": "t"}), "\"1\"").await;
    assert_eq!(stale.status, 412);

    // Invalid input changes nothing.
    for (field, value, target) in [
        ("body", json!("<html><body></html>"), "body"),
        ("subject", json!(""), "subject"),
        (
            "parameters",
            json!([{"name": "has space"}]),
            "parameters[0].name",
        ),
    ] {
        let refused = s.put(&path, &json!({ field: value })).await;
        assert_eq!(
            (refused.status, refused.error_targets()),
            (400, vec![target.to_owned()]),
            "{field}"
        );
    }
    let unknown = s
        .put(
            &format!("/templates/welcomeMessage?{V17}"),
            &json!({"subject": "x"}),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.error_targets()),
        (400, vec!["templateName".to_owned()])
    );
    assert_eq!(s.get(&path).await.json()["body"], body);

    // DELETE restores the default.
    let etag = s.get(&path).await.etag();
    assert_eq!(s.delete(&path, &etag).await.status, 204);
    let reset: Value = s.get(&path).await.json();
    assert_eq!(reset, default);
    assert_eq!(
        s.get(&format!("/templates?{V17}")).await.json()["count"],
        14
    );
}
