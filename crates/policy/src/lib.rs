//! Policy documents of the API Management API: parsing and validating the
//! XML, the escaped (`policy+xml`) and raw (`policy.raw+xml`) forms, the
//! element tree and the named values a document references.
//!
//! A policy document is XML with a `<policies>` root. Attribute values and
//! text nodes may be *policy expressions*: C# code in `@( … )` or `@{ … }`,
//! starting the value (after optional whitespace). In the escaped form the
//! expression is XML-escaped like any other value; in the raw form its body
//! is written as is, which is not well-formed XML. Values may also reference
//! named values as `{{Name}}`.
//!
//! ```
//! use tollgate_policy::{PolicyDocument, PolicyFormat};
//!
//! let raw = r#"<policies><inbound><set-body>@{ return "<b>{{Greeting}}</b>"; }</set-body></inbound></policies>"#;
//! let doc = PolicyDocument::parse(raw, PolicyFormat::Raw).unwrap();
//! assert!(doc.xml().contains("&lt;b&gt;"));
//! assert_eq!(doc.to_raw(), raw);
//! assert_eq!(doc.named_values(), ["Greeting"]);
//! ```

#![warn(missing_docs)]

mod ast;
pub mod csharp;
mod document;
mod error;
mod escape;
mod expr;
mod expressions;
pub mod liquid;
mod parse;
pub mod pipeline;
mod raw;
mod structure;
mod tag;
mod tree;

pub use ast::{Branch, Policy, Section, SectionKind, Statement, Value};
pub use document::PolicyDocument;
pub use error::PolicyError;
pub use structure::{ScopeKind, statement_names};
pub use tree::{Attribute, Element, Node};

/// The two textual forms of a policy document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyFormat {
    /// Well-formed XML, expressions XML-escaped
    /// (`application/vnd.ms-azure-apim.policy+xml`, API format `xml`).
    Xml,
    /// Expression bodies written unescaped
    /// (`application/vnd.ms-azure-apim.policy.raw+xml`, API format `rawxml`).
    Raw,
}

impl PolicyFormat {
    /// The media type of the escaped form.
    pub const XML_MEDIA_TYPE: &'static str = "application/vnd.ms-azure-apim.policy+xml";
    /// The media type of the raw form.
    pub const RAW_MEDIA_TYPE: &'static str = "application/vnd.ms-azure-apim.policy.raw+xml";

    /// The media type of this format.
    pub fn media_type(self) -> &'static str {
        match self {
            PolicyFormat::Xml => Self::XML_MEDIA_TYPE,
            PolicyFormat::Raw => Self::RAW_MEDIA_TYPE,
        }
    }

    /// The format of a media type (case-insensitive, parameters after `;`
    /// ignored), if it is one of the two policy media types.
    pub fn from_media_type(media_type: &str) -> Option<PolicyFormat> {
        let essence = media_type.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case(Self::XML_MEDIA_TYPE) {
            Some(PolicyFormat::Xml)
        } else if essence.eq_ignore_ascii_case(Self::RAW_MEDIA_TYPE) {
            Some(PolicyFormat::Raw)
        } else {
            None
        }
    }

    /// The format named by a policy contract's `format` property (`xml` or
    /// `rawxml`, case-insensitive); the `-link` variants are not documents.
    pub fn from_api_format(format: &str) -> Option<PolicyFormat> {
        if format.eq_ignore_ascii_case("xml") {
            Some(PolicyFormat::Xml)
        } else if format.eq_ignore_ascii_case("rawxml") {
            Some(PolicyFormat::Raw)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        for f in [PolicyFormat::Xml, PolicyFormat::Raw] {
            assert_eq!(PolicyFormat::from_media_type(f.media_type()), Some(f));
        }
        assert_eq!(
            PolicyFormat::from_media_type(
                "Application/Vnd.MS-Azure-APIM.Policy.Raw+XML; charset=utf-8"
            ),
            Some(PolicyFormat::Raw)
        );
        assert_eq!(PolicyFormat::from_media_type("application/xml"), None);
        assert_eq!(
            PolicyFormat::from_api_format("RawXml"),
            Some(PolicyFormat::Raw)
        );
        assert_eq!(
            PolicyFormat::from_api_format("xml"),
            Some(PolicyFormat::Xml)
        );
        assert_eq!(PolicyFormat::from_api_format("xml-link"), None);
    }
}
