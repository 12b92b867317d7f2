//! The policy AST: what a document says, as the policy engine will run it.
//!
//! A [`Policy`] has up to four [`Section`]s, each a list of [`Statement`]s. Control flow is
//! structural (`choose` branches with their conditions, blocks with their bodies); every other
//! statement keeps its element, whose attributes and children are that statement's parameters,
//! read through [`Value`] when they may hold an expression.

use crate::Element;
use crate::expr::{expression_end, starts_expression};

/// A whole policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The sections present, in document order (each kind at most once).
    pub sections: Vec<Section>,
}

impl Policy {
    /// The section of a kind, if the document has it.
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }
}

/// The four sections, in the order a call runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SectionKind {
    /// Before the request is forwarded.
    Inbound,
    /// Forwarding to the backend.
    Backend,
    /// On the response.
    Outbound,
    /// When an error was raised.
    OnError,
}

impl SectionKind {
    /// Every kind, in running order.
    pub const ALL: [SectionKind; 4] = [
        SectionKind::Inbound,
        SectionKind::Backend,
        SectionKind::Outbound,
        SectionKind::OnError,
    ];

    /// The element name.
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Inbound => "inbound",
            SectionKind::Backend => "backend",
            SectionKind::Outbound => "outbound",
            SectionKind::OnError => "on-error",
        }
    }

    /// The kind an element name names.
    pub fn from_name(name: &str) -> Option<SectionKind> {
        SectionKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Which section.
    pub kind: SectionKind,
    /// Its statements, in order.
    pub statements: Vec<Statement>,
    /// The line of its start tag.
    pub line: usize,
}

/// A policy statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// `<base />`: the enclosing scope's statements of this section run here.
    Base {
        /// The line of the element.
        line: usize,
    },
    /// `<choose>`: the first branch whose condition holds runs, else `otherwise`.
    Choose {
        /// The `<when>` branches, in order.
        branches: Vec<Branch>,
        /// The `<otherwise>` statements, if present.
        otherwise: Option<Vec<Statement>>,
        /// The line of the element.
        line: usize,
    },
    /// `retry`, `wait` or `limit-concurrency`: a statement that runs a body.
    Block {
        /// The statement element (attributes are the parameters; its children are the body).
        element: Element,
        /// The body.
        body: Vec<Statement>,
    },
    /// Any other known statement; the element's attributes and children are its parameters.
    Simple {
        /// The statement element.
        element: Element,
    },
}

/// A `<when condition="…">` branch of `<choose>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// The condition (normally an expression).
    pub condition: Value,
    /// The statements of the branch.
    pub body: Vec<Statement>,
    /// The line of the `<when>`.
    pub line: usize,
}

/// An attribute value or text: literal, or a policy expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text used as written (it may contain `{{named value}}` references).
    Literal(String),
    /// `@( … )`: one C# expression (the code between the parentheses).
    Expression(String),
    /// `@{ … }`: a C# statement block (the code between the braces).
    Block(String),
}

impl Value {
    /// Classifies a value: an expression when, after whitespace, it is one `@( … )` or `@{ … }`
    /// whose matching bracket (found skipping C# strings, characters and comments) ends it.
    pub fn parse(text: &str) -> Value {
        let trimmed = text.trim();
        let bytes = trimmed.as_bytes();
        if starts_expression(bytes, 0) && expression_end(bytes, 0) == Some(bytes.len()) {
            // Both brackets are ASCII, so these slices fall on character boundaries.
            let code = trimmed.get(2..trimmed.len() - 1).unwrap_or("").to_owned();
            return if bytes.get(1) == Some(&b'(') {
                Value::Expression(code)
            } else {
                Value::Block(code)
            };
        }
        Value::Literal(text.to_owned())
    }
}

impl Statement {
    /// The statement's element name (`base`, `choose`, `set-header`, …).
    pub fn name(&self) -> &str {
        match self {
            Statement::Base { .. } => "base",
            Statement::Choose { .. } => "choose",
            Statement::Block { element, .. } | Statement::Simple { element } => &element.name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_classified() {
        assert_eq!(Value::parse("text"), Value::Literal("text".into()));
        assert_eq!(
            Value::parse(" @(context.Request.Method) "),
            Value::Expression("context.Request.Method".into())
        );
        assert_eq!(
            Value::parse("@{ return 1; }"),
            Value::Block(" return 1; ".into())
        );
        assert_eq!(
            Value::parse("@(x) tail"),
            Value::Literal("@(x) tail".into())
        );
        assert_eq!(Value::parse("{{name}}"), Value::Literal("{{name}}".into()));
        assert_eq!(
            Value::parse("@(a) + (b)"),
            Value::Literal("@(a) + (b)".into())
        );
        assert_eq!(
            Value::parse(r#"@("(" + x)"#),
            Value::Expression(r#""(" + x"#.into())
        );
    }
}
