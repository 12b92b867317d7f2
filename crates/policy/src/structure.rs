//! The shape of a policy document: its sections, `<base />`, and which policy statements may
//! stand in which section and at which scope (REFERENCE §18.1–18.2).
//!
//! Restrictions are applied only where the documentation is clear; elsewhere a known statement
//! is accepted in any section, so that valid Azure policies are not refused. Statements inside
//! control flow (`choose`/`when`/`otherwise`, `retry`, `limit-concurrency`, `wait`) are checked
//! like the section around them; the children of other statements are their parameters.

use crate::{Element, Node, PolicyDocument, PolicyError};

/// Where a policy document is attached, from the outside in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    /// The whole service.
    Global,
    /// A product.
    Product,
    /// An API.
    Api,
    /// An operation.
    Operation,
}

/// The four sections, in the order they run.
pub const SECTIONS: [&str; 4] = ["inbound", "backend", "outbound", "on-error"];

const INBOUND: u8 = 1;
const BACKEND: u8 = 2;
const OUTBOUND: u8 = 4;
const ON_ERROR: u8 = 8;
const ANY: u8 = INBOUND | BACKEND | OUTBOUND | ON_ERROR;

/// Every known policy statement and the sections it may stand in.
const STATEMENTS: &[(&str, u8)] = &[
    ("authentication-basic", INBOUND),
    ("authentication-certificate", INBOUND),
    ("authentication-managed-identity", INBOUND),
    ("cache-lookup", INBOUND),
    ("cache-lookup-value", ANY),
    ("cache-remove-value", ANY),
    ("cache-store", OUTBOUND),
    ("cache-store-value", ANY),
    ("check-header", INBOUND | OUTBOUND),
    ("choose", ANY),
    ("cors", INBOUND),
    ("cross-domain", INBOUND),
    ("emit-metric", ANY),
    ("find-and-replace", ANY),
    ("forward-request", BACKEND),
    ("include-fragment", ANY),
    ("ip-filter", INBOUND),
    ("json-to-xml", ANY),
    ("jsonp", OUTBOUND),
    ("limit-concurrency", ANY),
    ("log-to-eventhub", ANY),
    ("mock-response", ANY),
    ("proxy", ANY),
    ("quota", INBOUND),
    ("quota-by-key", INBOUND),
    ("rate-limit", INBOUND),
    ("rate-limit-by-key", INBOUND),
    ("redirect-content-urls", ANY),
    ("retry", ANY),
    ("return-response", ANY),
    ("rewrite-uri", INBOUND),
    ("send-one-way-request", ANY),
    ("send-request", ANY),
    ("set-backend-service", INBOUND | BACKEND),
    ("set-body", ANY),
    ("set-header", ANY),
    ("set-method", ANY),
    ("set-query-parameter", INBOUND | BACKEND),
    ("set-status", ANY),
    ("set-variable", ANY),
    ("trace", ANY),
    ("validate-content", ANY),
    ("validate-headers", OUTBOUND | ON_ERROR),
    ("validate-jwt", INBOUND),
    ("validate-parameters", INBOUND),
    ("validate-status-code", OUTBOUND | ON_ERROR),
    ("wait", ANY),
    ("xml-to-json", ANY),
    ("xsl-transform", ANY),
];

/// The names of every known policy statement, sorted.
pub fn statement_names() -> impl Iterator<Item = &'static str> {
    STATEMENTS.iter().map(|(name, _)| *name)
}

fn section_bit(section: &str) -> u8 {
    match section {
        "inbound" => INBOUND,
        "backend" => BACKEND,
        "outbound" => OUTBOUND,
        _ => ON_ERROR,
    }
}

fn sections_of(mask: u8) -> String {
    let names: Vec<String> = SECTIONS
        .iter()
        .filter(|s| mask & section_bit(s) != 0)
        .map(|s| format!("<{s}>"))
        .collect();
    names.join(", ")
}

/// Scopes where a statement is not allowed, with the reason.
fn scope_refusal(name: &str, scope: ScopeKind) -> Option<&'static str> {
    match (name, scope) {
        ("rewrite-uri", ScopeKind::Global | ScopeKind::Product | ScopeKind::Api) => {
            Some("<rewrite-uri> is allowed at operation scope only")
        }
        ("rate-limit" | "quota", ScopeKind::Global) => {
            Some("this statement counts per subscription and is not allowed at the global scope")
        }
        _ => None,
    }
}

