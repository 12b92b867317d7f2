//! What browsers need: `cors` and `jsonp` on calls, and the two kinds of call the gateway
//! answers itself because they match no operation — CORS preflights (`OPTIONS` with `Origin`
//! and `Access-Control-Request-Method`) and `GET /crossdomain.xml`.
//!
//! A preflight is answered from the `cors` statements standing directly in the inbound
//! section of the pipeline of the call it asks about: the operation the path matches for the
//! requested method, with the product of a subscription key given in the query or a header
//! (preflights carry no credentials; without a usable key there is no product scope). The
//! first statement that allows the preflight answers it; one that does not ends it with an
//! empty 200 when its `terminate-unmatched-request` is true, else the next one is tried; none
//! left: an empty 200. Nothing else of the pipeline runs. An API operation for `OPTIONS`
//! takes preflights like any call (Azure: custom preflight handling).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use tollgate_policy::SectionKind;
use tollgate_policy::csharp::{Context, Limits};
use tollgate_policy::pipeline::{
    Cors, Methods, Origins, Step, StepKind, Text, cross_domain_statement,
};

use super::flow::{Base, Content};
use super::{Ended, Env, Failure};
use crate::proxy::Call;
use crate::snapshot::Snapshot;

/// What a `cors` statement decides.
enum Verdict {
    /// Allowed: the headers its response gets.
    Allowed(Vec<(String, String)>),
    /// Not allowed; `terminate`: end the call with an empty 200.
    Unmatched { terminate: bool },
}

/// The CORS side of a call.
struct CorsCall {
    /// The `Origin` header.
    origin: String,
    /// The method of the call, or the one a preflight asks for.
    method: String,
    /// A preflight's `Access-Control-Request-Headers`, lower case.
    headers: Vec<String>,
    /// Whether the call is a preflight (answered by the gateway).
    preflight: bool,
}

/// `true`/`false` (any case) as a flag.
pub(super) fn flag(step: &Step, name: &str, value: &str) -> Result<bool, Failure> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("true") => Ok(true),
        v if v.eq_ignore_ascii_case("false") => Ok(false),
        v => Err(Failure::new(
            step,
            "InvalidValue",
            format!("'{name}' must be true or false, not '{v}'"),
        )),
    }
}

