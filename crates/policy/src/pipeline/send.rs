//! Calling out and answering: `send-request`, `send-one-way-request`, `log-to-eventhub`,
//! `mock-response`, `authentication-basic`, `authentication-certificate` (and `proxy` inside
//! `send-request`), read and checked.

use std::sync::Arc;
use std::time::Duration;

use super::Step;
use super::compile::{Compiler, boolean, fail, known_attributes, not_yet, number, required};
use super::steps::StepKind;
use super::text::Text;
use crate::error::PolicyError;
use crate::tree::Element;

/// `send-request`'s and `send-one-way-request`'s `timeout` when absent.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// A `send-request` or `send-one-way-request`.
#[derive(Debug)]
pub struct SendRequest {
    /// `send-one-way-request`: sent off the call's path, its response not awaited.
    pub one_way: bool,
    /// `mode`: `new` or `copy` (of the current request), possibly an expression.
    pub mode: Text,
    /// `response-variable-name` (`send-request` only).
    pub variable: Option<Text>,
    /// `timeout`, in seconds (default [`DEFAULT_SEND_TIMEOUT`]).
    pub timeout: Option<Text>,
    /// `ignore-error`: a failed request sets the variable to `null` instead of failing.
    pub ignore_error: bool,
    /// `<set-url>`.
    pub url: Option<Text>,
    /// The other children, applied in order to the new request: `set-method`, `set-header`,
    /// `set-body`, `authentication-certificate`, `proxy`.
    pub steps: Vec<Arc<Step>>,
}

impl SendRequest {
    /// Whether `mode` is (or may evaluate to) `copy`.
    pub fn may_copy(&self) -> bool {
        !matches!(self.mode.literal(), Some(m) if m.trim().eq_ignore_ascii_case("new"))
    }

    /// Whether making the request may read the call's request body (a copy does).
    pub fn reads_body(&self) -> bool {
        let any = |t: &Option<Text>| t.as_ref().is_some_and(Text::reads_body);
        self.may_copy()
            || self.mode.reads_body()
            || any(&self.variable)
            || any(&self.timeout)
            || any(&self.url)
            || self.steps.iter().any(|s| match &s.kind {
                // It sets the new request's body: only its expression may read the call's.
                StepKind::SetBody(text) => text.reads_body(),
                kind => kind.reads_body(),
            })
    }
}

/// Whether a value is written as a policy expression.
fn is_expression(value: &str) -> bool {
    let v = value.trim_start();
    v.starts_with("@(") || v.starts_with("@{")
}

