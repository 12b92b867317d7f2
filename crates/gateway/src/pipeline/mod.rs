//! Running a call's policies: inbound, then backend (where `forward-request` calls the backend),
//! then outbound; an error in any of them runs on-error with `context.LastError` set. A
//! `return-response` (or a failed check) ends the pipeline with its response.

mod blocks;
mod browser;
mod cache;
mod flow;
mod send;
mod steps;
mod trace;
mod transform;
mod validate_jwt;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use serde_json::json;
use tollgate_policy::SectionKind;
use tollgate_policy::csharp::{self, Context, LastError, Url};
use tollgate_policy::pipeline::{Pipeline, Step, StepKind};

use crate::Gateway;
use crate::proxy::{Admitted, Call};
use crate::records::Counted;
pub(crate) use browser::browser_call;
use flow::{Base, Content, Flow, decode_query, header_map, headers_from, now_ticks};

/// The largest message body policies may read whole.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// How a section ended.
enum Ended {
    /// Every statement ran.
    Through,
    /// A statement gave the response (`return-response`, a failed check): nothing else runs.
    Answered,
}

/// An error raised by a statement: what `context.LastError` shows.
#[derive(Debug)]
struct Failure {
    source: String,
    reason: &'static str,
    message: String,
    /// The statement answered the call before failing (a refused token, key, address or limit):
    /// on-error starts from that answer, and the failure is routine, not worth a warning.
    answered: bool,
}

impl Failure {
    fn new(step: &Step, reason: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            source: step.name.clone(),
            reason,
            message: message.into(),
            answered: false,
        }
    }

    /// A refusal: the statement answered the call (see [`Failure::answered`]).
    fn refusal(step: &Step, reason: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            answered: true,
            ..Failure::new(step, reason, message)
        }
    }
}

/// A count decided when the call ends (`increment-condition`, `increment-count`).
struct Pending {
    step: Arc<Step>,
    counter: Counter,
}

/// Which counter a pending count goes to.
enum Counter {
    /// A `rate-limit-by-key` window.
    Rate {
        key: String,
        period: std::time::Duration,
    },
    /// A `quota-by-key` period.
    Quota {
        key: String,
        period: crate::quotas::Period,
    },
}

/// The call's state and what running statements needs.
struct Env<'a> {
    gateway: &'a Gateway,
    call: &'a mut Call,
    admitted: Admitted,
    flow: Flow,
    /// Counts to make when the call ends.
    pending: Vec<Pending>,
    /// Where `cache-store` stores the response (`cache-lookup` missed).
    noted: Option<cache::Noted>,
    /// The call's trace, when it is traced.
    trace: Option<trace::Trace>,
    /// How the backend call is made, as statements changed it (`authentication-certificate`).
    send: send::SendState,
    /// The CORS headers of the response, once a `cors` statement allowed the call.
    cors_headers: Option<Vec<(String, String)>>,
}