/// Whether a preflight asks for an allowed method. Actual calls are matched by their origin
/// only: browsers check methods in preflights.
fn method_allowed(
    cors: &Cors,
    call: &CorsCall,
    eval: &mut dyn FnMut(&Text) -> Result<String, Failure>,
) -> Result<bool, Failure> {
    let Methods::Listed(methods) = &cors.methods else {
        return Ok(true);
    };
    if !call.preflight {
        return Ok(true);
    }
    for m in methods {
        if eval(m)?.trim().eq_ignore_ascii_case(&call.method) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Decides whether a `cors` statement allows a call, evaluating its values with `eval`.
fn verdict(
    step: &Step,
    cors: &Cors,
    call: &CorsCall,
    eval: &mut dyn FnMut(&Text) -> Result<String, Failure>,
) -> Result<Verdict, Failure> {
    let method_allowed = method_allowed(cors, call, eval)?;
    let headers_allowed = call.headers.iter().all(|h| cors.headers.allows(h));
    if !(cors.origins.allows(&call.origin) && method_allowed && headers_allowed) {
        let value = eval(&cors.terminate_unmatched_request)?;
        let terminate = flag(step, "terminate-unmatched-request", &value)?;
        return Ok(Verdict::Unmatched { terminate });
    }
    let credentials = flag(step, "allow-credentials", &eval(&cors.allow_credentials)?)?;
    let allow_origin = match (&cors.origins, credentials) {
        (Origins::Any, false) => "*".to_owned(),
        (Origins::Any, true) => {
            return Err(Failure::new(
                step,
                "InvalidValue",
                "allow-credentials cannot be true when any origin ('*') is allowed",
            ));
        }
        (Origins::Listed(_), _) => call.origin.clone(),
    };
    let mut headers = vec![("Access-Control-Allow-Origin".to_owned(), allow_origin)];
    if credentials {
        headers.push(("Access-Control-Allow-Credentials".into(), "true".into()));
    }
    if call.preflight {
        headers.push(("Access-Control-Allow-Methods".into(), call.method.clone()));
        if !call.headers.is_empty() {
            headers.push((
                "Access-Control-Allow-Headers".into(),
                call.headers.join(","),
            ));
        }
        if let Some(age) = &cors.max_age {
            let age = eval(age)?;
            let Ok(seconds) = age.trim().parse::<u32>() else {
                let message =
                    format!("'preflight-result-max-age' must be a whole number, not '{age}'");
                return Err(Failure::new(step, "InvalidValue", message));
            };
            headers.push(("Access-Control-Max-Age".into(), seconds.to_string()));
        }
    } else if !cors.expose_headers.is_empty() {
        let exposed = cors.expose_headers.join(",");
        headers.push(("Access-Control-Expose-Headers".into(), exposed));
    }
    if matches!(cors.origins, Origins::Listed(_)) {
        headers.push(("Vary".into(), "Origin".into()));
    }
    Ok(Verdict::Allowed(headers))
}

/// Whether a callback name is a JavaScript function name, possibly qualified
/// (`cb`, `app.handlers.done`, `jQuery3310_15`): nothing else is written before the JSON.
fn is_callback(name: &str) -> bool {
    name.len() <= 256
        && name.split('.').all(|part| {
            part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        })
}

/// Whether a media type is of a subtype (`json`: `application/json`, `text/json`, `…+json`).
pub(super) fn is_media(content_type: &str, subtype: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    !media.contains('*')
        && (media == format!("application/{subtype}")
            || media == format!("text/{subtype}")
            || media.ends_with(&format!("+{subtype}")))
}

impl Env<'_> {
    /// `cors` on a call: CORS headers for its response when the first statement to allow its
    /// origin does; a `GET` or `HEAD` from another origin ends with an empty 200 when
    /// `terminate-unmatched-request` says so. Calls without `Origin` are not CORS calls.
    pub(super) fn cors(&mut self, step: &Step, cors: &Cors) -> Result<Ended, Failure> {
        if self.cors_headers.is_some() {
            return Ok(Ended::Through);
        }
        let request = &self.flow.ctx.request;
        let Some(origin) = request.headers.get("Origin").into_iter().next() else {
            return Ok(Ended::Through);
        };
        let call = CorsCall {
            origin,
            method: request.method.clone(),
            headers: Vec::new(),
            preflight: false,
        };
        match verdict(step, cors, &call, &mut |t| self.text(step, t))? {
            Verdict::Allowed(headers) => self.cors_headers = Some(headers),
            Verdict::Unmatched { terminate: true } if matches!(&*call.method, "GET" | "HEAD") => {
                self.flow.respond(StatusCode::OK);
                return Ok(Ended::Answered);
            }
            Verdict::Unmatched { .. } => {}
        }
        Ok(Ended::Through)
    }

    /// Adds the CORS headers a `cors` statement decided to the response being sent.
    pub(super) fn add_cors_headers(&mut self) {
        let (Some(headers), Some(response)) =
            (self.cors_headers.take(), self.flow.ctx.response.as_mut())
        else {
            return;
        };
        for (name, value) in headers {
            match name.as_str() {
                "Vary" => response.headers.append(&name, vec![value]),
                _ => response.headers.set(&name, vec![value]),
            }
        }
    }

    /// `jsonp`: with the callback query parameter, a JSON response becomes
    /// `callback(<json>);` (`application/javascript`).
    pub(super) async fn jsonp(&mut self, step: &Step, parameter: &Text) -> Result<Ended, Failure> {
        let parameter = self.text(step, parameter)?;
        let callback = self
            .flow
            .ctx
            .request
            .original_url
            .query
            .iter()
            .find(|(name, _)| *name == parameter)
            .and_then(|(_, values)| values.first().cloned())
            .unwrap_or_default();
        let Some(response) = self.flow.ctx.response.as_ref() else {
            return Ok(Ended::Through);
        };
        let json = response
            .headers
            .get("Content-Type")
            .iter()
            .any(|t| is_media(t, "json"));
        if callback.is_empty() || !json {
            return Ok(Ended::Through);
        }
        if !is_callback(&callback) {
            let message = format!(
                "The JSONP callback (query parameter '{parameter}') must be a JavaScript function name: letters, digits, '_' and '$', parts joined by '.'."
            );
            self.answer_error(StatusCode::BAD_REQUEST, &message);
            return Ok(Ended::Answered);
        }
        self.read_response_body().await?;
        let body = match &self.flow.response_body {
            Some(Content::Bytes(bytes)) => bytes.clone(),
            _ => Bytes::new(),
        };
        let mut wrapped = Vec::with_capacity(body.len() + callback.len() + 3);
        wrapped.extend_from_slice(callback.as_bytes());
        wrapped.push(b'(');
        wrapped.extend_from_slice(&body);
        wrapped.extend_from_slice(b");");
        super::steps::set_response_body(&mut self.flow, wrapped.into());
        if let Some(response) = self.flow.ctx.response.as_mut() {
            response
                .headers
                .set("Content-Type", vec!["application/javascript".into()]);
        }
        Ok(Ended::Through)
    }
}

/// The calls the gateway answers for browsers although they match no operation: CORS
/// preflights and `GET /crossdomain.xml`. `None`: not one of them, or no statement answers it.
pub(crate) fn browser_call(
    snapshot: &Arc<Snapshot>,
    request: Request,
    call: &mut Call,
) -> Option<Response> {
    if request.method() == Method::GET && request.uri().path() == "/crossdomain.xml" {
        return cross_domain_file(snapshot);
    }
    if request.method() == Method::OPTIONS {
        return preflight(snapshot, request, call);
    }
    None
}

/// The global policy's `cross-domain` file.
fn cross_domain_file(snapshot: &Snapshot) -> Option<Response> {
    let global = snapshot.policies().pipeline(None, "", "").ok()?;
    let file = cross_domain_statement(global.section(SectionKind::Inbound))?;
    let mut response = Response::new(Body::from(file.to_string()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    Some(response)
}

/// A preflight answered from the `cors` statements of the pipeline it asks about.
fn preflight(snapshot: &Arc<Snapshot>, request: Request, call: &mut Call) -> Option<Response> {
    let value = |name: header::HeaderName| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
    };
    let origin = value(header::ORIGIN)?;
    let method = value(header::ACCESS_CONTROL_REQUEST_METHOD)?;
    let admitted = crate::proxy::admit_preflight(snapshot, &request, &mut call.record, &method)?;
    let product = admitted.grant.as_ref().map(|g| g.product_id.clone());
    let pipeline = match snapshot.policies().pipeline(
        product.as_deref(),
        &admitted.api_id,
        &admitted.operation_id,
    ) {
        Ok(pipeline) => pipeline,
        Err(problem) => {
            tracing::warn!(%problem, "a policy of this call cannot run");
            let message = format!("A policy of this call cannot run: {problem}");
            return Some(crate::proxy::failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                &message,
            ));
        }
    };
    let statements: Vec<(&Arc<Step>, &Cors)> = pipeline
        .section(SectionKind::Inbound)
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Cors(cors) => Some((s, &**cors)),
            _ => None,
        })
        .collect();
    if statements.is_empty() {
        return None;
    }
    let headers = value(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    let cors_call = CorsCall {
        origin,
        method,
        headers,
        preflight: true,
    };
    let (mut parts, _) = request.into_parts();
    crate::proxy::keep_host(&mut parts);
    let base = admitted.service_url.as_deref().and_then(Base::parse)?;
    let ctx = super::context(
        &parts,
        &admitted,
        &base,
        &Content::Bytes(Bytes::new()),
        call,
    );
    Some(answer_preflight(&statements, &cors_call, &ctx))
}

