//! Incremental updates against full builds, on real SQLite and PostgreSQL stores: a long
//! pseudo-random run of writes (subscriptions created, regenerated, suspended, deleted, keys moved
//! between subscriptions, products published and unpublished, deleted with their subscriptions,
//! API and group links, backends, users, groups and memberships, and kinds the gateway ignores),
//! with the gateway sometimes a few revisions behind. After every update the snapshot must be exactly what a full build gives.

use super::*;
use std::collections::{BTreeMap, BTreeSet};
use tollgate_auth::seal::{Sealer, ServerSecret};
use tollgate_contract::ApiVersion;
use tollgate_contract::entity::user::User;
use tollgate_store::{Key, Tx, Watched};

const INSTANCE: &str = "default";

/// What a snapshot holds, in a comparable form.
#[derive(Debug, PartialEq)]
struct Digest {
    /// Every key held, and its grant.
    keys: BTreeMap<String, Grant>,
    /// The keys that admit calls (of published products).
    granted: BTreeSet<String>,
    published: BTreeSet<String>,
    apis: Vec<String>,
    /// Products and users as policies see them.
    products: BTreeMap<String, String>,
    users: BTreeMap<String, String>,
}

fn digest(snapshot: &Snapshot) -> Digest {
    let keys = snapshot.keys.entries();
    assert_eq!(
        keys.len(),
        snapshot.key_count(),
        "the count follows the entries"
    );
    let granted = keys
        .keys()
        .filter(|key| snapshot.grant(key).is_some())
        .cloned()
        .collect();
    let apis = snapshot
        .routes
        .apis
        .iter()
        .map(|api| {
            let mut products: Vec<_> = api.products.iter().collect();
            products.sort();
            let backend = api.backend.as_ref().map(|b| {
                (
                    b.headers.clone(),
                    b.query.clone(),
                    b.authorization.clone(),
                    b.link.as_ref().err().copied(),
                )
            });
            let operations: Vec<String> = api
                .operations
                .iter()
                .map(|op| format!("{} {} {:?}", op.id, op.method, op.template))
                .collect();
            format!(
                "{} {:?} http={} https={} {:?} {} {} open={} {products:?} {backend:?} {operations:?}",
                api.id,
                api.segments,
                api.http,
                api.https,
                api.service_url,
                api.key_header,
                api.key_query,
                api.open
            )
        })
        .collect();
    Digest {
        keys,
        granted,
        published: snapshot.routes.published.iter().cloned().collect(),
        apis,
        products: snapshot
            .routes
            .products
            .iter()
            .map(|(id, product)| (id.clone(), format!("{product:?}")))
            .collect(),
        users: snapshot.users.entries(),
    }
}

/// The keys that admit calls, by the rule the gateway had before snapshots were updated in place:
/// keys of active subscriptions to published products, read from the store.
async fn granted_by_the_store(store: &dyn Store) -> BTreeSet<String> {
    let mut published = BTreeSet::new();
    for record in store.list(INSTANCE, Product::KIND, "").await.unwrap() {
        let product: Product = decode(&record).unwrap();
        if product.state == "published" {
            published.insert(record.id.to_lowercase());
        }
    }
    let mut granted = BTreeSet::new();
    for record in store.list(INSTANCE, Subscription::KIND, "").await.unwrap() {
        let subscription: Subscription = decode(&record).unwrap();
        if subscription.state == "active"
            && published.contains(&subscription.product_id.to_lowercase())
        {
            granted.insert(subscription.primary_key);
            granted.insert(subscription.secondary_key);
        }
    }
    granted
}

/// A small deterministic generator (no seeding crate needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn stored<E: Entity>(body: serde_json::Value) -> String {
    let entity = E::from_put(ApiVersion::LATEST, body.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("{} {body}: {e:?}", E::KIND));
    serde_json::to_string(&entity).unwrap()
}

async fn put(tx: &mut dyn Tx, kind: &str, parent: &str, id: &str, body: &str) {
    tx.put(Key { kind, parent, id }, body).await.unwrap();
}

fn subscription(product: &str, state: &str, primary: &str, secondary: &str) -> String {
    let created = stored::<Subscription>(serde_json::json!({
        "userId": "/users/ann", "productId": format!("/products/{product}"), "state": "active",
        "primaryKey": primary, "secondaryKey": secondary,
    }));
    // Any state, as the store may hold it (transitions are the management API's business).
    let mut body: serde_json::Value = serde_json::from_str(&created).unwrap();
    body["state"] = state.into();
    body.to_string()
}

