//! Calling out and answering: `send-request`, `send-one-way-request`, `return-response` from a
//! response variable, `set-backend-service`, `authentication-basic`,
//! `authentication-certificate` and `mock-response`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Method, StatusCode, Uri, header};
use base64::Engine as _;
use http_body_util::BodyExt;
use tollgate_policy::SectionKind;
use tollgate_policy::csharp::{self, Headers, Value};
use tollgate_policy::pipeline::{DEFAULT_SEND_TIMEOUT, SendRequest, Step, StepKind, Text};

use super::flow::{Base, Content, header_map, headers_from};
use super::steps::{apply_header, set_response_body};
use super::{Ended, Env, Failure, MAX_BODY};
use crate::proxy::{Unanswered, exchange, strip_hop_by_hop};
use crate::snapshot::BackendRoute;
use crate::transport::{Link, SealedCertificate, TransportKey};

/// How the backend call is made, as statements changed it.
#[derive(Default)]
pub(super) struct SendState {
    /// The client certificate of `authentication-certificate`: its thumbprint (upper case) and
    /// sealed key material.
    certificate: Option<(String, SealedCertificate)>,
    /// The HTTP proxy of the `proxy` statement: its URL, user name and password.
    proxy: Option<(String, Option<String>, Option<String>)>,
}

/// A request that `send-request` makes.
struct Outgoing {
    method: String,
    url: Option<String>,
    headers: Headers,
    body: Bytes,
    /// How it reaches its target: a client certificate, a proxy.
    transport: TransportKey,
    certificate: Option<SealedCertificate>,
}

impl Outgoing {
    fn new() -> Outgoing {
        Outgoing {
            method: "GET".to_owned(),
            url: None,
            headers: Headers::default(),
            body: Bytes::new(),
            transport: TransportKey::plain(),
            certificate: None,
        }
    }
}

/// Why `send-request` got no response: `context.LastError`'s reason and message (which never
/// hold the URL, whose query may carry secrets).
struct SendFailure {
    reason: &'static str,
    message: String,
}

impl SendFailure {
    fn new(reason: &'static str, message: impl Into<String>) -> SendFailure {
        SendFailure {
            reason,
            message: message.into(),
        }
    }
}

/// What an `authentication-certificate` names.
pub(super) struct Named<'a> {
    pub thumbprint: Option<&'a Text>,
    pub id: Option<&'a Text>,
    pub body: Option<&'a (Text, Option<Text>)>,
}

/// A request ready to go: the HTTP request and the link it goes through.
struct Prepared {
    parts: axum::http::request::Parts,
    body: Body,
    link: Link,
}

