//! The snapshot: everything the gateway needs to route and admit a call, never changed once
//! built. A new configuration revision means a new snapshot, made from the previous one and the
//! store's change feed ([`Snapshot::update`]), or read whole ([`Snapshot::build`]).
//!
//! A snapshot has four parts. The routes (APIs with their operations, products and backends) are
//! small: they are read again when a write touched any of their kinds, and shared with the
//! previous snapshot otherwise; so are the compiled policies ([`crate::policies`]) and the users
//! as policies see them ([`crate::users`]; a write to users alone replaces only those users). The
//! subscription keys are many (two per subscription): they live
//! in sharded maps ([`crate::keys`]) that successive snapshots share, and a change to a
//! subscription copies only the shards of its keys. A key is held for every active subscription,
//! whatever its product's state; whether the product is published is checked when the key is
//! used, so publishing or unpublishing a product does not touch keys.

use crate::keys::Keys;
use crate::pipeline::service_url;
use crate::policies::{POLICY_KINDS, Policies};
use crate::template::{Params, Score, Template};
use crate::transport::{Link, SealedCertificate, TransportKey, Transports, Unusable};
use crate::users::{GROUP_KINDS, Users, groups};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tollgate_contract::entity::Entity;
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::backend::Backend;
use tollgate_contract::entity::certificate::Certificate;
use tollgate_contract::entity::group::Group;
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::product::Product;
use tollgate_contract::entity::subscription::Subscription;
use tollgate_contract::entity::user::User;
use tollgate_contract::url_template::UrlTemplate;
use tollgate_policy::csharp;
use tollgate_store::{Changes, Record, Store, StoreError, fold};

/// The store kind of product → API links.
const PRODUCT_API: &str = "productApi";

/// The store kind of product → group links.
const PRODUCT_GROUP: &str = "productGroup";

/// The kinds the routes are made of: a change to any of them reads the routes again.
const ROUTING_KINDS: [&str; 8] = [
    Api::KIND,
    Operation::KIND,
    Product::KIND,
    PRODUCT_API,
    PRODUCT_GROUP,
    Group::KIND,
    Backend::KIND,
    Certificate::KIND,
];

/// An immutable view of one instance's configuration at one revision.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The configuration revision it was built from: every change up to it is in, and possibly
    /// some later ones (rows read after it), which the next update applies again.
    pub revision: u64,
    /// APIs and products; shared by the snapshots between two changes of routing kinds.
    routes: Arc<Routes>,
    /// Keys of active subscriptions (primary and secondary).
    keys: Keys,
    /// Compiled policies; shared by the snapshots between two changes of policies or named
    /// values.
    policies: Arc<Policies>,
    /// Users as policies see them; shared by the snapshots between two changes of users,
    /// groups or memberships.
    users: Arc<Users>,
}

/// What routing needs: small, read whole when any of [`ROUTING_KINDS`] changes.
#[derive(Debug, Default)]
struct Routes {
    /// APIs, longest path first.
    apis: Vec<ApiRoute>,
    /// Published products (lower-case ids): only their subscriptions' keys are valid.
    published: HashSet<String>,
    /// The published products as `context.Product` shows them (with their groups and APIs), by
    /// lower-case id.
    products: HashMap<String, Arc<csharp::Product>>,
    /// Backend entities by id (lower case), for `set-backend-service backend-id`.
    backend_ids: HashMap<String, Arc<BackendRoute>>,
    /// Backend entities by URL ([`url_key`]).
    backend_urls: HashMap<String, Arc<BackendRoute>>,
    /// Uploaded certificates by thumbprint (upper case), for `authentication-certificate`.
    certificates: HashMap<String, SealedCertificate>,
    /// Certificate ids (lower case) → their thumbprints.
    certificate_ids: HashMap<String, String>,
}

/// What a subscription key grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The subscription's id.
    pub subscription_id: String,
    /// The product's id (lower case).
    pub product_id: String,
    /// The user's id.
    pub user_id: String,
    /// What policies read of the subscription (`context.Subscription`).
    pub facts: Arc<SubscriptionFacts>,
}