fn error(element: &Element, message: String) -> PolicyError {
    PolicyError::new(message, element.line, 1)
}

fn text_error(parent: &Element, text: &str) -> Option<PolicyError> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| {
        error(
            parent,
            format!(
                "text is not allowed directly in <{}>: '{trimmed}'",
                parent.name
            ),
        )
    })
}

impl PolicyDocument {
    /// Checks the document's sections and statements for a policy attached at `scope`.
    pub fn check_structure(&self, scope: ScopeKind) -> Result<(), PolicyError> {
        let root = self.root();
        let mut seen: Vec<&str> = Vec::new();
        for node in &root.children {
            let section = match node {
                Node::Element(e) => e,
                Node::Text(t) => match text_error(root, t) {
                    Some(err) => return Err(err),
                    None => continue,
                },
                _ => continue,
            };
            let name = section.name.as_str();
            if !SECTIONS.contains(&name) {
                return Err(error(
                    section,
                    format!(
                        "<{name}> is not a section: a policy has <inbound>, <backend>, <outbound> and <on-error>"
                    ),
                ));
            }
            if seen.contains(&name) {
                return Err(error(section, format!("section <{name}> appears twice")));
            }
            seen.push(name);
            check_section(section, scope)?;
        }
        Ok(())
    }
}

/// Where statements are being checked: the section they run in and the scope of the document.
#[derive(Clone, Copy)]
struct Context<'a> {
    section: &'a str,
    scope: ScopeKind,
}

