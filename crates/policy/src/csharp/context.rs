//! The data behind the `context` variable, filled by the gateway for each call.

use std::collections::HashMap;
use std::sync::Arc;

use super::value::{Dict, Value};

/// Names and values, in order; several values per name (headers, query parameters).
pub type Multi = Vec<(String, Vec<String>)>;

/// Headers, held as the dictionary expressions read (built once, when the headers are set,
/// so that `context.Request.Headers` costs a reference count, not a copy).
#[derive(Debug, Clone, Default)]
pub struct Headers(Arc<Dict>);

impl Headers {
    /// The dictionary (names compare case-insensitively; values are `string[]`).
    pub fn dict(&self) -> &Arc<Dict> {
        &self.0
    }

    /// The values of a header (none when absent).
    pub fn get(&self, name: &str) -> Vec<String> {
        match self.0.get(name) {
            Some(Value::Array(values)) => values.iter().map(Value::to_policy_string).collect(),
            _ => Vec::new(),
        }
    }

    /// Headers from names, each once, with their values (an HTTP header map's shape), built
    /// without intermediate copies.
    pub fn from_names<'a>(
        names: impl Iterator<Item = (&'a str, Vec<std::borrow::Cow<'a, str>>)>,
    ) -> Headers {
        let entries = names
            .map(|(name, values)| {
                let values = values.iter().map(|v| Value::from(&**v)).collect();
                (Arc::from(name), Value::Array(values))
            })
            .collect();
        Headers(Arc::new(Dict {
            entries,
            ignore_case: true,
        }))
    }

    /// Calls `f` with every header name and value, in order, without copying them.
    pub fn each(&self, mut f: impl FnMut(&str, &str)) {
        for (name, values) in &self.0.entries {
            match values {
                Value::Array(vs) => {
                    for v in vs.iter() {
                        match v {
                            Value::Str(text) => f(name, text),
                            other => f(name, &other.to_policy_string()),
                        }
                    }
                }
                Value::Str(text) => f(name, text),
                other => f(name, &other.to_policy_string()),
            }
        }
    }

    /// Every header and its values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Vec<String>)> {
        self.0.entries.iter().map(|(name, values)| {
            let values = match values {
                Value::Array(vs) => vs.iter().map(Value::to_policy_string).collect(),
                other => vec![other.to_policy_string()],
            };
            (&**name, values)
        })
    }

    /// Replaces a header's values (keeping its place when it exists).
    pub fn set(&mut self, name: &str, values: Vec<String>) {
        let values = Value::Array(values.iter().map(|v| Value::from(v.as_str())).collect());
        let dict = Arc::make_mut(&mut self.0);
        match dict
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            Some(entry) => entry.1 = values,
            None => dict.entries.push((Arc::from(name), values)),
        }
    }

    /// Adds values to a header.
    pub fn append(&mut self, name: &str, values: Vec<String>) {
        let mut all = self.get(name);
        all.extend(values);
        self.set(name, all);
    }

    /// Removes a header.
    pub fn remove(&mut self, name: &str) {
        Arc::make_mut(&mut self.0)
            .entries
            .retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }
}

impl From<Multi> for Headers {
    fn from(m: Multi) -> Headers {
        Headers(Arc::new(multi_dict(&m)))
    }
}

/// A case-insensitive dictionary of `string[]` from names and values.
pub(crate) fn multi_dict(m: &Multi) -> Dict {
    Dict {
        entries: m
            .iter()
            .map(|(k, vs)| {
                (
                    Arc::from(k.as_str()),
                    Value::Array(vs.iter().map(|v| Value::from(v.as_str())).collect()),
                )
            })
            .collect(),
        ignore_case: true,
    }
}

/// `IUrl`.
#[derive(Debug, Clone, Default)]
pub struct Url {
    /// `http` or `https`.
    pub scheme: String,
    /// Host name.
    pub host: String,
    /// Port.
    pub port: i32,
    /// Path, starting with `/`.
    pub path: String,
    /// Query parameters.
    pub query: Multi,
}

/// `IRequest`.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// HTTP method.
    pub method: String,
    /// The URL (after any rewrite).
    pub url: Url,
    /// The URL as received.
    pub original_url: Url,
    /// Headers (names compared case-insensitively).
    pub headers: Headers,
    /// The client's IP address.
    pub ip_address: String,
    /// Template parameters matched by the operation.
    pub matched_parameters: Vec<(String, String)>,
    /// The body as text, if any.
    pub body: Option<Arc<str>>,
}