/// A subscription as `context.Subscription` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubscriptionFacts {
    /// Display name.
    pub name: String,
    /// Created (RFC 3339).
    pub created_date: String,
    /// Started (RFC 3339).
    pub start_date: Option<String>,
    /// Ended or expires (RFC 3339).
    pub end_date: Option<String>,
    /// Primary key.
    pub primary_key: String,
    /// Secondary key.
    pub secondary_key: String,
}

impl SubscriptionFacts {
    /// Where `quota` periods start: the subscription's start (else its creation), in seconds
    /// since the Unix epoch.
    pub fn period_origin(&self) -> i64 {
        [self.start_date.as_deref(), Some(self.created_date.as_str())]
            .into_iter()
            .flatten()
            .find_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or(tollgate_policy::pipeline::DEFAULT_FIRST_PERIOD_START, |t| {
                t.timestamp()
            })
    }
}

/// An API, ready for routing.
#[derive(Debug)]
pub struct ApiRoute {
    /// The API's id.
    pub id: String,
    /// The API's name (display name).
    pub name: String,
    /// The API's path (URL suffix), as written.
    pub path: String,
    /// Path segments, lower case.
    segments: Vec<String>,
    /// Whether plain `http` calls are accepted.
    pub http: bool,
    /// Whether `https` calls are accepted.
    pub https: bool,
    /// Where calls go (`serviceUrl`).
    pub service_url: Option<String>,
    /// The subscription key header.
    pub key_header: String,
    /// The subscription key query parameter.
    pub key_query: String,
    /// Whether a published product without subscriptions contains it (callable without a key).
    pub open: bool,
    /// Published products with subscriptions that contain it (lower-case ids).
    pub products: HashSet<String>,
    /// The backend entity whose `url` is the API's `serviceUrl`, if any.
    pub backend: Option<Arc<BackendRoute>>,
    operations: Vec<OperationRoute>,
}

impl ApiRoute {
    /// The API as `IApi` shows it among a product's APIs.
    fn shown(&self) -> csharp::Api {
        let protocols = [("http", self.http), ("https", self.https)];
        csharp::Api {
            id: self.id.clone(),
            name: self.name.clone(),
            path: self.path.clone(),
            service_url: service_url(self.service_url.as_deref()),
            protocols: protocols
                .iter()
                .filter(|(_, on)| *on)
                .map(|(p, _)| (*p).to_owned())
                .collect(),
            key_header: self.key_header.clone(),
            key_query: self.key_query.clone(),
            is_current_revision: true,
            ..csharp::Api::default()
        }
    }
}

/// What a backend entity adds to the calls it receives, and how they reach it.
#[derive(Debug)]
pub struct BackendRoute {
    /// Headers to add (`credentials.header`).
    pub headers: Vec<(String, String)>,
    /// Query parameters to add, already URL-encoded (`credentials.query`).
    pub query: String,
    /// The `Authorization` header (`credentials.authorization`: scheme and parameter).
    pub authorization: Option<String>,
    /// The pooled client for its TLS switches (`tls.validateCertificateChain` and
    /// `validateCertificateName`), client certificate (`credentials.certificate`) and `proxy`;
    /// or why its calls cannot be made.
    pub link: Result<Link, Unusable>,
    /// Its `url` (the base URL of `set-backend-service backend-id`).
    pub url: String,
    /// Its TLS switches and proxy, without its client certificate (a policy's
    /// `authentication-certificate` adds one).
    pub transport: TransportKey,
}

