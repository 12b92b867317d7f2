//! [`PolicyDocument`]: a parsed, validated policy document.

use std::collections::HashSet;

use crate::PolicyFormat;
use crate::error::PolicyError;
use crate::expr::named_value_refs;
use crate::parse::{ExprSpan, parse_xml};
use crate::raw::{raw_to_xml, xml_to_raw};
use crate::tree::Element;

/// A parsed, well-formed policy document with a `<policies>` root.
///
/// The stored form is always the escaped (well-formed XML) text: for the
/// [`PolicyFormat::Xml`] format exactly the input, for [`PolicyFormat::Raw`]
/// the input with its expressions escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    xml: String,
    root: Element,
    /// Expressions whose raw text differs from the stored text.
    spans: Vec<ExprSpan>,
}

impl PolicyDocument {
    /// Parses a document in the given format; the stored form is always the
    /// escaped Xml form.
    ///
    /// Errors carry the 1-based line and column in `input`.
    pub fn parse(input: &str, format: PolicyFormat) -> Result<PolicyDocument, PolicyError> {
        let (xml, parsed) = match format {
            PolicyFormat::Xml => {
                let parsed = parse_xml(input)
                    .map_err(|e| PolicyError::at_offset(input, e.offset, e.message))?;
                (input.to_owned(), parsed)
            }
            PolicyFormat::Raw => {
                let converted = raw_to_xml(input)
                    .map_err(|e| PolicyError::at_offset(input, e.offset, e.message))?;
                let parsed = parse_xml(&converted.xml).map_err(|e| {
                    PolicyError::at_offset(input, converted.raw_offset(e.offset), e.message)
                })?;
                (converted.xml, parsed)
            }
        };
        Ok(PolicyDocument {
            xml,
            root: parsed.root,
            spans: parsed.spans,
        })
    }

    /// The document as well-formed XML (expressions escaped): what is stored
    /// and returned for `policy+xml`.
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// The document with expression bodies unescaped: what is returned for
    /// `policy.raw+xml`. Everything outside expressions is as stored.
    pub fn to_raw(&self) -> String {
        xml_to_raw(&self.xml, &self.spans)
    }

    /// The document in the given format: [`xml`](Self::xml) or
    /// [`to_raw`](Self::to_raw).
    pub fn render(&self, format: PolicyFormat) -> String {
        match format {
            PolicyFormat::Xml => self.xml.clone(),
            PolicyFormat::Raw => self.to_raw(),
        }
    }

    /// Named values referenced as `{{name}}` in attribute values, text and
    /// CDATA sections (not comments), in order of first appearance,
    /// deduplicated case-insensitively (the first spelling is kept).
    pub fn named_values(&self) -> Vec<String> {
        let mut refs = Vec::new();
        self.root
            .visit_values(&mut |value| named_value_refs(value, &mut refs));
        let mut seen = HashSet::new();
        refs.into_iter()
            .filter(|name| seen.insert(name.to_ascii_lowercase()))
            .map(str::to_owned)
            .collect()
    }

    /// The root element tree (the `<policies>` element).
    pub fn root(&self) -> &Element {
        &self.root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references_at_any_depth() {
        let input = r#"<policies><inbound><choose><when condition="true">
            <authentication-certificate thumbprint="ABC123" /></when></choose></inbound>
            <outbound><log-to-eventhub logger-id="audit">x</log-to-eventhub></outbound></policies>"#;
        let document = PolicyDocument::parse(input, PolicyFormat::Xml).unwrap();
        let root = document.root();
        assert!(root.contains_reference("authentication-certificate", "thumbprint", "abc123"));
        assert!(root.contains_reference("log-to-eventhub", "logger-id", "AUDIT"));
        assert!(!root.contains_reference("log-to-eventhub", "logger-id", "other"));
        assert!(!root.contains_reference("authentication-certificate", "certificate-id", "ABC123"));
    }

    #[test]
    fn render_and_named_values() {
        let input = "<policies a=\"@(&quot;{{B}}&quot;)\">{{a}} {{b}} {{A}}</policies>";
        let doc = PolicyDocument::parse(input, PolicyFormat::Xml).unwrap();
        assert_eq!(doc.render(PolicyFormat::Xml), input);
        assert_eq!(
            doc.render(PolicyFormat::Raw),
            "<policies a=\"@(\"{{B}}\")\">{{a}} {{b}} {{A}}</policies>"
        );
        assert_eq!(doc.named_values(), ["B", "a"]);
        assert_eq!(doc.root().name, "policies");
    }

    #[test]
    fn raw_errors_use_raw_positions() {
        let err = PolicyDocument::parse(
            "<policies a=\"@(\"<\")\">\n<x></policies>",
            PolicyFormat::Raw,
        )
        .unwrap_err();
        assert_eq!((err.line, err.column), (2, 4));
        assert_eq!(err.message, "unexpected end tag </policies>, expected </x>");
    }
}
