//! Users and group membership (REFERENCE §7, §8.3).

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(
    the_administrator_is_built_in,
    users_and_passwords,
    group_membership
);

async fn the_administrator_is_built_in(engine: Engine) {
    let s = Server::start(engine).await;
    let admin = s.get(&format!("/users/1?{V17}")).await.json();
    assert_eq!(
        (admin["firstName"].clone(), admin["lastName"].clone()),
        (json!("Administrator"), json!(""))
    );
    let groups: Vec<&str> = admin["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["/groups/administrators"]);
    let r = s
        .patch(&format!("/users/1?{V17}"), &json!({"note": "x"}), "*")
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (405, "BuiltInEntity"));
    assert_eq!(s.delete(&format!("/users/1?{V17}"), "*").await.status, 405);
    let r = s
        .send(
            "DELETE",
            &format!("/groups/administrators/users/1?{V17}"),
            None,
            &[],
        )
        .await;
    assert_eq!(
        r.status, 405,
        "built-in membership is managed by the system"
    );
}

async fn users_and_passwords(engine: Engine) {
    let s = Server::start(engine).await;
    let secret = "Correct-Horse-Battery-Staple-7";
    let body = json!({"email": "ann@contoso.com", "password": secret, "firstName": "Ann", "lastName": "Lee"});
    let created = s.put(&format!("/users/ann?{V17}"), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let user = created.json();
    assert_eq!(
        (user["state"].clone(), user["identities"].clone()),
        (
            json!("active"),
            json!([{"provider": "Basic", "id": "ann@contoso.com"}])
        )
    );
    assert_eq!(
        user["groups"][0]["id"], "/groups/developers",
        "new users join Developers"
    );
    assert!(!created.text.contains(secret) && !created.text.contains("password"));
    let dup = json!({"email": "ANN@contoso.com", "firstName": "A", "lastName": "B"});
    let r = s.put(&format!("/users/other?{V17}"), &dup).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "NameAlreadyInUse")
    );
    let new_secret = "Another-Long-Passphrase-9";
    assert_eq!(
        s.patch(
            &format!("/users/ann?{V17}"),
            &json!({"password": new_secret, "state": "blocked"}),
            "*"
        )
        .await
        .status,
        204
    );
    let got = s.get(&format!("/users/ann?{V17}")).await;
    assert_eq!(got.json()["state"], "blocked");
    assert!(!got.text.contains(new_secret));
    assert_eq!(
        s.get(&format!("/users/ann/identities?{V17}")).await.json()["count"],
        1
    );
    let found = s
        .get(&format!(
            "/users?{V17}&$filter=email%20eq%20%27ann@contoso.com%27"
        ))
        .await
        .json();
    assert_eq!(found["count"], 1);
    // Neither password is anywhere: not in the log, not in the database files (SQLite).
    let log = s.log();
    assert!(!log.contains(secret) && !log.contains(new_secret));
    if engine == Engine::Sqlite {
        for file in ["tollgate.db", "tollgate.db-wal"] {
            let bytes = std::fs::read(s.data.path().join(file)).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(secret) && !text.contains(new_secret),
                "a plaintext password reached {file}"
            );
            if file == "tollgate.db-wal" {
                assert!(text.contains("$argon2id$"), "the hash is stored");
            }
        }
    }
    assert_eq!(
        s.put(
            &format!("/users/nobody?{V17}"),
            &json!({"email": "x", "firstName": "a", "lastName": "b"})
        )
        .await
        .error_targets(),
        ["email"]
    );
}

async fn group_membership(engine: Engine) {
    let s = Server::start(engine).await;
    let body = json!({"email": "bo@contoso.com", "firstName": "Bo", "lastName": "Ek"});
    assert_eq!(s.put(&format!("/users/bo?{V17}"), &body).await.status, 201);
    assert_eq!(
        s.put(
            &format!("/groups/partners?{V17}"),
            &json!({"name": "Partners"})
        )
        .await
        .status,
        201
    );
    let r = s
        .put(&format!("/groups/partners/users/bo?{V17}"), &json!({}))
        .await;
    assert_eq!(
        (r.status, r.json()["id"].clone()),
        (201, json!("/users/bo"))
    );
    assert_eq!(
        s.send(
            "HEAD",
            &format!("/groups/partners/users/bo?{V17}"),
            None,
            &[]
        )
        .await
        .status,
        200
    );
    assert_eq!(
        s.get(&format!("/groups/partners/users?{V17}")).await.json()["count"],
        1
    );
    let groups = s.get(&format!("/users/bo/groups?{V17}")).await.json();
    assert_eq!(groups["count"], 2, "Developers and Partners: {groups}");
    assert_eq!(
        s.put(&format!("/groups/developers/users/bo?{V17}"), &json!({}))
            .await
            .status,
        405
    );
    assert_eq!(
        s.put(&format!("/groups/partners/users/nobody?{V17}"), &json!({}))
            .await
            .status,
        404
    );
    // Deleting the user removes the memberships; deleting the group too.
    assert_eq!(s.delete(&format!("/users/bo?{V17}"), "*").await.status, 204);
    assert_eq!(
        s.get(&format!("/groups/partners/users?{V17}")).await.json()["count"],
        0
    );
    assert_eq!(s.put(&format!("/users/bo?{V17}"), &body).await.status, 201);
    assert_eq!(
        s.get(&format!("/users/bo/groups?{V17}")).await.json()["count"],
        1,
        "a new user with the same id is only in Developers"
    );
    assert_eq!(
        s.put(&format!("/groups/partners/users/bo?{V17}"), &json!({}))
            .await
            .status,
        201
    );
    assert_eq!(
        s.delete(&format!("/groups/partners?{V17}"), "*")
            .await
            .status,
        204
    );
    assert_eq!(
        s.get(&format!("/users/bo/groups?{V17}")).await.json()["count"],
        1
    );
}
