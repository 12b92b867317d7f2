//! From a scope's [`Policy`] AST to its [`ScopePolicy`]: every statement's attributes and
//! children read, checked and compiled. A statement Tollgate cannot run yet is an error naming
//! it, never a statement silently skipped.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::send::mock_response;
use super::steps::{ExistsAction, IpRange, Limit, QuotaLimit, ScopedLimit, StepKind};
use super::text::{NamedValues, Text};
use super::{Item, ScopePolicy, Step, index};
use crate::ast::{Policy, Statement, Value};
use crate::error::PolicyError;
use crate::structure::ScopeKind;
use crate::tree::Element;

/// Compiles a scope's document.
pub fn compile(
    policy: &Policy,
    scope: ScopeKind,
    named: &NamedValues,
) -> Result<ScopePolicy, PolicyError> {
    let c = Compiler { scope, named };
    let mut out = ScopePolicy::default();
    for section in &policy.sections {
        let mut items = Vec::new();
        for statement in &section.statements {
            items.push(match statement {
                Statement::Base { .. } => Item::Base,
                other => Item::Step(c.step(other)?),
            });
        }
        out.sections[index(section.kind)] = Some(items);
    }
    super::browser::check_placement(&out)?;
    Ok(out)
}

pub(super) struct Compiler<'a> {
    pub(super) scope: ScopeKind,
    named: &'a NamedValues,
}

pub(super) fn fail<T>(line: usize, message: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError::new(message, line, 1))
}

/// The raw text of a classified value (named values still unsubstituted).
fn raw(value: &Value) -> String {
    match value {
        Value::Literal(s) => s.clone(),
        Value::Expression(code) => format!("@({code})"),
        Value::Block(code) => format!("@{{{code}}}"),
    }
}

/// Refuses attributes a statement does not know or Tollgate does not support yet.
pub(super) fn known_attributes(e: &Element, known: &[&str]) -> Result<(), PolicyError> {
    match e
        .attributes
        .iter()
        .find(|a| !known.contains(&a.name.as_str()))
    {
        Some(a) => fail(
            e.line,
            format!(
                "attribute '{}' of <{}> is not supported by Tollgate (known: {})",
                a.name,
                e.name,
                known.join(", ")
            ),
        ),
        None => Ok(()),
    }
}

pub(super) fn required<'e>(e: &'e Element, name: &str) -> Result<&'e str, PolicyError> {
    e.attribute(name).map_or_else(
        || fail(e.line, format!("<{}> needs the attribute '{name}'", e.name)),
        Ok,
    )
}

pub(super) fn boolean(e: &Element, name: &str, default: bool) -> Result<bool, PolicyError> {
    match e.attribute(name).map(str::trim) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => fail(
            e.line,
            format!(
                "attribute '{name}' of <{}> must be true or false, not '{v}'",
                e.name
            ),
        ),
    }
}

pub(super) fn number(e: &Element, name: &str) -> Result<Option<u64>, PolicyError> {
    e.attribute(name)
        .map(|v| {
            v.trim().parse::<u64>().or_else(|_| {
                fail(
                    e.line,
                    format!(
                        "attribute '{name}' of <{}> must be a whole number, not '{v}'",
                        e.name
                    ),
                )
            })
        })
        .transpose()
}