impl BackendRoute {
    fn of(backend: &Backend, link: Result<Link, Unusable>) -> BackendRoute {
        let credentials = backend.credentials.as_ref();
        let pairs = |map: Option<&std::collections::BTreeMap<String, Vec<String>>>| {
            map.into_iter()
                .flatten()
                .flat_map(|(name, values)| values.iter().map(move |v| (name.clone(), v.clone())))
                .collect::<Vec<_>>()
        };
        let query = serde_urlencoded::to_string(pairs(credentials.and_then(|c| c.query.as_ref())))
            .unwrap_or_default();
        BackendRoute {
            headers: pairs(credentials.and_then(|c| c.header.as_ref())),
            query,
            authorization: credentials
                .and_then(|c| c.authorization.as_ref())
                .and_then(|a| {
                    Some(format!(
                        "{} {}",
                        a.scheme.as_deref()?,
                        a.parameter.as_deref()?
                    ))
                }),
            link,
            url: backend.url.clone(),
            transport: TransportKey::of_backend(backend),
        }
    }
}

/// An operation's documented response, as `mock-response` answers it.
#[derive(Debug)]
pub struct ResponseSample {
    /// Its status code.
    pub status: i64,
    /// Its representations: content type and sample body, if any.
    pub representations: Vec<(String, Option<String>)>,
}

impl ResponseSample {
    /// The documented responses of an operation that have a status code.
    fn of(operation: &Operation) -> Vec<ResponseSample> {
        operation
            .responses
            .iter()
            .filter_map(|r| {
                Some(ResponseSample {
                    status: r.status_code?,
                    representations: r
                        .representations
                        .iter()
                        .filter_map(|p| Some((p.content_type.clone()?, p.sample.clone())))
                        .collect(),
                })
            })
            .collect()
    }
}

/// A URL as backends and APIs are matched: lower case, without a trailing slash.
fn url_key(url: &str) -> String {
    url.trim_end_matches('/').to_lowercase()
}

/// An operation, ready for matching.
#[derive(Debug)]
struct OperationRoute {
    id: String,
    name: String,
    method: String,
    url_template: String,
    template: Template,
    /// Its documented responses (for `mock-response`).
    responses: Vec<ResponseSample>,
}

/// A routed call: the API, and the operation with its parameters.
#[derive(Debug)]
pub struct Route<'a> {
    /// The API.
    pub api: &'a ApiRoute,
    /// The operation's id.
    pub operation_id: &'a str,
    /// Template parameter values.
    pub params: Params,
    /// The path below the API's path (with a leading `/`, or empty), as the caller wrote it.
    pub rest: &'a str,
}

/// What [`Snapshot::describe`] tells of an API and an operation.
#[derive(Debug, Clone, Copy)]
pub struct Described<'a> {
    /// The API's name.
    pub api_name: &'a str,
    /// The API's path, as written.
    pub api_path: &'a str,
    /// The operation's name.
    pub operation_name: &'a str,
    /// The operation's URL template, as written.
    pub url_template: &'a str,
}

/// Why a call has no route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRoute {
    /// No API path, protocol, operation or method matches.
    NotFound,
}

/// The fields of a stored subscription the gateway uses (the others are skipped when decoding:
/// at 75,000 subscriptions, decoding dominates a rebuild).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyedSubscription {
    user_id: String,
    product_id: String,
    state: String,
    primary_key: String,
    secondary_key: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    created_date: String,
    #[serde(default)]
    start_date: Option<String>,
    #[serde(default)]
    expiration_date: Option<String>,
    #[serde(default)]
    end_date: Option<String>,
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(record: &Record) -> Result<T, StoreError> {
    serde_json::from_str(&record.body)
        .map_err(|e| StoreError::Database(format!("{} does not decode: {e}", record.id)))
}

/// Lower-case, non-empty path segments.
fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A subscription's keys and grant, if it is active (`None` otherwise).
fn keyed(record: &Record) -> Result<Option<(Grant, String, String)>, StoreError> {
    let subscription: KeyedSubscription = decode(record)?;
    if subscription.state != "active" {
        return Ok(None);
    }
    let facts = SubscriptionFacts {
        name: subscription.name.unwrap_or_default(),
        created_date: subscription.created_date,
        start_date: subscription.start_date,
        end_date: subscription.end_date.or(subscription.expiration_date),
        primary_key: subscription.primary_key.clone(),
        secondary_key: subscription.secondary_key.clone(),
    };
    let grant = Grant {
        subscription_id: record.id.clone(),
        product_id: subscription.product_id.to_lowercase(),
        user_id: subscription.user_id,
        facts: Arc::new(facts),
    };
    Ok(Some((
        grant,
        subscription.primary_key,
        subscription.secondary_key,
    )))
}

