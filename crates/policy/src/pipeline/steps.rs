//! What each policy statement does, with its parameters read and checked.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::Step;
use super::browser::Cors;
use super::send::SendRequest;
use super::text::Text;
use super::transform::{JsonToXml, LiquidBody, XmlToJson};

/// `exists-action` of `set-header` and `set-query-parameter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistsAction {
    /// Replace the values (the default).
    Override,
    /// Leave an existing header alone.
    Skip,
    /// Add the values to the existing ones.
    Append,
    /// Remove it.
    Delete,
}

/// An address or range of `ip-filter` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    /// First address.
    pub from: IpAddr,
    /// Last address.
    pub to: IpAddr,
}

impl IpRange {
    /// Whether an address lies in the range (addresses of the other family never do).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.from, self.to, ip) {
            (IpAddr::V4(a), IpAddr::V4(b), IpAddr::V4(x)) => a <= x && x <= b,
            (IpAddr::V6(a), IpAddr::V6(b), IpAddr::V6(x)) => a <= x && x <= b,
            _ => false,
        }
    }
}

/// A number of calls per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Calls allowed.
    pub calls: u64,
    /// The period.
    pub period: Duration,
}

/// A quota: calls and/or kilobytes (at least one) per renewal period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaLimit {
    /// Calls allowed.
    pub calls: Option<u64>,
    /// Kilobytes allowed (requests and responses, headers left out).
    pub kilobytes: Option<u64>,
    /// The renewal period; `None` for a quota that never renews (`renewal-period="0"`).
    pub period: Option<Duration>,
}

/// A limit for one API or operation (`<api name="…" id="…">`, `<operation …>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedLimit<L = Limit> {
    /// `name` (compared with the API's or operation's name), if given.
    pub name: Option<String>,
    /// `id`, if given.
    pub id: Option<String>,
    /// The limit.
    pub limit: L,
    /// Nested `<operation>` limits (of an `<api>`).
    pub operations: Vec<ScopedLimit<L>>,
}

/// `emit-metric`'s parameters.
#[derive(Debug)]
pub struct EmitMetric {
    /// `name`.
    pub name: String,
    /// `namespace` (default `API Management`).
    pub namespace: String,
    /// `value` (default 1).
    pub value: Option<Text>,
    /// `<dimension>`s: name, and value (absent: one of the default dimensions, filled from the
    /// call).
    pub dimensions: Vec<(String, Option<Text>)>,
}

/// The dimensions `emit-metric` fills from the call when no value is given.
pub const DEFAULT_DIMENSIONS: [&str; 7] = [
    "API ID",
    "Operation ID",
    "Product ID",
    "User ID",
    "Subscription ID",
    "Location",
    "Gateway ID",
];