impl Compiler<'_> {
    pub(super) fn text(&self, e: &Element, raw: &str) -> Result<Text, PolicyError> {
        Text::compile(raw, self.named)
            .or_else(|message| fail(e.line, format!("<{}>: {message}", e.name)))
    }

    pub(super) fn attribute_text(&self, e: &Element, name: &str) -> Result<Text, PolicyError> {
        self.text(e, required(e, name)?)
    }

    fn steps(&self, statements: &[Statement]) -> Result<Vec<Arc<Step>>, PolicyError> {
        statements.iter().map(|s| self.step(s)).collect()
    }

    fn step(&self, statement: &Statement) -> Result<Arc<Step>, PolicyError> {
        let (name, line, kind) = match statement {
            Statement::Base { line } => {
                return fail(*line, "<base /> is only allowed directly in a section");
            }
            Statement::Choose {
                branches,
                otherwise,
                line,
            } => {
                let mut compiled = Vec::new();
                for b in branches {
                    let condition = Text::compile(&raw(&b.condition), self.named)
                        .or_else(|m| fail(b.line, format!("<when>: {m}")))?;
                    compiled.push((condition, self.steps(&b.body)?));
                }
                let otherwise = match otherwise {
                    Some(body) => self.steps(body)?,
                    None => Vec::new(),
                };
                let kind = StepKind::Choose {
                    branches: compiled,
                    otherwise,
                };
                ("choose".to_owned(), *line, kind)
            }
            Statement::Block { element, body } => {
                let kind = self.block(element, self.steps(body)?)?;
                (element.name.clone(), element.line, kind)
            }
            Statement::Simple { element } => {
                (element.name.clone(), element.line, self.simple(element)?)
            }
        };
        Ok(Arc::new(Step {
            name,
            line,
            scope: self.scope,
            kind,
        }))
    }

    pub(super) fn simple(&self, e: &Element) -> Result<StepKind, PolicyError> {
        Ok(match e.name.as_str() {
            "set-header" | "set-query-parameter" => {
                known_attributes(e, &["name", "exists-action"])?;
                let name = required(e, "name")?.to_owned();
                let action = match e.attribute("exists-action").map(str::trim) {
                    None => ExistsAction::Override,
                    Some(a) if a.eq_ignore_ascii_case("override") => ExistsAction::Override,
                    Some(a) if a.eq_ignore_ascii_case("skip") => ExistsAction::Skip,
                    Some(a) if a.eq_ignore_ascii_case("append") => ExistsAction::Append,
                    Some(a) if a.eq_ignore_ascii_case("delete") => ExistsAction::Delete,
                    Some(a) => {
                        return fail(
                            e.line,
                            format!(
                                "exists-action must be override, skip, append or delete, not '{a}'"
                            ),
                        );
                    }
                };
                let mut values = Vec::new();
                for child in e.elements() {
                    if child.name != "value" {
                        return fail(
                            child.line,
                            format!("<{}> holds only <value> elements", e.name),
                        );
                    }
                    values.push(self.text(child, &child.text())?);
                }
                if e.name == "set-header" {
                    StepKind::SetHeader {
                        name,
                        action,
                        values,
                    }
                } else {
                    StepKind::SetQueryParameter {
                        name,
                        action,
                        values,
                    }
                }
            }
            "set-variable" => {
                known_attributes(e, &["name", "value"])?;
                StepKind::SetVariable {
                    name: required(e, "name")?.to_owned(),
                    value: self.attribute_text(e, "value")?,
                }
            }
            "set-body" if e.is_liquid_body() => super::transform::liquid_body(e)?,
            "set-body" => {
                known_attributes(e, &["template"])?;
                if let Some(t) = e
                    .attribute("template")
                    .filter(|t| !t.trim().eq_ignore_ascii_case("none"))
                {
                    return fail(
                        e.line,
                        format!(
                            "<set-body template=\"{t}\"> is not supported by Tollgate (template=\"liquid\" or \"none\")"
                        ),
                    );
                }
                StepKind::SetBody(self.text(e, &e.text())?)
            }
            "set-method" => {
                known_attributes(e, &[])?;
                StepKind::SetMethod(self.text(e, e.text().trim())?)
            }
            "set-status" => {
                known_attributes(e, &["code", "reason"])?;
                StepKind::SetStatus {
                    code: self.attribute_text(e, "code")?,
                    reason: self.text(e, e.attribute("reason").unwrap_or(""))?,
                }
            }
            "rewrite-uri" => {
                known_attributes(e, &["template", "copy-unmatched-params"])?;
                StepKind::RewriteUri {
                    template: self.attribute_text(e, "template")?,
                    copy_unmatched_params: boolean(e, "copy-unmatched-params", true)?,
                }
            }
            "set-backend-service" => {
                known_attributes(e, &["base-url", "backend-id"])?;
                let base_url = e
                    .attribute("base-url")
                    .map(|u| self.text(e, u))
                    .transpose()?;
                let backend_id = e
                    .attribute("backend-id")
                    .map(|id| self.text(e, id))
                    .transpose()?;
                if base_url.is_some() == backend_id.is_some() {
                    return fail(
                        e.line,
                        "<set-backend-service> needs either 'base-url' or 'backend-id'",
                    );
                }
                StepKind::SetBackendService {
                    base_url,
                    backend_id,
                }
            }
            "forward-request" => {
                known_attributes(e, &["timeout", "follow-redirects", "buffer-request-body"])?;
                StepKind::ForwardRequest {
                    timeout: number(e, "timeout")?.map(Duration::from_secs),
                    follow_redirects: boolean(e, "follow-redirects", false)?,
                    buffer_request_body: boolean(e, "buffer-request-body", false)?,
                }
            }
            "return-response" => {
                known_attributes(e, &["response-variable-name"])?;
                let mut steps = Vec::new();
                for child in e.elements() {
                    if !matches!(
                        child.name.as_str(),
                        "set-status" | "set-header" | "set-body"
                    ) {
                        return fail(
                            child.line,
                            "<return-response> holds only <set-status>, <set-header> and <set-body>",
                        );
                    }
                    steps.push(Arc::new(Step {
                        name: child.name.clone(),
                        line: child.line,
                        scope: self.scope,
                        kind: self.simple(child)?,
                    }));
                }
                StepKind::ReturnResponse {
                    variable: e.attribute("response-variable-name").map(str::to_owned),
                    steps,
                }
            }
            "check-header" => {
                known_attributes(
                    e,
                    &[
                        "name",
                        "failed-check-httpcode",
                        "failed-check-error-message",
                        "ignore-case",
                    ],
                )?;
                let status = number(e, "failed-check-httpcode")?.unwrap_or(401);
                let status = u16::try_from(status)
                    .ok()
                    .filter(|s| (100..=599).contains(s))
                    .map_or_else(
                        || fail(e.line, "failed-check-httpcode must be an HTTP status code"),
                        Ok,
                    )?;
                StepKind::CheckHeader {
                    name: required(e, "name")?.to_owned(),
                    status,
                    message: e
                        .attribute("failed-check-error-message")
                        .unwrap_or("")
                        .to_owned(),
                    ignore_case: boolean(e, "ignore-case", false)?,
                    values: e
                        .elements()
                        .filter(|c| c.name == "value")
                        .map(|c| c.text())
                        .collect(),
                }
            }
            "ip-filter" => {
                known_attributes(e, &["action"])?;
                let allow = match required(e, "action")?.trim() {
                    a if a.eq_ignore_ascii_case("allow") => true,
                    a if a.eq_ignore_ascii_case("forbid") => false,
                    a => return fail(e.line, format!("action must be allow or forbid, not '{a}'")),
                };
                let mut ranges = Vec::new();
                for child in e.elements() {
                    let ip = |text: &str| {
                        text.trim().parse::<IpAddr>().or_else(|_| {
                            fail(
                                child.line,
                                format!("'{}' is not an IP address", text.trim()),
                            )
                        })
                    };
                    ranges.push(match child.name.as_str() {
                        "address" => {
                            let a = ip(&child.text())?;
                            IpRange { from: a, to: a }
                        }
                        "address-range" => IpRange {
                            from: ip(required(child, "from")?)?,
                            to: ip(required(child, "to")?)?,
                        },
                        other => {
                            return fail(
                                child.line,
                                format!(
                                    "<ip-filter> holds <address> and <address-range>, not <{other}>"
                                ),
                            );
                        }
                    });
                }
                StepKind::IpFilter { allow, ranges }
            }
            "rate-limit" => {
                known_attributes(e, &["calls", "renewal-period"])?;
                StepKind::RateLimit {
                    limit: limit(e)?,
                    apis: scoped_limits(e, &["calls", "renewal-period"], limit)?,
                }
            }
            "quota" => {
                known_attributes(e, &["calls", "bandwidth", "renewal-period"])?;
                StepKind::Quota {
                    limit: quota_limit(e)?,
                    apis: scoped_limits(e, &["calls", "bandwidth", "renewal-period"], quota_limit)?,
                }
            }
            "quota-by-key" => {
                known_attributes(
                    e,
                    &[
                        "calls",
                        "renewal-period",
                        "bandwidth",
                        "counter-key",
                        "increment-condition",
                        "increment-count",
                        "first-period-start",
                    ],
                )?;
                let first_period_start = match e.attribute("first-period-start") {
                    None => DEFAULT_FIRST_PERIOD_START,
                    Some(t) => utc_seconds(t).map_or_else(
                        || fail(e.line, format!("first-period-start must be a UTC date and time (2014-01-01T00:00:00Z), not '{t}'")),
                        Ok,
                    )?,
                };
                let optional = |name: &str| e.attribute(name).map(|v| self.text(e, v)).transpose();
                StepKind::QuotaByKey {
                    limit: quota_limit(e)?,
                    key: self.attribute_text(e, "counter-key")?,
                    condition: optional("increment-condition")?,
                    count: optional("increment-count")?,
                    first_period_start,
                }
            }
            "rate-limit-by-key" => {
                known_attributes(
                    e,
                    &[
                        "calls",
                        "renewal-period",
                        "counter-key",
                        "increment-condition",
                        "increment-count",
                    ],
                )?;
                let optional = |name: &str| e.attribute(name).map(|v| self.text(e, v)).transpose();
                StepKind::RateLimitByKey {
                    limit: limit(e)?,
                    key: self.attribute_text(e, "counter-key")?,
                    condition: optional("increment-condition")?,
                    count: optional("increment-count")?,
                }
            }
            "cache-lookup" | "cache-store" | "cache-lookup-value" | "cache-store-value"
            | "cache-remove-value" => self.cache(e)?,
            "trace" => {
                known_attributes(e, &["source", "severity"])?;
                let message = match e.element("message") {
                    Some(m) => m.text(),
                    None => e.text(),
                };
                StepKind::Trace {
                    source: required(e, "source")?.to_owned(),
                    message: self.text(e, &message)?,
                }
            }
            "send-request" | "send-one-way-request" => self.send_request(e)?,
            "log-to-eventhub" => self.log_to_eventhub(e)?,
            "emit-metric" => self.emit_metric(e)?,
            "proxy" => self.proxy(e)?,
            "mock-response" => mock_response(e)?,
            "authentication-basic" => self.authentication_basic(e)?,
            "authentication-certificate" => self.authentication_certificate(e)?,
            "validate-jwt" => {
                StepKind::ValidateJwt(Box::new(super::validate_jwt::compile(e, self.named)?))
            }
            "cors" => super::browser::cors(e, self.named)?,
            "jsonp" => super::browser::jsonp(e, self.named)?,
            "cross-domain" => super::browser::cross_domain(e, self.scope, self.named)?,
            "find-and-replace" => super::transform::find_and_replace(e, self.named)?,
            "redirect-content-urls" => super::transform::redirect_content_urls(e)?,
            "json-to-xml" => super::transform::json_to_xml(e, self.named)?,
            "xml-to-json" => super::transform::xml_to_json(e, self.named)?,
            _ => return not_yet(e),
        })
    }
}

