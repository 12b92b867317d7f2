//! Groups (REFERENCE §8): the built-in groups and their protections, custom groups.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(built_in_groups_exist_and_are_protected, custom_groups);

async fn built_in_groups_exist_and_are_protected(engine: Engine) {
    let mut s = Server::start(engine).await;
    let list = s.get(&format!("/groups?{V17}")).await.json();
    let ids: Vec<&str> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "/groups/administrators",
            "/groups/developers",
            "/groups/guests"
        ]
    );
    assert_eq!(list["value"][1]["builtIn"], true);
    assert_eq!(list["value"][1]["type"], "system");
    for path in ["/groups/developers"] {
        let r = s
            .patch(&format!("{path}?{V17}"), &json!({"name": "Devs"}), "*")
            .await;
        assert_eq!((r.status, r.error_code().as_str()), (405, "BuiltInEntity"));
        let r = s.delete(&format!("{path}?{V17}"), "*").await;
        assert_eq!((r.status, r.error_code().as_str()), (405, "BuiltInEntity"));
        let r = s
            .put(&format!("{path}?{V17}"), &json!({"name": "Devs"}))
            .await;
        assert_eq!(r.status, 405, "replacing a built-in group is refused too");
    }
    // A restart does not duplicate or reset them.
    s.kill9();
    s.spawn();
    assert_eq!(s.get(&format!("/groups?{V17}")).await.json()["count"], 3);
    let legacy = s.get("/groups/guests?api-version=2014-02-14").await.json();
    assert_eq!(
        legacy["externalId"],
        json!(null),
        "legacy responses spell externalId null"
    );
}

async fn custom_groups(engine: Engine) {
    let s = Server::start(engine).await;
    let created = s
        .put(
            &format!("/groups/partners?{V17}"),
            &json!({"name": "Partners", "type": "custom"}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(
        created.json(),
        json!({"id": "/groups/partners", "name": "Partners", "builtIn": false, "type": "custom"})
    );
    let r = s
        .patch(
            &format!("/groups/partners?{V17}"),
            &json!({"description": "External partners"}),
            &created.etag(),
        )
        .await;
    assert_eq!(r.status, 204);
    let ext = json!({"name": "AAD group", "type": "external", "externalId": "aad://contoso.onmicrosoft.com/groups/1"});
    assert_eq!(s.put(&format!("/groups/aad?{V17}"), &ext).await.status, 201);
    for (body, target) in [
        (json!({"name": "x", "type": "system"}), "type"),
        (json!({"name": "x", "externalId": "e"}), "externalId"),
        (json!({"type": "custom"}), "name"),
    ] {
        assert_eq!(
            s.put(&format!("/groups/bad?{V17}"), &body)
                .await
                .error_targets(),
            [target],
            "{body}"
        );
    }
    let filtered = s
        .get(&format!("/groups?{V17}&$filter=type%20eq%20%27system%27"))
        .await
        .json();
    assert_eq!(filtered["count"], 3);
    let filtered = s
        .get(&format!(
            "/groups?{V17}&$filter=startswith(name,%27part%27)"
        ))
        .await
        .json();
    assert_eq!(filtered["count"], 1);
    assert_eq!(
        s.delete(&format!("/groups/partners?{V17}"), "*")
            .await
            .status,
        204
    );
    assert_eq!(s.get(&format!("/groups?{V17}")).await.json()["count"], 4);
}
