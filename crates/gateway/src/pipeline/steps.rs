//! What each statement does to a call.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use tollgate_policy::SectionKind;
use tollgate_policy::csharp::{Headers, Limits, Value};
use tollgate_policy::pipeline::{EmitMetric, ExistsAction, QuotaLimit, Step, StepKind, Text};

use super::flow::{Content, Flow, decode_query, header_map, headers_from};
use super::{Ended, Env, Failure};
use crate::eventhub::{Event, MAX_MESSAGE};
use crate::proxy::ToBackend;

/// Which message a statement changes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Request,
    Response,
}

pub(super) fn side(section: SectionKind) -> Side {
    match section {
        SectionKind::Inbound | SectionKind::Backend => Side::Request,
        SectionKind::Outbound | SectionKind::OnError => Side::Response,
    }
}

/// Sets the response body (and what `context.Response.Body` reads).
pub(super) fn set_response_body(flow: &mut Flow, body: Bytes) {
    if let Some(response) = flow.ctx.response.as_mut() {
        response.body = Some(String::from_utf8_lossy(&body).into());
    }
    flow.response_body = Some(Content::Bytes(body));
}

type Run<'a> = Pin<Box<dyn Future<Output = Result<Ended, Failure>> + Send + 'a>>;

impl Env<'_> {
    /// Runs statements in order until one answers or fails.
    pub(super) async fn steps(
        &mut self,
        steps: &[Arc<Step>],
        section: SectionKind,
    ) -> Result<Ended, Failure> {
        for step in steps {
            let started = self.trace.is_some().then(std::time::Instant::now);
            let ended = self.step(step, section).await;
            if let (Some(trace), Some(started)) = (self.trace.as_mut(), started) {
                let outcome = match &ended {
                    Ok(Ended::Through) => "ran".to_owned(),
                    Ok(Ended::Answered) => "answered the call".to_owned(),
                    Err(failure) => format!("failed: {}", failure.message),
                };
                let took = started.elapsed().as_secs_f64() * 1000.0;
                trace.step(section, step, took, &outcome);
            }
            if let Ended::Answered = ended? {
                return Ok(Ended::Answered);
            }
        }
        Ok(Ended::Through)
    }

    /// [`Env::steps`] for the statements of a statement (`choose`, `retry`, `wait`, …), boxed
    /// as the recursion needs (the sections' own statements run unboxed).
    pub(super) fn nested<'s>(
        &'s mut self,
        steps: &'s [Arc<Step>],
        section: SectionKind,
    ) -> Run<'s> {
        Box::pin(self.steps(steps, section))
    }

    /// Evaluates a value.
    pub(super) fn value(&mut self, step: &Step, text: &Text) -> Result<Value, Failure> {
        match text {
            Text::Lit(s) => Ok(Value::Str(s.clone())),
            Text::Code { program, .. } => {
                self.flow.tick();
                program
                    .evaluate(&self.flow.ctx, &Limits::default())
                    .map_err(|e| {
                        Failure::new(
                            step,
                            "ExpressionValueEvaluationFailure",
                            format!("Expression evaluation failed. {e}"),
                        )
                    })
            }
        }
    }

    /// Evaluates a value as text (`null` is the empty string).
    pub(super) fn text(&mut self, step: &Step, text: &Text) -> Result<String, Failure> {
        self.value(step, text).map(|v| v.to_policy_string())
    }

    /// Sets the body of the section's message (and what `context` reads of it).
    fn set_body(&mut self, section: SectionKind, body: Bytes) {
        match side(section) {
            Side::Request => {
                self.flow.ctx.request.body = Some(String::from_utf8_lossy(&body).into());
                self.flow.request_body = Content::Bytes(body);
            }
            Side::Response => set_response_body(&mut self.flow, body),
        }
    }

    fn texts(&mut self, step: &Step, texts: &[Text]) -> Result<Vec<String>, Failure> {
        texts.iter().map(|t| self.text(step, t)).collect()
    }

    async fn step(&mut self, step: &Arc<Step>, section: SectionKind) -> Result<Ended, Failure> {
        match &step.kind {
            StepKind::SetHeader {
                name,
                action,
                values,
            } => {
                let values = self.texts(step, values)?;
                let headers = match side(section) {
                    Side::Request => &mut self.flow.ctx.request.headers,
                    Side::Response => match self.flow.ctx.response.as_mut() {
                        Some(r) => &mut r.headers,
                        None => return Ok(Ended::Through),
                    },
                };
                apply_header(headers, name, *action, values);
            }
            StepKind::SetQueryParameter {
                name,
                action,
                values,
            } => {
                let values = self.texts(step, values)?;
                let query = &mut self.flow.ctx.request.url.query;
                let at = query.iter().position(|(k, _)| k == name);
                match (action, at) {
                    (ExistsAction::Delete, Some(i)) => _ = query.remove(i),
                    (ExistsAction::Skip, Some(_)) | (ExistsAction::Delete, None) => {}
                    (ExistsAction::Append, Some(i)) => query[i].1.extend(values),
                    (ExistsAction::Override, Some(i)) => query[i].1 = values,
                    (_, None) => query.push((name.clone(), values)),
                }
            }
            StepKind::SetVariable { name, value } => {
                let value = self.value(step, value)?;
                self.flow.ctx.variables.insert(name.clone(), value);
            }
            StepKind::SetBody(text) => {
                let body = Bytes::from(self.text(step, text)?);
                self.set_body(section, body);
            }
            StepKind::SetBodyLiquid(liquid) => {
                self.flow.tick();
                let response = side(section) == Side::Response;
                let body = liquid
                    .render(&self.flow.ctx, response)
                    .map_err(|m| Failure::new(step, "LiquidTemplateFailure", m))?;
                self.set_body(section, Bytes::from(body));
            }
            StepKind::SetMethod(text) => {
                let method = self.text(step, text)?;
                if Method::from_bytes(method.trim().as_bytes()).is_err() {
                    let message = format!("'{method}' is not an HTTP method");
                    return Err(Failure::new(step, "InvalidMethod", message));
                }
                self.flow.ctx.request.method = method.trim().to_uppercase();
            }
            StepKind::SetStatus { code, reason } => {
                let code_text = self.text(step, code)?;
                let reason = self.text(step, reason)?;
                let Some(status) = code_text
                    .trim()
                    .parse::<u16>()
                    .ok()
                    .and_then(|c| StatusCode::from_u16(c).ok())
                else {
                    let message = format!("'{code_text}' is not an HTTP status code");
                    return Err(Failure::new(step, "InvalidStatusCode", message));
                };
                if self.flow.ctx.response.is_none() {
                    self.flow.respond(status);
                }
                if let Some(response) = self.flow.ctx.response.as_mut() {
                    response.status_code = i32::from(status.as_u16());
                    response.status_reason = reason;
                }
            }
            StepKind::RewriteUri {
                template,
                copy_unmatched_params,
            } => {
                let template = self.text(step, template)?;
                self.rewrite(&template, *copy_unmatched_params);
            }
            StepKind::SetBackendService {
                base_url,
                backend_id,
            } => self.set_backend_service(step, base_url.as_ref(), backend_id.as_ref())?,
            StepKind::ForwardRequest {
                timeout,
                follow_redirects,
                ..
            } => {
                let timeout = timeout.unwrap_or(crate::RESPONSE_TIMEOUT);
                // Boxed, like the other statements that wait on I/O or bodies: their futures are
                // far larger than the rest's, and would make every statement's future as large
                // (futures are moved whole).
                Box::pin(self.forward(timeout, *follow_redirects)).await;
            }
            StepKind::Choose {
                branches,
                otherwise,
            } => {
                for (condition, body) in branches {
                    match self.value(step, condition)? {
                        Value::Bool(true) => return self.nested(body, section).await,
                        Value::Bool(false) => {}
                        other => {
                            let message =
                                format!("the condition of <when> is not a bool: '{other}'");
                            return Err(Failure::new(step, "InvalidCondition", message));
                        }
                    }
                }
                return self.nested(otherwise, section).await;
            }
            StepKind::ReturnResponse { variable, steps } => {
                match variable {
                    Some(name) => self.respond_from_variable(step, name)?,
                    None => self.flow.respond(StatusCode::OK),
                }
                self.nested(steps, SectionKind::Outbound).await?;
                return Ok(Ended::Answered);
            }
            StepKind::CheckHeader {
                name,
                status,
                message,
                ignore_case,
                values,
            } => {
                let present = self.flow.ctx.request.headers.get(name);
                let passes = !present.is_empty()
                    && (values.is_empty()
                        || present.iter().any(|p| {
                            values.iter().any(|v| {
                                if *ignore_case {
                                    v.eq_ignore_ascii_case(p)
                                } else {
                                    v == p
                                }
                            })
                        }));
                if !passes {
                    let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::UNAUTHORIZED);
                    self.answer_error(status, message);
                    let (reason, detail) = match present.first() {
                        None => (
                            "HeaderNotFound",
                            format!("Header {name} was not found in the request. Access denied."),
                        ),
                        Some(value) => (
                            "HeaderValueNotAllowed",
                            format!(
                                "Header {name} value of {value} is not allowed. Access denied."
                            ),
                        ),
                    };
                    return Err(Failure::refusal(step, reason, detail));
                }
            }
            StepKind::IpFilter { allow, ranges } => {
                let ip = self.admitted.client_ip;
                let listed = ip.is_some_and(|ip| ranges.iter().any(|r| r.contains(ip)));
                if listed != *allow {
                    self.answer_error(StatusCode::FORBIDDEN, "Forbidden");
                    let ip = ip.map(|ip| ip.to_string()).unwrap_or_default();
                    let message = format!("Caller IP address {ip} is not allowed. Access denied.");
                    return Err(Failure::refusal(step, "CallerIpNotAllowed", message));
                }
            }
            StepKind::RateLimit { limit, apis } => {
                let Some(subscription) = self.flow.ctx.subscription.as_ref().map(|s| s.id.clone())
                else {
                    // Counted per subscription: a call without a key has none to count against.
                    return Ok(Ended::Through);
                };
                let base = format!("rl|{}|{subscription}", self.scope_id(step));
                let mut limits = vec![(base.clone(), *limit)];
                let (api, ctx) = (&self.admitted, &self.flow.ctx);
                for a in apis.iter().filter(|a| names(a, &api.api_id, &ctx.api.name)) {
                    limits.push((format!("{base}|api:{}", api.api_id), a.limit));
                    for o in a
                        .operations
                        .iter()
                        .filter(|o| names(o, &api.operation_id, &ctx.operation.name))
                    {
                        let key = format!("{base}|op:{}/{}", api.api_id, api.operation_id);
                        limits.push((key, o.limit));
                    }
                }
                let limiter = self.gateway.limiter();
                for (key, l) in &limits {
                    let verdict = limiter.admit(key, l.calls, l.period, 0).await;
                    if let Some(ended) = self.refused(step, verdict)? {
                        return Ok(ended);
                    }
                }
                for (key, l) in &limits {
                    limiter.count(key, l.period, 1).await;
                }
            }
            StepKind::RateLimitByKey {
                limit,
                key,
                condition,
                count,
            } => {
                let key = format!("rlk|{}", self.text(step, key)?);
                let limiter = self.gateway.limiter();
                let now = if condition.is_none() && count.is_none() {
                    1
                } else {
                    0
                };
                let verdict = limiter.admit(&key, limit.calls, limit.period, now).await;
                if let Some(ended) = self.refused(step, verdict)? {
                    return Ok(ended);
                }
                if now == 0 {
                    self.pending.push(super::Pending {
                        step: step.clone(),
                        counter: super::Counter::Rate {
                            key,
                            period: limit.period,
                        },
                    });
                }
            }
            StepKind::Quota { limit, apis } => {
                let Some(subscription) = self.flow.ctx.subscription.as_ref().map(|s| s.id.clone())
                else {
                    // Counted per subscription: a call without a key has none to count against.
                    return Ok(Ended::Through);
                };
                let a = &self.admitted;
                let mut quotas = vec![(subscription.clone(), *limit)];
                let ctx = &self.flow.ctx;
                for api in apis.iter().filter(|x| names(x, &a.api_id, &ctx.api.name)) {
                    quotas.push((format!("{subscription}:{}", a.api_id), api.limit));
                    for op in api
                        .operations
                        .iter()
                        .filter(|x| names(x, &a.operation_id, &ctx.operation.name))
                    {
                        quotas.push((
                            format!("{subscription}:{}:{}", a.api_id, a.operation_id),
                            op.limit,
                        ));
                    }
                }
                let now = crate::quotas::now_secs();
                // Periods start when the subscription started, as Azure counts them.
                let origin = self
                    .admitted
                    .grant
                    .as_ref()
                    .map_or(tollgate_policy::pipeline::DEFAULT_FIRST_PERIOD_START, |g| {
                        g.facts.period_origin()
                    });
                // First check every quota, then count the call against each.
                for count in [false, true] {
                    for (key, l) in &quotas {
                        let period = crate::quotas::Period::at(origin, l.period, now);
                        self.quota(step, key, &period, l, count).await?;
                    }
                }
            }
            StepKind::QuotaByKey {
                limit,
                key,
                condition,
                count,
                first_period_start,
            } => {
                let key = self.text(step, key)?;
                let now = crate::quotas::now_secs();
                let period = crate::quotas::Period::at(*first_period_start, limit.period, now);
                let count = condition.is_none() && count.is_none();
                self.quota(step, &key, &period, limit, count).await?;
                if !count {
                    self.pending.push(super::Pending {
                        step: step.clone(),
                        counter: super::Counter::Quota { key, period },
                    });
                }
            }
            StepKind::ValidateJwt(v) => return Box::pin(self.validate_jwt(step, v)).await,
            StepKind::CacheLookup(lookup) => return self.cache_lookup(step, lookup),
            StepKind::CacheStore {
                duration,
                cache_response,
            } => return self.cache_store(step, duration, cache_response.as_ref()),
            StepKind::CacheLookupValue {
                key,
                default,
                variable,
            } => return self.cache_lookup_value(step, key, default.as_ref(), variable),
            StepKind::CacheStoreValue {
                key,
                value,
                duration,
            } => return self.cache_store_value(step, key, value, duration),
            StepKind::CacheRemoveValue { key } => return self.cache_remove_value(step, key),
            StepKind::Retry {
                condition,
                count,
                interval,
                max_interval,
                delta,
                first_fast_retry,
                body,
            } => {
                let schedule = super::blocks::Schedule {
                    count: *count,
                    interval: *interval,
                    max_interval: *max_interval,
                    delta: *delta,
                    first_fast_retry: *first_fast_retry,
                };
                return Box::pin(self.retry(step, condition, schedule, body, section)).await;
            }
            StepKind::Wait { body } => return self.nested(body, section).await,
            StepKind::LimitConcurrency {
                key,
                max_count,
                body,
            } => {
                return self
                    .limit_concurrency(step, key, *max_count, body, section)
                    .await;
            }
            StepKind::Trace { source, message } => {
                if self.flow.ctx.tracing {
                    let message = self.text(step, message)?;
                    if let Some(trace) = self.trace.as_mut() {
                        trace.message(source, &message);
                    }
                }
            }
            StepKind::SendRequest(send) => {
                return Box::pin(self.send_request(step, send, section)).await;
            }
            StepKind::EmitMetric(metric) => self.emit_metric(step, metric)?,
            StepKind::LogToEventHub {
                logger,
                partition_id,
                partition_key,
                message,
            } => {
                let optional = |env: &mut Self, text: &Option<Text>| {
                    text.as_ref().map(|t| env.text(step, t)).transpose()
                };
                // Azure truncates messages above 200 KB.
                let mut message = self.text(step, message)?;
                message.truncate(message.floor_char_boundary(MAX_MESSAGE));
                let event = Event {
                    message,
                    partition_id: optional(self, partition_id)?,
                    partition_key: optional(self, partition_key)?,
                };
                let snapshot = self.admitted.snapshot.clone();
                match snapshot.policies().logger(logger) {
                    Some(Ok(sink)) => self.gateway.log_event(sink, event),
                    Some(Err(why)) => {
                        if let Some(trace) = self.trace.as_mut() {
                            trace.message(&step.name, &format!("not sent: {why}"));
                        }
                    }
                    None => {
                        let message = format!("Logger with id '{logger}' could not be found.");
                        return Err(Failure::new(step, "LoggerNotFound", message));
                    }
                }
            }
            StepKind::MockResponse {
                status,
                content_type,
            } => return Ok(self.mock_response(*status, content_type.as_deref())),
            StepKind::AuthenticationBasic { username, password } => {
                self.authentication_basic(step, username, password)?;
            }
            StepKind::AuthenticationCertificate {
                thumbprint,
                certificate_id,
                body,
            } => {
                let named = super::send::Named {
                    thumbprint: thumbprint.as_ref(),
                    id: certificate_id.as_ref(),
                    body: body.as_ref(),
                };
                self.authentication_certificate(step, named)?
            }
            StepKind::Proxy {
                url,
                username,
                password,
            } => self.proxy(step, url, username.as_ref(), password.as_ref())?,
            StepKind::Cors(cors) => return self.cors(step, cors),
            StepKind::Jsonp { callback_parameter } => {
                return Box::pin(self.jsonp(step, callback_parameter)).await;
            }
            // Serves /crossdomain.xml (browser.rs); nothing to do on other calls.
            StepKind::CrossDomain(_) => {}
            StepKind::FindAndReplace { from, to } => {
                return Box::pin(self.find_and_replace(step, section, from, to)).await;
            }
            StepKind::RedirectContentUrls => {
                return Box::pin(self.redirect_content_urls(section)).await;
            }
            StepKind::JsonToXml(options) => {
                return Box::pin(self.json_to_xml(step, section, options)).await;
            }
            StepKind::XmlToJson(options) => {
                return Box::pin(self.xml_to_json(step, section, options)).await;
            }
        }
        Ok(Ended::Through)
    }

    /// What identifies a statement's scope in counter keys: its kind and id, and its line.
    fn scope_id(&self, step: &Step) -> String {
        use tollgate_policy::ScopeKind;
        let a = &self.admitted;
        let id = match step.scope {
            ScopeKind::Global => String::new(),
            ScopeKind::Product => a
                .grant
                .as_ref()
                .map(|g| g.product_id.clone())
                .unwrap_or_default(),
            ScopeKind::Api => a.api_id.to_lowercase(),
            ScopeKind::Operation => format!("{}/{}", a.api_id, a.operation_id).to_lowercase(),
        };
        format!("{:?}:{id}:{}", step.scope, step.line)
    }

    /// `emit-metric`: the value (default 1, a number) added to the metric's series of these
    /// dimensions' values (the default dimensions without a value read from the call).
    fn emit_metric(&mut self, step: &Step, metric: &EmitMetric) -> Result<(), Failure> {
        let value = match &metric.value {
            None => 1.0,
            Some(text) => {
                let raw = self.text(step, text)?;
                raw.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        let message = format!("the value of emit-metric is not a number: '{raw}'");
                        Failure::new(step, "InvalidMetricValue", message)
                    })?
            }
        };
        let mut dimensions = Vec::with_capacity(metric.dimensions.len());
        for (name, text) in &metric.dimensions {
            let value = match text {
                Some(text) => self.text(step, text)?,
                None => self.default_dimension(name),
            };
            dimensions.push((name.clone(), value));
        }
        let metrics = &self.gateway.inner.metrics;
        metrics.emit(&metric.namespace, &metric.name, dimensions, value);
        Ok(())
    }

    /// A default dimension of `emit-metric` (`API ID`, `User ID`, …), read from the call.
    fn default_dimension(&self, name: &str) -> String {
        let ctx = &self.flow.ctx;
        let id = |o: Option<&str>| o.unwrap_or_default().to_owned();
        match name.to_ascii_lowercase().as_str() {
            "api id" => ctx.api.id.clone(),
            "operation id" => ctx.operation.id.clone(),
            "product id" => id(ctx.product.as_deref().map(|p| p.id.as_str())),
            "user id" => id(ctx.user.as_deref().map(|u| u.id.as_str())),
            "subscription id" => id(ctx.subscription.as_ref().map(|s| s.id.as_str())),
            "location" => ctx.deployment.region.clone(),
            _ => ctx.deployment.service_name.clone(),
        }
    }

    /// Admits the call under `key`'s quota in `period`, counting it when `count` (and, with a
    /// bandwidth quota, charging its kilobytes when it ends); a used-up quota answers 403.
    async fn quota(
        &mut self,
        step: &Step,
        key: &str,
        period: &crate::quotas::Period,
        limit: &QuotaLimit,
        count: bool,
    ) -> Result<(), Failure> {
        let allowed = (limit.calls, limit.kilobytes);
        match self
            .gateway
            .quotas()
            .admit(key, period, allowed, count)
            .await
        {
            Ok(Ok(())) => {
                if count && limit.kilobytes.is_some() {
                    self.call.bandwidth.push((key.to_owned(), period.clone()));
                }
                Ok(())
            }
            Ok(Err(exhausted)) => Err(self.out_of_quota(step, exhausted)),
            Err(e) => Err(Failure::new(
                step,
                "QuotaStoreUnavailable",
                format!("the quota counter could not be read: {e}"),
            )),
        }
    }

    /// Answers 403 with `Retry-After`, as Azure answers a used-up quota; the error for on-error.
    fn out_of_quota(&mut self, step: &Step, exhausted: crate::quotas::Exhausted) -> Failure {
        let what = if exhausted.bandwidth {
            "bandwidth"
        } else {
            "call volume"
        };
        let message = format!(
            "Out of {what} quota. Quota will be replenished in {}.",
            crate::quotas::span(exhausted.renews_in)
        );
        self.answer_error(StatusCode::FORBIDDEN, &message);
        if let Some(response) = self.flow.ctx.response.as_mut() {
            let seconds = exhausted.renews_in.to_string();
            response.headers.set("Retry-After", vec![seconds]);
        }
        Failure::refusal(step, "QuotaExceeded", message)
    }

    /// What a rate-limit verdict does to the call: nothing when allowed; a 429 answer when
    /// exceeded; an error (on-error) when the shared counters are unreachable.
    fn refused(
        &mut self,
        step: &Step,
        verdict: crate::limits::Verdict,
    ) -> Result<Option<Ended>, Failure> {
        use crate::limits::Verdict;
        match verdict {
            Verdict::Allowed => Ok(None),
            Verdict::Exceeded(exceeded) => {
                self.too_many(exceeded.retry_after);
                Err(Failure::new(
                    step,
                    "RateLimitExceeded",
                    "Rate limit is exceeded",
                ))
            }
            Verdict::Unavailable(why) => Err(Failure::new(
                step,
                "RateLimitStoreUnavailable",
                format!("the shared rate-limit counters could not be reached: {why}"),
            )),
        }
    }

    /// Ends the call with 429 and `Retry-After`, as Azure answers an exceeded rate limit.
    fn too_many(&mut self, retry_after: u64) {
        let message = format!("Rate limit is exceeded. Try again in {retry_after} seconds.");
        self.answer_error(StatusCode::TOO_MANY_REQUESTS, &message);
        if let Some(response) = self.flow.ctx.response.as_mut() {
            response
                .headers
                .set("Retry-After", vec![retry_after.to_string()]);
        }
    }

    /// Ends the call with a gateway error answer (`{"statusCode": …, "message": …}`).
    pub(super) fn answer_error(&mut self, status: StatusCode, message: &str) {
        self.flow.respond(status);
        let body = serde_json::json!({"statusCode": status.as_u16(), "message": message});
        set_response_body(&mut self.flow, body.to_string().into());
        if let Some(response) = self.flow.ctx.response.as_mut() {
            response.headers.set(
                "Content-Type",
                vec!["application/json; charset=utf-8".into()],
            );
        }
    }

    /// `rewrite-uri`: the path and query below the backend's base from a template whose
    /// `{name}`s are the operation's matched parameters or query parameters.
    fn rewrite(&mut self, template: &str, copy_unmatched: bool) {
        let params = &self.flow.ctx.request.matched_parameters;
        let query = &self.flow.ctx.request.url.query;
        let lookup = |name: &str| -> String {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .or_else(|| {
                    query
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .and_then(|(_, vs)| vs.first().cloned())
                })
                .unwrap_or_default()
        };
        let mut filled = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            filled.push_str(&rest[..open]);
            filled.push_str(&lookup(
                rest[open + 1..open + close].trim_start_matches('*'),
            ));
            rest = &rest[open + close + 1..];
        }
        filled.push_str(rest);
        let (path, new_query) = match filled.split_once('?') {
            Some((p, q)) => (p.to_owned(), decode_query(q)),
            None => (filled, Vec::new()),
        };
        let mut merged = new_query;
        if copy_unmatched {
            for (name, values) in query {
                let in_template = params.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
                if !in_template && !merged.iter().any(|(k, _)| k == name) {
                    merged.push((name.clone(), values.clone()));
                }
            }
        }
        self.flow.ctx.request.url.query = merged;
        self.flow.path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        self.flow.update_url();
    }

    /// `forward-request`: the call to the backend; its response becomes the call's.
    /// Sends the request to the backend; with `follow_redirects`, a redirect answer (301, 302,
    /// 303, 307, 308 with a `Location`) is followed, up to [`MAX_REDIRECTS`] times.
    async fn forward(&mut self, timeout: std::time::Duration, follow_redirects: bool) {
        let mut target = self.flow.target();
        if let Some(backend) = self
            .admitted
            .backend
            .as_ref()
            .filter(|b| !b.query.is_empty())
        {
            target.push(if target.contains('?') { '&' } else { '?' });
            target.push_str(&backend.query);
        }
        let request = &self.flow.ctx.request;
        let mut method = request.method.clone();
        let mut headers = header_map(&request.headers);
        // A body read whole stays (a retry sends it again); a streaming one can go once.
        let mut body = match &self.flow.request_body {
            Content::Bytes(bytes) => Content::Bytes(bytes.clone()),
            Content::Stream(_) => {
                std::mem::replace(&mut self.flow.request_body, Content::Bytes(Bytes::new()))
            }
        };
        let mut redirects = 0;
        let response = loop {
            // A body read whole is kept for a redirect; a streaming one can go once.
            let (length, again) = match &body {
                Content::Bytes(bytes) => (Some(bytes.len()), Content::Bytes(bytes.clone())),
                Content::Stream(_) => (None, Content::Bytes(Bytes::new())),
            };
            let sent = axum::http::Request::builder()
                .method(method.as_str())
                .uri(target.as_str())
                .body(std::mem::replace(&mut body, again).into_body());
            let Ok(outbound) = sent else {
                self.answer_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The backend URL or method set by the policies is not valid.",
                );
                return;
            };
            let (mut parts, outgoing) = outbound.into_parts();
            // The headers are kept only when a redirect may need them again.
            parts.headers = if follow_redirects {
                headers.clone()
            } else {
                std::mem::take(&mut headers)
            };
            if let Some(length) = length {
                // The body was read (or set) whole: its length is known again.
                use axum::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
                let had_body = parts.headers.remove(TRANSFER_ENCODING).is_some()
                    | parts.headers.remove(CONTENT_LENGTH).is_some();
                if length > 0 || had_body {
                    parts.headers.insert(CONTENT_LENGTH, length.into());
                }
            }
            ToBackend {
                key_header: &self.admitted.key_header,
                client_ip: self.admitted.client_ip,
                scheme: self.admitted.scheme,
                backend: self.admitted.backend.as_deref(),
            }
            .prepare(&mut parts.headers);
            let response = crate::proxy::send(
                self.gateway,
                self.admitted.backend.as_deref(),
                parts,
                outgoing,
                self.call,
                timeout,
            )
            .await;
            let next = redirect(&response, &target).filter(|_| follow_redirects);
            let Some((location, as_get)) = next.filter(|_| redirects < MAX_REDIRECTS) else {
                break response;
            };
            redirects += 1;
            if !same_origin(&location, &target) {
                // Credentials meant for the backend do not follow a call elsewhere.
                headers.remove(axum::http::header::AUTHORIZATION);
            }
            if as_get && method != "HEAD" {
                method = "GET".to_owned();
                body = Content::Bytes(Bytes::new());
                headers.remove(axum::http::header::CONTENT_TYPE);
            }
            target = location;
        };
        let (parts, body) = response.into_parts();
        self.flow.ctx.response = Some(tollgate_policy::csharp::Response {
            status_code: i32::from(parts.status.as_u16()),
            status_reason: parts.status.canonical_reason().unwrap_or("").to_owned(),
            headers: headers_from(&parts.headers),
            body: None,
        });
        self.flow.response_body = Some(Content::Stream(body));
    }
}