/// Azure's default `first-period-start`: 2014-01-01T00:00:00Z, in seconds since the epoch.
pub const DEFAULT_FIRST_PERIOD_START: i64 = 1_388_534_400;

/// `yyyy-MM-ddTHH:mm:ssZ` as seconds since the Unix epoch.
fn utc_seconds(text: &str) -> Option<i64> {
    let t = text.trim().strip_suffix('Z').unwrap_or(text.trim());
    let (date, time) = t.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, s) = (
        hms.next()??,
        hms.next()??,
        hms.next().flatten().unwrap_or(0),
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    // Days from 0001-01-01 to the Unix epoch.
    const EPOCH_DAYS: i64 = 719_162;
    let days = crate::csharp::library::timefmt::days_from_civil(y, m, day) - EPOCH_DAYS;
    Some(days * 86_400 + h * 3600 + mi * 60 + s)
}

/// `calls` and `renewal-period` (seconds), both required and positive.
fn limit(e: &Element) -> Result<Limit, PolicyError> {
    let positive = |name: &str| match number(e, name)? {
        Some(n) if n > 0 => Ok(n),
        _ => fail(
            e.line,
            format!("<{}> needs '{name}', a whole number above 0", e.name),
        ),
    };
    Ok(Limit {
        calls: positive("calls")?,
        period: Duration::from_secs(positive("renewal-period")?),
    })
}

