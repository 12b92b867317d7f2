//! The XML of a WSDL document as an element tree: namespaces resolved, each element's byte span
//! and line kept (for error messages and for copying schemas out as written), depth bounded.

use crate::ImportError;
use crate::doc::error;
use quick_xml::errors::{Error as XmlError, IllFormedError};
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// The deepest element nesting accepted (the root element counts as 1).
pub(crate) const MAX_DEPTH: usize = 128;

/// The namespace the `xml` prefix is bound to.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// An index into [`Tree::nodes`].
pub(crate) type NodeId = usize;

/// One element.
#[derive(Debug)]
pub(crate) struct Node {
    /// The enclosing element; `None` for the root.
    pub parent: Option<NodeId>,
    /// The namespace of the element's name, `None` when it has none.
    pub ns: Option<String>,
    /// The local part of the element's name.
    pub local: String,
    /// The attributes other than namespace declarations: qualified name and unescaped value.
    pub attributes: Vec<(String, String)>,
    /// The namespace declarations on the element: prefix (`""` for the default) and URI.
    pub declarations: Vec<(String, String)>,
    /// The child elements, in document order.
    pub children: Vec<NodeId>,
    /// The element's own character data (not its descendants'), unescaped.
    pub text: String,
    /// The byte offset of the `<` that opens the element.
    pub start: usize,
    /// The byte offset just after the start tag (after `>` or `/>`).
    pub head_end: usize,
    /// The byte offset just after the element (after its end tag).
    pub end: usize,
    /// The 1-based line of the start tag.
    pub line: usize,
}

/// A parsed document; the root element is node 0.
#[derive(Debug)]
pub(crate) struct Tree<'a> {
    /// The document text the offsets refer to.
    pub source: &'a str,
    /// Every element, in document order.
    pub nodes: Vec<Node>,
}

impl<'a> Tree<'a> {
    /// Parses a well-formed, namespace-well-formed XML document. Errors name the line and, as
    /// the pointer, the path of the innermost element open at the problem.
    pub fn parse(source: &'a str) -> Result<Tree<'a>, ImportError> {
        Builder::new(source).run()
    }

    /// The root element.
    pub fn root(&self) -> NodeId {
        0
    }

    /// The node `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The value of the attribute `name` (as written, with its prefix if any).
    pub fn attr(&self, id: NodeId, name: &str) -> Option<&str> {
        self.node(id)
            .attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `id` is the element `{ns}local`.
    pub fn is(&self, id: NodeId, ns: &str, local: &str) -> bool {
        let node = self.node(id);
        node.local == local && node.ns.as_deref() == Some(ns)
    }

    /// The child elements named `{ns}local`.
    pub fn children<'t>(
        &'t self,
        id: NodeId,
        ns: &'t str,
        local: &'t str,
    ) -> impl Iterator<Item = NodeId> + 't {
        self.node(id)
            .children
            .iter()
            .copied()
            .filter(move |&c| self.is(c, ns, local))
    }

    /// The first child element named `{ns}local`.
    pub fn child(&self, id: NodeId, ns: &str, local: &str) -> Option<NodeId> {
        self.children(id, ns, local).next()
    }

    /// The URI `prefix` is bound to at `id` (`""` for the default namespace).
    pub fn lookup(&self, id: NodeId, prefix: &str) -> Option<&str> {
        lookup(&self.nodes, id, prefix)
    }

    /// A QName-valued attribute resolved at `id`: its namespace (`None` when unqualified and no
    /// default namespace applies, or when the prefix is not declared) and local part.
    pub fn qname<'v>(&self, id: NodeId, value: &'v str) -> (Option<&str>, &'v str) {
        let value = value.trim();
        match value.split_once(':') {
            Some((prefix, local)) => (self.lookup(id, prefix), local),
            None => (self.lookup(id, ""), value),
        }
    }

    /// The XPath-like location of `id`: local names, with `[@name='…']` for named elements,
    /// e.g. `/definitions/service[@name='Weather']/port[@name='WeatherSoap']`.
    pub fn path(&self, id: NodeId) -> String {
        path(&self.nodes, id)
    }

    /// An error about the element `id`: the pointer is its path, the message starts with its line.
    pub fn error(&self, id: NodeId, message: impl AsRef<str>) -> ImportError {
        let line = self.node(id).line;
        error(&self.path(id), format!("line {line}: {}", message.as_ref()))
    }

    /// The element's own text, trimmed; `None` when empty.
    pub fn text(&self, id: NodeId) -> Option<&str> {
        Some(self.node(id).text.trim()).filter(|t| !t.is_empty())
    }
}