impl Compiler<'_> {
    /// `emit-metric`: `name` and `namespace` literal, `value` and the dimensions' values text
    /// or expressions; at most 5 dimensions, each with a value unless it is a default one.
    pub(super) fn emit_metric(&self, e: &Element) -> Result<StepKind, PolicyError> {
        known_attributes(e, &["name", "namespace", "value"])?;
        let literal = |e: &Element, name: &str| -> Result<Option<String>, PolicyError> {
            match e.attribute(name).map(|v| self.text(e, v)).transpose()? {
                None => Ok(None),
                Some(Text::Lit(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
                Some(Text::Lit(_)) => fail(e.line, format!("'{name}' of <{}> is empty", e.name)),
                Some(Text::Code { .. }) => fail(
                    e.line,
                    format!(
                        "policy expressions are not allowed in '{name}' of <{}>",
                        e.name
                    ),
                ),
            }
        };
        let Some(name) = literal(e, "name")? else {
            return fail(e.line, "<emit-metric> needs the attribute 'name'");
        };
        let mut dimensions = Vec::new();
        for d in e.elements() {
            if d.name != "dimension" {
                return fail(d.line, "<emit-metric> holds only <dimension> elements");
            }
            known_attributes(d, &["name", "value"])?;
            let Some(dimension) = literal(d, "name")? else {
                return fail(d.line, "<dimension> needs the attribute 'name'");
            };
            let value = d.attribute("value").map(|v| self.text(d, v)).transpose()?;
            let default = super::steps::DEFAULT_DIMENSIONS
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&dimension));
            if value.is_none() && !default {
                return fail(
                    d.line,
                    format!(
                        "<dimension name=\"{dimension}\"> needs a value (only the default dimensions are filled from the call)"
                    ),
                );
            }
            dimensions.push((dimension, value));
        }
        if dimensions.len() > 5 {
            return fail(e.line, "<emit-metric> takes at most 5 dimensions");
        }
        Ok(StepKind::EmitMetric(Box::new(super::steps::EmitMetric {
            name,
            namespace: literal(e, "namespace")?.unwrap_or_else(|| "API Management".to_owned()),
            value: e.attribute("value").map(|v| self.text(e, v)).transpose()?,
            dimensions,
        })))
    }

    /// `log-to-eventhub`: the logger (checked to exist when the policy is stored), a partition
    /// id or key, and the message.
    pub(super) fn log_to_eventhub(&self, e: &Element) -> Result<StepKind, PolicyError> {
        known_attributes(e, &["logger-id", "partition-id", "partition-key"])?;
        let optional = |name: &str| e.attribute(name).map(|v| self.text(e, v)).transpose();
        let logger = required(e, "logger-id")?.trim().to_lowercase();
        if logger.is_empty() {
            return fail(e.line, "<log-to-eventhub>'s logger-id must not be empty");
        }
        if e.attribute("partition-id").is_some() && e.attribute("partition-key").is_some() {
            return fail(
                e.line,
                "<log-to-eventhub> takes partition-id or partition-key, not both",
            );
        }
        Ok(StepKind::LogToEventHub {
            logger,
            partition_id: optional("partition-id")?,
            partition_key: optional("partition-key")?,
            message: self.text(e, &e.text())?,
        })
    }

    /// `send-request` and `send-one-way-request`.
    pub(super) fn send_request(&self, e: &Element) -> Result<StepKind, PolicyError> {
        let one_way = e.name == "send-one-way-request";
        if one_way {
            known_attributes(e, &["mode", "timeout"])?;
        } else {
            known_attributes(
                e,
                &["mode", "response-variable-name", "timeout", "ignore-error"],
            )?;
        }
        let mode = self.text(e, e.attribute("mode").unwrap_or("new"))?;
        if let Some(m) = mode.literal().map(str::trim)
            && !m.eq_ignore_ascii_case("new")
            && !m.eq_ignore_ascii_case("copy")
        {
            return fail(e.line, format!("mode must be new or copy, not '{m}'"));
        }
        let timeout = match e.attribute("timeout") {
            Some(t) if !is_expression(t) && !t.contains("{{") => {
                seconds(e, "timeout")?;
                Some(self.text(e, t)?)
            }
            Some(t) => Some(self.text(e, t)?),
            None => None,
        };
        let variable = match one_way {
            true => None,
            false => Some(self.attribute_text(e, "response-variable-name")?),
        };
        let mut url = None;
        let mut steps = Vec::new();
        for child in e.elements() {
            let kind = match child.name.as_str() {
                "set-url" => {
                    known_attributes(child, &[])?;
                    if url.is_some() {
                        return fail(child.line, format!("<{}> holds one <set-url>", e.name));
                    }
                    url = Some(self.text(child, child.text().trim())?);
                    continue;
                }
                "set-method" | "set-header" | "set-body" => self.simple(child)?,
                "authentication-certificate" => self.authentication_certificate(child)?,
                "proxy" => self.proxy(child)?,
                "authentication-managed-identity" => return not_yet(child),
                other => {
                    return fail(
                        child.line,
                        format!(
                            "<{}> holds <set-url>, <set-method>, <set-header>, <set-body>, <authentication-certificate> and <proxy>, not <{other}>",
                            e.name
                        ),
                    );
                }
            };
            steps.push(Arc::new(Step {
                name: child.name.clone(),
                line: child.line,
                scope: self.scope,
                kind,
            }));
        }
        let send = SendRequest {
            one_way,
            ignore_error: !one_way && boolean(e, "ignore-error", false)?,
            mode,
            variable,
            timeout,
            url,
            steps,
        };
        if send.url.is_none() && !send.may_copy() {
            return fail(e.line, format!("<{}> needs a <set-url>", e.name));
        }
        Ok(StepKind::SendRequest(Box::new(send)))
    }

    /// `authentication-basic`.
    pub(super) fn authentication_basic(&self, e: &Element) -> Result<StepKind, PolicyError> {
        known_attributes(e, &["username", "password"])?;
        Ok(StepKind::AuthenticationBasic {
            username: self.attribute_text(e, "username")?,
            password: self.attribute_text(e, "password")?,
        })
    }

    /// `authentication-certificate`: an uploaded certificate, by `thumbprint` or `certificate-id`.
    pub(super) fn authentication_certificate(&self, e: &Element) -> Result<StepKind, PolicyError> {
        known_attributes(e, &["thumbprint", "certificate-id", "body", "password"])?;
        let optional = |name: &str| e.attribute(name).map(|v| self.text(e, v)).transpose();
        let (thumbprint, certificate_id) = (optional("thumbprint")?, optional("certificate-id")?);
        let (body, password) = (optional("body")?, optional("password")?);
        let named = [&thumbprint, &certificate_id, &body];
        if named.iter().filter(|t| t.is_some()).count() != 1 {
            return fail(
                e.line,
                "<authentication-certificate> needs one of 'thumbprint', 'certificate-id' or 'body'",
            );
        }
        if password.is_some() && body.is_none() {
            return fail(
                e.line,
                "'password' of <authentication-certificate> goes with 'body'",
            );
        }
        Ok(StepKind::AuthenticationCertificate {
            thumbprint,
            certificate_id,
            body: body.map(|body| (body, password)),
        })
    }

    /// `proxy` (a statement, or a child of `send-request`): `url` (an `http://` URL),
    /// `username`, `password`.
    pub(super) fn proxy(&self, e: &Element) -> Result<StepKind, PolicyError> {
        known_attributes(e, &["url", "username", "password"])?;
        let url = self.attribute_text(e, "url")?;
        if let Some(u) = url.literal()
            && !u.trim().to_ascii_lowercase().starts_with("http://")
        {
            return fail(
                e.line,
                format!("<proxy> needs an http:// URL (http://host:port), not '{u}'"),
            );
        }
        let optional = |name: &str| e.attribute(name).map(|v| self.text(e, v)).transpose();
        Ok(StepKind::Proxy {
            url,
            username: optional("username")?,
            password: optional("password")?,
        })
    }
}