/// A statement's behaviour and parameters.
#[derive(Debug)]
pub enum StepKind {
    /// `set-header`: on the request (inbound, backend) or the response (outbound, on-error).
    SetHeader {
        /// Header name.
        name: String,
        /// What to do when it exists.
        action: ExistsAction,
        /// `<value>` children.
        values: Vec<Text>,
    },
    /// `set-query-parameter`.
    SetQueryParameter {
        /// Parameter name.
        name: String,
        /// What to do when it exists.
        action: ExistsAction,
        /// `<value>` children.
        values: Vec<Text>,
    },
    /// `set-variable`.
    SetVariable {
        /// Variable name.
        name: String,
        /// Its value (an expression's value keeps its type; literal text is a string).
        value: Text,
    },
    /// `set-body`: the request's or the response's body.
    SetBody(Text),
    /// `set-body template="liquid"`.
    SetBodyLiquid(Box<LiquidBody>),
    /// `set-method`.
    SetMethod(Text),
    /// `set-status`.
    SetStatus {
        /// Status code.
        code: Text,
        /// Reason phrase.
        reason: Text,
    },
    /// `rewrite-uri`.
    RewriteUri {
        /// The backend path and query template (`/items/{id}?v=1`).
        template: Text,
        /// Whether query parameters the template does not name are kept.
        copy_unmatched_params: bool,
    },
    /// `set-backend-service`.
    SetBackendService {
        /// `base-url`.
        base_url: Option<Text>,
        /// `backend-id`: a backend entity.
        backend_id: Option<Text>,
    },
    /// `forward-request`.
    ForwardRequest {
        /// `timeout` (the gateway's default when absent).
        timeout: Option<Duration>,
        /// `follow-redirects`.
        follow_redirects: bool,
        /// `buffer-request-body`: the request body is read whole before it is sent.
        buffer_request_body: bool,
    },
    /// `choose`: the first branch whose condition holds, else `otherwise`.
    Choose {
        /// `<when condition>` branches.
        branches: Vec<(Text, Vec<Arc<Step>>)>,
        /// `<otherwise>`.
        otherwise: Vec<Arc<Step>>,
    },
    /// `return-response`: ends the pipeline with a response.
    ReturnResponse {
        /// A response held in a variable (`send-request`) to start from.
        variable: Option<String>,
        /// Its `set-status`, `set-header` and `set-body` children, applied to the response.
        steps: Vec<Arc<Step>>,
    },
    /// `check-header`.
    CheckHeader {
        /// Header name.
        name: String,
        /// Status when the check fails.
        status: u16,
        /// Message when the check fails.
        message: String,
        /// Whether values compare ignoring case.
        ignore_case: bool,
        /// Accepted values (none: the header need only be present).
        values: Vec<String>,
    },
    /// `ip-filter`.
    IpFilter {
        /// `allow` (else `forbid`).
        allow: bool,
        /// Addresses and ranges.
        ranges: Vec<IpRange>,
    },
    /// `rate-limit`: calls per subscription in a sliding window, with optional tighter limits
    /// for some APIs and operations.
    RateLimit {
        /// The limit for the whole scope.
        limit: Limit,
        /// `<api>` limits (each with its `<operation>` limits).
        apis: Vec<ScopedLimit>,
    },
    /// `rate-limit-by-key`: calls per evaluated key in a sliding window.
    RateLimitByKey {
        /// The limit.
        limit: Limit,
        /// `counter-key`.
        key: Text,
        /// `increment-condition` (evaluated when the call ends; counts when true).
        condition: Option<Text>,
        /// `increment-count` (default 1).
        count: Option<Text>,
    },
    /// `quota`: calls per subscription in renewal periods, with optional tighter quotas for
    /// some APIs and operations (counted in the store, shared by every gateway node).
    Quota {
        /// The quota for the whole scope.
        limit: QuotaLimit,
        /// `<api>` quotas (each with its `<operation>` quotas).
        apis: Vec<ScopedLimit<QuotaLimit>>,
    },
    /// `quota-by-key`: calls per evaluated key in renewal periods.
    QuotaByKey {
        /// The quota.
        limit: QuotaLimit,
        /// `counter-key`.
        key: Text,
        /// `increment-condition` (evaluated when the call ends; counts when true).
        condition: Option<Text>,
        /// `increment-count` (default 1).
        count: Option<Text>,
        /// `first-period-start`: when the first period began (seconds since the Unix epoch).
        first_period_start: i64,
    },
    /// `cache-lookup`: answers from the response cache, or notes where `cache-store` stores.
    CacheLookup(super::CacheLookup),
    /// `cache-store`: stores the response where `cache-lookup` noted.
    CacheStore {
        /// `duration`, seconds.
        duration: Text,
        /// `cache-response`: store whatever the status (else only 200 OK).
        cache_response: Option<Text>,
    },
    /// `cache-lookup-value`.
    CacheLookupValue {
        /// `key`.
        key: Text,
        /// `default-value`.
        default: Option<Text>,
        /// `variable-name`.
        variable: String,
    },
    /// `cache-store-value`.
    CacheStoreValue {
        /// `key`.
        key: Text,
        /// `value`.
        value: Text,
        /// `duration`, seconds.
        duration: Text,
    },
    /// `cache-remove-value`.
    CacheRemoveValue {
        /// `key`.
        key: Text,
    },
    /// `retry`: runs its statements, then again while `condition` holds, at most `count` more
    /// times, waiting `interval` (growing by `delta` up to `max_interval`) between runs.
    Retry {
        /// `condition`.
        condition: Text,
        /// `count`: retries after the first run.
        count: u32,
        /// `interval`.
        interval: Duration,
        /// `max-interval`.
        max_interval: Option<Duration>,
        /// `delta`.
        delta: Option<Duration>,
        /// `first-fast-retry`: the first retry without waiting.
        first_fast_retry: bool,
        /// The statements.
        body: Vec<Arc<Step>>,
    },
    /// `wait for="all"`: its statements (run one after another: the result is the same as
    /// running them in parallel, only slower).
    Wait {
        /// The statements.
        body: Vec<Arc<Step>>,
    },
    /// `limit-concurrency`: at most `max_count` calls with the same key run its statements at
    /// once; others are refused (429).
    LimitConcurrency {
        /// `key`.
        key: Text,
        /// `max-count`.
        max_count: u32,
        /// The statements.
        body: Vec<Arc<Step>>,
    },
    /// `validate-jwt`: the call's token checked; a call without a valid one is answered.
    ValidateJwt(Box<super::validate_jwt::ValidateJwt>),
    /// `trace`: a message for the call's trace (kept only when tracing is on).
    Trace {
        /// `source`.
        source: String,
        /// The message.
        message: Text,
    },
    /// `send-request` and `send-one-way-request`.
    SendRequest(Box<SendRequest>),
    /// `emit-metric`: a value added to a custom metric (the gateway's `/metrics`).
    EmitMetric(Box<EmitMetric>),
    /// `log-to-eventhub`: a message queued for a logger's event hub (sent off the call's path).
    LogToEventHub {
        /// `logger-id`, lower case.
        logger: String,
        /// `partition-id`: the partition the message goes to.
        partition_id: Option<Text>,
        /// `partition-key`: the key Event Hubs hashes to choose the partition.
        partition_key: Option<Text>,
        /// The message.
        message: Text,
    },
    /// `mock-response`: ends the pipeline with a response made from the operation's samples.
    MockResponse {
        /// `status-code` (default 200).
        status: u16,
        /// `content-type`, if given.
        content_type: Option<String>,
    },
    /// `authentication-basic`: the backend request's `Authorization: Basic …`.
    AuthenticationBasic {
        /// `username`.
        username: Text,
        /// `password`.
        password: Text,
    },
    /// `authentication-certificate`: the client certificate the backend call presents (one of
    /// the uploaded certificates, by thumbprint or by id).
    AuthenticationCertificate {
        /// `thumbprint`.
        thumbprint: Option<Text>,
        /// `certificate-id`.
        certificate_id: Option<Text>,
        /// `body` (a PKCS#12 file as `byte[]`) and its `password`.
        body: Option<(Text, Option<Text>)>,
    },
    /// `proxy` (inside `send-request`): the HTTP proxy the request goes through.
    Proxy {
        /// `url` (`http://host:port`).
        url: Text,
        /// `username`.
        username: Option<Text>,
        /// `password`.
        password: Option<Text>,
    },
    /// `cors`: CORS headers on the responses of allowed cross-origin calls (preflights are
    /// answered by the gateway from the `cors` statements of the inbound section).
    Cors(Box<Cors>),
    /// `jsonp`: a JSON response wrapped in a call to the function the caller names.
    Jsonp {
        /// `callback-parameter-name`: the query parameter naming the function.
        callback_parameter: Text,
    },
    /// `cross-domain`: the policy file the gateway serves at `/crossdomain.xml` (from the
    /// global scope); nothing on other calls.
    CrossDomain(Arc<str>),
    /// `find-and-replace`: every occurrence of a string in the body replaced.
    FindAndReplace {
        /// `from`.
        from: Text,
        /// `to`.
        to: Text,
    },
    /// `redirect-content-urls`: backend URLs in the response body made gateway URLs
    /// (outbound), or gateway URLs in the request body made backend URLs (inbound).
    RedirectContentUrls,
    /// `json-to-xml`.
    JsonToXml(Box<JsonToXml>),
    /// `xml-to-json`.
    XmlToJson(Box<XmlToJson>),
}

