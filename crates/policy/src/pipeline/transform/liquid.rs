//! `set-body template="liquid"`: the template read and parsed when the policy is compiled, and
//! rendered per call over the message body and `context`.

use super::super::browser::escape;
use super::super::compile::{boolean, fail, known_attributes};
use super::super::steps::StepKind;
use crate::csharp::Context;
use crate::error::PolicyError;
use crate::liquid::{BodyOptions, Template, variables};
use crate::tree::{Element, Node};

/// A Liquid `set-body`.
#[derive(Debug)]
pub struct LiquidBody {
    /// The parsed template.
    pub template: Template,
    /// `xsi-nil` and `parse-date`.
    pub options: BodyOptions,
}

impl LiquidBody {
    /// The new body: the template rendered over the request's body (`response` false: inbound,
    /// backend) or the response's (outbound, on-error), and `context`.
    pub fn render(&self, ctx: &Context, response: bool) -> Result<String, String> {
        let vars = variables(ctx, response, self.options)?;
        self.template.render(&vars, ctx.now)
    }
}

/// Reads a Liquid `set-body` (its content as written: child elements printed as XML, text as
/// the document holds it; named values are not substituted in it, as `{{ }}` is Liquid's).
pub(in super::super) fn liquid_body(e: &Element) -> Result<StepKind, PolicyError> {
    known_attributes(e, &["template", "xsi-nil", "parse-date"])?;
    let xsi_nil_null = match e.attribute("xsi-nil").map(str::trim) {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("blank") => false,
        Some(v) if v.eq_ignore_ascii_case("null") => true,
        Some(v) => {
            return fail(
                e.line,
                format!("attribute 'xsi-nil' of <set-body> must be blank or null, not '{v}'"),
            );
        }
    };
    let options = BodyOptions {
        xsi_nil_null,
        parse_date: boolean(e, "parse-date", true)?,
    };
    let mut source = String::new();
    for node in &e.children {
        print(node, &mut source);
    }
    let template = Template::parse(&source).or_else(|m| {
        fail(
            e.line,
            format!("<set-body>: the Liquid template is not valid: {m}"),
        )
    })?;
    Ok(StepKind::SetBodyLiquid(Box::new(LiquidBody {
        template,
        options,
    })))
}

/// A node of the template as written (comments left out).
fn print(node: &Node, out: &mut String) {
    match node {
        Node::Element(el) => {
            out.push('<');
            out.push_str(&el.name);
            for at in &el.attributes {
                out.push_str(&format!(" {}=\"{}\"", at.name, escape(&at.value, true)));
            }
            if el.children.is_empty() {
                out.push_str(" />");
                return;
            }
            out.push('>');
            for child in &el.children {
                print(child, out);
            }
            out.push_str(&format!("</{}>", el.name));
        }
        Node::Text(t) | Node::CData(t) => out.push_str(t),
        Node::Comment(_) => {}
    }
}