impl Snapshot {
    /// Reads the instance's whole configuration. The revision is read first, so the snapshot is
    /// at least as new as the revision it carries. Backend entities get their clients from
    /// `transports`, which then drops the clients no backend uses any more.
    pub(crate) async fn build(
        store: &dyn Store,
        instance: &str,
        transports: &Transports,
    ) -> Result<Snapshot, StoreError> {
        let revision = store.revision(instance).await?;
        let routes = Routes::build(store, instance, transports).await?;
        let policies = Policies::build(store, instance).await?;
        let users = Users::build(store, instance).await?;
        let mut keys = Keys::default();
        for record in store.list(instance, Subscription::KIND, "").await? {
            if let Some((grant, primary, secondary)) = keyed(&record)? {
                keys.add(&fold(&record.id), grant, &primary, &secondary);
            }
        }
        Ok(Snapshot {
            revision,
            routes: Arc::new(routes),
            keys,
            policies: Arc::new(policies),
            users: Arc::new(users),
        })
    }

    /// This snapshot with what the store changed since its revision: the routes, policies and
    /// users read again if one of their kinds changed (shared otherwise), and the changed subscriptions' keys replaced, in
    /// copies of the shards they touch. `None` when the store no longer has the history since this
    /// snapshot's revision: build a new one then.
    pub(crate) async fn update(
        &self,
        store: &dyn Store,
        instance: &str,
        transports: &Transports,
    ) -> Result<Option<Snapshot>, StoreError> {
        let Some(changes) = store.changes(instance, self.revision).await? else {
            return Ok(None);
        };
        let changed = |kinds: &[&str]| {
            changes
                .written
                .iter()
                .map(|w| w.kind.as_str())
                .chain(changes.deleted.iter().map(|d| d.kind.as_str()))
                .any(|kind| kinds.contains(&kind))
        };
        let routes = if changed(&ROUTING_KINDS) {
            Arc::new(Routes::build(store, instance, transports).await?)
        } else {
            self.routes.clone()
        };
        let policies = if changed(&POLICY_KINDS) {
            Arc::new(Policies::build(store, instance).await?)
        } else {
            self.policies.clone()
        };
        let users = if changed(&GROUP_KINDS) {
            Arc::new(Users::build(store, instance).await?)
        } else if changed(&[User::KIND]) {
            Arc::new(self.users.with_changes(store, instance, &changes).await?)
        } else {
            self.users.clone()
        };
        let mut keys = self.keys.clone();
        apply_subscriptions(&mut keys, &changes)?;
        Ok(Some(Snapshot {
            revision: changes.revision,
            routes,
            keys,
            policies,
            users,
        }))
    }

    /// The compiled policies.
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// How many subscription keys it holds (of active subscriptions, published products or not).
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }
}

/// Replaces the keys of the subscriptions `changes` wrote or deleted: first every old key of
/// theirs goes, then the active ones' keys come (so a key that moved between two of them ends up
/// with its new owner, in whichever order they come).
fn apply_subscriptions(keys: &mut Keys, changes: &Changes) -> Result<(), StoreError> {
    let is_subscription =
        |kind: &str, parent: &str| kind == Subscription::KIND && parent.is_empty();
    for deleted in &changes.deleted {
        if is_subscription(&deleted.kind, &deleted.parent) {
            keys.remove(&deleted.id_key);
        }
    }
    let mut active = Vec::new();
    for written in &changes.written {
        if is_subscription(&written.kind, &written.parent) {
            keys.remove(&written.id_key);
            if let Some(found) = keyed(&written.record)? {
                active.push((&written.id_key, found));
            }
        }
    }
    for (id_key, (grant, primary, secondary)) in active {
        keys.add(id_key, grant, &primary, &secondary);
    }
    Ok(())
}

