//! `cors`, `jsonp` and `cross-domain`: what browsers need to call an API from pages of other
//! origins, read and checked when a policy is compiled. The gateway runs them, and answers
//! CORS preflights and `/crossdomain.xml` itself from them (`gateway/src/pipeline/browser.rs`).

use std::sync::Arc;

use super::compile::{fail, known_attributes};
use super::steps::StepKind;
use super::text::{NamedValues, Text};
use super::transform::{flag_text, text};
use super::{Item, ScopePolicy, Step};
use crate::ast::Value;
use crate::error::PolicyError;
use crate::structure::ScopeKind;
use crate::tree::{Element, Node};

/// An origin (`scheme://host[:port]`) as CORS compares them: scheme and host without regard to
/// case, the port made explicit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The scheme, lower case.
    pub scheme: String,
    /// The host, lower case (an IPv6 address keeps its brackets).
    pub host: String,
    /// The port: as written, else 80 for `http` and 443 for `https` (0 for other schemes).
    pub port: u16,
}

impl Origin {
    /// Parses `scheme://host[:port]`, allowing one trailing `/` (as Azure's examples write
    /// origins); `None` for anything else, including the `null` origin.
    pub fn parse(text: &str) -> Option<Origin> {
        let (scheme, rest) = text.trim().split_once("://")?;
        let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if !valid_scheme || authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return None;
        }
        let scheme = scheme.to_ascii_lowercase();
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, Some(port.parse::<u16>().ok()?)),
            _ => (authority, None),
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return None;
        }
        let port = port.unwrap_or(match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => 0,
        });
        Some(Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

/// `<allowed-origins>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origins {
    /// `<origin>*</origin>`: any origin.
    Any,
    /// These origins.
    Listed(Vec<Origin>),
}

impl Origins {
    /// Whether a request's `Origin` header names an allowed origin.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            Origins::Any => true,
            Origins::Listed(list) => Origin::parse(origin).is_some_and(|o| list.contains(&o)),
        }
    }
}

/// `<allowed-methods>` (without it, `GET` and `POST`).
#[derive(Debug)]
pub enum Methods {
    /// `<method>*</method>`: any method.
    Any,
    /// These methods (each may be an expression).
    Listed(Vec<Text>),
}

/// `<allowed-headers>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHeaders {
    /// `<header>*</header>`: any header.
    Any,
    /// These header names, lower case (none when the element is absent).
    Listed(Vec<String>),
}

impl AllowedHeaders {
    /// Whether a request header (any case) may be sent.
    pub fn allows(&self, name: &str) -> bool {
        match self {
            AllowedHeaders::Any => true,
            AllowedHeaders::Listed(list) => list.iter().any(|h| h.eq_ignore_ascii_case(name)),
        }
    }
}

/// A `cors` statement.
#[derive(Debug)]
pub struct Cors {
    /// `allow-credentials` (default `false`).
    pub allow_credentials: Text,
    /// `terminate-unmatched-request` (default `true`).
    pub terminate_unmatched_request: Text,
    /// `<allowed-origins>`.
    pub origins: Origins,
    /// `<allowed-methods>`.
    pub methods: Methods,
    /// `preflight-result-max-age` of `<allowed-methods>`, if given.
    pub max_age: Option<Text>,
    /// `<allowed-headers>`.
    pub headers: AllowedHeaders,
    /// `<expose-headers>`.
    pub expose_headers: Vec<String>,
}

/// `cors`.
pub(super) fn cors(e: &Element, named: &NamedValues) -> Result<StepKind, PolicyError> {
    known_attributes(e, &["allow-credentials", "terminate-unmatched-request"])?;
    let allow_credentials = flag_text(e, "allow-credentials", "false", named)?;
    let terminate_unmatched_request = flag_text(e, "terminate-unmatched-request", "true", named)?;
    let mut origins = None;
    let mut methods = None;
    let mut max_age = None;
    let mut headers = None;
    let mut expose_headers = None;
    for child in e.elements() {
        let seen = match child.name.as_str() {
            "allowed-origins" => origins.replace(allowed_origins(child, named)?).is_some(),
            "allowed-methods" => {
                known_attributes(child, &["preflight-result-max-age"])?;
                max_age = child
                    .attribute("preflight-result-max-age")
                    .map(|v| whole_number(child, "preflight-result-max-age", v, named))
                    .transpose()?;
                methods.replace(allowed_methods(child, named)?).is_some()
            }
            "allowed-headers" => {
                let names = header_names(child, named)?;
                let any = names.iter().any(|n| n == "*");
                let allowed = if any {
                    AllowedHeaders::Any
                } else {
                    AllowedHeaders::Listed(names)
                };
                headers.replace(allowed).is_some()
            }
            "expose-headers" => expose_headers
                .replace(header_names(child, named)?)
                .is_some(),
            other => {
                return fail(
                    child.line,
                    format!(
                        "<cors> holds <allowed-origins>, <allowed-methods>, <allowed-headers> and <expose-headers>, not <{other}>"
                    ),
                );
            }
        };
        if seen {
            return fail(
                child.line,
                format!("<{}> appears twice in <cors>", child.name),
            );
        }
    }
    let Some(origins) = origins else {
        return fail(e.line, "<cors> needs <allowed-origins>");
    };
    if origins == Origins::Any && allow_credentials.literal() == Some("true") {
        return fail(
            e.line,
            "<cors allow-credentials=\"true\"> cannot allow any origin ('*'): browsers refuse credentials for a wildcard origin; list the origins",
        );
    }
    let methods = methods.unwrap_or_else(|| {
        Methods::Listed(vec![
            Text::Lit(Arc::from("GET")),
            Text::Lit(Arc::from("POST")),
        ])
    });
    Ok(StepKind::Cors(Box::new(Cors {
        allow_credentials,
        terminate_unmatched_request,
        origins,
        methods,
        max_age,
        headers: headers.unwrap_or(AllowedHeaders::Listed(Vec::new())),
        expose_headers: expose_headers.unwrap_or_default(),
    })))
}

