//! The policy part of a snapshot: every scope's stored document compiled once (named values
//! substituted), and each call's four scopes composed into a [`Pipeline`] the first time that
//! combination is called, then kept for the snapshot's life.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tollgate_contract::entity::Entity;
use tollgate_contract::entity::logger::{CONNECTION_STRING, HUB_NAME, Logger};
use tollgate_contract::entity::policy::{DEFAULT_GLOBAL_POLICY, KIND as POLICY_KIND, StoredPolicy};
use tollgate_contract::entity::property::Property;
use tollgate_policy::pipeline::{NamedValues, Pipeline, ScopePolicy, compile};
use tollgate_policy::{PolicyDocument, PolicyFormat, ScopeKind};
use tollgate_store::{Store, StoreError};

use crate::eventhub::Sink;

/// The kinds whose change means compiling the policies again (loggers' connection strings are
/// named values).
pub(crate) const POLICY_KINDS: [&str; 3] = [POLICY_KIND, Property::KIND, Logger::KIND];

/// A scope's compiled document, or why it cannot run (named in the calls' error answers).
type Compiled = Result<Arc<ScopePolicy>, Arc<str>>;

/// A call's composed pipeline, or why one of its scopes cannot run.
pub type Composed = Result<Arc<Pipeline>, Arc<str>>;

/// Composed pipelines by API, operation and product.
type ByApi = HashMap<String, HashMap<String, HashMap<String, Composed>>>;

/// Every scope's compiled policy.
#[derive(Debug, Default)]
pub struct Policies {
    global: Option<Compiled>,
    /// By lower-case product id.
    products: HashMap<String, Compiled>,
    /// By lower-case API id.
    apis: HashMap<String, Compiled>,
    /// By lower-case API id and operation id.
    operations: HashMap<(String, String), Compiled>,
    /// Pipelines composed so far, by API, operation and product (ids as routes hold them).
    composed: RwLock<ByApi>,
    /// The pipeline of every call when only the global scope has a policy.
    global_only: Option<Composed>,
    /// Where each logger's events go, by lower-case logger id; or why they cannot go anywhere.
    loggers: HashMap<String, Result<Arc<Sink>, Arc<str>>>,
}

/// Where a stored policy is attached, from its id (lower case).
fn scope_of(id: &str) -> Option<(ScopeKind, Vec<String>)> {
    let parts: Vec<String> = id
        .trim_start_matches('/')
        .split('/')
        .map(str::to_lowercase)
        .collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    Some(match parts[..] {
        ["policies", "policy"] => (ScopeKind::Global, vec![]),
        ["products", p, "policies", "policy"] => (ScopeKind::Product, vec![p.to_owned()]),
        ["apis", a, "policies", "policy"] => (ScopeKind::Api, vec![a.to_owned()]),
        ["apis", a, "operations", o, "policies", "policy"] => {
            (ScopeKind::Operation, vec![a.to_owned(), o.to_owned()])
        }
        _ => return None,
    })
}

fn compile_document(xml: &str, scope: ScopeKind, named: &NamedValues) -> Compiled {
    let policy = PolicyDocument::parse(xml, PolicyFormat::Xml)
        .and_then(|doc| doc.policy(scope))
        .and_then(|policy| compile(&policy, scope, named));
    policy.map(Arc::new).map_err(|e| Arc::from(e.to_string()))
}

