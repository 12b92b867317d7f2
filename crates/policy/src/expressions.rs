//! Policy expressions checked when a document is stored: every `@( … )` and `@{ … }` in an
//! attribute value, element text or CDATA section is parsed and type-checked, so that what could
//! be refused when the policy is stored never fails on a call instead.
//!
//! An expression that contains a named-value reference (`{{name}}`) is not checked here: the
//! value is substituted when the gateway compiles the policy, and may change later.

use crate::PolicyDocument;
use crate::ast::Value;
use crate::csharp;
use crate::error::{PolicyError, line_column};
use crate::tree::{Element, Node};

/// The longest expression quoted in an error message, in characters.
const QUOTED: usize = 120;

impl PolicyDocument {
    /// Parses and checks every policy expression in the document. The error names the element
    /// (and attribute), quotes the expression and gives the position of the problem in it.
    pub fn check_expressions(&self) -> Result<(), PolicyError> {
        check_element(self.root())
    }
}

fn check_element(element: &Element) -> Result<(), PolicyError> {
    for attribute in &element.attributes {
        check_value(element, Some(&attribute.name), &attribute.value)?;
    }
    for node in &element.children {
        match node {
            Node::Element(child) => check_element(child)?,
            Node::Text(text) | Node::CData(text) => check_value(element, None, text)?,
            Node::Comment(_) => {}
        }
    }
    Ok(())
}

fn check_value(element: &Element, attribute: Option<&str>, text: &str) -> Result<(), PolicyError> {
    let (code, checked) = match Value::parse(text) {
        Value::Literal(_) => return Ok(()),
        Value::Expression(code) if !code.contains("{{") => {
            let checked = csharp::parse_expression(&code);
            (code, checked)
        }
        Value::Block(code) if !code.contains("{{") => {
            let checked = csharp::parse_block(&code);
            (code, checked)
        }
        _ => return Ok(()),
    };
    let Err(err) = checked else {
        return Ok(());
    };
    let (line, column) = line_column(&code, err.offset);
    let place = match attribute {
        Some(name) => format!("attribute '{name}' of <{}>", element.name),
        None => format!("<{}>", element.name),
    };
    let trimmed = text.trim();
    let quoted: String = trimmed.chars().take(QUOTED).collect();
    let ellipsis = if quoted.len() < trimmed.len() {
        "…"
    } else {
        ""
    };
    Err(PolicyError::new(
        format!(
            "the expression in {place}, {quoted}{ellipsis}, is not valid: {} (line {line}, column {column} of the expression)",
            err.message
        ),
        element.line,
        1,
    ))
}

#[cfg(test)]
mod tests {
    use crate::{PolicyDocument, PolicyFormat};

    fn check(xml: &str) -> Result<(), String> {
        PolicyDocument::parse(xml, PolicyFormat::Xml)
            .unwrap()
            .check_expressions()
            .map_err(|e| e.to_string())
    }

    #[test]
    fn expressions_everywhere_are_checked() {
        let good = r#"<policies><inbound><set-header name="x" exists-action="override"><value>@(context.Request.Method)</value></set-header><choose><when condition="@(context.Request.Headers.ContainsKey(&quot;a&quot;))" /></choose></inbound></policies>"#;
        assert_eq!(check(good), Ok(()));
        let bad_member = r#"<policies><inbound><choose>
<when condition="@(context.Request.Nope)" /></choose></inbound></policies>"#;
        let message = check(bad_member).unwrap_err();
        assert!(message.starts_with("line 2, column 1:"), "{message}");
        assert!(
            message.contains("attribute 'condition' of <when>"),
            "{message}"
        );
        assert!(message.contains("Nope"), "{message}");
        let bad_syntax =
            "<policies><inbound><set-body>@{ var x = ; return x; }</set-body></inbound></policies>";
        let message = check(bad_syntax).unwrap_err();
        assert!(message.contains("<set-body>"), "{message}");
        assert!(message.contains("line 1, column"), "{message}");
        let cdata =
            "<policies><inbound><set-body><![CDATA[@(1 +)]]></set-body></inbound></policies>";
        assert!(check(cdata).is_err());
    }

    #[test]
    fn literals_and_named_values_are_left_alone() {
        let xml = r#"<policies><inbound><set-header name="x"><value>plain @ text</value><value>@({{number}} + 1)</value></set-header></inbound></policies>"#;
        assert_eq!(check(xml), Ok(()));
    }
}