/// Runs a call through its pipeline.
pub(crate) async fn run(
    gateway: &Gateway,
    pipeline: Arc<Pipeline>,
    admitted: Admitted,
    request: Request,
    call: &mut Call,
) -> Response {
    let (mut parts, body) = request.into_parts();
    crate::proxy::keep_host(&mut parts);
    let body = Body::new(Counted::new(body, call.request_bytes.clone()));
    let reads = |kind| pipeline.section(kind).iter().any(|s| s.kind.reads_body());
    let request_body = if reads(SectionKind::Inbound) || reads(SectionKind::Backend) {
        match read_whole(body).await {
            Ok(bytes) => Content::Bytes(bytes),
            Err(answer) => return answer,
        }
    } else {
        Content::Stream(body)
    };
    let Some(base) = admitted.service_url.as_deref().and_then(Base::parse) else {
        return crate::proxy::failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The API's serviceUrl is not a valid URL.",
        );
    };
    let ctx = context(&parts, &admitted, &base, &request_body, call);
    let request_id = call.record.request_id.clone();
    let mut env = Env {
        gateway,
        call,
        flow: Flow {
            ctx,
            request_body,
            path: admitted.rest.clone(),
            base,
            response_body: None,
            started: std::time::Instant::now(),
            request_id,
        },
        admitted,
        pending: Vec::new(),
        noted: None,
        trace: None,
        send: send::SendState::default(),
        cors_headers: None,
    };
    env.flow.update_url();
    if env.admitted.traced {
        env.flow.ctx.tracing = true;
        env.trace = Some(trace::Trace::start(&env.flow, &env.admitted.key_header));
    }
    let outcome = env.sections(&pipeline).await;
    let failed = match outcome {
        Ok(()) => None,
        Err((section, failure)) => Some((section, failure)),
    };
    if let Some((section, failure)) = failed {
        // A statement that answered (a refused token, key, address or limit) is routine; other
        // failures are worth a warning.
        if failure.answered {
            tracing::debug!(policy = %failure.source, reason = failure.reason, "a statement refused the call; running on-error");
        } else {
            tracing::warn!(
                policy = %failure.source,
                reason = failure.reason,
                message = %failure.message,
                "a policy failed; running on-error"
            );
        }
        env.flow.ctx.last_error = Some(LastError {
            source: failure.source,
            reason: failure.reason.to_owned(),
            message: failure.message,
            scope: String::new(),
            section: section.name().to_owned(),
            path: String::new(),
            policy_id: String::new(),
        });
        // The answer on-error starts from: the backend's response if there is one, else
        // Azure's internal-error body.
        if env.flow.ctx.response.is_none() {
            internal_error(&mut env.flow);
        }
        let steps = pipeline.section(SectionKind::OnError);
        if let Err(failure) = env.steps(steps, SectionKind::OnError).await {
            tracing::warn!(policy = %failure.source, message = %failure.message, "on-error failed");
            internal_error(&mut env.flow);
        }
    }
    env.count_pending().await;
    env.add_cors_headers();
    let trace = env
        .trace
        .take()
        .map(|t| t.finish(&env.flow, &env.flow.request_id));
    let called = &env.flow.ctx.request.original_url;
    let base = format!("{}://{}:{}", called.scheme, called.host, called.port);
    let mut response = env.into_response();
    if let Some(json) = trace {
        let id = gateway.traces().keep(json);
        let location = format!("{base}{}{id}", crate::traces::PATH);
        if let Ok(value) = axum::http::HeaderValue::from_str(&location) {
            response
                .headers_mut()
                .insert("ocp-apim-trace-location", value);
        }
    }
    response
}

/// Azure's answer to a call whose policies failed: 500 and a JSON body.
fn internal_error(flow: &mut Flow) {
    flow.respond(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({
        "statusCode": 500,
        "message": "Internal server error",
        "activityId": flow.request_id,
    })
    .to_string();
    steps::set_response_body(flow, body.into());
    if let Some(response) = flow.ctx.response.as_mut() {
        response.headers.set(
            "Content-Type",
            vec!["application/json; charset=utf-8".into()],
        );
    }
}

/// .NET ticks of an RFC 3339 time (`2026-11-23T05:00:00Z`; fractions of a second ignored).
pub(crate) fn ticks(rfc3339: &str) -> Option<i64> {
    let seconds = chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()?
        .timestamp();
    Some(seconds * csharp::TICKS_PER_SECOND + flow::UNIX_EPOCH_TICKS)
}

/// An API's `serviceUrl` as `IUrl` (empty when absent or not an http(s) URL).
pub(crate) fn service_url(url: Option<&str>) -> Url {
    url.and_then(Base::parse)
        .map(|b| base_url(&b))
        .unwrap_or_default()
}

/// A base URL as `IUrl`.
fn base_url(b: &Base) -> Url {
    Url {
        scheme: b.scheme.clone(),
        host: b.host.clone(),
        port: b.port,
        path: b.path.clone(),
        query: Vec::new(),
    }
}

/// Reads a body whole, refusing one larger than policies may read.
async fn read_whole(body: Body) -> Result<axum::body::Bytes, Response> {
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(_) => Err(crate::proxy::failure(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is larger than policies can read (16 MiB).",
        )),
    }
}