fn product(state: &str, required: bool) -> String {
    stored::<Product>(
        serde_json::json!({"name": "P", "state": state, "subscriptionRequired": required}),
    )
}

const PRODUCTS: [&str; 4] = ["gold", "silver", "free", "draft"];
const USERS: [&str; 3] = ["ann", "Bob", "1"];
const GROUPS: [&str; 2] = ["developers", "Gold-Club"];

fn person(email: &str) -> String {
    stored::<User>(serde_json::json!({"firstName": "F", "lastName": "L", "email": email}))
}

fn team(name: &str) -> String {
    stored::<Group>(serde_json::json!({"name": name}))
}
const STATES: [&str; 3] = ["active", "active", "suspended"];

/// One write transaction's changes, chosen by `rng`, with the keys it issues numbered from
/// `serial`.
async fn random_write(tx: &mut dyn Tx, rng: &mut Lcg, serial: &mut u64) {
    let mut key = || {
        *serial += 1;
        format!("key-{serial:06}")
    };
    let sub = format!("Sub{}", rng.next(40));
    match rng.next(14) {
        // A subscription created or replaced (new keys, state, product).
        0..=2 => {
            let product = PRODUCTS[rng.next(4) as usize];
            let state = STATES[rng.next(3) as usize];
            let (primary, secondary) = (key(), key());
            put(
                tx,
                Subscription::KIND,
                "",
                &sub,
                &subscription(product, state, &primary, &secondary),
            )
            .await;
        }
        // A state or one key changed, the rest kept.
        3 | 4 => {
            if let Some(record) = tx.get(Key::top(Subscription::KIND, &sub)).await.unwrap() {
                let mut body: serde_json::Value = serde_json::from_str(&record.body).unwrap();
                match rng.next(3) {
                    0 => body["state"] = STATES[rng.next(3) as usize].into(),
                    1 => body["primaryKey"] = key().into(),
                    _ => body["secondaryKey"] = key().into(),
                }
                put(tx, Subscription::KIND, "", &sub, &body.to_string()).await;
            }
        }
        5 => {
            tx.delete(Key::top(Subscription::KIND, &sub)).await.unwrap();
        }
        // A product's state or subscription requirement changed.
        6 => {
            let id = PRODUCTS[rng.next(4) as usize];
            let state = ["published", "notPublished"][rng.next(2) as usize];
            put(tx, Product::KIND, "", id, &product(state, rng.next(3) != 0)).await;
        }
        // A product deleted with its subscriptions and links, and created again later.
        7 => {
            let id = PRODUCTS[rng.next(4) as usize];
            if rng.next(2) == 0 {
                for record in tx.list(Subscription::KIND, "").await.unwrap() {
                    let body: serde_json::Value = serde_json::from_str(&record.body).unwrap();
                    if body["productId"] == id {
                        tx.delete(Key::top(Subscription::KIND, &record.id))
                            .await
                            .unwrap();
                    }
                }
                tx.delete(Key {
                    kind: PRODUCT_API,
                    parent: &format!("products/{id}"),
                    id: "shop",
                })
                .await
                .unwrap();
                tx.delete(Key::top(Product::KIND, id)).await.unwrap();
            } else {
                put(
                    tx,
                    Product::KIND,
                    "",
                    id,
                    &product("published", id != "free"),
                )
                .await;
            }
        }
        // An API link added or removed.
        8 => {
            let parent = format!("products/{}", PRODUCTS[rng.next(4) as usize]);
            let link = Key {
                kind: PRODUCT_API,
                parent: &parent,
                id: ["shop", "Other"][rng.next(2) as usize],
            };
            if rng.next(2) == 0 {
                tx.put(link, "{}").await.unwrap();
            } else {
                tx.delete(link).await.unwrap();
            }
        }
        // A backend entity for the API's service URL, or none.
        9 => {
            if rng.next(2) == 0 {
                let backend = stored::<Backend>(serde_json::json!({
                    "url": "http://backend.example/", "protocol": "http",
                    "credentials": {"header": {"x-n": [rng.next(100).to_string()]}}}));
                put(tx, Backend::KIND, "", "be", &backend).await;
            } else {
                tx.delete(Key::top(Backend::KIND, "be")).await.unwrap();
            }
        }
        // Several subscriptions in one transaction; one takes a key another one gives up.
        10 => {
            let other = format!("Sub{}", rng.next(40));
            let given_up = tx.get(Key::top(Subscription::KIND, &other)).await.unwrap();
            if let Some(record) = given_up.filter(|_| !other.eq_ignore_ascii_case(&sub)) {
                let mut body: serde_json::Value = serde_json::from_str(&record.body).unwrap();
                let moving = body["primaryKey"].as_str().unwrap().to_owned();
                body["primaryKey"] = key().into();
                put(tx, Subscription::KIND, "", &other, &body.to_string()).await;
                let fresh = key();
                put(
                    tx,
                    Subscription::KIND,
                    "",
                    &sub,
                    &subscription("gold", "active", &moving, &fresh),
                )
                .await;
            }
            let extra = format!("Batch{}", rng.next(10));
            let (primary, secondary) = (key(), key());
            put(
                tx,
                Subscription::KIND,
                "",
                &extra,
                &subscription("silver", "active", &primary, &secondary),
            )
            .await;
        }
        // A user changed or deleted, or a group renamed.
        11 => {
            let user = USERS[rng.next(3) as usize];
            match rng.next(3) {
                0 => {
                    let email = format!("{user}{}@example.com", rng.next(100));
                    put(tx, User::KIND, "", user, &person(&email)).await;
                }
                1 => {
                    tx.delete(Key::top(User::KIND, user)).await.unwrap();
                }
                _ => {
                    let group = GROUPS[rng.next(2) as usize];
                    let name = format!("Group {}", rng.next(100));
                    put(tx, Group::KIND, "", group, &team(&name)).await;
                }
            }
        }
        // A group membership, or a product's group link, added or removed.
        12 => {
            let group = GROUPS[rng.next(2) as usize];
            let (kind, parent, id) = if rng.next(2) == 0 {
                let user = USERS[rng.next(3) as usize];
                ("groupUser", format!("groups/{group}"), user)
            } else {
                let product = PRODUCTS[rng.next(4) as usize];
                (PRODUCT_GROUP, format!("products/{product}"), group)
            };
            let key = Key {
                kind,
                parent: &parent,
                id,
            };
            if rng.next(2) == 0 {
                tx.put(key, "{}").await.unwrap();
            } else {
                tx.delete(key).await.unwrap();
            }
        }
        // A named value (policies only read it) and a kind the gateway does not use.
        _ => {
            put(
                tx,
                "property",
                "",
                "p",
                &format!(r#"{{"name":"p","value":"{}"}}"#, rng.next(1000)),
            )
            .await;
            put(tx, "userEmail", "", "ann@example.com", "ann").await;
        }
    }
}

async fn run(store: Arc<Watched>) {
    let transports = Transports::new(Sealer::new(&ServerSecret::generate()));
    let mut tx = store.begin(INSTANCE).await.unwrap();
    let api = stored::<Api>(serde_json::json!({"name": "Shop", "path": "shop",
        "serviceUrl": "http://backend.example", "protocols": ["http", "https"]}));
    put(tx.as_mut(), Api::KIND, "", "shop", &api).await;
    let other = stored::<Api>(serde_json::json!({"name": "Other", "path": "shop/other",
        "serviceUrl": "http://other.example", "protocols": ["https"]}));
    put(tx.as_mut(), Api::KIND, "", "Other", &other).await;
    let operation = stored::<Operation>(
        serde_json::json!({"name": "get", "method": "GET", "urlTemplate": "/items/{id}",
            "templateParameters": [{"name": "id", "type": "string", "required": true}]}),
    );
    put(tx.as_mut(), Operation::KIND, "apis/shop", "get", &operation).await;
    for user in USERS {
        put(
            tx.as_mut(),
            User::KIND,
            "",
            user,
            &person(&format!("{user}@example.com")),
        )
        .await;
    }
    for group in GROUPS {
        put(tx.as_mut(), Group::KIND, "", group, &team(group)).await;
        put(
            tx.as_mut(),
            "groupUser",
            &format!("groups/{group}"),
            "ann",
            "{}",
        )
        .await;
    }
    for id in PRODUCTS {
        let state = if id == "draft" {
            "notPublished"
        } else {
            "published"
        };
        put(
            tx.as_mut(),
            Product::KIND,
            "",
            id,
            &product(state, id != "free"),
        )
        .await;
        put(
            tx.as_mut(),
            PRODUCT_API,
            &format!("products/{id}"),
            "shop",
            "{}",
        )
        .await;
    }
    tx.commit().await.unwrap();

    let mut current = Snapshot::build(store.as_ref(), INSTANCE, &transports)
        .await
        .unwrap();
    let mut rng = Lcg(7);
    let mut serial = 0;
    let mut updates = 0;
    for step in 0..400 {
        let mut tx = store.begin(INSTANCE).await.unwrap();
        random_write(tx.as_mut(), &mut rng, &mut serial).await;
        tx.commit().await.unwrap();
        // Sometimes the gateway is a few revisions behind.
        if rng.next(3) == 0 {
            continue;
        }
        let updated = current
            .update(store.as_ref(), INSTANCE, &transports)
            .await
            .unwrap()
            .expect("the history is kept");
        let full = Snapshot::build(store.as_ref(), INSTANCE, &transports)
            .await
            .unwrap();
        assert_eq!(updated.revision, full.revision, "step {step}");
        let updated_digest = digest(&updated);
        assert_eq!(updated_digest, digest(&full), "step {step}");
        assert_eq!(
            updated_digest.granted,
            granted_by_the_store(store.as_ref()).await,
            "step {step}"
        );
        // The previous snapshot is untouched.
        let before = digest(&current);
        assert_eq!(before, digest(&current));
        current = updated;
        updates += 1;
    }
    assert!(updates > 200, "{updates} updates checked");
    let summary = digest(&current);
    assert!(
        summary.granted.len() > 5 && summary.keys.len() > summary.granted.len(),
        "{summary:?}"
    );

    // A snapshot claiming a revision the store has not reached is doubtful: build it whole.
    let ahead = Snapshot {
        revision: current.revision + 5,
        ..Snapshot::default()
    };
    assert!(
        ahead
            .update(store.as_ref(), INSTANCE, &transports)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_equal_full_builds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let store = tollgate_store::open(&url).await.unwrap();
    run(store.clone()).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_equal_full_builds_on_postgres() {
    let url = tollgate_store::testing::fresh_postgres_database().await;
    let store = tollgate_store::open(&url).await.unwrap();
    run(store.clone()).await;
    store.close().await;
}

/// A gateway more than `DELETIONS_KEPT` revisions behind a deletion builds its snapshot whole, and
/// serves exactly what the store holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_builds_whole_when_the_history_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let store = tollgate_store::open(&url).await.unwrap();
    let mut tx = store.begin(INSTANCE).await.unwrap();
    put(
        tx.as_mut(),
        Product::KIND,
        "",
        "gold",
        &product("published", true),
    )
    .await;
    put(
        tx.as_mut(),
        Subscription::KIND,
        "",
        "gone",
        &subscription("gold", "active", "key-gone-1", "key-gone-2"),
    )
    .await;
    put(
        tx.as_mut(),
        Subscription::KIND,
        "",
        "kept",
        &subscription("gold", "active", "key-kept-1", "key-kept-2"),
    )
    .await;
    tx.commit().await.unwrap();
    let sealer = Sealer::new(&ServerSecret::generate());
    let gateway = crate::Gateway::start(store.clone(), INSTANCE, store.subscribe(), sealer)
        .await
        .unwrap();
    let before = gateway.snapshot().await;
    assert!(before.grant("key-gone-1").is_some());

    let mut tx = store.begin(INSTANCE).await.unwrap();
    tx.delete(Key::top(Subscription::KIND, "gone"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for n in 0..tollgate_store::DELETIONS_KEPT {
        let mut tx = store.begin(INSTANCE).await.unwrap();
        put(
            tx.as_mut(),
            "property",
            "",
            "p",
            &format!(r#"{{"name":"p","value":"{n}"}}"#),
        )
        .await;
        tx.commit().await.unwrap();
    }
    // The gateway is now more than DELETIONS_KEPT revisions behind (and this deletion prunes the
    // first one, which it has not seen).
    let mut tx = store.begin(INSTANCE).await.unwrap();
    tx.delete(Key::top("property", "p")).await.unwrap();
    tx.commit().await.unwrap();
    let transports = Transports::new(Sealer::new(&ServerSecret::generate()));
    assert!(
        before
            .update(store.as_ref(), INSTANCE, &transports)
            .await
            .unwrap()
            .is_none()
    );

    let after = gateway.snapshot().await;
    assert_eq!(after.revision, store.revision(INSTANCE).await.unwrap());
    assert!(after.grant("key-gone-1").is_none() && after.grant("key-kept-2").is_some());
    let full = Snapshot::build(store.as_ref(), INSTANCE, &transports)
        .await
        .unwrap();
    assert_eq!(digest(&after), digest(&full));
    assert!(
        before.grant("key-gone-1").is_some(),
        "the old snapshot is unchanged"
    );
    gateway.finish().await;
    store.close().await;
}