impl Routes {
    /// Reads the routing kinds whole.
    async fn build(
        store: &dyn Store,
        instance: &str,
        transports: &Transports,
    ) -> Result<Routes, StoreError> {
        let groups: HashMap<String, csharp::Group> =
            groups(store, instance).await?.into_iter().collect();
        // Published products (lower-case ids) as policies see them, without their APIs yet, and
        // the (lower-case) ids of their APIs.
        let mut products = HashMap::new();
        // API id (lower case) → published products that contain it.
        let mut api_products: HashMap<String, Vec<(String, bool)>> = HashMap::new();
        for record in store.list(instance, Product::KIND, "").await? {
            let product: Product = decode(&record)?;
            if product.state != "published" {
                continue;
            }
            let product_id = record.id.to_lowercase();
            let parent = format!("products/{product_id}");
            let mut api_ids = Vec::new();
            for link in store.list(instance, PRODUCT_API, &parent).await? {
                let api_id = link.id.to_lowercase();
                api_products
                    .entry(api_id.clone())
                    .or_default()
                    .push((product_id.clone(), product.subscription_required));
                api_ids.push(api_id);
            }
            let linked_groups = store.list(instance, PRODUCT_GROUP, &parent).await?;
            let shown = csharp::Product {
                id: record.id,
                name: product.name,
                state: "Published".to_owned(),
                approval_required: product.approval_required,
                subscription_required: product.subscription_required,
                subscription_limit: product
                    .subscriptions_limit
                    .and_then(|l| i32::try_from(l).ok()),
                groups: linked_groups
                    .iter()
                    .filter_map(|link| groups.get(&fold(&link.id)).cloned())
                    .collect(),
                apis: Vec::new(),
            };
            products.insert(product_id, (shown, api_ids));
        }
        let mut certificates = HashMap::new();
        let mut certificate_ids = HashMap::new();
        for record in store.list(instance, Certificate::KIND, "").await? {
            let certificate: Certificate = decode(&record)?;
            let thumbprint = certificate.thumbprint.to_ascii_uppercase();
            certificate_ids.insert(record.id.to_lowercase(), thumbprint.clone());
            let sealed = SealedCertificate {
                id: record.id,
                key_material: certificate.key_material,
            };
            certificates.insert(thumbprint, sealed);
        }
        let mut backends = HashMap::new();
        let mut backend_ids = HashMap::new();
        let mut used = HashSet::new();
        for record in store.list(instance, Backend::KIND, "").await? {
            let backend: Backend = decode(&record)?;
            let link = transports.link(&record.id, &backend, &certificates, &mut used);
            let route = Arc::new(BackendRoute::of(&backend, link));
            backends.insert(url_key(&backend.url), route.clone());
            backend_ids.insert(record.id.to_lowercase(), route);
        }
        let mut apis = Vec::new();
        for record in store.list(instance, Api::KIND, "").await? {
            let api: Api = decode(&record)?;
            let linked = api_products
                .get(&record.id.to_lowercase())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let parent = format!("apis/{}", record.id);
            let mut operations = Vec::new();
            for op in store.list(instance, Operation::KIND, &parent).await? {
                let operation: Operation = decode(&op)?;
                let Ok(template) = UrlTemplate::parse(&operation.url_template) else {
                    tracing::warn!(api = %record.id, operation = %op.id, "skipping an operation whose template no longer parses");
                    continue;
                };
                operations.push(OperationRoute {
                    id: op.id,
                    name: operation.name.clone(),
                    url_template: operation.url_template.clone(),
                    method: operation.method.to_uppercase(),
                    template: Template::compile(&template),
                    responses: ResponseSample::of(&operation),
                });
            }
            let protocols: Vec<String> = api.protocols.iter().map(|p| p.to_lowercase()).collect();
            apis.push(ApiRoute {
                name: api.name.clone(),
                path: api.path.clone(),
                segments: segments(&api.path),
                http: protocols.iter().any(|p| p == "http"),
                https: protocols.iter().any(|p| p == "https"),
                backend: api
                    .service_url
                    .as_deref()
                    .and_then(|url| backends.get(&url_key(url)).cloned()),
                service_url: api.service_url.clone(),
                key_header: api.subscription_key_parameter_names.header.clone(),
                key_query: api.subscription_key_parameter_names.query.clone(),
                open: linked.iter().any(|(_, required)| !required),
                products: linked
                    .iter()
                    .filter(|(_, required)| *required)
                    .map(|(id, _)| id.clone())
                    .collect(),
                operations,
                id: record.id,
            });
        }
        apis.sort_by_key(|api| std::cmp::Reverse(api.segments.len()));
        let shown_apis: HashMap<String, csharp::Api> = apis
            .iter()
            .map(|api| (api.id.to_lowercase(), api.shown()))
            .collect();
        let products = products
            .into_iter()
            .map(|(id, (mut product, api_ids))| {
                product.apis = api_ids
                    .iter()
                    .filter_map(|api_id| shown_apis.get(api_id).cloned())
                    .collect();
                (id, Arc::new(product))
            })
            .collect::<HashMap<_, _>>();
        // Only now that every read succeeded: a failed build keeps the cache as it was.
        transports.keep_only(&used);
        Ok(Routes {
            apis,
            published: products.keys().cloned().collect(),
            products,
            backend_ids,
            backend_urls: backends,
            certificates,
            certificate_ids,
        })
    }
}