/// The `context` of a call, as it arrives.
fn context(
    parts: &axum::http::request::Parts,
    admitted: &Admitted,
    base: &Base,
    body: &Content,
    call: &Call,
) -> Context {
    let mut ctx = Context::default();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let (host_name, port) = match host.rsplit_once(':') {
        Some((h, p)) if p.parse::<i32>().is_ok() => (h.to_owned(), p.parse().unwrap_or(80)),
        _ => (
            host.to_owned(),
            if admitted.scheme == "https" { 443 } else { 80 },
        ),
    };
    ctx.request.method = parts.method.as_str().to_owned();
    ctx.request.original_url = Url {
        scheme: admitted.scheme.to_owned(),
        host: host_name,
        port,
        path: parts.uri.path().to_owned(),
        query: decode_query(parts.uri.query().unwrap_or("")),
    };
    ctx.request.url.query = decode_query(&admitted.kept_query);
    ctx.request.headers = headers_from(&parts.headers);
    ctx.request.ip_address = admitted
        .client_ip
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    ctx.request.matched_parameters = admitted
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Content::Bytes(bytes) = body {
        ctx.request.body = Some(String::from_utf8_lossy(bytes).into());
    }
    let described = admitted
        .snapshot
        .describe(&admitted.api_id, &admitted.operation_id);
    let (api_name, api_path, operation_name, url_template) = described
        .map_or_else(Default::default, |d| {
            (d.api_name, d.api_path, d.operation_name, d.url_template)
        });
    ctx.api = csharp::Api {
        id: admitted.api_id.clone(),
        name: api_name.to_owned(),
        path: api_path.to_owned(),
        service_url: base_url(base),
        protocols: vec![admitted.scheme.to_owned()],
        key_header: admitted.key_header.clone(),
        key_query: admitted.key_query.clone(),
        is_current_revision: true,
        ..csharp::Api::default()
    };
    ctx.operation = csharp::Operation {
        id: admitted.operation_id.clone(),
        name: operation_name.to_owned(),
        method: parts.method.as_str().to_uppercase(),
        url_template: url_template.to_owned(),
    };
    if let Some(grant) = &admitted.grant {
        let facts = &grant.facts;
        ctx.subscription = Some(csharp::Subscription {
            id: grant.subscription_id.clone(),
            key: admitted.key.clone().unwrap_or_default(),
            name: facts.name.clone(),
            primary_key: facts.primary_key.clone(),
            secondary_key: facts.secondary_key.clone(),
            created_date: ticks(&facts.created_date).unwrap_or_default(),
            start_date: facts.start_date.as_deref().and_then(ticks),
            end_date: facts.end_date.as_deref().and_then(ticks),
        });
        // The user and product as the snapshot holds them (a reference count each). Should the
        // store lack the subscription's user, the user shows only their id.
        ctx.user = Some(
            admitted
                .snapshot
                .user(&grant.user_id)
                .cloned()
                .unwrap_or_else(|| {
                    Arc::new(csharp::User {
                        id: grant.user_id.clone(),
                        ..csharp::User::default()
                    })
                }),
        );
        ctx.product = admitted.snapshot.product(&grant.product_id).cloned();
    }
    ctx.deployment.region = crate::proxy::REGION.to_owned();
    ctx.deployment.service_name = "tollgate".to_owned();
    ctx.request_id =
        u128::from_str_radix(&call.record.request_id.replace('-', ""), 16).unwrap_or(0);
    ctx.timestamp = now_ticks();
    ctx.now = ctx.timestamp;
    ctx
}

