//! What each policy statement does, with its parameters read and checked.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::Step;
use super::browser::Cors;
use super::text::Text;
use super::transform::{JsonToXml, XmlToJson};

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

/// A limit for one API or operation (`<api name="…" id="…">`, `<operation …>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedLimit {
    /// `name` (compared with the API's or operation's name), if given.
    pub name: Option<String>,
    /// `id`, if given.
    pub id: Option<String>,
    /// The limit.
    pub limit: Limit,
    /// Nested `<operation>` limits (of an `<api>`).
    pub operations: Vec<ScopedLimit>,
}

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
        backend_id: Option<String>,
    },
    /// `forward-request`.
    ForwardRequest {
        /// `timeout` (the gateway's default when absent).
        timeout: Option<Duration>,
        /// `follow-redirects`.
        follow_redirects: bool,
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
        limit: Limit,
        /// `<api>` quotas (each with its `<operation>` quotas).
        apis: Vec<ScopedLimit>,
    },
    /// `quota-by-key`: calls per evaluated key in renewal periods.
    QuotaByKey {
        /// The quota.
        limit: Limit,
        /// `counter-key`.
        key: Text,
        /// `increment-condition` (evaluated when the call ends; counts when true).
        condition: Option<Text>,
        /// `first-period-start`: when the first period began (seconds since the Unix epoch).
        first_period_start: i64,
    },
    /// `trace`: a message for the call's trace (kept only when tracing is on).
    Trace {
        /// `source`.
        source: String,
        /// The message.
        message: Text,
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
            StepKind::SetBody(_) => true,
            StepKind::SetHeader { values, .. } | StepKind::SetQueryParameter { values, .. } => {
                any(values)
            }
            StepKind::SetVariable { value: t, .. }
            | StepKind::SetMethod(t)
            | StepKind::Trace { message: t, .. } => t.reads_body(),
            StepKind::SetStatus { code, reason } => code.reads_body() || reason.reads_body(),
            StepKind::RewriteUri { template, .. } => template.reads_body(),
            StepKind::SetBackendService { base_url, .. } => {
                base_url.as_ref().is_some_and(Text::reads_body)
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
            StepKind::ReturnResponse { steps, .. } => nested(steps),
            StepKind::RateLimitByKey {
                key,
                condition,
                count,
                ..
            } => {
                key.reads_body()
                    || condition.as_ref().is_some_and(Text::reads_body)
                    || count.as_ref().is_some_and(Text::reads_body)
            }
            StepKind::QuotaByKey { key, condition, .. } => {
                key.reads_body() || condition.as_ref().is_some_and(Text::reads_body)
            }
            StepKind::Jsonp { .. }
            | StepKind::FindAndReplace { .. }
            | StepKind::RedirectContentUrls
            | StepKind::JsonToXml(_)
            | StepKind::XmlToJson(_) => true,
            StepKind::ForwardRequest { .. }
            | StepKind::Cors(_)
            | StepKind::CrossDomain(_)
            | StepKind::Quota { .. }
            | StepKind::RateLimit { .. }
            | StepKind::CheckHeader { .. }
            | StepKind::IpFilter { .. } => false,
        }
    }
}
