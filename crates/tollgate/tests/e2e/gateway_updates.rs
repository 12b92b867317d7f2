//! The gateway's snapshot follows management writes incrementally (the store's change feed): after
//! every write the next call is admitted or refused exactly as the configuration says, as a
//! snapshot built whole gives (a restarted server), and the log shows the updates were applied
//! in place rather than rebuilt.

use crate::common::{Engine, Server, V17};
use crate::gateway::{backend, call, shop};
use crate::on_both_engines;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

on_both_engines!(snapshots_follow_writes_as_a_full_build_would);

/// The APIs the probes call: `shop` (in `gold`, from [`shop`]) and `books`.
const PROBES: [(&str, &str); 2] = [("shop", "/shop/items/1"), ("books", "/books/b1")];

/// Every id in a collection (first page: the test has fewer than a page of anything).
async fn collection(s: &Server, path: &str) -> Vec<Value> {
    let listed = s.get(&format!("{path}?{V17}")).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    listed.json()["value"].as_array().unwrap().clone()
}

fn bare(id: &Value) -> String {
    id.as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_lowercase()
}

/// What each probe should answer, by the configuration as the management API shows it: a key
/// admits a call to an API when its subscription is active and its product is published,
/// requires subscriptions and contains the API.
async fn expected(s: &Server, keys: &BTreeSet<String>) -> BTreeMap<(String, &'static str), u16> {
    let mut products = BTreeMap::new();
    for product in collection(s, "/products").await {
        let id = bare(&product["id"]);
        let apis: BTreeSet<String> = collection(s, &format!("/products/{id}/apis"))
            .await
            .iter()
            .map(|api| bare(&api["id"]))
            .collect();
        let admits = product["state"] == "published" && product["subscriptionRequired"] == true;
        products.insert(id, (admits, apis));
    }
    let mut admitted = BTreeSet::new();
    for subscription in collection(s, "/subscriptions").await {
        let product = &products[&bare(&subscription["productId"])];
        if subscription["state"] == "active" && product.0 {
            for field in ["primaryKey", "secondaryKey"] {
                for api in &product.1 {
                    admitted.insert((
                        subscription[field].as_str().unwrap().to_owned(),
                        api.clone(),
                    ));
                }
            }
        }
    }
    let mut answers = BTreeMap::new();
    for key in keys {
        for (api, _) in PROBES {
            let status = if admitted.contains(&(key.clone(), api.to_owned())) {
                200
            } else {
                401
            };
            answers.insert((key.clone(), api), status);
        }
    }
    answers
}

/// What the gateway answers to each key on each API.
async fn answers(s: &Server, keys: &BTreeSet<String>) -> BTreeMap<(String, &'static str), u16> {
    let mut answers = BTreeMap::new();
    for key in keys {
        for (api, path) in PROBES {
            let status = call(s, "GET", path, &[("Ocp-Apim-Subscription-Key", key)], None)
                .await
                .0;
            answers.insert((key.clone(), api), status);
        }
    }
    answers
}

/// Every key any subscription has now (old keys stay in `keys`: they must stay refused).
async fn learn_keys(s: &Server, keys: &mut BTreeSet<String>) {
    for subscription in collection(s, "/subscriptions").await {
        for field in ["primaryKey", "secondaryKey"] {
            keys.insert(subscription[field].as_str().unwrap().to_owned());
        }
    }
}

async fn check(s: &Server, keys: &mut BTreeSet<String>, after: &str) {
    learn_keys(s, keys).await;
    let want = expected(s, keys).await;
    assert_eq!(answers(s, keys).await, want, "after {after}");
}

async fn etag(s: &Server, path: &str) -> String {
    s.get(&format!("{path}?{V17}")).await.etag()
}

fn ok(reply: crate::common::Reply, what: &str) {
    assert!(
        reply.status < 300,
        "{what}: {} {}",
        reply.status,
        reply.text
    );
}