/// The text of the children of `parent`, all called `child`, named values substituted; at least
/// one. Expressions are refused (Azure documents none here).
fn plain_children(
    parent: &Element,
    child: &str,
    named: &NamedValues,
) -> Result<Vec<(usize, String)>, PolicyError> {
    known_attributes(parent, &[])?;
    let mut out = Vec::new();
    for c in parent.elements() {
        if c.name != child {
            return fail(
                c.line,
                format!("<{}> holds only <{child}> elements", parent.name),
            );
        }
        let value = named
            .substitute(&c.text())
            .or_else(|m| fail(c.line, format!("<{child}>: {m}")))?;
        if !matches!(Value::parse(&value), Value::Literal(_)) {
            return fail(
                c.line,
                format!("<{child}> takes a plain value, not a policy expression"),
            );
        }
        out.push((c.line, value.trim().to_owned()));
    }
    if out.is_empty() {
        return fail(
            parent.line,
            format!("<{}> needs at least one <{child}>", parent.name),
        );
    }
    Ok(out)
}

fn allowed_origins(e: &Element, named: &NamedValues) -> Result<Origins, PolicyError> {
    let values = plain_children(e, "origin", named)?;
    if values.iter().any(|(_, v)| v == "*") {
        if values.len() > 1 {
            return fail(
                e.line,
                "<allowed-origins> holds either one <origin>*</origin> or origins, not both",
            );
        }
        return Ok(Origins::Any);
    }
    let mut list = Vec::new();
    for (line, value) in values {
        match Origin::parse(&value) {
            Some(origin) => list.push(origin),
            None => {
                return fail(
                    line,
                    format!(
                        "'{value}' is not an origin: write a scheme, a host and an optional port (https://example.com:8080)"
                    ),
                );
            }
        }
    }
    Ok(Origins::Listed(list))
}

fn allowed_methods(e: &Element, named: &NamedValues) -> Result<Methods, PolicyError> {
    let mut list = Vec::new();
    for c in e.elements() {
        if c.name != "method" {
            return fail(c.line, "<allowed-methods> holds only <method> elements");
        }
        let method = text(c, c.text().trim(), named)?;
        if method.literal() == Some("*") {
            return Ok(Methods::Any);
        }
        if let Some(m) = method.literal()
            && (m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-'))
        {
            return fail(c.line, format!("'{m}' is not an HTTP method"));
        }
        list.push(method);
    }
    if list.is_empty() {
        return fail(e.line, "<allowed-methods> needs at least one <method>");
    }
    Ok(Methods::Listed(list))
}

fn header_names(e: &Element, named: &NamedValues) -> Result<Vec<String>, PolicyError> {
    let mut names = Vec::new();
    for (line, name) in plain_children(e, "header", named)? {
        let valid = name == "*"
            || (!name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)));
        if !valid {
            return fail(line, format!("'{name}' is not a header name"));
        }
        names.push(name.to_ascii_lowercase());
    }
    Ok(names)
}

/// A value that must be a whole number (checked now when literal).
fn whole_number(
    e: &Element,
    name: &str,
    raw: &str,
    named: &NamedValues,
) -> Result<Text, PolicyError> {
    let value = text(e, raw, named)?;
    if let Some(v) = value.literal()
        && v.trim().parse::<u32>().is_err()
    {
        return fail(
            e.line,
            format!("'{name}' must be a whole number of seconds, not '{v}'"),
        );
    }
    Ok(value)
}

