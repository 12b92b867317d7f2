//! The body transforms: `find-and-replace`, `redirect-content-urls`, `json-to-xml` and
//! `xml-to-json`, read and checked when a policy is compiled; and the two conversions
//! themselves ([`json_to_xml_text`], [`xml_to_json_text`]), which the gateway runs on bodies.

mod json_xml;
mod liquid;
mod xml_json;

use super::compile::{fail, known_attributes};
use super::steps::StepKind;
use super::text::{NamedValues, Text};
use crate::ast::Value;
use crate::error::PolicyError;
use crate::tree::Element;

pub use json_xml::{JsonToXmlOptions, json_to_xml_text};
pub use liquid::LiquidBody;
pub(super) use liquid::liquid_body;
pub use xml_json::xml_to_json_text;

/// A `json-to-xml` statement.
#[derive(Debug)]
pub struct JsonToXml {
    /// `apply`: `always` or `content-type-json`.
    pub apply: Text,
    /// `consider-accept-header` (default `true`).
    pub consider_accept_header: Text,
    /// `parse-date` (default `true`; expressions are not allowed).
    pub parse_date: bool,
    /// `namespace-separator` (default `_`).
    pub namespace_separator: Text,
    /// `namespace-prefix`, if given.
    pub namespace_prefix: Option<Text>,
    /// `attribute-block-name`, if given.
    pub attribute_block_name: Option<Text>,
}

/// An `xml-to-json` statement.
#[derive(Debug)]
pub struct XmlToJson {
    /// `kind`: `direct` (`javascript-friendly` has no documented shape: refused).
    pub kind: Text,
    /// `apply`: `always` or `content-type-xml`.
    pub apply: Text,
    /// `consider-accept-header` (default `true`).
    pub consider_accept_header: Text,
    /// `always-array-child-elements` (default `false`).
    pub always_array_child_elements: Text,
}

/// An attribute value or text compiled (named values substituted, expressions checked).
pub(super) fn text(e: &Element, raw: &str, named: &NamedValues) -> Result<Text, PolicyError> {
    Text::compile(raw, named).or_else(|message| fail(e.line, format!("<{}>: {message}", e.name)))
}

/// An optional attribute that is `true` or `false` (checked now when literal).
pub(super) fn flag_text(
    e: &Element,
    name: &str,
    default: &str,
    named: &NamedValues,
) -> Result<Text, PolicyError> {
    let value = text(e, e.attribute(name).unwrap_or(default), named)?;
    match value.literal().map(str::trim) {
        Some(v) if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") => fail(
            e.line,
            format!(
                "attribute '{name}' of <{}> must be true or false, not '{v}'",
                e.name
            ),
        ),
        Some(v) => Ok(Text::Lit(v.to_ascii_lowercase().into())),
        None => Ok(value),
    }
}

/// A required attribute that takes one of `values` (checked now when literal).
fn choice(
    e: &Element,
    name: &str,
    values: &[&str],
    named: &NamedValues,
) -> Result<Text, PolicyError> {
    let Some(raw) = e.attribute(name) else {
        return fail(e.line, format!("<{}> needs the attribute '{name}'", e.name));
    };
    let value = text(e, raw, named)?;
    if let Some(v) = value.literal()
        && !values.iter().any(|x| x.eq_ignore_ascii_case(v.trim()))
    {
        return fail(
            e.line,
            format!(
                "attribute '{name}' of <{}> must be {}, not '{v}'",
                e.name,
                values.join(" or ")
            ),
        );
    }
    Ok(value)
}

/// `find-and-replace`.
pub(super) fn find_and_replace(e: &Element, named: &NamedValues) -> Result<StepKind, PolicyError> {
    known_attributes(e, &["from", "to"])?;
    let (Some(from), Some(to)) = (e.attribute("from"), e.attribute("to")) else {
        return fail(e.line, "<find-and-replace> needs 'from' and 'to'");
    };
    let from = text(e, from, named)?;
    if from.literal() == Some("") {
        return fail(e.line, "'from' of <find-and-replace> must not be empty");
    }
    Ok(StepKind::FindAndReplace {
        from,
        to: text(e, to, named)?,
    })
}

/// `redirect-content-urls` (no attributes).
pub(super) fn redirect_content_urls(e: &Element) -> Result<StepKind, PolicyError> {
    known_attributes(e, &[])?;
    if let Some(child) = e.elements().next() {
        return fail(child.line, "<redirect-content-urls> has no child elements");
    }
    Ok(StepKind::RedirectContentUrls)
}