/// `IResponse`.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// Status code.
    pub status_code: i32,
    /// Reason phrase.
    pub status_reason: String,
    /// Headers.
    pub headers: Headers,
    /// The body as text, if any.
    pub body: Option<Arc<str>>,
}

/// `ISubscription`.
#[derive(Debug, Clone, Default)]
pub struct Subscription {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The key used on this call.
    pub key: String,
    /// Primary key.
    pub primary_key: String,
    /// Secondary key.
    pub secondary_key: String,
    /// Created, in .NET ticks.
    pub created_date: i64,
    /// Start, in ticks.
    pub start_date: Option<i64>,
    /// End, in ticks.
    pub end_date: Option<i64>,
}

/// `IGroup`.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
}

/// `IUserIdentity`.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// Provider.
    pub provider: String,
    /// Identifier at the provider.
    pub id: String,
}

/// `IUser`.
#[derive(Debug, Clone, Default)]
pub struct User {
    /// Identifier.
    pub id: String,
    /// E-mail.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Note.
    pub note: String,
    /// Registered, in ticks.
    pub registration_date: i64,
    /// Groups.
    pub groups: Vec<Group>,
    /// Identities.
    pub identities: Vec<Identity>,
}

/// `IProduct`.
#[derive(Debug, Clone, Default)]
pub struct Product {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// `Published` or `NotPublished`.
    pub state: String,
    /// Whether subscriptions need approval.
    pub approval_required: bool,
    /// Whether a subscription is required.
    pub subscription_required: bool,
    /// Subscriptions a user may have, if limited.
    pub subscription_limit: Option<i32>,
    /// Groups.
    pub groups: Vec<Group>,
    /// APIs.
    pub apis: Vec<Api>,
}

/// `IApi`.
#[derive(Debug, Clone, Default)]
pub struct Api {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// Path suffix.
    pub path: String,
    /// Backend URL.
    pub service_url: Url,
    /// `http`/`https`.
    pub protocols: Vec<String>,
    /// Header carrying the subscription key.
    pub key_header: String,
    /// Query parameter carrying the subscription key.
    pub key_query: String,
    /// Revision.
    pub revision: String,
    /// Whether this is the current revision.
    pub is_current_revision: bool,
    /// Version.
    pub version: String,
}

/// `IOperation`.
#[derive(Debug, Clone, Default)]
pub struct Operation {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// HTTP method.
    pub method: String,
    /// URL template.
    pub url_template: String,
}

/// `IDeployment`.
#[derive(Debug, Clone, Default)]
pub struct Deployment {
    /// Region.
    pub region: String,
    /// Service name.
    pub service_name: String,
    /// Gateway id.
    pub gateway_id: String,
}

/// `ILastError`.
#[derive(Debug, Clone, Default)]
pub struct LastError {
    /// Source (the policy element).
    pub source: String,
    /// Reason.
    pub reason: String,
    /// Message.
    pub message: String,
    /// Scope.
    pub scope: String,
    /// Section.
    pub section: String,
    /// Path within the policy.
    pub path: String,
    /// Policy id.
    pub policy_id: String,
}

/// The data of the `context` variable for one call. Absent parts are `None`, which
/// expressions see as `null`.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The request.
    pub request: Request,
    /// The response (outbound and on-error).
    pub response: Option<Response>,
    /// The subscription, if the call used a key.
    pub subscription: Option<Subscription>,
    /// The user of the subscription (shared: the gateway's snapshot holds one per user).
    pub user: Option<Arc<User>>,
    /// The product of the subscription (shared: one per product in the snapshot).
    pub product: Option<Arc<Product>>,
    /// The API.
    pub api: Api,
    /// The operation.
    pub operation: Operation,
    /// The deployment.
    pub deployment: Deployment,
    /// The last error (on-error).
    pub last_error: Option<LastError>,
    /// Variables set by `set-variable`.
    pub variables: HashMap<String, Value>,
    /// The request id.
    pub request_id: u128,
    /// When the request arrived, in ticks.
    pub timestamp: i64,
    /// Time elapsed since then, in ticks.
    pub elapsed: i64,
    /// Whether tracing is on.
    pub tracing: bool,
    /// The current time, in ticks (`DateTime.UtcNow`); the gateway sets it per call, tests fix it.
    pub now: i64,
}