impl Snapshot {
    /// The backend entity `id` (compared ignoring case).
    pub fn backend(&self, id: &str) -> Option<&Arc<BackendRoute>> {
        self.routes.backend_ids.get(&id.to_lowercase())
    }

    /// The backend entity whose `url` is `url` (ignoring case and a trailing `/`).
    pub fn backend_at(&self, url: &str) -> Option<&Arc<BackendRoute>> {
        self.routes.backend_urls.get(&url_key(url))
    }

    /// An uploaded certificate by thumbprint (ignoring case): its upper-case thumbprint too.
    pub fn certificate(&self, thumbprint: &str) -> Option<(String, &SealedCertificate)> {
        let thumbprint = thumbprint.trim().to_ascii_uppercase();
        let sealed = self.routes.certificates.get(&thumbprint)?;
        Some((thumbprint, sealed))
    }

    /// An uploaded certificate by id (ignoring case), with its thumbprint.
    pub fn certificate_by_id(&self, id: &str) -> Option<(String, &SealedCertificate)> {
        let thumbprint = self.routes.certificate_ids.get(&id.trim().to_lowercase())?;
        self.certificate(thumbprint)
    }

    /// The documented responses of an operation (none when the operation is unknown).
    pub fn operation_responses(&self, api_id: &str, operation_id: &str) -> &[ResponseSample] {
        self.routes
            .apis
            .iter()
            .find(|api| api.id.eq_ignore_ascii_case(api_id))
            .and_then(|api| {
                api.operations
                    .iter()
                    .find(|op| op.id.eq_ignore_ascii_case(operation_id))
            })
            .map_or(&[], |op| &op.responses)
    }

