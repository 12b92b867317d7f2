//! Policies ready to run: each scope's document compiled into [`Step`]s (named values
//! substituted, expressions parsed and checked, attributes read and validated), and the four
//! scopes of a call composed into one [`Pipeline`] (global → product → API → operation, each
//! `<base />` replaced by the enclosing scope's statements of that section).
//!
//! This module only prepares; running the steps (which needs the network, clocks and counters)
//! is the gateway's.

mod browser;
mod cache;
mod compile;
mod send;
mod steps;
mod text;
mod transform;
mod validate_jwt;

use std::sync::Arc;

use crate::ast::SectionKind;
use crate::structure::ScopeKind;

pub use browser::{AllowedHeaders, Cors, Methods, Origin, Origins, cross_domain_statement};
pub use cache::{CacheLookup, Downstream};
pub use compile::{DEFAULT_FIRST_PERIOD_START, compile};
pub use send::{DEFAULT_SEND_TIMEOUT, SendRequest};
pub use steps::{
    DEFAULT_DIMENSIONS, EmitMetric, ExistsAction, IpRange, Limit, QuotaLimit, ScopedLimit, StepKind,
};
pub use text::{NamedValues, Text};
pub use transform::{
    JAVASCRIPT_FRIENDLY, JsonToXml, JsonToXmlOptions, LiquidBody, XmlToJson, json_to_xml_text,
    xml_to_json_text,
};
pub use validate_jwt::{
    KeyMaterial, RequiredClaim, Setting, SigningKey, TokenSource, ValidateJwt,
    decode_symmetric_key, parse_bool, parse_clock_skew, parse_status,
};

/// One statement, ready to run.
#[derive(Debug)]
pub struct Step {
    /// The statement's element name (`set-header`), for errors and traces.
    pub name: String,
    /// The line of its element in its document.
    pub line: usize,
    /// The scope of the document it comes from.
    pub scope: ScopeKind,
    /// What it does.
    pub kind: StepKind,
}

/// An item of a scope's section: a statement, or where the enclosing scope's statements run.
#[derive(Debug, Clone)]
pub enum Item {
    /// `<base />`.
    Base,
    /// A statement.
    Step(Arc<Step>),
}

/// One scope's document, compiled: its sections in running order (`None`: the document has no
/// such section, which inherits the enclosing scope's as if it held only `<base />`).
#[derive(Debug, Default)]
pub struct ScopePolicy {
    /// Inbound, backend, outbound, on-error.
    pub sections: [Option<Vec<Item>>; 4],
}

/// The statements of one call's four sections, composed from its scopes.
#[derive(Debug, Default)]
pub struct Pipeline {
    /// Inbound, backend, outbound, on-error.
    pub sections: [Vec<Arc<Step>>; 4],
}

fn index(kind: SectionKind) -> usize {
    match kind {
        SectionKind::Inbound => 0,
        SectionKind::Backend => 1,
        SectionKind::Outbound => 2,
        SectionKind::OnError => 3,
    }
}

impl Pipeline {
    /// The statements of a section.
    pub fn section(&self, kind: SectionKind) -> &[Arc<Step>] {
        &self.sections[index(kind)]
    }

    /// Composes scopes given outermost first (global, product, API, operation; absent scopes
    /// skipped). A scope without a document is as one whose sections are all `<base />`.
    pub fn compose(scopes: &[&ScopePolicy]) -> Pipeline {
        let mut pipeline = Pipeline::default();
        for (i, section) in pipeline.sections.iter_mut().enumerate() {
            for scope in scopes {
                let Some(items) = &scope.sections[i] else {
                    continue;
                };
                let outer = std::mem::take(section);
                let mut outer = Some(outer);
                for item in items {
                    match item {
                        Item::Base => section.extend(outer.take().into_iter().flatten()),
                        Item::Step(step) => section.push(step.clone()),
                    }
                }
            }
        }
        pipeline
    }