/// `jsonp`.
pub(super) fn jsonp(e: &Element, named: &NamedValues) -> Result<StepKind, PolicyError> {
    known_attributes(e, &["callback-parameter-name"])?;
    let Some(raw) = e.attribute("callback-parameter-name") else {
        return fail(
            e.line,
            "<jsonp> needs the attribute 'callback-parameter-name'",
        );
    };
    let callback_parameter = text(e, raw, named)?;
    if callback_parameter
        .literal()
        .is_some_and(|v| v.trim().is_empty())
    {
        return fail(e.line, "'callback-parameter-name' must not be empty");
    }
    Ok(StepKind::Jsonp { callback_parameter })
}

/// `cross-domain`: its content, printed as the policy file the gateway serves.
pub(super) fn cross_domain(
    e: &Element,
    scope: ScopeKind,
    named: &NamedValues,
) -> Result<StepKind, PolicyError> {
    known_attributes(e, &[])?;
    if scope != ScopeKind::Global {
        return fail(
            e.line,
            "<cross-domain> is allowed at the global scope only (the gateway serves /crossdomain.xml from the global policy)",
        );
    }
    // An empty statement (as in Azure's own example) grants nothing: an empty policy file.
    if e.elements().next().is_none() {
        return Ok(StepKind::CrossDomain(Arc::from("<cross-domain-policy />")));
    }
    let mut out = String::new();
    for node in &e.children {
        print_node(node, e.line, named, &mut out)?;
    }
    Ok(StepKind::CrossDomain(Arc::from(out.trim())))
}

/// Prints a node of a `cross-domain` statement as XML (comments left out; named values
/// substituted; policy expressions refused).
fn print_node(
    node: &Node,
    line: usize,
    named: &NamedValues,
    out: &mut String,
) -> Result<(), PolicyError> {
    let plain = |raw: &str, line: usize| -> Result<String, PolicyError> {
        let value = named
            .substitute(raw)
            .or_else(|m| fail(line, format!("<cross-domain>: {m}")))?;
        match Value::parse(&value) {
            Value::Literal(_) => Ok(value),
            _ => fail(
                line,
                "policy expressions in <cross-domain> are not supported by Tollgate",
            ),
        }
    };
    match node {
        Node::Element(el) => {
            out.push('<');
            out.push_str(&el.name);
            for at in &el.attributes {
                let value = plain(&at.value, el.line)?;
                out.push_str(&format!(" {}=\"{}\"", at.name, escape(&value, true)));
            }
            if el.children.is_empty() {
                out.push_str(" />");
                return Ok(());
            }
            out.push('>');
            for child in &el.children {
                print_node(child, el.line, named, out)?;
            }
            out.push_str(&format!("</{}>", el.name));
        }
        Node::Text(t) => out.push_str(&escape(&plain(t, line)?, false)),
        Node::CData(t) => out.push_str(&format!("<![CDATA[{}]]>", plain(t, line)?)),
        Node::Comment(_) => {}
    }
    Ok(())
}

/// XML escaping of text (`attribute`: of an attribute value in double quotes).
pub(super) fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The policy file of the first `cross-domain` statement of a pipeline's inbound section.
pub fn cross_domain_statement(inbound: &[Arc<Step>]) -> Option<&Arc<str>> {
    inbound.iter().find_map(|s| match &s.kind {
        StepKind::CrossDomain(file) => Some(file),
        _ => None,
    })
}