/// `mock-response`: `status-code` (default 200) and `content-type`, literal (expressions are not
/// allowed in its attributes).
pub(super) fn mock_response(e: &Element) -> Result<StepKind, PolicyError> {
    known_attributes(e, &["status-code", "content-type"])?;
    for name in ["status-code", "content-type"] {
        if e.attribute(name).is_some_and(is_expression) {
            return fail(
                e.line,
                format!("policy expressions are not allowed in '{name}' of <mock-response>"),
            );
        }
    }
    let status = number(e, "status-code")?.unwrap_or(200);
    let status = u16::try_from(status)
        .ok()
        .filter(|s| (100..=599).contains(s))
        .map_or_else(
            || fail(e.line, "status-code must be an HTTP status code (100-599)"),
            Ok,
        )?;
    let content_type = e
        .attribute("content-type")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    Ok(StepKind::MockResponse {
        status,
        content_type,
    })
}

/// A literal `timeout`: whole seconds above 0.
fn seconds(e: &Element, name: &str) -> Result<u64, PolicyError> {
    match number(e, name)? {
        Some(n) if n > 0 => Ok(n),
        _ => fail(
            e.line,
            format!(
                "attribute '{name}' of <{}> must be a whole number of seconds above 0",
                e.name
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{NamedValues, compile};
    use crate::{PolicyDocument, PolicyFormat, ScopeKind};

    fn inbound(statements: &str) -> Result<Vec<Arc<Step>>, PolicyError> {
        let xml = format!("<policies><inbound>{statements}</inbound></policies>");
        let doc = PolicyDocument::parse(&xml, PolicyFormat::Xml).unwrap();
        let policy = doc.policy(ScopeKind::Api).unwrap();
        let compiled = compile(&policy, ScopeKind::Api, &NamedValues::default())?;
        let Some(Some(items)) = compiled.sections.into_iter().next() else {
            panic!("no inbound");
        };
        Ok(items
            .into_iter()
            .map(|item| match item {
                crate::pipeline::Item::Step(step) => step,
                crate::pipeline::Item::Base => panic!("base"),
            })
            .collect())
    }

    fn error(statements: &str) -> String {
        inbound(statements).unwrap_err().message
    }

    #[test]
    fn authentication_certificate_names_one_certificate() {
        for (xml, says) in [
            ("<authentication-certificate />", "needs one of"),
            (
                r#"<authentication-certificate thumbprint="A" certificate-id="b" />"#,
                "needs one of",
            ),
            (
                r#"<authentication-certificate thumbprint="A" password="pw" />"#,
                "goes with 'body'",
            ),
        ] {
            let message = error(xml);
            assert!(message.contains(says), "{xml}: {message}");
        }
        let steps =
            inbound(r#"<authentication-certificate body="@(new byte[0])" password="pw" />"#)
                .unwrap();
        assert!(matches!(
            &steps[0].kind,
            StepKind::AuthenticationCertificate {
                body: Some((_, Some(_))),
                ..
            }
        ));
    }

    #[test]
    fn log_to_eventhub_names_a_logger_and_one_partition_setting() {
        let steps = inbound(
            r#"<log-to-eventhub logger-id=" Audit " partition-key="@(context.RequestId)">@(context.Request.Body.As&lt;string&gt;())</log-to-eventhub>"#,
        )
        .unwrap();
        let StepKind::LogToEventHub {
            logger,
            partition_id,
            partition_key,
            message,
        } = &steps[0].kind
        else {
            panic!("{:?}", steps[0].kind)
        };
        assert_eq!(logger, "audit");
        assert!(partition_id.is_none() && partition_key.is_some());
        assert!(message.reads_body() && steps[0].kind.reads_body());
        for (xml, says) in [
            (
                "<log-to-eventhub>x</log-to-eventhub>",
                "needs the attribute 'logger-id'",
            ),
            (
                r#"<log-to-eventhub logger-id=" ">x</log-to-eventhub>"#,
                "must not be empty",
            ),
            (
                r#"<log-to-eventhub logger-id="a" partition-id="1" partition-key="k">x</log-to-eventhub>"#,
                "not both",
            ),
            (
                r#"<log-to-eventhub logger-id="a" other="1">x</log-to-eventhub>"#,
                "'other'",
            ),
        ] {
            let message = error(xml);
            assert!(message.contains(says), "{xml}: {message}");
        }
    }

    #[test]
    fn send_requests_are_read_with_their_children() {
        let steps = inbound(
            r#"<send-request mode="new" response-variable-name="r" timeout="5" ignore-error="true">
                 <set-url>http://example.com/x</set-url><set-method>POST</set-method>
                 <set-header name="A" exists-action="override"><value>1</value></set-header>
                 <set-body>hello</set-body>
                 <authentication-certificate thumbprint="ABC" />
                 <proxy url="http://proxy:3128" username="u" password="p" /></send-request>"#,
        )
        .unwrap();
        let StepKind::SendRequest(send) = &steps[0].kind else {
            panic!("{:?}", steps[0].kind);
        };
        assert!(!send.one_way && send.ignore_error && !send.may_copy());
        assert_eq!(
            send.url.as_ref().and_then(Text::literal),
            Some("http://example.com/x")
        );
        let names: Vec<_> = send.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "set-method",
                "set-header",
                "set-body",
                "authentication-certificate",
                "proxy"
            ]
        );
        // A new request reads no body unless a child does; a copy does.
        assert!(!steps[0].kind.reads_body());
        let copy = inbound(r#"<send-one-way-request mode="copy" />"#).unwrap();
        assert!(copy[0].kind.reads_body());
    }

    #[test]
    fn bad_send_requests_are_refused() {
        assert!(
            error(r#"<send-request mode="new"><set-url>http://x</set-url></send-request>"#)
                .contains("response-variable-name")
        );
        assert!(error(r#"<send-request response-variable-name="r" />"#).contains("<set-url>"));
        assert!(error(
            r#"<send-request mode="sometimes" response-variable-name="r"><set-url>http://x</set-url></send-request>"#
        )
        .contains("mode must be new or copy"));
        assert!(error(
            r#"<send-request response-variable-name="r" timeout="soon"><set-url>http://x</set-url></send-request>"#
        )
        .contains("timeout"));
        assert!(error(
            r#"<send-one-way-request ignore-error="true"><set-url>http://x</set-url></send-one-way-request>"#
        )
        .contains("ignore-error"));
        assert!(error(
            r#"<send-request response-variable-name="r"><set-url>http://x</set-url><rewrite-uri template="/" /></send-request>"#
        )
        .contains("not <rewrite-uri>"));
        assert!(error(
            r#"<send-request response-variable-name="r"><set-url>http://x</set-url><proxy url="https://p" /></send-request>"#
        )
        .contains("http://"));
        assert!(error(
            r#"<send-request response-variable-name="r"><set-url>http://x</set-url><authentication-managed-identity resource="r" /></send-request>"#
        )
        .contains("not supported"));
    }

    #[test]
    fn mock_responses_and_authentication_are_checked() {
        let steps = inbound(r#"<mock-response />"#).unwrap();
        assert!(matches!(
            steps[0].kind,
            StepKind::MockResponse {
                status: 200,
                content_type: None
            }
        ));
        assert!(error(r#"<mock-response status-code="700" />"#).contains("status-code"));
        assert!(error(r#"<mock-response status-code="@(200)" />"#).contains("expressions"));
        assert!(error(r#"<authentication-basic username="a" />"#).contains("password"));
        // authentication-certificate's choices: authentication_certificate_names_one_certificate.
    }
}