/// The URI `prefix` is bound to at `id` among `nodes`.
fn lookup<'n>(nodes: &'n [Node], id: NodeId, prefix: &str) -> Option<&'n str> {
    if prefix == "xml" {
        return Some(XML_NS);
    }
    let mut at = Some(id);
    while let Some(node) = at.and_then(|n| nodes.get(n)) {
        if let Some((_, uri)) = node.declarations.iter().find(|(p, _)| p == prefix) {
            return (!uri.is_empty()).then_some(uri.as_str());
        }
        at = node.parent;
    }
    None
}

/// The path of `id` among `nodes` (see [`Tree::path`]).
fn path(nodes: &[Node], id: NodeId) -> String {
    let mut steps = Vec::new();
    let mut at = Some(id);
    while let Some(node) = at.and_then(|n| nodes.get(n)) {
        match node.attributes.iter().find(|(n, _)| n == "name") {
            Some((_, name)) => steps.push(format!("{}[@name='{}']", node.local, name)),
            None => steps.push(node.local.clone()),
        }
        at = node.parent;
    }
    steps.reverse();
    format!("/{}", steps.join("/"))
}

/// Lines of byte offsets that only grow.
struct Lines {
    offset: usize,
    line: usize,
}

impl Lines {
    fn line_of(&mut self, source: &str, offset: usize) -> usize {
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let skipped = source.as_bytes().get(self.offset..offset).unwrap_or(&[]);
        self.line += skipped.iter().filter(|&&b| b == b'\n').count();
        self.offset = offset;
        self.line
    }
}

struct Builder<'a> {
    source: &'a str,
    nodes: Vec<Node>,
    /// The open elements, innermost last.
    stack: Vec<NodeId>,
    lines: Lines,
}

impl<'a> Builder<'a> {
    fn new(source: &'a str) -> Self {
        Builder {
            source,
            nodes: Vec::new(),
            stack: Vec::new(),
            lines: Lines { offset: 0, line: 1 },
        }
    }

    /// An error at byte `offset`, located in the innermost open element.
    fn fail(&mut self, offset: usize, message: impl AsRef<str>) -> ImportError {
        let line = self.lines.line_of(self.source, offset);
        let pointer = match self.stack.last() {
            Some(&open) => path(&self.nodes, open),
            None => String::new(),
        };
        error(&pointer, format!("line {line}: {}", message.as_ref()))
    }