/// How many redirects `follow-redirects` follows for one call.
const MAX_REDIRECTS: usize = 10;

/// Where a redirect answer sends the call (its `Location`, resolved against `target`), and
/// whether the call goes on as a `GET` without body (303, and 301/302 after a `POST`, as HTTP
/// clients do); `None` for other answers.
fn redirect(response: &axum::response::Response, target: &str) -> Option<(String, bool)> {
    let status = response.status().as_u16();
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.headers().get(axum::http::header::LOCATION)?;
    let location = resolve(target, location.to_str().ok()?.trim())?;
    Some((location, status == 303 || matches!(status, 301 | 302)))
}

/// `reference` resolved against the absolute URL `base` (absolute, scheme-relative,
/// absolute-path and relative-path references); `None` when it cannot be.
fn resolve(base: &str, reference: &str) -> Option<String> {
    let lower = reference.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Some(reference.to_owned());
    }
    let (scheme, rest) = base.split_once("://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if let Some(other) = reference.strip_prefix("//") {
        return Some(format!("{scheme}://{other}"));
    }
    if reference.starts_with('/') {
        return Some(format!("{scheme}://{authority}{reference}"));
    }
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if reference.starts_with('?') {
        return Some(format!("{scheme}://{authority}{path}{reference}"));
    }
    let directory = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let directory = if directory.is_empty() { "/" } else { directory };
    Some(format!("{scheme}://{authority}{directory}{reference}"))
}