impl Policies {
    /// Reads and compiles every stored policy.
    pub(crate) async fn build(store: &dyn Store, instance: &str) -> Result<Policies, StoreError> {
        let mut named = NamedValues::default();
        for record in store.list(instance, Property::KIND, "").await? {
            let property: Property = serde_json::from_str(&record.body)
                .map_err(|e| StoreError::Database(format!("{} does not decode: {e}", record.id)))?;
            named.insert(&property.name, &property.value);
        }
        let mut policies = Policies::default();
        for record in store.list(instance, POLICY_KIND, "").await? {
            let Some((scope, ids)) = scope_of(&record.id) else {
                continue;
            };
            let stored: StoredPolicy = serde_json::from_str(&record.body)
                .map_err(|e| StoreError::Database(format!("{} does not decode: {e}", record.id)))?;
            let compiled = compile_document(&stored.xml, scope, &named);
            let mut ids = ids.into_iter();
            let mut next = || ids.next().unwrap_or_default();
            match scope {
                ScopeKind::Global => policies.global = Some(compiled),
                ScopeKind::Product => _ = policies.products.insert(next(), compiled),
                ScopeKind::Api => _ = policies.apis.insert(next(), compiled),
                ScopeKind::Operation => {
                    let api = next();
                    policies.operations.insert((api, next()), compiled);
                }
            }
        }
        for record in store.list(instance, Logger::KIND, "").await? {
            let logger: Logger = serde_json::from_str(&record.body)
                .map_err(|e| StoreError::Database(format!("{} does not decode: {e}", record.id)))?;
            let id = record
                .id
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_lowercase();
            let sink = sink_of(&logger, &named).map(Arc::new).map_err(|why| {
                tracing::warn!(logger = %record.id, %why, "log-to-eventhub cannot send to this logger");
                Arc::from(why)
            });
            policies.loggers.insert(id, sink);
        }
        if policies.global.is_none() {
            // No global policy stored: the one every instance starts with (it forwards).
            let global = compile_document(DEFAULT_GLOBAL_POLICY, ScopeKind::Global, &named);
            policies.global = Some(global);
        }
        if policies.products.is_empty()
            && policies.apis.is_empty()
            && policies.operations.is_empty()
        {
            policies.global_only = Some(policies.compose("", "", ""));
        }
        Ok(policies)
    }

    /// Where the events of logger `id` go (`Err`: why they cannot be sent); `None` for an
    /// unknown logger.
    pub(crate) fn logger(&self, id: &str) -> Option<&Result<Arc<Sink>, Arc<str>>> {
        self.loggers.get(id)
    }

    /// The pipeline of a call: global, the subscription's product (`None` for calls without a
    /// key), the API and the operation.
    pub fn pipeline(&self, product: Option<&str>, api: &str, operation: &str) -> Composed {
        if let Some(only) = &self.global_only {
            return only.clone();
        }
        let product = product.unwrap_or_default();
        let cached = self
            .composed
            .read()
            .ok()
            .and_then(|c| c.get(api)?.get(operation)?.get(product).cloned());
        if let Some(found) = cached {
            return found;
        }
        let composed = self.compose(product, api, operation);
        if let Ok(mut cache) = self.composed.write() {
            cache
                .entry(api.to_owned())
                .or_default()
                .entry(operation.to_owned())
                .or_default()
                .insert(product.to_owned(), composed.clone());
        }
        composed
    }

    fn compose(&self, product: &str, api: &str, operation: &str) -> Composed {
        let (product, api, operation) = (
            product.to_lowercase(),
            api.to_lowercase(),
            operation.to_lowercase(),
        );
        let scopes = [
            self.global.as_ref(),
            self.products.get(&product),
            self.apis.get(&api),
            self.operations.get(&(api.clone(), operation)),
        ];
        let mut compiled: Vec<&ScopePolicy> = Vec::new();
        for scope in scopes.into_iter().flatten() {
            compiled.push(scope.as_ref().map_err(Arc::clone)?);
        }
        Ok(Arc::new(Pipeline::compose(&compiled)))
    }
}

/// A logger's sink: its hub name and connection string (a named value reference resolved).
fn sink_of(logger: &Logger, named: &NamedValues) -> Result<Sink, String> {
    let credential = |name| logger.credentials.get(name).map_or("", String::as_str);
    let connection = named.substitute(credential(CONNECTION_STRING))?;
    Sink::new(credential(HUB_NAME), &connection, logger.is_buffered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_ids_name_their_scopes() {
        assert_eq!(
            scope_of("/policies/policy"),
            Some((ScopeKind::Global, vec![]))
        );
        assert_eq!(
            scope_of("/products/Gold/policies/policy"),
            Some((ScopeKind::Product, vec!["gold".into()]))
        );
        assert_eq!(
            scope_of("/apis/echo/operations/get/policies/policy"),
            Some((ScopeKind::Operation, vec!["echo".into(), "get".into()]))
        );
        assert_eq!(scope_of("/apis/echo"), None);
    }
}