/// A quota: `calls` and/or `bandwidth` (kilobytes), whole numbers above 0, and
/// `renewal-period` in seconds (0: a quota that never renews).
fn quota_limit(e: &Element) -> Result<QuotaLimit, PolicyError> {
    let positive = |name: &str| match number(e, name)? {
        Some(0) => fail(e.line, format!("'{name}' of <{}> must be above 0", e.name)),
        other => Ok(other),
    };
    let (calls, kilobytes) = (positive("calls")?, positive("bandwidth")?);
    if calls.is_none() && kilobytes.is_none() {
        return fail(
            e.line,
            format!("<{}> needs 'calls', 'bandwidth' or both", e.name),
        );
    }
    let Some(seconds) = number(e, "renewal-period")? else {
        return fail(
            e.line,
            format!("<{}> needs 'renewal-period' (seconds)", e.name),
        );
    };
    Ok(QuotaLimit {
        calls,
        kilobytes,
        period: (seconds > 0).then(|| Duration::from_secs(seconds)),
    })
}

/// The `<api>` limits of a `rate-limit` or `quota`, each with its `<operation>` limits: `name`
/// or `id`, and the attributes `known` read by `read`.
fn scoped_limits<L>(
    e: &Element,
    known: &[&str],
    read: fn(&Element) -> Result<L, PolicyError>,
) -> Result<Vec<ScopedLimit<L>>, PolicyError> {
    let scoped = |e: &Element, operations| {
        let mut names = vec!["name", "id"];
        names.extend_from_slice(known);
        known_attributes(e, &names)?;
        let (name, id) = (e.attribute("name"), e.attribute("id"));
        if name.is_none() && id.is_none() {
            return fail(e.line, format!("<{}> needs 'name' or 'id'", e.name));
        }
        Ok(ScopedLimit {
            name: name.map(str::to_owned),
            id: id.map(str::to_owned),
            limit: read(e)?,
            operations,
        })
    };
    let mut apis = Vec::new();
    for api in e.elements() {
        if api.name != "api" {
            return fail(api.line, format!("<{}> holds only <api> elements", e.name));
        }
        let mut operations = Vec::new();
        for op in api.elements() {
            if op.name != "operation" {
                return fail(op.line, "<api> holds only <operation> elements");
            }
            operations.push(scoped(op, Vec::new())?);
        }
        apis.push(scoped(api, operations)?);
    }
    Ok(apis)
}

