//! XML text into a [`Tree`], as `XElement.Parse`/`XDocument.Parse` build it (`LoadOptions.None`):
//! quick-xml splits the text into markup and character data, and this module does what
//! .NET's `XmlReader` does on top: name, namespace and reference checks (any failure is an
//! `XmlException`), line-break and attribute-value normalization, and dropping insignificant
//! white space (white-space-only text outside `xml:space="preserve"`, as
//! `XmlReaderSettings.IgnoreWhitespace` does, runs of 4096 characters or more excepted).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::csharp::eval::Machine;
use crate::csharp::value::{ErrorKind, EvalError, fail};

/// The namespace of the `xml` prefix.
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of namespace declarations (`xmlns:p`).
pub(crate) const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";
/// No parent.
pub(crate) const NONE: u32 = u32::MAX;
/// What a node or an attribute costs in the evaluation's memory budget (their text is paid
/// for with the input's length).
const NODE_BYTES: usize = 32;
/// White space this long is text even where it would be insignificant (`XmlTextReaderImpl`).
const WHITESPACE_LOOKAHEAD: usize = 4096;
/// The most text printing a tree may produce without the tree having paid for it: a tree whose
/// printed size could exceed this costs that size when parsed (see [`Tree::print_bound`]).
const PRINT_CAP: usize = 16 << 20;

/// A parsed document or element: nodes in document order, so that a node's descendants are
/// the nodes after it up to its `end`.
#[derive(Debug)]
pub struct Tree {
    pub(crate) nodes: Vec<Node>,
    pub(crate) decl: Option<Decl>,
}

/// What bounds the size of a tree's printed form (`ToString()` of it or any of its elements).
#[derive(Default)]
struct PrintBound {
    /// The input's length (escaping at most sextuples a character: `"` → `&quot;`).
    input: usize,
    /// Indentation: two lines per element, comment or processing instruction, at its depth.
    indent: usize,
    /// Elements and attributes, each of which may get its name's namespace declared again
    /// (`xmlns:p="…"`, with the longest prefix and namespace declared) and some punctuation.
    names: usize,
    max_prefix: usize,
    max_namespace: usize,
}

impl PrintBound {
    fn total(&self) -> usize {
        let per_name = self.max_prefix + self.max_namespace + 24;
        self.input
            .saturating_mul(6)
            .saturating_add(self.indent)
            .saturating_add(self.names.saturating_mul(per_name))
    }
}

/// A node of a [`Tree`].
#[derive(Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    /// The parent node's index ([`NONE`] for the root of `XElement.Parse`).
    pub parent: u32,
    /// The index after the node's last descendant.
    pub end: u32,
}

/// What a node is.
#[derive(Debug)]
pub(crate) enum Kind {
    Document,
    Element(Element),
    Text(Arc<str>),
    CData(Arc<str>),
    Comment(Arc<str>),
    /// Target and data.
    Pi(Arc<str>, Arc<str>),
}

/// An element's name, attributes and whether it was written `<a/>` (`IsEmpty`).
#[derive(Debug)]
pub(crate) struct Element {
    pub name: Name,
    pub attrs: Vec<Attr>,
    pub empty: bool,
}

/// An expanded name (`XName`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The namespace (empty for none).
    pub ns: Arc<str>,
    /// The local name.
    pub local: Arc<str>,
}

/// An attribute (namespace declarations included, as LINQ to XML keeps them).
#[derive(Debug)]
pub(crate) struct Attr {
    pub name: Name,
    pub value: Arc<str>,
}

/// The XML declaration of a document (`XDeclaration`).
#[derive(Debug)]
pub(crate) struct Decl {
    pub version: Option<Arc<str>>,
    pub encoding: Option<Arc<str>>,
    pub standalone: Option<Arc<str>>,
}

impl Tree {
    /// The element data of a node.
    pub(crate) fn element(&self, i: u32) -> Option<&Element> {
        match &self.nodes.get(i as usize)?.kind {
            Kind::Element(e) => Some(e),
            _ => None,
        }
    }

    /// The children of a node, in order.
    pub(crate) fn children(&self, i: u32) -> impl Iterator<Item = u32> + '_ {
        let end = self.nodes.get(i as usize).map_or(0, |n| n.end);
        let mut next = i + 1;
        std::iter::from_fn(move || {
            if next >= end {
                return None;
            }
            let c = next;
            next = self.nodes[c as usize].end;
            Some(c)
        })
    }
}