/// Refuses a `cross-domain` statement nested in `<choose>`: the gateway reads the policy file
/// from the statements that stand directly in `<inbound>`.
pub(super) fn check_placement(policy: &ScopePolicy) -> Result<(), PolicyError> {
    fn nested(steps: &[Arc<Step>]) -> Result<(), PolicyError> {
        for step in steps {
            match &step.kind {
                StepKind::CrossDomain(_) => {
                    return fail(
                        step.line,
                        "<cross-domain> must stand directly in <inbound>, not inside <choose>",
                    );
                }
                StepKind::Choose {
                    branches,
                    otherwise,
                } => {
                    for (_, body) in branches {
                        nested(body)?;
                    }
                    nested(otherwise)?;
                }
                _ => {}
            }
        }
        Ok(())
    }
    for items in policy.sections.iter().flatten() {
        for item in items {
            if let Item::Step(step) = item
                && let StepKind::Choose {
                    branches,
                    otherwise,
                } = &step.kind
            {
                for (_, body) in branches {
                    nested(body)?;
                }
                nested(otherwise)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::compile;
    use crate::{PolicyDocument, PolicyFormat};

    fn compiled(xml: &str, scope: ScopeKind) -> Result<ScopePolicy, PolicyError> {
        let doc = PolicyDocument::parse(xml, PolicyFormat::Xml).unwrap();
        compile(&doc.policy(scope).unwrap(), scope, &NamedValues::default())
    }

    fn first(policy: &ScopePolicy) -> &StepKind {
        match &policy.sections[0].as_ref().unwrap()[0] {
            Item::Step(s) => &s.kind,
            Item::Base => panic!("base"),
        }
    }

    #[test]
    fn origins_compare_by_scheme_host_and_port() {
        let o = Origin::parse("http://Example.com/").unwrap();
        assert_eq!(
            o,
            Origin {
                scheme: "http".into(),
                host: "example.com".into(),
                port: 80
            }
        );
        assert_eq!(Origin::parse("http://example.com:80"), Some(o.clone()));
        assert_ne!(Origin::parse("https://example.com"), Some(o.clone()));
        assert_eq!(Origin::parse("https://[::1]:8443").unwrap().port, 8443);
        for bad in [
            "null",
            "example.com",
            "http://",
            "http://a/b",
            "http://a:99999",
            "http://u@a",
        ] {
            assert_eq!(Origin::parse(bad), None, "{bad}");
        }
        let listed = Origins::Listed(vec![o]);
        assert!(listed.allows("http://example.com"));
        assert!(!listed.allows("http://example.com:8080"));
        assert!(!listed.allows("null"));
    }

    #[test]
    fn cors_is_read_with_its_defaults() {
        let p = compiled(
            r#"<policies><inbound><cors><allowed-origins><origin>http://localhost:8080/</origin></allowed-origins>
               <allowed-headers><header>Content-Type</header></allowed-headers></cors></inbound></policies>"#,
            ScopeKind::Api,
        )
        .unwrap();
        let StepKind::Cors(c) = first(&p) else {
            panic!()
        };
        assert_eq!(c.allow_credentials.literal(), Some("false"));
        assert_eq!(c.terminate_unmatched_request.literal(), Some("true"));
        assert!(matches!(&c.methods, Methods::Listed(m) if m.len() == 2));
        assert!(c.headers.allows("content-type") && !c.headers.allows("x-other"));
        assert!(c.max_age.is_none());
    }

    #[test]
    fn bad_cors_statements_are_refused() {
        for (xml, expected) in [
            ("<cors />", "needs <allowed-origins>"),
            (
                "<cors allow-credentials=\"true\"><allowed-origins><origin>*</origin></allowed-origins></cors>",
                "wildcard",
            ),
            (
                "<cors><allowed-origins><origin>example.com</origin></allowed-origins></cors>",
                "is not an origin",
            ),
            (
                "<cors><allowed-origins><origin>*</origin><origin>http://a</origin></allowed-origins></cors>",
                "not both",
            ),
            (
                "<cors allow-credentials=\"maybe\"><allowed-origins><origin>*</origin></allowed-origins></cors>",
                "true or false",
            ),
            (
                "<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-methods preflight-result-max-age=\"soon\"><method>GET</method></allowed-methods></cors>",
                "whole number",
            ),
            (
                "<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-methods /></cors>",
                "at least one <method>",
            ),
            (
                "<cors><allowed-origins><origin>*</origin></allowed-origins><vary /></cors>",
                "not <vary>",
            ),
        ] {
            let err = compiled(
                &format!("<policies><inbound>{xml}</inbound></policies>"),
                ScopeKind::Api,
            )
            .unwrap_err();
            assert!(err.message.contains(expected), "{xml}: {err}");
        }
    }

    #[test]
    fn cross_domain_is_printed_and_placed() {
        let p = compiled(
            r#"<policies><inbound><cross-domain>
                 <!-- a comment -->
                 <cross-domain-policy><allow-http-request-headers-from domain='*' headers='*' /></cross-domain-policy>
               </cross-domain></inbound></policies>"#,
            ScopeKind::Global,
        )
        .unwrap();
        let StepKind::CrossDomain(file) = first(&p) else {
            panic!()
        };
        assert_eq!(
            &**file,
            r#"<cross-domain-policy><allow-http-request-headers-from domain="*" headers="*" /></cross-domain-policy>"#
        );
        let api = compiled(
            "<policies><inbound><cross-domain><cross-domain-policy /></cross-domain></inbound></policies>",
            ScopeKind::Api,
        )
        .unwrap_err();
        assert!(api.message.contains("global scope only"), "{api}");
        let nested = compiled(
            r#"<policies><inbound><choose><when condition="@(true)"><cross-domain><cross-domain-policy /></cross-domain></when></choose></inbound></policies>"#,
            ScopeKind::Global,
        )
        .unwrap_err();
        assert!(nested.message.contains("directly in <inbound>"), "{nested}");
        // Empty, as in Azure's own example: a policy file that grants nothing.
        let empty = compiled(
            "<policies><inbound><cross-domain /></inbound></policies>",
            ScopeKind::Global,
        )
        .unwrap();
        let StepKind::CrossDomain(file) = first(&empty) else {
            panic!()
        };
        assert_eq!(&**file, "<cross-domain-policy />");
    }
}