/// Whether two absolute URLs have the same scheme, host and port (as written).
fn same_origin(a: &str, b: &str) -> bool {
    let origin = |url: &str| -> String {
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        format!("{scheme}://{authority}").to_ascii_lowercase()
    };
    origin(a) == origin(b)
}

/// Whether an `<api>`/`<operation>` limit names this API or operation (by id, or by name).
fn names<L>(limit: &tollgate_policy::pipeline::ScopedLimit<L>, id: &str, name: &str) -> bool {
    limit
        .id
        .as_deref()
        .is_some_and(|i| i.eq_ignore_ascii_case(id))
        || limit
            .name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
}

/// `set-header` on a message's headers.
pub(super) fn apply_header(
    headers: &mut Headers,
    name: &str,
    action: ExistsAction,
    values: Vec<String>,
) {
    let exists = !headers.get(name).is_empty();
    match action {
        ExistsAction::Delete => headers.remove(name),
        ExistsAction::Skip if exists => {}
        ExistsAction::Append => headers.append(name, values),
        ExistsAction::Override | ExistsAction::Skip => headers.set(name, values),
    }
}

#[cfg(test)]
mod tests {
    use super::{resolve, same_origin};

    #[test]
    fn redirect_locations_resolve_against_the_backend_url() {
        let base = "http://h:8080/api/items/7?x=1";
        for (reference, expected) in [
            ("https://other/p", "https://other/p"),
            ("//cdn/p", "http://cdn/p"),
            ("/moved", "http://h:8080/moved"),
            ("8", "http://h:8080/api/items/8"),
            ("?y=2", "http://h:8080/api/items/7?y=2"),
        ] {
            assert_eq!(
                resolve(base, reference).as_deref(),
                Some(expected),
                "{reference}"
            );
        }
        assert_eq!(resolve("http://h", "x").as_deref(), Some("http://h/x"));
        assert!(same_origin("http://H:8080/a", "http://h:8080/b?c"));
        assert!(!same_origin("http://h:8080/a", "https://h:8080/a"));
        assert!(!same_origin("http://h/a", "http://h:81/a"));
    }
}