fn xml_err<T>(message: impl Into<String>) -> Result<T, EvalError> {
    fail(ErrorKind::Xml, message)
}

/// Whether a character may start an XML name (XML 1.0 fifth edition, BMP only, no colon).
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}')
}

fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Whether `s` is a name without a colon (`XmlConvert.VerifyNCName`).
pub(crate) fn is_ncname(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(is_name_start) && cs.all(is_name_char)
}

/// XML white space.
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Splits a qualified name `p:l` (or `l`), checking both parts.
fn qname(s: &str) -> Result<(&str, &str), EvalError> {
    let (p, l) = match s.split_once(':') {
        Some((p, l)) => (p, l),
        None => ("", s),
    };
    if (!p.is_empty() || s.contains(':')) && !is_ncname(p) || !is_ncname(l) {
        return xml_err(format!("'{s}' is not a valid name"));
    }
    Ok((p, l))
}

/// Expands the references of character data or an attribute value.
fn unescape(raw: &str) -> Result<String, EvalError> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(semi) = after.find(';') else {
            return xml_err("'&' must start a reference ending with ';'");
        };
        let name = &after[..semi];
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "apos" => '\'',
            "quot" => '"',
            _ => {
                let code = if let Some(hex) = name.strip_prefix("#x") {
                    (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                        .then(|| u32::from_str_radix(hex, 16).ok())
                        .flatten()
                } else if let Some(dec) = name.strip_prefix('#') {
                    (!dec.is_empty() && dec.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| dec.parse::<u32>().ok())
                        .flatten()
                } else if is_ncname(name) {
                    return xml_err(format!("reference to undeclared entity '{name}'"));
                } else {
                    return xml_err("'&' must start a reference ending with ';'");
                };
                match code.and_then(char::from_u32).filter(|c| is_xml_char(*c)) {
                    Some(c) => c,
                    None => return xml_err(format!("'&{name};' is an invalid character")),
                }
            }
        };
        out.push(c);
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A character XML 1.0 allows.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Namespace declarations in scope.
#[derive(Default)]
struct Bindings {
    /// Prefixes in declaration order (innermost last).
    order: Vec<String>,
    /// The namespaces each prefix is bound to, innermost last.
    by_prefix: HashMap<String, Vec<Arc<str>>>,
}

impl Bindings {
    fn push(&mut self, prefix: &str, ns: Arc<str>) {
        self.order.push(prefix.to_owned());
        self.by_prefix
            .entry(prefix.to_owned())
            .or_default()
            .push(ns);
    }

    fn len(&self) -> usize {
        self.order.len()
    }

    fn truncate(&mut self, n: usize) {
        while self.order.len() > n {
            if let Some(p) = self.order.pop()
                && let Some(v) = self.by_prefix.get_mut(&p)
            {
                v.pop();
            }
        }
    }

    fn get(&self, prefix: &str) -> Option<Arc<str>> {
        self.by_prefix.get(prefix)?.last().cloned()
    }
}

/// An open element.
struct Open {
    node: u32,
    qname: String,
    /// The namespace bindings before the element.
    bindings: usize,
    /// `xml:space="preserve"` before the element.
    preserve: bool,
}

struct Parser<'a, 'm> {
    m: &'a mut Machine<'m>,
    src: &'a str,
    nodes: Vec<Node>,
    open: Vec<Open>,
    /// Namespace declarations in scope, innermost last, and the namespaces of each prefix.
    bindings: Bindings,
    preserve: bool,
    /// The document node (for `XDocument.Parse`).
    doc: bool,
    root_done: bool,
    decl: Option<Decl>,
    text: Option<(usize, usize)>,
    bound: PrintBound,
}

/// Parses XML text: a document (`XDocument.Parse`) or its root element (`XElement.Parse`).
pub(crate) fn parse(m: &mut Machine<'_>, text: &str, doc: bool) -> Result<Tree, EvalError> {
    m.alloc(text.len())?;
    m.step(text.len() as u64 / 64)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let normalized;
    let src = if text.contains('\r') {
        normalized = text.replace("\r\n", "\n").replace('\r', "\n");
        normalized.as_str()
    } else {
        text
    };
    if let Some(c) = src.chars().find(|c| !is_xml_char(*c)) {
        return xml_err(format!(
            "'{}', hexadecimal value 0x{:02X}, is an invalid character",
            c.escape_default(),
            c as u32
        ));
    }
    let mut p = Parser {
        m,
        src,
        nodes: Vec::new(),
        open: Vec::new(),
        bindings: Bindings::default(),
        preserve: false,
        doc,
        root_done: false,
        decl: None,
        text: None,
        bound: PrintBound {
            input: src.len(),
            ..PrintBound::default()
        },
    };
    if doc {
        p.add(Kind::Document, NONE)?;
    }
    p.run()?;
    // Printing is not budgeted where a value becomes text implicitly (`"x" + element`, the
    // policy's result): a tree that could print large pays for it here.
    let bound = p.bound.total();
    if bound > PRINT_CAP {
        p.m.alloc(bound)?;
    }
    let Parser {
        mut nodes, decl, ..
    } = p;
    if doc {
        nodes[0].end = nodes.len() as u32;
    }
    Ok(Tree { nodes, decl })
}