    fn run(mut self) -> Result<Tree<'a>, ImportError> {
        let base = if self.source.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        let body = self.source.get(base..).unwrap_or("");
        let mut reader = Reader::from_str(body);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        loop {
            let start = base + reader.buffer_position() as usize;
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    let at = base + reader.error_position() as usize;
                    return Err(self.fail(at, describe(&e)));
                }
            };
            let end = base + reader.buffer_position() as usize;
            match event {
                Event::Start(e) => self.open(&e, start, end, false)?,
                Event::Empty(e) => self.open(&e, start, end, true)?,
                Event::End(_) => {
                    if let Some(id) = self.stack.pop() {
                        self.nodes[id].end = end;
                    }
                }
                Event::Text(t) => {
                    let text = t.decode().map_err(|e| self.fail(start, e.to_string()))?;
                    self.text(start, &text)?;
                }
                Event::CData(c) => {
                    let text = c.decode().map_err(|e| self.fail(start, e.to_string()))?;
                    self.text(start, &text)?;
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => {
                            let name = r.decode().map_err(|e| self.fail(start, e.to_string()))?;
                            match resolve_predefined_entity(&name) {
                                Some(text) => text.to_owned(),
                                None => {
                                    return Err(
                                        self.fail(start, format!("unknown entity '&{name};'"))
                                    );
                                }
                            }
                        }
                        Err(e) => return Err(self.fail(start, e.to_string())),
                    };
                    self.text(start, &resolved)?;
                }
                Event::DocType(_) => {
                    return Err(self.fail(start, "DOCTYPE declarations are not allowed"));
                }
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
                Event::Eof => break,
            }
        }
        if let Some(&open) = self.stack.last() {
            let name = self.nodes[open].local.clone();
            return Err(self.fail(
                self.source.len(),
                format!("the document ends before <{name}> is closed"),
            ));
        }
        if self.nodes.is_empty() {
            return Err(error("", "the document has no root element"));
        }
        Ok(Tree {
            source: self.source,
            nodes: self.nodes,
        })
    }

    /// Character data at `start`: kept for the open element; outside the root only whitespace.
    fn text(&mut self, start: usize, text: &str) -> Result<(), ImportError> {
        match self.stack.last() {
            Some(&open) => self.nodes[open].text.push_str(text),
            None if text.trim().is_empty() => {}
            None if self.nodes.is_empty() => {
                return Err(self.fail(
                    start,
                    "the document is not XML: text before the root element",
                ));
            }
            None => return Err(self.fail(start, "text after the root element")),
        }
        Ok(())
    }

    /// A start tag (or empty-element tag) spanning `start..end`.
    fn open(
        &mut self,
        e: &BytesStart<'_>,
        start: usize,
        end: usize,
        empty: bool,
    ) -> Result<(), ImportError> {
        if self.stack.is_empty() && !self.nodes.is_empty() {
            return Err(self.fail(start, "a second root element"));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.fail(
                start,
                format!("elements are nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        let qname = String::from_utf8_lossy(e.name().as_ref()).into_owned();
        let mut attributes = Vec::new();
        let mut declarations = Vec::new();
        for attribute in e.attributes().with_checks(true) {
            let attribute = attribute.map_err(|err| self.fail(start, err.to_string()))?;
            let name = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
            let value = attribute
                .unescape_value()
                .map_err(|err| self.fail(start, format!("attribute {name}: {err}")))?
                .into_owned();
            if name == "xmlns" {
                declarations.push((String::new(), value));
            } else if let Some(prefix) = name.strip_prefix("xmlns:") {
                if value.is_empty() {
                    return Err(self.fail(
                        start,
                        format!("the prefix '{prefix}' cannot be bound to an empty namespace"),
                    ));
                }
                declarations.push((prefix.to_owned(), value));
            } else {
                attributes.push((name, value));
            }
        }
        let id = self.nodes.len();
        let (prefix, local) = match qname.split_once(':') {
            Some((prefix, local)) => (prefix, local),
            None => ("", qname.as_str()),
        };
        self.nodes.push(Node {
            parent: self.stack.last().copied(),
            ns: None,
            local: local.to_owned(),
            attributes,
            declarations,
            children: Vec::new(),
            text: String::new(),
            start,
            head_end: end,
            end,
            line: self.lines.line_of(self.source, start),
        });
        if let Some(&parent) = self.stack.last() {
            self.nodes[parent].children.push(id);
        }
        self.stack.push(id);
        let ns = lookup(&self.nodes, id, prefix).map(str::to_owned);
        if ns.is_none() && !prefix.is_empty() {
            return Err(self.fail(
                start,
                format!("the prefix '{prefix}' of <{qname}> is not declared"),
            ));
        }
        self.nodes[id].ns = ns;
        if empty {
            self.stack.pop();
        }
        Ok(())
    }
}

/// A message for a quick-xml error.
fn describe(e: &XmlError) -> String {
    match e {
        XmlError::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            format!("the end tag </{found}> does not close <{expected}>")
        }
        XmlError::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
            format!("the end tag </{name}> closes no element")
        }
        XmlError::IllFormed(IllFormedError::MissingEndTag(name)) => {
            format!("the document ends before <{name}> is closed")
        }
        other => format!("the document is not well-formed XML: {other}"),
    }
}