async fn snapshots_follow_writes_as_a_full_build_would(engine: Engine) {
    let mut s = Server::start_with_log(engine, "info,tollgate_gateway=debug").await;
    let base = backend().await;
    shop(&s, &base).await;

    let books =
        json!({"name": "Books", "path": "books", "serviceUrl": base, "protocols": ["http"]});
    ok(s.put(&format!("/apis/books?{V17}"), &books).await, "books");
    let op = json!({"name": "get", "method": "GET", "urlTemplate": "/{id}",
        "templateParameters": [{"name": "id", "type": "string", "required": true}]});
    ok(
        s.put(&format!("/apis/books/operations/get?{V17}"), &op)
            .await,
        "operation",
    );
    let mut keys = BTreeSet::from(["not-a-key".to_owned()]);
    check(&s, &mut keys, "two APIs").await;
    let silver = json!({"name": "Silver", "state": "published", "subscriptionRequired": true});
    ok(
        s.put(&format!("/products/silver?{V17}"), &silver).await,
        "silver",
    );
    check(&s, &mut keys, "a product without APIs").await;
    ok(
        s.put(&format!("/products/silver/apis/books?{V17}"), &json!({}))
            .await,
        "link",
    );
    check(&s, &mut keys, "a link").await;

    // Subscriptions: created active and submitted, regenerated, suspended, activated, deleted.
    for (id, product, state) in [
        ("s1", "silver", "active"),
        ("s2", "silver", "active"),
        ("s3", "gold", "active"),
        ("s4", "gold", "submitted"),
    ] {
        let body = json!({"userId": "/users/ann", "productId": format!("/products/{product}"),
            "name": id, "state": state});
        ok(
            s.put(&format!("/subscriptions/{id}?{V17}"), &body).await,
            id,
        );
        check(&s, &mut keys, &format!("creating {id}")).await;
    }
    for (id, which) in [
        ("s1", "Primary"),
        ("s3", "Secondary"),
        ("ann-gold", "Primary"),
    ] {
        let path = format!("/subscriptions/{id}/regenerate{which}Key?{V17}");
        ok(s.send("POST", &path, None, &[]).await, "regenerate");
        check(&s, &mut keys, &format!("regenerating {id}'s {which} key")).await;
    }
    for (id, state) in [
        ("s1", "suspended"),
        ("s2", "suspended"),
        ("s4", "active"),
        ("s1", "active"),
        ("s2", "active"),
    ] {
        let path = format!("/subscriptions/{id}");
        let tag = etag(&s, &path).await;
        ok(
            s.patch(&format!("{path}?{V17}"), &json!({"state": state}), &tag)
                .await,
            state,
        );
        check(&s, &mut keys, &format!("{id} {state}")).await;
    }
    // A key chosen by the caller, then given up and taken by another subscription.
    let tag = etag(&s, "/subscriptions/s2").await;
    let chosen = json!({"primaryKey": "chosen-key-0123456789"});
    ok(
        s.patch(&format!("/subscriptions/s2?{V17}"), &chosen, &tag)
            .await,
        "chosen",
    );
    check(&s, &mut keys, "choosing a key").await;
    let tag = etag(&s, "/subscriptions/s2").await;
    let other = json!({"primaryKey": "other-key-0123456789"});
    ok(
        s.patch(&format!("/subscriptions/s2?{V17}"), &other, &tag)
            .await,
        "given up",
    );
    let tag = etag(&s, "/subscriptions/s3").await;
    ok(
        s.patch(&format!("/subscriptions/s3?{V17}"), &chosen, &tag)
            .await,
        "taken",
    );
    check(&s, &mut keys, "a key moving between subscriptions").await;
    let tag = etag(&s, "/subscriptions/s4").await;
    ok(
        s.delete(&format!("/subscriptions/s4?{V17}"), &tag).await,
        "delete s4",
    );
    check(&s, &mut keys, "deleting s4").await;

    // Products: unpublished and published again, made open, unlinked, deleted with their
    // subscriptions; writes of kinds the gateway ignores.
    for (product, change) in [
        ("silver", json!({"state": "notPublished"})),
        ("gold", json!({"subscriptionRequired": false})),
        ("silver", json!({"state": "published"})),
        ("gold", json!({"subscriptionRequired": true})),
    ] {
        let path = format!("/products/{product}");
        let tag = etag(&s, &path).await;
        ok(
            s.patch(&format!("{path}?{V17}"), &change, &tag).await,
            "product",
        );
        check(&s, &mut keys, &format!("{product} {change}")).await;
    }
    let property = json!({"name": "unused", "value": "v"});
    ok(
        s.put(&format!("/properties/unused?{V17}"), &property).await,
        "property",
    );
    let user = json!({"email": "bob@contoso.com", "firstName": "Bob", "lastName": "Ray"});
    ok(s.put(&format!("/users/bob?{V17}"), &user).await, "user");
    check(&s, &mut keys, "writes of other kinds").await;
    let unlink = format!("/products/silver/apis/books?{V17}");
    ok(s.send("DELETE", &unlink, None, &[]).await, "unlink");
    check(&s, &mut keys, "unlinking books").await;
    ok(s.put(&unlink, &json!({})).await, "link again");
    check(&s, &mut keys, "linking books again").await;
    let path = format!("/products/silver?{V17}&deleteSubscriptions=true");
    ok(s.delete(&path, "*").await, "delete silver");
    check(&s, &mut keys, "deleting silver and its subscriptions").await;
    ok(
        s.put(&format!("/products/silver?{V17}"), &silver).await,
        "silver again",
    );
    ok(s.put(&unlink, &json!({})).await, "link again");
    let body = json!({"userId": "/users/bob", "productId": "/products/silver", "name": "s5", "state": "active"});
    ok(
        s.put(&format!("/subscriptions/s1?{V17}"), &body).await,
        "s1 again",
    );
    check(&s, &mut keys, "silver and s1 created again").await;

    // The gateway applied those writes in place: no snapshot was built whole after the first.
    let log = s.log();
    let updated = log.matches("gateway snapshot updated").count();
    assert!(updated >= 20, "{updated} updates in:\n{log}");
    assert!(!log.contains("gateway snapshot rebuilt"), "{log}");

    // A server started again builds its snapshot whole, and answers the same.
    let before = answers(&s, &keys).await;
    assert!(
        before.values().filter(|status| **status == 200).count() >= 4,
        "{before:?}"
    );
    assert!(s.terminate());
    s.spawn();
    assert_eq!(
        answers(&s, &keys).await,
        before,
        "a full build answers the same"
    );
}