impl Parser<'_, '_> {
    fn run(&mut self) -> Result<(), EvalError> {
        let mut reader = Reader::from_str(self.src);
        let config = reader.config_mut();
        config.allow_dangling_amp = true;
        config.allow_unmatched_ends = true;
        config.check_end_names = false;
        config.check_comments = false;
        config.trim_text(false);
        loop {
            let start = reader.buffer_position() as usize;
            let event = match reader.read_event() {
                Ok(e) => e,
                Err(e) => return xml_err(format!("the XML is not well formed: {e}")),
            };
            let end = reader.buffer_position() as usize;
            if !matches!(event, Event::Text(_) | Event::GeneralRef(_)) {
                self.flush_text()?;
            }
            match event {
                Event::Text(_) | Event::GeneralRef(_) => {
                    let s = self.text.map_or(start, |(s, _)| s);
                    self.text = Some((s, end));
                }
                Event::Start(_) => self.start(start, end, false)?,
                Event::Empty(_) => self.start(start, end, true)?,
                Event::End(_) => self.end(start, end)?,
                Event::CData(c) => {
                    if self.open.is_empty() {
                        return xml_err("CDATA sections are not allowed outside the root element");
                    }
                    let s = String::from_utf8_lossy(&c).into_owned();
                    self.add_child(Kind::CData(Arc::from(s)))?;
                }
                Event::Comment(c) => {
                    let s = String::from_utf8_lossy(&c).into_owned();
                    if s.contains("--") || s.ends_with('-') {
                        return xml_err("'--' is not allowed in a comment");
                    }
                    self.misc(Kind::Comment(Arc::from(s)))?;
                }
                Event::PI(_) => {
                    let raw = self.src.get(start + 2..end - 2).unwrap_or("");
                    self.pi(raw)?;
                }
                Event::Decl(_) => {
                    if start != 0 {
                        return xml_err(
                            "unexpected XML declaration: it must be the first node in the document",
                        );
                    }
                    let raw = self.src.get(start + 2..end - 2).unwrap_or("");
                    self.decl = Some(declaration(raw)?);
                }
                Event::DocType(_) => {
                    return fail(
                        ErrorKind::InvalidOperation,
                        "XML with a DOCTYPE declaration is not supported in policy expressions",
                    );
                }
                Event::Eof => break,
            }
        }
        if let Some(o) = self.open.last() {
            return xml_err(format!(
                "unexpected end of file: the element '{}' is not closed",
                o.qname
            ));
        }
        if !self.root_done {
            return xml_err("root element is missing");
        }
        Ok(())
    }

    /// Appends a node, counted against the budgets.
    fn add(&mut self, kind: Kind, parent: u32) -> Result<u32, EvalError> {
        self.m.step(1)?;
        self.m.alloc(NODE_BYTES)?;
        if !matches!(kind, Kind::Text(_) | Kind::CData(_) | Kind::Document) {
            let lines = 2 * (1 + 2 * self.open.len());
            self.bound.indent = self.bound.indent.saturating_add(lines);
        }
        let i = self.nodes.len() as u32;
        self.nodes.push(Node {
            kind,
            parent,
            end: i + 1,
        });
        Ok(i)
    }

    fn parent(&self) -> u32 {
        match self.open.last() {
            Some(o) => o.node,
            None if self.doc => 0,
            None => NONE,
        }
    }

    /// A node inside the current element.
    fn add_child(&mut self, kind: Kind) -> Result<(), EvalError> {
        let parent = self.parent();
        self.add(kind, parent)?;
        Ok(())
    }

    /// A comment or processing instruction: outside the root element only a document keeps it.
    fn misc(&mut self, kind: Kind) -> Result<(), EvalError> {
        if self.open.is_empty() && !self.doc {
            return Ok(());
        }
        self.add_child(kind)
    }