impl StepKind {
    /// Whether running it may read a message body (which the gateway then reads whole first).
    pub fn reads_body(&self) -> bool {
        let any = |texts: &[Text]| texts.iter().any(Text::reads_body);
        let nested = |steps: &[Arc<Step>]| steps.iter().any(|s| s.kind.reads_body());
        match self {
            StepKind::SetBody(_) | StepKind::SetBodyLiquid(_) => true,
            StepKind::SetHeader { values, .. } | StepKind::SetQueryParameter { values, .. } => {
                any(values)
            }
            StepKind::SetVariable { value: t, .. }
            | StepKind::SetMethod(t)
            | StepKind::Trace { message: t, .. } => t.reads_body(),
            StepKind::SetStatus { code, reason } => code.reads_body() || reason.reads_body(),
            StepKind::RewriteUri { template, .. } => template.reads_body(),
            StepKind::SetBackendService {
                base_url,
                backend_id,
            } => {
                base_url.as_ref().is_some_and(Text::reads_body)
                    || backend_id.as_ref().is_some_and(Text::reads_body)
            }
            StepKind::SendRequest(send) => send.reads_body(),
            StepKind::EmitMetric(metric) => {
                metric.value.as_ref().is_some_and(Text::reads_body)
                    || metric
                        .dimensions
                        .iter()
                        .any(|(_, v)| v.as_ref().is_some_and(Text::reads_body))
            }
            StepKind::LogToEventHub {
                partition_id,
                partition_key,
                message,
                ..
            } => {
                message.reads_body()
                    || partition_id.as_ref().is_some_and(Text::reads_body)
                    || partition_key.as_ref().is_some_and(Text::reads_body)
            }
            StepKind::AuthenticationBasic { username, password } => {
                username.reads_body() || password.reads_body()
            }
            StepKind::AuthenticationCertificate {
                thumbprint,
                certificate_id,
                body,
            } => {
                thumbprint.as_ref().is_some_and(Text::reads_body)
                    || certificate_id.as_ref().is_some_and(Text::reads_body)
                    || body.as_ref().is_some_and(|(body, password)| {
                        body.reads_body() || password.as_ref().is_some_and(Text::reads_body)
                    })
            }
            StepKind::Proxy {
                url,
                username,
                password,
            } => {
                url.reads_body()
                    || username.as_ref().is_some_and(Text::reads_body)
                    || password.as_ref().is_some_and(Text::reads_body)
            }
            StepKind::Choose {
                branches,
                otherwise,
            } => {
                branches
                    .iter()
                    .any(|(condition, body)| condition.reads_body() || nested(body))
                    || nested(otherwise)
            }
            StepKind::ReturnResponse { steps, .. } | StepKind::Wait { body: steps } => {
                nested(steps)
            }
            // Running forward-request again needs the request body kept whole.
            StepKind::Retry {
                condition, body, ..
            } => {
                condition.reads_body()
                    || nested(body)
                    || body
                        .iter()
                        .any(|s| matches!(s.kind, StepKind::ForwardRequest { .. }))
            }
            StepKind::LimitConcurrency { key, body, .. } => key.reads_body() || nested(body),
            StepKind::RateLimitByKey {
                key,
                condition,
                count,
                ..
            }
            | StepKind::QuotaByKey {
                key,
                condition,
                count,
                ..
            } => {
                key.reads_body()
                    || condition.as_ref().is_some_and(Text::reads_body)
                    || count.as_ref().is_some_and(Text::reads_body)
            }
            // Storing a response reads its body whole.
            StepKind::CacheStore { .. } => true,
            StepKind::CacheLookup(lookup) => {
                lookup.allow_private.as_ref().is_some_and(Text::reads_body)
            }
            StepKind::CacheLookupValue { key, default, .. } => {
                key.reads_body() || default.as_ref().is_some_and(Text::reads_body)
            }
            StepKind::CacheStoreValue {
                key,
                value,
                duration,
            } => key.reads_body() || value.reads_body() || duration.reads_body(),
            StepKind::CacheRemoveValue { key } => key.reads_body(),
            StepKind::ValidateJwt(v) => v.reads_body(),
            StepKind::Jsonp { .. }
            | StepKind::FindAndReplace { .. }
            | StepKind::RedirectContentUrls
            | StepKind::JsonToXml(_)
            | StepKind::XmlToJson(_) => true,
            // Following a 307 or 308 sends the request body again.
            StepKind::ForwardRequest {
                follow_redirects,
                buffer_request_body,
                ..
            } => *follow_redirects || *buffer_request_body,
            StepKind::MockResponse { .. }
            | StepKind::Cors(_)
            | StepKind::CrossDomain(_)
            | StepKind::Quota { .. }
            | StepKind::RateLimit { .. }
            | StepKind::CheckHeader { .. }
            | StepKind::IpFilter { .. } => false,
        }
    }
}
