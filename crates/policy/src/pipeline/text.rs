//! Attribute values and element text as a step holds them: literal text, or a compiled
//! policy expression; named values (`{{name}}`) already substituted.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::Value;
use crate::csharp::{self, Program};
use crate::expr::named_value_spans;

/// The named values (properties) a document may reference, by name (compared ignoring ASCII
/// case, as references are checked when a policy is stored).
#[derive(Debug, Default, Clone)]
pub struct NamedValues {
    values: HashMap<String, String>,
}

impl NamedValues {
    /// Adds a named value.
    pub fn insert(&mut self, name: &str, value: &str) {
        self.values
            .insert(name.to_ascii_lowercase(), value.to_owned());
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// `text` with every `{{name}}` replaced by its value. A named value's own value is used as
    /// written (it may be an expression, which then stands where the reference stood).
    pub fn substitute(&self, text: &str) -> Result<String, String> {
        let spans = named_value_spans(text);
        if spans.is_empty() {
            return Ok(text.to_owned());
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (range, name) in spans {
            let Some(value) = self.get(name) else {
                return Err(format!("the named value '{name}' does not exist"));
            };
            out.push_str(&text[at..range.start]);
            out.push_str(value);
            at = range.end;
        }
        out.push_str(&text[at..]);
        Ok(out)
    }
}

/// A value a step reads: literal, or an expression evaluated per call.
#[derive(Debug, Clone)]
pub enum Text {
    /// Used as written.
    Lit(Arc<str>),
    /// `@( … )` or `@{ … }`, checked.
    Code {
        /// The checked program.
        program: Arc<Program>,
        /// Whether its code names `Body` (so the gateway reads the message body first).
        reads_body: bool,
    },
}

impl Text {
    /// Compiles an attribute value or element text: named values substituted, then an
    /// expression compiled if the result is one.
    pub fn compile(raw: &str, named: &NamedValues) -> Result<Text, String> {
        let text = named.substitute(raw)?;
        let (program, code) = match Value::parse(&text) {
            Value::Literal(text) => return Ok(Text::Lit(Arc::from(text))),
            Value::Expression(code) => (csharp::parse_expression(&code), code),
            Value::Block(code) => (csharp::parse_block(&code), code),
        };
        program
            .map(|p| Text::Code {
                program: Arc::new(p),
                reads_body: code.contains("Body"),
            })
            .map_err(|e| format!("the expression '{}' is not valid: {e}", text.trim()))
    }

    /// The literal text, when this is not an expression.
    pub fn literal(&self) -> Option<&str> {
        match self {
            Text::Lit(s) => Some(s),
            Text::Code { .. } => None,
        }
    }

    /// Whether evaluating it may read a message body.
    pub fn reads_body(&self) -> bool {
        matches!(
            self,
            Text::Code {
                reads_body: true,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_values_are_substituted_before_classifying() {
        let mut named = NamedValues::default();
        named.insert("Greeting", "hello");
        named.insert("Now", "@(DateTime.UtcNow.Year > 2000)");
        assert_eq!(
            Text::compile("{{greeting}}, world", &named)
                .unwrap()
                .literal(),
            Some("hello, world")
        );
        assert!(matches!(
            Text::compile("{{Now}}", &named).unwrap(),
            Text::Code { .. }
        ));
        let missing = Text::compile("{{nope}}", &named).unwrap_err();
        assert!(missing.contains("'nope'"), "{missing}");
        let bad = Text::compile("@(1 +)", &named).unwrap_err();
        assert!(bad.contains("not valid"), "{bad}");
    }
}
