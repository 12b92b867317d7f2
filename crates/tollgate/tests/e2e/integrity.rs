//! Referential integrity, checked on the stored records: after randomized sequences of management
//! calls (creations, deletions with and without `deleteSubscriptions`, links, subscriptions,
//! policies), nothing stored refers to an entity that is gone.
//!
//! The sequences come from fixed seeds, so a failure reproduces; it prints the seed and the calls.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::HashSet;
use tollgate_store::testing::{StoredRow, dump};

on_both_engines!(random_sequences_leave_no_orphans);

const SEEDS: [u64; 3] = [7, 1_000_003, 42_424_242];
const CALLS_PER_SEED: usize = 200;

/// Calls that create entities, links and subscriptions, drawn again so that the store fills up
/// between deletions.
const CREATING: [u32; 8] = [0, 2, 4, 9, 11, 12, 13, 15];

/// One random management call: (method, path with query, body).
fn random_call(rng: &mut StdRng) -> (&'static str, String, Option<Value>) {
    let user = format!("u{}", rng.random_range(0..4));
    let product = format!("p{}", rng.random_range(0..3));
    let api = format!("a{}", rng.random_range(0..3));
    let group = ["g0", "g1", "developers"][rng.random_range(0..3)];
    let flag = if rng.random_bool(0.5) {
        "&deleteSubscriptions=true"
    } else {
        ""
    };
    let policy = json!({"policyContent": "<policies><inbound><base /></inbound></policies>"});
    let choice = rng.random_range(0..17 + CREATING.len() as u32);
    let choice = CREATING
        .get((choice as usize).wrapping_sub(17))
        .copied()
        .unwrap_or(choice);
    match choice {
        0 => (
            "PUT",
            format!("/users/{user}?{V17}"),
            Some(
                json!({"email": format!("{user}@contoso.com"), "firstName": "F", "lastName": "L"}),
            ),
        ),
        1 => ("DELETE", format!("/users/{user}?{V17}{flag}"), None),
        2 => (
            "PUT",
            format!("/products/{product}?{V17}"),
            Some(json!({"name": product, "subscriptionsLimit": 2})),
        ),
        3 => ("DELETE", format!("/products/{product}?{V17}{flag}"), None),
        4 => (
            "PUT",
            format!("/apis/{api}?{V17}"),
            Some(json!({"name": api, "path": api, "serviceUrl": "http://example.com"})),
        ),
        5 => ("DELETE", format!("/apis/{api}?{V17}"), None),
        6 => (
            "PUT",
            format!("/apis/{api}/operations/o{}?{V17}", rng.random_range(0..2)),
            Some(
                json!({"name": "o", "method": "GET", "urlTemplate": format!("/r{}", rng.random_range(0..9))}),
            ),
        ),
        7 => (
            "PUT",
            format!("/apis/{api}/policies/policy?{V17}"),
            Some(policy),
        ),
        8 => (
            "PUT",
            format!("/products/{product}/policies/policy?{V17}"),
            Some(policy),
        ),
        9 => (
            "PUT",
            format!("/groups/{group}?{V17}"),
            Some(json!({"name": group})),
        ),
        10 => ("DELETE", format!("/groups/{group}?{V17}"), None),
        11 => (
            "PUT",
            format!("/products/{product}/apis/{api}?{V17}"),
            Some(json!({})),
        ),
        12 => (
            "PUT",
            format!("/products/{product}/groups/{group}?{V17}"),
            Some(json!({})),
        ),
        13 => (
            "PUT",
            format!("/groups/{group}/users/{user}?{V17}"),
            Some(json!({})),
        ),
        14 => (
            "DELETE",
            format!("/products/{product}/apis/{api}?{V17}"),
            None,
        ),
        15 => (
            "PUT",
            format!("/subscriptions/s{}?{V17}", rng.random_range(0..6)),
            Some(
                json!({"userId": format!("/users/{user}"), "productId": format!("/products/{product}"), "state": "active"}),
            ),
        ),
        _ => (
            "DELETE",
            format!("/subscriptions/s{}?{V17}", rng.random_range(0..6)),
            None,
        ),
    }
}