impl Compiler<'_> {
    /// `retry`, `wait` and `limit-concurrency`, around their compiled statements.
    fn block(&self, e: &Element, body: Vec<Arc<Step>>) -> Result<StepKind, PolicyError> {
        let seconds = |name: &str| number(e, name).map(|n| n.map(Duration::from_secs));
        let whole = |name: &str| -> Result<u32, PolicyError> {
            let n = number(e, name)?
                .map_or_else(|| fail(e.line, format!("<{}> needs '{name}'", e.name)), Ok)?;
            u32::try_from(n).or_else(|_| fail(e.line, format!("'{name}' is too large")))
        };
        Ok(match e.name.as_str() {
            "retry" => {
                known_attributes(
                    e,
                    &[
                        "condition",
                        "count",
                        "interval",
                        "max-interval",
                        "delta",
                        "first-fast-retry",
                    ],
                )?;
                let count = whole("count")?;
                if count > 50 {
                    return fail(e.line, "<retry> count is at most 50");
                }
                StepKind::Retry {
                    condition: self.attribute_text(e, "condition")?,
                    count,
                    interval: seconds("interval")?
                        .map_or_else(|| fail(e.line, "<retry> needs 'interval'"), Ok)?,
                    max_interval: seconds("max-interval")?,
                    delta: seconds("delta")?,
                    first_fast_retry: boolean(e, "first-fast-retry", false)?,
                    body,
                }
            }
            "wait" => {
                known_attributes(e, &["for"])?;
                match e.attribute("for").map(str::trim) {
                    None | Some("all") => StepKind::Wait { body },
                    Some(other) => {
                        return fail(
                            e.line,
                            format!(
                                "<wait for=\"{other}\"> is not supported by Tollgate yet (for=\"all\" is)"
                            ),
                        );
                    }
                }
            }
            _ => {
                known_attributes(e, &["key", "max-count"])?;
                let max_count = whole("max-count")?;
                if max_count == 0 {
                    return fail(e.line, "<limit-concurrency> max-count must be at least 1");
                }
                StepKind::LimitConcurrency {
                    key: self.attribute_text(e, "key")?,
                    max_count,
                    body,
                }
            }
        })
    }
}

pub(super) fn not_yet<T>(e: &Element) -> Result<T, PolicyError> {
    fail(
        e.line,
        format!("<{}> is not supported by Tollgate's gateway yet", e.name),
    )
}

#[cfg(test)]
mod tests {
    use super::utc_seconds as parse_time;

    #[test]
    fn first_period_starts_parse_as_utc() {
        assert_eq!(parse_time("2014-01-01T00:00:00Z"), Some(1_388_534_400));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_time("2024-02-29T12:30:15Z"), Some(1_709_209_815));
        assert_eq!(parse_time("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_time("yesterday"), None);
    }
}