    fn pi(&mut self, raw: &str) -> Result<(), EvalError> {
        let n = raw.find(is_space).unwrap_or(raw.len());
        let target = &raw[..n];
        if target.eq_ignore_ascii_case("xml") {
            return xml_err(
                "unexpected XML declaration: it must be the first node in the document",
            );
        }
        if !is_ncname(target) {
            return xml_err(format!(
                "'{target}' is not a valid processing instruction name"
            ));
        }
        let data = raw[n..].trim_start_matches(is_space);
        self.misc(Kind::Pi(Arc::from(target), Arc::from(data)))
    }

    fn flush_text(&mut self) -> Result<(), EvalError> {
        let Some((s, e)) = self.text.take() else {
            return Ok(());
        };
        let raw = &self.src[s..e];
        if self.open.is_empty() {
            if raw.chars().all(is_space) {
                return Ok(());
            }
            return xml_err("data at the root level is invalid");
        }
        if raw.contains("]]>") {
            return xml_err("']]>' is not allowed in character data");
        }
        let text = unescape(raw)?;
        let whitespace = text.chars().all(is_space);
        if whitespace && !self.preserve && text.len() < WHITESPACE_LOOKAHEAD {
            return Ok(());
        }
        self.add_child(Kind::Text(Arc::from(text)))
    }

    fn lookup(&self, prefix: &str) -> Option<Arc<str>> {
        match prefix {
            "xml" => Some(Arc::from(XML_NS)),
            "xmlns" => Some(Arc::from(XMLNS_NS)),
            _ => self.bindings.get(prefix),
        }
    }

    /// A start tag `src[start..end]` (`<…>` or `<…/>`).
    fn start(&mut self, start: usize, end: usize, empty: bool) -> Result<(), EvalError> {
        if self.open.is_empty() && self.root_done {
            return xml_err("there are multiple root elements");
        }
        let inner = &self.src[start + 1..end - 1];
        let inner = if empty {
            inner.strip_suffix('/').unwrap_or(inner)
        } else {
            inner
        };
        let n = inner.find(is_space).unwrap_or(inner.len());
        let tag = &inner[..n];
        let (prefix, local) = qname(tag)?;
        let raw_attrs = attributes(&inner[n..])?;
        let mark = self.bindings.len();
        let preserve_before = self.preserve;
        for (q, v) in &raw_attrs {
            let v: &str = v;
            if *q == "xmlns" {
                if v == XML_NS || v == XMLNS_NS {
                    return xml_err(format!("the default namespace cannot be bound to '{v}'"));
                }
                self.bindings.push("", Arc::from(v));
                self.bound.max_namespace = self.bound.max_namespace.max(v.len());
            } else if let Some(p) = q.strip_prefix("xmlns:") {
                if p == "xmlns" || (p == "xml") != (v == XML_NS) || v == XMLNS_NS {
                    return xml_err(format!("the prefix '{p}' cannot be bound to '{v}'"));
                }
                if v.is_empty() {
                    return xml_err(format!(
                        "the prefix '{p}' cannot be bound to the empty namespace"
                    ));
                }
                self.bindings.push(p, Arc::from(v));
                self.bound.max_prefix = self.bound.max_prefix.max(p.len());
                self.bound.max_namespace = self.bound.max_namespace.max(v.len());
            } else if *q == "xml:space" {
                match v.trim_matches(is_space) {
                    "preserve" => self.preserve = true,
                    "default" => self.preserve = false,
                    other => return xml_err(format!("'{other}' is an invalid xml:space value")),
                }
            }
        }
        if prefix == "xmlns" {
            return xml_err("the prefix 'xmlns' is reserved");
        }
        let ns = match self.lookup(prefix) {
            Some(ns) => ns,
            None if prefix.is_empty() => Arc::from(""),
            None => return xml_err(format!("'{prefix}' is an undeclared prefix")),
        };
        self.bound.names = self.bound.names.saturating_add(1 + raw_attrs.len());
        let mut attrs: Vec<Attr> = Vec::with_capacity(raw_attrs.len());
        let mut seen: HashSet<(Arc<str>, &str)> = HashSet::new();
        for (q, v) in raw_attrs {
            let (p, l) = qname(q)?;
            let ns: Arc<str> = if p.is_empty() {
                Arc::from("")
            } else {
                match self.lookup(p) {
                    Some(ns) => ns,
                    None => return xml_err(format!("'{p}' is an undeclared prefix")),
                }
            };
            if !seen.insert((ns.clone(), l)) {
                return xml_err(format!("'{q}' is a duplicate attribute name"));
            }
            self.m.step(1)?;
            self.m.alloc(NODE_BYTES)?;
            attrs.push(Attr {
                name: Name {
                    ns,
                    local: Arc::from(l),
                },
                value: Arc::from(v),
            });
        }
        let parent = self.parent();
        let node = self.add(
            Kind::Element(Element {
                name: Name {
                    ns,
                    local: Arc::from(local),
                },
                attrs,
                empty,
            }),
            parent,
        )?;
        if empty {
            self.bindings.truncate(mark);
            self.preserve = preserve_before;
            if self.open.is_empty() {
                self.root_done = true;
            }
        } else {
            self.open.push(Open {
                node,
                qname: tag.to_owned(),
                bindings: mark,
                preserve: preserve_before,
            });
        }
        Ok(())
    }