/// The preflight's answer: 200, with the CORS headers of the first statement that allows it.
fn answer_preflight(
    statements: &[(&Arc<Step>, &Cors)],
    call: &CorsCall,
    ctx: &Context,
) -> Response {
    let mut response = Response::new(Body::empty());
    for (step, cors) in statements {
        let mut eval = |t: &Text| match t {
            Text::Lit(s) => Ok(s.to_string()),
            Text::Code { program, .. } => program
                .evaluate(ctx, &Limits::default())
                .map(|v| v.to_policy_string())
                .map_err(|e| {
                    Failure::new(
                        step,
                        "ExpressionValueEvaluationFailure",
                        format!("Expression evaluation failed. {e}"),
                    )
                }),
        };
        match verdict(step, cors, call, &mut eval) {
            Ok(Verdict::Allowed(headers)) => {
                for (name, value) in headers {
                    if let (Ok(name), Ok(value)) = (
                        header::HeaderName::from_bytes(name.as_bytes()),
                        HeaderValue::from_str(&value),
                    ) {
                        response.headers_mut().append(name, value);
                    }
                }
                return response;
            }
            Ok(Verdict::Unmatched { terminate: true }) => return response,
            Ok(Verdict::Unmatched { terminate: false }) => {}
            Err(failure) => {
                tracing::warn!(policy = %failure.source, message = %failure.message, "a cors statement failed on a preflight");
                return crate::proxy::failure(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal server error",
                );
            }
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_are_javascript_names() {
        for ok in ["cb", "jQuery3310_15", "app.handlers.done", "$", "_x$1"] {
            assert!(is_callback(ok), "{ok}");
        }
        for bad in [
            "",
            "1cb",
            "cb()",
            "a..b",
            "alert(1)//",
            "a-b",
            "a.",
            "<script>",
        ] {
            assert!(!is_callback(bad), "{bad}");
        }
    }

    #[test]
    fn media_types() {
        assert!(is_media("application/json; charset=utf-8", "json"));
        assert!(is_media("application/problem+json", "json"));
        assert!(is_media("Text/XML", "xml"));
        assert!(!is_media("application/jsonp", "json"));
        assert!(!is_media("*/*", "json"));
    }
}