impl Env<'_> {
    /// `send-request` (the response, read whole, in a variable) and `send-one-way-request` (sent
    /// off the call's path, errors logged).
    pub(super) async fn send_request(
        &mut self,
        step: &Step,
        send: &SendRequest,
        section: SectionKind,
    ) -> Result<Ended, Failure> {
        let variable = match &send.variable {
            Some(name) => Some(self.text(step, name)?),
            None => None,
        };
        let timeout = self.send_timeout(step, send.timeout.as_ref())?;
        let outgoing = self.outgoing(step, send, section)?;
        let prepared = self.prepare(outgoing);
        if send.one_way {
            match prepared {
                Ok(prepared) => self.send_one_way(prepared, timeout),
                Err(failure) => {
                    tracing::warn!(reason = failure.reason, message = %failure.message, "send-one-way-request not sent");
                }
            }
            return Ok(Ended::Through);
        }
        let answered = match prepared {
            Ok(prepared) => receive(self.gateway, prepared, timeout).await,
            Err(failure) => Err(failure),
        };
        let value = match answered {
            Ok(response) => Value::response(response),
            Err(failure) if send.ignore_error => {
                tracing::debug!(reason = failure.reason, message = %failure.message, "send-request failed; ignore-error");
                Value::Null
            }
            Err(failure) => {
                return Err(Failure {
                    source: step.name.clone(),
                    reason: failure.reason,
                    message: failure.message,
                    answered: false,
                });
            }
        };
        if let Some(name) = variable {
            self.flow.ctx.variables.insert(name, value);
        }
        Ok(Ended::Through)
    }

    /// `timeout`: whole seconds above 0 (default 60).
    fn send_timeout(&mut self, step: &Step, timeout: Option<&Text>) -> Result<Duration, Failure> {
        let Some(text) = timeout else {
            return Ok(DEFAULT_SEND_TIMEOUT);
        };
        let value = self.text(step, text)?;
        match value.trim().parse::<u64>() {
            Ok(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
            _ => Err(Failure::new(
                step,
                "InvalidTimeout",
                format!("timeout must be a whole number of seconds above 0, not '{value}'"),
            )),
        }
    }

    /// The request a `send-request` makes: new, or a copy of the call's request (method, backend
    /// URL, headers and — in inbound and backend — body), then shaped by its children in order.
    fn outgoing(
        &mut self,
        step: &Step,
        send: &SendRequest,
        section: SectionKind,
    ) -> Result<Outgoing, Failure> {
        let mode = self.text(step, &send.mode)?;
        let mut outgoing = match mode.trim() {
            m if m.eq_ignore_ascii_case("new") => Outgoing::new(),
            m if m.eq_ignore_ascii_case("copy") => self.copy_request(section),
            other => {
                let message = format!("mode must be new or copy, not '{other}'");
                return Err(Failure::new(step, "InvalidMode", message));
            }
        };
        if let Some(url) = &send.url {
            outgoing.url = Some(self.text(step, url)?);
        }
        for child in &send.steps {
            self.shape(child, section, &mut outgoing)?;
        }
        Ok(outgoing)
    }

    /// A copy of the call's request as it stands (without the subscription key header).
    fn copy_request(&self, section: SectionKind) -> Outgoing {
        let request = &self.flow.ctx.request;
        let mut headers = request.headers.clone();
        headers.remove(&self.admitted.key_header);
        let body = match (&self.flow.request_body, section) {
            (Content::Bytes(bytes), SectionKind::Inbound | SectionKind::Backend) => bytes.clone(),
            // In outbound (and on-error) the copy has no body, as Azure's has none there.
            _ => Bytes::new(),
        };
        Outgoing {
            method: request.method.clone(),
            url: Some(self.flow.target()),
            headers,
            body,
            ..Outgoing::new()
        }
    }

    /// Applies one child of `send-request` to the request it makes.
    fn shape(
        &mut self,
        child: &Arc<Step>,
        section: SectionKind,
        outgoing: &mut Outgoing,
    ) -> Result<(), Failure> {
        match &child.kind {
            StepKind::SetMethod(text) => {
                let method = self.text(child, text)?;
                if Method::from_bytes(method.trim().as_bytes()).is_err() {
                    let message = format!("'{method}' is not an HTTP method");
                    return Err(Failure::new(child, "InvalidMethod", message));
                }
                outgoing.method = method.trim().to_uppercase();
            }
            StepKind::SetHeader {
                name,
                action,
                values,
            } => {
                let values = values
                    .iter()
                    .map(|v| self.text(child, v))
                    .collect::<Result<Vec<_>, _>>()?;
                apply_header(&mut outgoing.headers, name, *action, values);
            }
            StepKind::SetBody(text) => outgoing.body = Bytes::from(self.text(child, text)?),
            // The template binds the call's message of the section, as a set-body there would.
            StepKind::SetBodyLiquid(liquid) => {
                self.flow.tick();
                let response = super::steps::side(section) == super::steps::Side::Response;
                let body = liquid
                    .render(&self.flow.ctx, response)
                    .map_err(|m| Failure::new(child, "LiquidTemplateFailure", m))?;
                outgoing.body = Bytes::from(body);
            }
            StepKind::AuthenticationCertificate {
                thumbprint,
                certificate_id,
                body,
            } => {
                let named = Named {
                    thumbprint: thumbprint.as_ref(),
                    id: certificate_id.as_ref(),
                    body: body.as_ref(),
                };
                let (thumbprint, sealed) = self.find_certificate(child, named)?;
                outgoing.transport = outgoing.transport.clone().with_certificate(&thumbprint);
                outgoing.certificate = Some(sealed);
            }
            StepKind::Proxy {
                url,
                username,
                password,
            } => {
                let url = self.text(child, url)?;
                let mut optional = |t: &Option<Text>| match t {
                    Some(t) => self.text(child, t).map(Some),
                    None => Ok(None),
                };
                let (user, password) = (optional(username)?, optional(password)?);
                outgoing.transport = outgoing.transport.clone().with_proxy(url, user, password);
            }
            other => {
                let message = format!("<{}> cannot shape a send-request: {other:?}", child.name);
                return Err(Failure::new(child, "NotSupported", message));
            }
        }
        Ok(())
    }

    /// The HTTP request and its link; a URL that is not absolute `http`/`https`, or a link that
    /// cannot be made, is a failure of the request (which `ignore-error` ignores).
    fn prepare(&self, outgoing: Outgoing) -> Result<Prepared, SendFailure> {
        let url = outgoing.url.unwrap_or_default();
        let uri = url
            .trim()
            .parse::<Uri>()
            .ok()
            .filter(|u| matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some())
            .ok_or_else(|| {
                SendFailure::new(
                    "InvalidUrl",
                    "The request's URL (set-url) is not an absolute http or https URL.",
                )
            })?;
        let mut headers = header_map(&outgoing.headers);
        strip_hop_by_hop(&mut headers);
        headers.remove(header::HOST);
        headers.remove(header::CONTENT_LENGTH);
        let mut builder = axum::http::Request::builder()
            .method(outgoing.method.as_str())
            .uri(uri);
        if let Some(h) = builder.headers_mut() {
            *h = headers;
        }
        let request = builder
            .body(Body::from(outgoing.body))
            .map_err(|_| SendFailure::new("InvalidRequest", "The request cannot be made."))?;
        let link = self
            .gateway
            .transports()
            .link_for(&outgoing.transport, outgoing.certificate.as_ref())
            .map_err(|unusable| SendFailure::new("BackendConnectionFailure", unusable.0))?;
        let (parts, body) = request.into_parts();
        Ok(Prepared { parts, body, link })
    }

    /// Sends a request on a task of its own; its outcome is logged.
    fn send_one_way(&self, prepared: Prepared, timeout: Duration) {
        let gateway = self.gateway.clone();
        tokio::spawn(async move {
            match receive(&gateway, prepared, timeout).await {
                Ok(response) => tracing::debug!(
                    status = response.status_code,
                    "send-one-way-request answered"
                ),
                Err(failure) => tracing::warn!(
                    reason = failure.reason,
                    message = %failure.message,
                    "send-one-way-request failed"
                ),
            }
        });
    }

    /// `return-response response-variable-name`: the response starts as the one the variable
    /// holds (a `send-request` response).
    pub(super) fn respond_from_variable(&mut self, step: &Step, name: &str) -> Result<(), Failure> {
        let Some(held) = self
            .flow
            .ctx
            .variables
            .get(name)
            .and_then(Value::as_response)
            .cloned()
        else {
            let message = format!("the context variable '{name}' holds no response");
            return Err(Failure::new(step, "InvalidResponseVariable", message));
        };
        let body = held.body.clone().unwrap_or_else(|| "".into());
        self.flow.ctx.response = Some(csharp::Response {
            body: Some(body.clone()),
            ..held
        });
        self.flow.response_body = Some(Content::Bytes(Bytes::from(body.as_bytes().to_vec())));
        Ok(())
    }

    /// `set-backend-service`: the call goes to `base-url` (with the backend entity of that URL,
    /// if any) or to the backend entity `backend-id` (its `url`, credentials and TLS settings).
    pub(super) fn set_backend_service(
        &mut self,
        step: &Step,
        base_url: Option<&Text>,
        backend_id: Option<&Text>,
    ) -> Result<(), Failure> {
        let (base, backend) = match (base_url, backend_id) {
            (Some(url), _) => {
                let url = self.text(step, url)?;
                let Some(base) = Base::parse(&url) else {
                    let message = format!("'{url}' is not an absolute http or https URL");
                    return Err(Failure::new(step, "InvalidBackendUrl", message));
                };
                (base, self.admitted.snapshot.backend_at(&url).cloned())
            }
            (None, Some(id)) => {
                let id = self.text(step, id)?;
                let Some(route) = self.admitted.snapshot.backend(&id).cloned() else {
                    let message = format!("Backend with id '{id}' could not be found.");
                    return Err(Failure::new(step, "BackendNotFound", message));
                };
                let Some(base) = Base::parse(&route.url) else {
                    let message =
                        format!("the url of backend '{id}' is not an absolute http or https URL");
                    return Err(Failure::new(step, "InvalidBackendUrl", message));
                };
                (base, Some(route))
            }
            (None, None) => {
                let message = "set-backend-service needs base-url or backend-id";
                return Err(Failure::new(step, "InvalidBackend", message));
            }
        };
        self.flow.base = base;
        self.flow.update_url();
        self.admitted.backend = backend;
        self.apply_transport();
        Ok(())
    }

    /// `authentication-basic`: `Authorization: Basic base64(username:password)` on the backend
    /// request.
    pub(super) fn authentication_basic(
        &mut self,
        step: &Step,
        username: &Text,
        password: &Text,
    ) -> Result<(), Failure> {
        let pair = format!(
            "{}:{}",
            self.text(step, username)?,
            self.text(step, password)?
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
        self.flow
            .ctx
            .request
            .headers
            .set("Authorization", vec![format!("Basic {encoded}")]);
        Ok(())
    }

    /// `authentication-certificate`: the backend call presents a client certificate.
    pub(super) fn authentication_certificate(
        &mut self,
        step: &Step,
        named: Named<'_>,
    ) -> Result<(), Failure> {
        let found = self.find_certificate(step, named)?;
        self.send.certificate = Some(found);
        self.apply_transport();
        Ok(())
    }

    /// The certificate `authentication-certificate` names: an uploaded one (by thumbprint or
    /// id), or a PKCS#12 file given inline; its thumbprint and sealed key material.
    fn find_certificate(
        &mut self,
        step: &Step,
        named: Named<'_>,
    ) -> Result<(String, SealedCertificate), Failure> {
        let snapshot = self.admitted.snapshot.clone();
        let (found, message) = match named {
            Named {
                thumbprint: Some(t),
                ..
            } => {
                let t = self.text(step, t)?;
                let message = format!("No uploaded certificate has the thumbprint '{t}'.");
                (snapshot.certificate(&t), message)
            }
            Named { id: Some(id), .. } => {
                let id = self.text(step, id)?;
                let message = format!("No uploaded certificate has the id '{id}'.");
                (snapshot.certificate_by_id(&id), message)
            }
            Named {
                body: Some((body, password)),
                ..
            } => return self.inline_certificate(step, body, password.as_ref()),
            _ => (None, "No certificate is named.".to_owned()),
        };
        found
            .map(|(thumbprint, sealed)| (thumbprint, sealed.clone()))
            .ok_or_else(|| Failure::new(step, "CertificateNotFound", message))
    }

    /// `body` and `password`: a PKCS#12 file, opened (once per node for the same file).
    fn inline_certificate(
        &mut self,
        step: &Step,
        body: &Text,
        password: Option<&Text>,
    ) -> Result<(String, SealedCertificate), Failure> {
        let file = self.value(step, body)?.as_bytes().map_err(|e| {
            let message = format!("the body of authentication-certificate is not a byte[]: {e}");
            Failure::new(step, "InvalidCertificate", message)
        })?;
        let password = match password {
            Some(p) => self.text(step, p)?,
            None => String::new(),
        };
        self.gateway
            .transports()
            .inline_certificate(&file, &password)
            .map_err(|why| {
                let message = format!("The certificate given in the policy cannot be used: {why}");
                Failure::new(step, "InvalidCertificate", message)
            })
    }

    /// `proxy`: the backend call goes through this HTTP proxy.
    pub(super) fn proxy(
        &mut self,
        step: &Step,
        url: &Text,
        username: Option<&Text>,
        password: Option<&Text>,
    ) -> Result<(), Failure> {
        let url = self.text(step, url)?;
        let username = username.map(|t| self.text(step, t)).transpose()?;
        let password = password.map(|t| self.text(step, t)).transpose()?;
        self.send.proxy = Some((url, username, password));
        self.apply_transport();
        Ok(())
    }

    /// Makes the backend call present the certificate of `authentication-certificate` and go
    /// through the proxy of `proxy` (if any), keeping the backend entity's credentials and TLS
    /// switches (and its proxy, unless `proxy` named one).
    fn apply_transport(&mut self) {
        let SendState { certificate, proxy } = &self.send;
        if certificate.is_none() && proxy.is_none() {
            return;
        }
        let current = self.admitted.backend.as_deref();
        let mut transport = current.map_or_else(TransportKey::plain, |b| b.transport.clone());
        if let Some((thumbprint, _)) = certificate {
            transport = transport.with_certificate(thumbprint);
        }
        if let Some((url, user, password)) = proxy.clone() {
            transport = transport.with_proxy(url, user, password);
        }
        let sealed = certificate.as_ref().map(|(_, sealed)| sealed);
        let link = self.gateway.transports().link_for(&transport, sealed);
        let route = BackendRoute {
            headers: current.map(|b| b.headers.clone()).unwrap_or_default(),
            query: current.map(|b| b.query.clone()).unwrap_or_default(),
            authorization: current.and_then(|b| b.authorization.clone()),
            url: current.map(|b| b.url.clone()).unwrap_or_default(),
            link,
            transport,
        };
        self.admitted.backend = Some(Arc::new(route));
    }

    /// `mock-response`: ends the pipeline with the operation's documented response of `status`:
    /// the sample of its representation of `content_type` (else its first), or an empty body.
    pub(super) fn mock_response(&mut self, status: u16, content_type: Option<&str>) -> Ended {
        let samples = self
            .admitted
            .snapshot
            .operation_responses(&self.admitted.api_id, &self.admitted.operation_id);
        let representation = samples
            .iter()
            .find(|r| r.status == i64::from(status))
            .and_then(|r| match content_type {
                Some(wanted) => r
                    .representations
                    .iter()
                    .find(|(t, _)| same_media_type(t, wanted)),
                None => r.representations.first(),
            });
        let media_type = content_type
            .map(str::to_owned)
            .or_else(|| representation.map(|(t, _)| t.clone()));
        let body = representation
            .and_then(|(_, sample)| sample.clone())
            .unwrap_or_default();
        self.flow
            .respond(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
        set_response_body(&mut self.flow, Bytes::from(body));
        if let (Some(t), Some(response)) = (media_type, self.flow.ctx.response.as_mut()) {
            response.headers.set("Content-Type", vec![t]);
        }
        Ended::Answered
    }
}

/// Sends a prepared request and reads its response whole, all within `timeout`.
async fn receive(
    gateway: &crate::Gateway,
    prepared: Prepared,
    timeout: Duration,
) -> Result<csharp::Response, SendFailure> {
    let Prepared { parts, body, link } = prepared;
    let exchanged = async {
        let response = exchange(gateway, &link, parts, body, timeout)
            .await
            .map_err(|unanswered| match unanswered {
                Unanswered::TimedOut => timed_out(timeout),
                Unanswered::Failed(message) => {
                    SendFailure::new("BackendConnectionFailure", message)
                }
            })?;
        let (parts, body) = response.into_parts();
        let bytes = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => {
                return Err(SendFailure::new(
                    "BackendConnectionFailure",
                    "The response body could not be read whole (at most 16 MiB).",
                ));
            }
        };
        Ok(csharp::Response {
            status_code: i32::from(parts.status.as_u16()),
            status_reason: parts.status.canonical_reason().unwrap_or("").to_owned(),
            headers: headers_from(&parts.headers),
            body: Some(String::from_utf8_lossy(&bytes).into()),
        })
    };
    match tokio::time::timeout(timeout, exchanged).await {
        Ok(result) => result,
        Err(_) => Err(timed_out(timeout)),
    }
}

fn timed_out(timeout: Duration) -> SendFailure {
    SendFailure::new(
        "Timeout",
        format!(
            "The response did not arrive within the timeout ({} seconds).",
            timeout.as_secs()
        ),
    )
}

/// Whether two media types are the same, ignoring case and parameters (`; charset=…`).
fn same_media_type(a: &str, b: &str) -> bool {
    let essence = |t: &str| {
        t.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    essence(a) == essence(b)
}

#[cfg(test)]
mod tests {
    use super::same_media_type;

    #[test]
    fn media_types_compare_without_parameters() {
        assert!(same_media_type(
            "application/json",
            "Application/JSON; charset=utf-8"
        ));
        assert!(!same_media_type("application/json", "application/xml"));
    }
}