/// `json-to-xml`.
pub(super) fn json_to_xml(e: &Element, named: &NamedValues) -> Result<StepKind, PolicyError> {
    known_attributes(
        e,
        &[
            "apply",
            "consider-accept-header",
            "parse-date",
            "namespace-separator",
            "namespace-prefix",
            "attribute-block-name",
        ],
    )?;
    let parse_date = match e.attribute("parse-date") {
        Some(v) if !matches!(Value::parse(v), Value::Literal(_)) => {
            return fail(
                e.line,
                "'parse-date' of <json-to-xml> does not take policy expressions",
            );
        }
        Some(v) => match named.substitute(v).map(|v| v.trim().to_ascii_lowercase()) {
            Ok(v) if v == "true" => true,
            Ok(v) if v == "false" => false,
            _ => {
                return fail(
                    e.line,
                    format!("'parse-date' of <json-to-xml> must be true or false, not '{v}'"),
                );
            }
        },
        None => true,
    };
    let namespace_separator = text(e, e.attribute("namespace-separator").unwrap_or("_"), named)?;
    if let Some(v) = namespace_separator.literal()
        && v.chars().count() != 1
    {
        return fail(
            e.line,
            format!("'namespace-separator' of <json-to-xml> must be one character, not '{v}'"),
        );
    }
    let optional = |name: &str| e.attribute(name).map(|v| text(e, v, named)).transpose();
    Ok(StepKind::JsonToXml(Box::new(JsonToXml {
        apply: choice(e, "apply", &["always", "content-type-json"], named)?,
        consider_accept_header: flag_text(e, "consider-accept-header", "true", named)?,
        parse_date,
        namespace_separator,
        namespace_prefix: optional("namespace-prefix")?,
        attribute_block_name: optional("attribute-block-name")?,
    })))
}

/// `xml-to-json`.
pub(super) fn xml_to_json(e: &Element, named: &NamedValues) -> Result<StepKind, PolicyError> {
    known_attributes(
        e,
        &[
            "kind",
            "apply",
            "consider-accept-header",
            "always-array-child-elements",
        ],
    )?;
    let kind = choice(e, "kind", &["direct", "javascript-friendly"], named)?;
    if kind
        .literal()
        .is_some_and(|k| k.trim().eq_ignore_ascii_case("javascript-friendly"))
    {
        return fail(e.line, JAVASCRIPT_FRIENDLY);
    }
    Ok(StepKind::XmlToJson(Box::new(XmlToJson {
        kind,
        apply: choice(e, "apply", &["always", "content-type-xml"], named)?,
        consider_accept_header: flag_text(e, "consider-accept-header", "true", named)?,
        always_array_child_elements: flag_text(e, "always-array-child-elements", "false", named)?,
    })))
}

/// Why `kind="javascript-friendly"` is refused.
pub const JAVASCRIPT_FRIENDLY: &str = "<xml-to-json kind=\"javascript-friendly\"> is not supported by Tollgate: Azure documents no output shape for it (kind=\"direct\" is supported)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Item, compile};
    use crate::{PolicyDocument, PolicyFormat, ScopeKind};

    fn step(xml: &str) -> Result<StepKind, PolicyError> {
        let doc = PolicyDocument::parse(
            &format!("<policies><outbound>{xml}</outbound></policies>"),
            PolicyFormat::Xml,
        )
        .unwrap();
        let mut p = compile(
            &doc.policy(ScopeKind::Api).unwrap(),
            ScopeKind::Api,
            &NamedValues::default(),
        )?;
        match p.sections[2].take().unwrap().remove(0) {
            Item::Step(s) => Ok(std::sync::Arc::try_unwrap(s).unwrap().kind),
            Item::Base => panic!("base"),
        }
    }

    #[test]
    fn statements_are_read_with_their_defaults() {
        let StepKind::JsonToXml(j) = step(r#"<json-to-xml apply="always" />"#).unwrap() else {
            panic!()
        };
        assert_eq!(j.consider_accept_header.literal(), Some("true"));
        assert!(j.parse_date);
        assert_eq!(j.namespace_separator.literal(), Some("_"));
        let StepKind::XmlToJson(x) = step(r#"<xml-to-json kind="direct" apply="content-type-xml" consider-accept-header="False" />"#).unwrap() else {
            panic!()
        };
        assert_eq!(x.consider_accept_header.literal(), Some("false"));
        assert_eq!(x.always_array_child_elements.literal(), Some("false"));
        assert!(matches!(
            step(r#"<find-and-replace from="a" to="" />"#).unwrap(),
            StepKind::FindAndReplace { .. }
        ));
    }

    #[test]
    fn bad_statements_are_refused() {
        for (xml, expected) in [
            (r#"<json-to-xml />"#, "needs the attribute 'apply'"),
            (
                r#"<json-to-xml apply="never" />"#,
                "always or content-type-json",
            ),
            (
                r#"<json-to-xml apply="always" parse-date="@(true)" />"#,
                "does not take policy expressions",
            ),
            (
                r#"<json-to-xml apply="always" namespace-separator="::" />"#,
                "one character",
            ),
            (r#"<json-to-xml apply="always" indent="2" />"#, "'indent'"),
            (r#"<xml-to-json kind="direct" />"#, "'apply'"),
            (
                r#"<xml-to-json kind="javascript-friendly" apply="always" />"#,
                "documents no output shape",
            ),
            (
                r#"<xml-to-json kind="direct" apply="always" always-array-children="true" />"#,
                "'always-array-children'",
            ),
            (
                r#"<find-and-replace from="" to="x" />"#,
                "must not be empty",
            ),
            (r#"<find-and-replace from="x" />"#, "needs 'from' and 'to'"),
            (r#"<redirect-content-urls to="x" />"#, "'to'"),
        ] {
            let err = step(xml).unwrap_err();
            assert!(err.message.contains(expected), "{xml}: {err}");
        }
    }
}