/// What refers to what is gone, as lines for a failure message.
pub fn orphans(rows: &[StoredRow]) -> Vec<String> {
    let exists: HashSet<(String, String, String)> = rows
        .iter()
        .map(|r| (r.kind.clone(), r.parent.clone(), r.id_key.clone()))
        .collect();
    let top =
        |kind: &str, id: &str| exists.contains(&(kind.into(), String::new(), id.to_lowercase()));
    let owner = |parent: &str, collection: &str, kind: &str| {
        parent
            .strip_prefix(collection)
            .and_then(|p| p.strip_prefix('/'))
            .is_some_and(|id| top(kind, id))
    };
    let mut found = Vec::new();
    for r in rows {
        let ok = match r.kind.as_str() {
            "productApi" => owner(&r.parent, "products", "product") && top("api", &r.id_key),
            "productGroup" => owner(&r.parent, "products", "product") && top("group", &r.id_key),
            "groupUser" => owner(&r.parent, "groups", "group") && top("user", &r.id_key),
            "operation" | "schema" => owner(&r.parent, "apis", "api"),
            "subscription" => {
                let body: Value = serde_json::from_str(&r.body).unwrap();
                let user = body["userId"].as_str().unwrap().to_lowercase();
                let indexed = ["primaryKey", "secondaryKey"].iter().all(|k| {
                    let key = body[k].as_str().unwrap().to_lowercase();
                    rows.iter().any(|i| {
                        i.kind == "subscriptionKey"
                            && i.id_key == key
                            && i.body.eq_ignore_ascii_case(&r.id_key)
                    })
                });
                top("user", &user)
                    && top("product", body["productId"].as_str().unwrap())
                    && indexed
                    && exists.contains(&(
                        "userSubscription".into(),
                        format!("users/{user}"),
                        r.id_key.clone(),
                    ))
            }
            "user" => {
                let body: Value = serde_json::from_str(&r.body).unwrap();
                let email = body["email"].as_str().unwrap().to_lowercase();
                rows.iter().any(|i| {
                    i.kind == "userEmail"
                        && i.id_key == email
                        && i.body.eq_ignore_ascii_case(&r.id_key)
                })
            }
            "userEmail" => rows.iter().any(|u| {
                u.kind == "user"
                    && u.id_key.eq_ignore_ascii_case(&r.body)
                    && u.body
                        .to_lowercase()
                        .contains(&format!("\"email\":\"{}\"", r.id_key))
            }),
            // The indexes point at subscriptions that hold the key, or belong to the user.
            "subscriptionKey" => rows.iter().any(|s| {
                s.kind == "subscription"
                    && s.id_key.eq_ignore_ascii_case(&r.body)
                    && s.body.to_lowercase().contains(&format!("\"{}\"", r.id_key))
            }),
            "userSubscription" => rows.iter().any(|s| {
                s.kind == "subscription"
                    && s.id_key == r.id_key
                    && r.parent.strip_prefix("users/").is_some_and(|u| {
                        s.body
                            .to_lowercase()
                            .contains(&format!("\"userid\":\"{u}\""))
                    })
            }),
            "policy" => match r.id_key.split('/').collect::<Vec<_>>().as_slice() {
                ["", "policies", "policy"] => true,
                ["", "products", p, ..] => top("product", p),
                ["", "apis", a, "operations", o, ..] => {
                    exists.contains(&("operation".into(), format!("apis/{a}"), o.to_string()))
                }
                ["", "apis", a, ..] => top("api", a),
                _ => false,
            },
            _ => true,
        };
        if !ok {
            found.push(format!("{} {}/{}: {}", r.kind, r.parent, r.id_key, r.body));
        }
    }
    found
}

async fn random_sequences_leave_no_orphans(engine: Engine) {
    for seed in SEEDS {
        let s = Server::start(engine).await;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut log = Vec::new();
        for _ in 0..CALLS_PER_SEED {
            let (method, path, body) = random_call(&mut rng);
            let text = body.as_ref().map(Value::to_string);
            let reply = s
                .send(method, &path, text.as_deref(), &[("If-Match", "*")])
                .await;
            log.push(format!("{method} {path} → {}", reply.status));
            assert!(
                reply.status < 500,
                "seed {seed}: {method} {path} answered {}: {}\n{}",
                reply.status,
                reply.text,
                log.join("\n")
            );
        }
        let rows = dump(&s.database_url, "default").await;
        let found = orphans(&rows);
        assert!(
            found.is_empty(),
            "seed {seed}: orphans after these calls:\n{}\norphans:\n{}",
            log.join("\n"),
            found.join("\n")
        );
        // The sequence did real work: some deletions removed something.
        assert!(
            log.iter()
                .any(|l| l.starts_with("DELETE") && l.ends_with("204")),
            "seed {seed} deleted nothing:\n{}",
            log.join("\n")
        );
    }
}

#[test]
fn the_orphan_check_finds_orphans() {
    let row = |kind: &str, parent: &str, id: &str, body: &str| StoredRow {
        kind: kind.into(),
        parent: parent.into(),
        id_key: id.into(),
        body: body.into(),
    };
    let rows = [
        row("user", "", "ann", r#"{"email":"ann@x.org"}"#),
        row("userEmail", "", "ann@x.org", "ann"),
        row("user", "", "unindexed", r#"{"email":"u@x.org"}"#),
        row("userEmail", "", "old@x.org", "ann"),
        row("product", "", "p", "{}"),
        row(
            "subscription",
            "",
            "ok",
            r#"{"userId":"ann","productId":"p","primaryKey":"k1","secondaryKey":"k2"}"#,
        ),
        row("subscriptionKey", "", "k1", "ok"),
        row("subscriptionKey", "", "k2", "ok"),
        row("userSubscription", "users/ann", "ok", "{}"),
        row(
            "subscription",
            "",
            "lost",
            r#"{"userId":"bob","productId":"p","primaryKey":"k3","secondaryKey":"k4"}"#,
        ),
        row("subscriptionKey", "", "k9", "gone"),
        row("productApi", "products/p", "gone-api", "{}"),
        row("groupUser", "groups/gone", "ann", "{}"),
        row("policy", "", "/apis/gone/policies/policy", "{}"),
    ];
    let found = orphans(&rows);
    assert_eq!(found.len(), 7, "{found:#?}");
    assert!(found[0].contains("unindexed") && found[1].contains("old@x.org"));
    assert!(found[2].contains("lost"));
}
