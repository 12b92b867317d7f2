//! Liquid templates, as `set-body template="liquid"` runs them: Azure's DotLiquid in its C#
//! naming convention (filters in PascalCase: `{{ body.name | Upcase }}`). A template is parsed
//! once, when its policy is compiled (a syntax error, an unknown tag or filter is an error
//! then), and rendered per call within budgets ([`MAX_OUTPUT`], [`MAX_STEPS`], [`MAX_BYTES`]):
//! a template that exceeds one fails, it never hurts the gateway.

mod bind;
mod filters;
mod lexer;
mod parse;
mod render;
#[cfg(test)]
mod tests;
mod value;

use std::collections::HashMap;

pub use bind::{BodyOptions, from_json, variables};
pub use render::{MAX_BYTES, MAX_OUTPUT, MAX_STEPS};
pub use value::{Object, Value};

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    nodes: Vec<parse::Node>,
}

impl Template {
    /// Parses a template; the error says what is wrong and on which line.
    pub fn parse(src: &str) -> Result<Template, String> {
        let pieces = lexer::pieces(src)?;
        Ok(Template {
            nodes: parse::parse(&pieces)?,
        })
    }

    /// Renders the template over its variables; `now` (ticks) is what `"now" | Date` reads.
    pub fn render(&self, variables: &HashMap<String, Value>, now: i64) -> Result<String, String> {
        let mut out = String::new();
        render::Renderer::new(variables, now).nodes(&self.nodes, &mut out)?;
        Ok(out)
    }
}
