//! The shape of a policy document: its sections, `<base />`, and which policy statements may
//! stand in which section and at which scope (REFERENCE §18.1–18.2).
//!
//! Restrictions are applied only where the documentation is clear; elsewhere a known statement
//! is accepted in any section, so that valid Azure policies are not refused. Statements inside
//! control flow (`choose`/`when`/`otherwise`, `retry`, `limit-concurrency`, `wait`) are checked
//! like the section around them; the children of other statements are their parameters.

use crate::ast::{Branch, Policy, Section, SectionKind, Statement, Value};
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
    let names: Vec<String> = SectionKind::ALL
        .iter()
        .map(|k| k.name())
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

impl PolicyDocument {
    /// The document as a [`Policy`] AST, checked for a policy attached at `scope`.
    pub fn policy(&self, scope: ScopeKind) -> Result<Policy, PolicyError> {
        let mut sections: Vec<Section> = Vec::new();
        for element in elements(self.root())? {
            let name = element.name.as_str();
            let Some(kind) = SectionKind::from_name(name) else {
                return Err(error(
                    element,
                    format!(
                        "<{name}> is not a section: a policy has <inbound>, <backend>, <outbound> and <on-error>"
                    ),
                ));
            };
            if sections.iter().any(|s| s.kind == kind) {
                return Err(error(element, format!("section <{name}> appears twice")));
            }
            let statements = build_section(
                element,
                Context {
                    section: kind,
                    scope,
                },
            )?;
            sections.push(Section {
                kind,
                statements,
                line: element.line,
            });
        }
        Ok(Policy { sections })
    }

    /// Checks the document's sections and statements for a policy attached at `scope`, and
    /// every policy expression in it.
    pub fn check_structure(&self, scope: ScopeKind) -> Result<(), PolicyError> {
        self.policy(scope)?;
        self.check_expressions()
    }
}

/// Where statements are being read: the section they run in and the scope of the document.
#[derive(Clone, Copy)]
struct Context {
    section: SectionKind,
    scope: ScopeKind,
}

fn build_section(section: &Element, context: Context) -> Result<Vec<Statement>, PolicyError> {
    let mut statements = Vec::new();
    for element in elements(section)? {
        if element.name == "base" {
            if context.scope == ScopeKind::Global {
                return Err(error(
                    element,
                    "<base /> has no meaning at the global scope: nothing encloses it".to_owned(),
                ));
            }
            if statements
                .iter()
                .any(|s| matches!(s, Statement::Base { .. }))
            {
                return Err(error(
                    element,
                    format!("<base /> appears twice in <{}>", section.name),
                ));
            }
            statements.push(Statement::Base { line: element.line });
            continue;
        }
        statements.push(build_statement(element, context, 0)?);
    }
    Ok(statements)
}

/// Statements nested in control flow, read like the section around them.
fn build_block(
    parent: &Element,
    context: Context,
    depth: usize,
) -> Result<Vec<Statement>, PolicyError> {
    let mut statements = Vec::new();
    for element in elements(parent)? {
        if element.name == "base" {
            return Err(error(
                element,
                format!(
                    "<base /> may stand only directly in a section, not in <{}>",
                    parent.name
                ),
            ));
        }
        statements.push(build_statement(element, context, depth + 1)?);
    }
    Ok(statements)
}

/// The deepest nesting of control-flow statements read.
const MAX_NESTING: usize = 32;

fn build_statement(
    element: &Element,
    context: Context,
    depth: usize,
) -> Result<Statement, PolicyError> {
    if depth > MAX_NESTING {
        return Err(error(
            element,
            format!("control flow nests deeper than {MAX_NESTING} levels"),
        ));
    }
    let name = element.name.as_str();
    let Some((_, sections)) = STATEMENTS.iter().find(|(n, _)| *n == name) else {
        return Err(error(
            element,
            format!("<{name}> is not a known policy statement"),
        ));
    };
    let section = context.section.name();
    if sections & section_bit(section) == 0 {
        let message = format!(
            "<{name}> is not allowed in <{section}>; it belongs in {}",
            sections_of(*sections)
        );
        return Err(error(element, message));
    }
    if let Some(reason) = scope_refusal(name, context.scope) {
        return Err(error(element, reason.to_owned()));
    }
    Ok(match name {
        "choose" => build_choose(element, context, depth)?,
        "retry" | "limit-concurrency" | "wait" => Statement::Block {
            element: element.clone(),
            body: build_block(element, context, depth)?,
        },
        _ => Statement::Simple {
            element: element.clone(),
        },
    })
}

/// `<choose>`: one or more `<when condition>`, then at most one `<otherwise>`, last.
fn build_choose(
    choose: &Element,
    context: Context,
    depth: usize,
) -> Result<Statement, PolicyError> {
    let children = elements(choose)?;
    if children.first().is_none_or(|b| b.name != "when") {
        return Err(error(
            choose,
            "<choose> must start with a <when condition=\"…\"> branch".to_owned(),
        ));
    }
    let mut branches = Vec::new();
    let mut otherwise = None;
    for (i, branch) in children.iter().enumerate() {
        match branch.name.as_str() {
            "when" => {
                let condition = branch.attribute("condition").ok_or_else(|| {
                    error(branch, "<when> needs a condition attribute".to_owned())
                })?;
                let body = build_block(branch, context, depth)?;
                branches.push(Branch {
                    condition: Value::parse(condition),
                    body,
                    line: branch.line,
                });
            }
            "otherwise" if i + 1 == children.len() => {
                otherwise = Some(build_block(branch, context, depth)?)
            }
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
    }
    Ok(Statement::Choose {
        branches,
        otherwise,
        line: choose.line,
    })
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
    fn builds_the_ast() {
        let xml = "<policies><inbound><base /><choose><when condition=\"@(context.Request.Method == &quot;GET&quot;)\">\
                   <set-header name=\"a\" exists-action=\"override\"><value>1</value></set-header></when>\
                   <otherwise><retry condition=\"@(true)\" count=\"2\" interval=\"1\"><forward-request /></retry></otherwise>\
                   </choose></inbound><backend><forward-request /></backend></policies>";
        let xml = xml.replace(
            "<forward-request /></retry>",
            "<set-body>x</set-body></retry>",
        );
        let doc = PolicyDocument::parse(&xml, PolicyFormat::Xml).unwrap();
        let policy = doc.policy(ScopeKind::Api).unwrap();
        assert_eq!(
            policy.sections.iter().map(|s| s.kind).collect::<Vec<_>>(),
            [SectionKind::Inbound, SectionKind::Backend]
        );
        let inbound = &policy.section(SectionKind::Inbound).unwrap().statements;
        assert!(matches!(inbound[0], Statement::Base { .. }));
        let Statement::Choose {
            branches,
            otherwise,
            ..
        } = &inbound[1]
        else {
            panic!("{:?}", inbound[1])
        };
        assert_eq!(
            branches[0].condition,
            Value::Expression("context.Request.Method == \"GET\"".into())
        );
        assert_eq!(branches[0].body[0].name(), "set-header");
        let Some([Statement::Block { element, body }]) = otherwise.as_deref() else {
            panic!("{otherwise:?}")
        };
        assert_eq!(
            (element.name.as_str(), body[0].name()),
            ("retry", "set-body")
        );
        assert_eq!(
            policy.section(SectionKind::Backend).unwrap().statements[0].name(),
            "forward-request"
        );
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