    /// Whether the pipeline only forwards the call (no statement but one plain
    /// `forward-request` in the backend section): such calls take the gateway's direct path.
    pub fn only_forwards(&self) -> bool {
        let [inbound, backend, outbound, on_error] = &self.sections;
        inbound.is_empty()
            && outbound.is_empty()
            && on_error.is_empty()
            && matches!(&backend[..], [step] if matches!(step.kind, StepKind::ForwardRequest { timeout: None, follow_redirects: false, buffer_request_body: false }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PolicyDocument, PolicyFormat};

    fn scope(xml: &str, kind: ScopeKind) -> ScopePolicy {
        let doc = PolicyDocument::parse(xml, PolicyFormat::Xml).unwrap();
        compile(&doc.policy(kind).unwrap(), kind, &NamedValues::default()).unwrap()
    }

    fn names(steps: &[Arc<Step>]) -> Vec<String> {
        steps
            .iter()
            .map(|s| match &s.kind {
                StepKind::SetHeader { name, .. } => name.clone(),
                _ => s.name.clone(),
            })
            .collect()
    }

    fn header(name: &str) -> String {
        format!(r#"<set-header name="{name}"><value>x</value></set-header>"#)
    }

    #[test]
    fn scopes_compose_around_base() {
        let global = scope(
            &format!(
                "<policies><inbound>{}</inbound><backend><forward-request /></backend><outbound>{}</outbound></policies>",
                header("g"),
                header("g-out")
            ),
            ScopeKind::Global,
        );
        let product = scope(
            &format!(
                "<policies><inbound>{}<base /></inbound><outbound><base /></outbound></policies>",
                header("p")
            ),
            ScopeKind::Product,
        );
        let operation = scope(
            &format!(
                "<policies><inbound><base />{}</inbound><backend><base /></backend><outbound>{}</outbound></policies>",
                header("o"),
                header("o-out")
            ),
            ScopeKind::Operation,
        );
        let p = Pipeline::compose(&[&global, &product, &operation]);
        assert_eq!(names(p.section(SectionKind::Inbound)), ["p", "g", "o"]);
        assert_eq!(names(p.section(SectionKind::Backend)), ["forward-request"]);
        // The operation's outbound has no <base />: the outer scopes' outbound does not run.
        assert_eq!(names(p.section(SectionKind::Outbound)), ["o-out"]);
        assert!(!p.only_forwards());
        // A scope without a section inherits the enclosing one.
        let p = Pipeline::compose(&[&global, &product]);
        assert_eq!(names(p.section(SectionKind::Outbound)), ["g-out"]);
    }

    #[test]
    fn the_default_global_policy_only_forwards() {
        let global = scope(tollgate_default_global(), ScopeKind::Global);
        assert!(Pipeline::compose(&[&global]).only_forwards());
        let timed = scope(
            "<policies><backend><forward-request timeout=\"5\" /></backend></policies>",
            ScopeKind::Global,
        );
        assert!(!Pipeline::compose(&[&timed]).only_forwards());
    }

    fn tollgate_default_global() -> &'static str {
        "<policies>\r\n  <inbound />\r\n  <backend>\r\n    <forward-request />\r\n  </backend>\r\n  <outbound />\r\n</policies>"
    }

    #[test]
    fn statements_not_supported_yet_are_named() {
        let doc = PolicyDocument::parse(
            "<policies><inbound><xsl-transform /></inbound></policies>",
            PolicyFormat::Xml,
        )
        .unwrap();
        let policy = doc.policy(ScopeKind::Api).unwrap();
        let err = compile(&policy, ScopeKind::Api, &NamedValues::default()).unwrap_err();
        assert!(
            err.message.contains("<xsl-transform> is not supported"),
            "{err}"
        );
        let doc = PolicyDocument::parse(
            r#"<policies><inbound><set-header name="a" exists-action="sometimes" /></inbound></policies>"#,
            PolicyFormat::Xml,
        )
        .unwrap();
        let err = compile(
            &doc.policy(ScopeKind::Api).unwrap(),
            ScopeKind::Api,
            &NamedValues::default(),
        )
        .unwrap_err();
        assert!(err.message.contains("exists-action"), "{err}");
    }
}