    /// The names an API and one of its operations show to policies (`context.Api`,
    /// `context.Operation`): API name and path, operation name and URL template. Read on the
    /// policy path only, so that admitting a call copies none of them.
    pub fn describe(&self, api_id: &str, operation_id: &str) -> Option<Described<'_>> {
        let api = self.routes.apis.iter().find(|a| a.id == api_id)?;
        let op = api.operations.iter().find(|o| o.id == operation_id)?;
        Some(Described {
            api_name: &api.name,
            api_path: &api.path,
            operation_name: &op.name,
            url_template: &op.url_template,
        })
    }

    /// A published product as `context.Product` shows it.
    pub fn product(&self, id: &str) -> Option<&Arc<csharp::Product>> {
        self.routes.products.get(&id.to_lowercase())
    }

    /// A user as `context.User` shows them.
    pub fn user(&self, id: &str) -> Option<&Arc<csharp::User>> {
        self.users.get(id)
    }

    /// What a subscription key grants, if it is a key of an active subscription to a published
    /// product.
    pub fn grant(&self, key: &str) -> Option<&Grant> {
        self.keys
            .get(key)
            .filter(|grant| self.routes.published.contains(&grant.product_id))
    }

    /// Routes a call: the API with the longest path that prefixes `path` on a segment boundary and
    /// accepts the scheme, then the most specific operation for the method.
    pub fn route<'a>(
        &'a self,
        https: bool,
        method: &str,
        path: &'a str,
        query: &[(String, String)],
    ) -> Result<Route<'a>, NoRoute> {
        let wanted = segments(path);
        for api in &self.routes.apis {
            if wanted.len() < api.segments.len() || wanted[..api.segments.len()] != api.segments[..]
            {
                continue;
            }
            // The API with the longest matching path owns the call: a scheme it does not accept,
            // or no matching operation, is a 404 (a shorter API does not take over).
            if !(if https { api.https } else { api.http }) {
                return Err(NoRoute::NotFound);
            }
            let rest = rest_of(path, api.segments.len());
            let best: Option<(Score, &OperationRoute, Params)> = api
                .operations
                .iter()
                .filter(|op| op.method.eq_ignore_ascii_case(method))
                .filter_map(|op| op.template.matches(rest, query).map(|(s, p)| (s, op, p)))
                .fold(None, |best, (score, op, params)| match best {
                    Some((top, _, _)) if top >= score => best,
                    _ => Some((score, op, params)),
                });
            if let Some((_, op, params)) = best {
                return Ok(Route {
                    api,
                    operation_id: &op.id,
                    params,
                    rest,
                });
            }
            return Err(NoRoute::NotFound);
        }
        Err(NoRoute::NotFound)
    }
}

/// The part of `path` after its first `count` non-empty segments, from the `/` before the next.
fn rest_of(path: &str, count: usize) -> &str {
    let mut seen = 0;
    let mut in_segment = false;
    for (i, c) in path.char_indices() {
        if c == '/' {
            if in_segment {
                seen += 1;
                in_segment = false;
            }
            if seen == count {
                return &path[i..];
            }
        } else {
            in_segment = true;
        }
    }
    if in_segment {
        seen += 1;
    }
    if seen == count { "" } else { path }
}

#[cfg(test)]
mod equivalence;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lean_decoding_reads_stored_subscriptions() {
        let body = br#"{"userId": "/users/ann", "productId": "/products/gold", "state": "active",
            "primaryKey": "k1-0123456789", "secondaryKey": "k2-0123456789", "name": "n"}"#;
        let stored = Subscription::from_put(tollgate_contract::ApiVersion::LATEST, body).unwrap();
        let record = Record {
            id: "s".into(),
            revision: 1,
            body: serde_json::to_string(&stored).unwrap(),
        };
        let keyed: KeyedSubscription = decode(&record).unwrap();
        assert_eq!(
            (
                keyed.user_id,
                keyed.product_id,
                keyed.state,
                keyed.primary_key,
                keyed.secondary_key
            ),
            (
                stored.user_id,
                stored.product_id,
                stored.state,
                stored.primary_key,
                stored.secondary_key
            )
        );
    }

    #[test]
    fn rest_starts_after_the_api_path() {
        assert_eq!(rest_of("/echo/resource", 1), "/resource");
        assert_eq!(rest_of("/echo", 1), "");
        assert_eq!(rest_of("/echo/", 1), "/");
        assert_eq!(rest_of("/a/b/c", 2), "/c");
        assert_eq!(rest_of("/a/b/c", 0), "/a/b/c");
    }
}