impl Env<'_> {
    /// Inbound, backend (unless inbound answered), outbound (unless an earlier section did).
    async fn sections(&mut self, pipeline: &Pipeline) -> Result<(), (SectionKind, Failure)> {
        for kind in [
            SectionKind::Inbound,
            SectionKind::Backend,
            SectionKind::Outbound,
        ] {
            if kind == SectionKind::Outbound && self.flow.ctx.response.is_none() {
                let failure = Failure {
                    source: "backend".to_owned(),
                    reason: "NoResponse",
                    message:
                        "the backend section has no forward-request: nothing answered the call"
                            .to_owned(),
                    answered: false,
                };
                return Err((SectionKind::Backend, failure));
            }
            if kind == SectionKind::Outbound
                && pipeline.section(kind).iter().any(|s| s.kind.reads_body())
            {
                self.read_response_body().await.map_err(|f| (kind, f))?;
            }
            match self.steps(pipeline.section(kind), kind).await {
                Ok(Ended::Through) => {}
                Ok(Ended::Answered) => return Ok(()),
                Err(failure) => return Err((kind, failure)),
            }
        }
        Ok(())
    }

    /// Reads the backend's response body whole (outbound statements read it).
    async fn read_response_body(&mut self) -> Result<(), Failure> {
        let Some(Content::Stream(_)) = &self.flow.response_body else {
            return Ok(());
        };
        let Some(Content::Stream(body)) = self.flow.response_body.take() else {
            return Ok(());
        };
        let limited = http_body_util::Limited::new(body, MAX_BODY);
        match limited.collect().await {
            Ok(collected) => {
                let bytes = collected.to_bytes();
                if let Some(response) = self.flow.ctx.response.as_mut() {
                    response.body = Some(String::from_utf8_lossy(&bytes).into());
                }
                self.flow.response_body = Some(Content::Bytes(bytes));
                Ok(())
            }
            Err(e) => Err(Failure {
                source: "forward-request".to_owned(),
                reason: "BackendResponseRead",
                message: format!("the backend's response body could not be read: {e}"),
                answered: false,
            }),
        }
    }

    /// Makes the counts `rate-limit-by-key` left for the end of the call: its condition and
    /// count see the final response. A condition that fails to evaluate counts nothing.
    async fn count_pending(&mut self) {
        use tollgate_policy::csharp::Value;
        for pending in std::mem::take(&mut self.pending) {
            let (condition, count) = match &pending.step.kind {
                StepKind::RateLimitByKey {
                    condition, count, ..
                } => (condition, count),
                StepKind::QuotaByKey {
                    condition, count, ..
                } => (condition, count),
                _ => continue,
            };
            let step = &pending.step;
            let counts = match condition.as_ref().map(|c| self.value(step, c)) {
                None | Some(Ok(Value::Bool(true))) => true,
                Some(Ok(_)) => false,
                Some(Err(failure)) => {
                    tracing::warn!(error = %failure.message, "increment-condition failed: not counted");
                    false
                }
            };
            if !counts {
                continue;
            }
            let n = match count.as_ref().map(|c| self.value(step, c)) {
                None => 1,
                Some(Ok(v)) => v.to_policy_string().trim().parse::<u64>().unwrap_or(1),
                Some(Err(failure)) => {
                    tracing::warn!(error = %failure.message, "increment-count failed");
                    continue;
                }
            };
            match &pending.counter {
                Counter::Rate { key, period } => {
                    self.gateway.limiter().count(key, *period, n).await;
                }
                Counter::Quota { key, period } => {
                    let n = i64::try_from(n).unwrap_or(i64::MAX);
                    self.gateway.quotas().count(key, period, n, 0.0);
                    if let StepKind::QuotaByKey { limit, .. } = &step.kind
                        && limit.kilobytes.is_some()
                    {
                        self.call.bandwidth.push((key.clone(), period.clone()));
                    }
                }
            }
        }
    }

    /// The response to send: the one the pipeline made.
    fn into_response(self) -> Response {
        let Env { flow, .. } = self;
        let Some(ctx_response) = flow.ctx.response else {
            return crate::proxy::failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error",
            );
        };
        let status = u16::try_from(ctx_response.status_code)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = flow
            .response_body
            .map_or_else(Body::empty, Content::into_body);
        let mut response = Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = header_map(&ctx_response.headers);
        // A body changed by a policy has a new length: hyper writes the right one.
        response.headers_mut().remove(header::CONTENT_LENGTH);
        response
    }
}