    /// An end tag `src[start..end]` (`</…>`).
    fn end(&mut self, start: usize, end: usize) -> Result<(), EvalError> {
        let name = self.src[start + 2..end - 1].trim_end_matches(is_space);
        let Some(o) = self.open.pop() else {
            return xml_err(format!("unexpected end tag '</{name}>'"));
        };
        if o.qname != name {
            return xml_err(format!(
                "the '{}' start tag does not match the end tag of '{name}'",
                o.qname
            ));
        }
        let after = self.nodes.len() as u32;
        self.nodes[o.node as usize].end = after;
        self.bindings.truncate(o.bindings);
        self.preserve = o.preserve;
        if self.open.is_empty() {
            self.root_done = true;
        }
        Ok(())
    }
}

/// The attributes of a start tag (the text after its name): qualified names and normalized,
/// expanded values; names must be unique.
fn attributes(s: &str) -> Result<Vec<(&str, String)>, EvalError> {
    let mut out: Vec<(&str, String)> = Vec::new();
    let mut names = HashSet::new();
    let mut rest = s;
    loop {
        let trimmed = rest.trim_start_matches(is_space);
        if trimmed.is_empty() {
            return Ok(out);
        }
        if trimmed.len() == rest.len() {
            return xml_err("attributes must be separated by white space");
        }
        let n = trimmed
            .find(|c: char| is_space(c) || c == '=')
            .unwrap_or(trimmed.len());
        let name = &trimmed[..n];
        qname(name)?;
        let after = trimmed[n..].trim_start_matches(is_space);
        let Some(after) = after.strip_prefix('=') else {
            return xml_err(format!("the attribute '{name}' has no value"));
        };
        let after = after.trim_start_matches(is_space);
        let quote = match after.chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => return xml_err(format!("the value of attribute '{name}' must be quoted")),
        };
        let body = &after[1..];
        let Some(close) = body.find(quote) else {
            return xml_err(format!("the value of attribute '{name}' is not closed"));
        };
        let raw = &body[..close];
        if raw.contains('<') {
            return xml_err("'<' is not allowed in an attribute value");
        }
        if !names.insert(name) {
            return xml_err(format!("'{name}' is a duplicate attribute name"));
        }
        let value = unescape(&raw.replace(['\t', '\n'], " "))?;
        out.push((name, value));
        rest = &body[close + 1..];
    }
}

/// The pseudo-attributes of an XML declaration (`xml version="1.0" …`).
fn declaration(raw: &str) -> Result<Decl, EvalError> {
    let bad = || xml_err("the XML declaration is not valid");
    let attrs = attributes(raw.strip_prefix("xml").unwrap_or(""))?;
    let mut decl = Decl {
        version: None,
        encoding: None,
        standalone: None,
    };
    let mut order = 0;
    for (name, value) in attrs {
        let (rank, slot) = match name {
            "version" => (1, &mut decl.version),
            "encoding" => (2, &mut decl.encoding),
            "standalone" => (3, &mut decl.standalone),
            _ => return bad(),
        };
        if rank <= order {
            return bad();
        }
        order = rank;
        let ok = match rank {
            1 => value == "1.0",
            2 => {
                let mut cs = value.chars();
                cs.next().is_some_and(|c| c.is_ascii_alphabetic())
                    && cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            }
            _ => value == "yes" || value == "no",
        };
        if !ok {
            return bad();
        }
        *slot = Some(Arc::from(value));
    }
    if decl.version.is_none() {
        return bad();
    }
    Ok(decl)
}