/// The element children of `parent`; text other than whitespace is an error.
fn elements(parent: &Element) -> Result<Vec<&Element>, PolicyError> {
    let mut out = Vec::new();
    for node in &parent.children {
        match node {
            Node::Element(e) => out.push(e),
            Node::Text(t) => {
                if let Some(err) = text_error(parent, t) {
                    return Err(err);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn check_section(section: &Element, scope: ScopeKind) -> Result<(), PolicyError> {
    let context = Context {
        section: &section.name,
        scope,
    };
    let mut base_seen = false;
    for statement in elements(section)? {
        if statement.name == "base" {
            if scope == ScopeKind::Global {
                return Err(error(
                    statement,
                    "<base /> has no meaning at the global scope: nothing encloses it".to_owned(),
                ));
            }
            if base_seen {
                return Err(error(
                    statement,
                    format!("<base /> appears twice in <{}>", section.name),
                ));
            }
            base_seen = true;
            continue;
        }
        check_statement(statement, context, 0)?;
    }
    Ok(())
}

/// Statements nested in control flow, checked like the section around them.
fn check_block(parent: &Element, context: Context<'_>, depth: usize) -> Result<(), PolicyError> {
    for statement in elements(parent)? {
        if statement.name == "base" {
            return Err(error(
                statement,
                format!(
                    "<base /> may stand only directly in a section, not in <{}>",
                    parent.name
                ),
            ));
        }
        check_statement(statement, context, depth + 1)?;
    }
    Ok(())
}

/// The deepest nesting of control-flow statements checked.
const MAX_NESTING: usize = 32;

fn check_statement(
    statement: &Element,
    context: Context<'_>,
    depth: usize,
) -> Result<(), PolicyError> {
    if depth > MAX_NESTING {
        return Err(error(
            statement,
            format!("control flow nests deeper than {MAX_NESTING} levels"),
        ));
    }
    let name = statement.name.as_str();
    let Some((_, sections)) = STATEMENTS.iter().find(|(n, _)| *n == name) else {
        return Err(error(
            statement,
            format!("<{name}> is not a known policy statement"),
        ));
    };
    if sections & section_bit(context.section) == 0 {
        let message = format!(
            "<{name}> is not allowed in <{}>; it belongs in {}",
            context.section,
            sections_of(*sections)
        );
        return Err(error(statement, message));
    }
    if let Some(reason) = scope_refusal(name, context.scope) {
        return Err(error(statement, reason.to_owned()));
    }
    match name {
        "choose" => check_choose(statement, context, depth),
        "retry" | "limit-concurrency" | "wait" => check_block(statement, context, depth),
        _ => Ok(()),
    }
}

/// `<choose>`: one or more `<when condition>`, then at most one `<otherwise>`, last.
fn check_choose(choose: &Element, context: Context<'_>, depth: usize) -> Result<(), PolicyError> {
    let branches = elements(choose)?;
    if branches.first().is_none_or(|b| b.name != "when") {
        return Err(error(
            choose,
            "<choose> must start with a <when condition=\"…\"> branch".to_owned(),
        ));
    }
    for (i, branch) in branches.iter().enumerate() {
        match branch.name.as_str() {
            "when" if branch.attribute("condition").is_none() => {
                return Err(error(
                    branch,
                    "<when> needs a condition attribute".to_owned(),
                ));
            }
            "when" => {}
            "otherwise" if i + 1 == branches.len() => {}
            "otherwise" => {
                return Err(error(
                    branch,
                    "<otherwise> must be the last branch of <choose>".to_owned(),
                ));
            }
            other => {
                return Err(error(
                    branch,
                    format!("<{other}> is not a branch of <choose>: use <when> or <otherwise>"),
                ));
            }
        }
        check_block(branch, context, depth)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PolicyFormat;

    fn check(xml: &str, scope: ScopeKind) -> Result<(), String> {
        let doc = PolicyDocument::parse(xml, PolicyFormat::Xml).map_err(|e| e.to_string())?;
        doc.check_structure(scope).map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_ordinary_documents() {
        let doc = "<policies>\n<inbound><base /><set-header name=\"a\" exists-action=\"override\"><value>1</value></set-header>\
                   <rate-limit calls=\"5\" renewal-period=\"60\" /></inbound>\n<backend><base /></backend>\
                   <outbound><base /></outbound><on-error><base /></on-error></policies>";
        assert_eq!(check(doc, ScopeKind::Api), Ok(()));
        let global = "<!-- c --><policies><inbound /><backend><forward-request /></backend><outbound /></policies>";
        assert_eq!(check(global, ScopeKind::Global), Ok(()));
        let op = "<policies><inbound><base /><rewrite-uri template=\"/x\" /></inbound></policies>";
        let nested = "<policies><inbound><choose><when condition=\"@(true)\"><set-header name=\"a\" exists-action=\"skip\"><value>1</value></set-header></when>\
                      <otherwise><retry condition=\"@(false)\" count=\"2\" interval=\"1\"><send-request mode=\"new\" response-variable-name=\"r\"><set-url>http://x</set-url></send-request></retry></otherwise></choose></inbound></policies>";
        assert_eq!(check(nested, ScopeKind::Api), Ok(()));
        // Whitespace between sections must not end the check early.
        let later = "<policies>\n  <inbound />\n  <outbound><bogus /></outbound>\n</policies>";
        assert!(
            check(later, ScopeKind::Api)
                .unwrap_err()
                .contains("<bogus>")
        );
        assert_eq!(check(op, ScopeKind::Operation), Ok(()));
    }

    #[test]
    fn refuses_misplaced_elements_naming_them_and_their_line() {
        let cases = [
            (
                "<policies><inbound /><inbound /></policies>",
                ScopeKind::Api,
                "appears twice",
            ),
            (
                "<policies><outbound2 /></policies>",
                ScopeKind::Api,
                "<outbound2> is not a section",
            ),
            (
                "<policies><inbound><base /><base /></inbound></policies>",
                ScopeKind::Api,
                "<base /> appears twice",
            ),
            (
                "<policies><inbound><base /></inbound></policies>",
                ScopeKind::Global,
                "global scope",
            ),
            (
                "<policies>\n<inbound>\n<set-hedaer /></inbound></policies>",
                ScopeKind::Api,
                "line 3",
            ),
            (
                "<policies><outbound><rate-limit calls=\"1\" renewal-period=\"1\" /></outbound></policies>",
                ScopeKind::Api,
                "belongs in <inbound>",
            ),
            (
                "<policies><inbound><forward-request /></inbound></policies>",
                ScopeKind::Api,
                "belongs in <backend>",
            ),
            (
                "<policies><inbound><rewrite-uri template=\"/x\" /></inbound></policies>",
                ScopeKind::Api,
                "operation scope only",
            ),
            (
                "<policies><inbound>loose text</inbound></policies>",
                ScopeKind::Api,
                "text is not allowed",
            ),
        ];
        for (doc, scope, needle) in cases {
            let err = check(doc, scope).unwrap_err();
            assert!(err.contains(needle), "{doc}: {err}");
        }
    }
}
