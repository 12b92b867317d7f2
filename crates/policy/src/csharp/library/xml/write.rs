//! `XElement.ToString()` and `XDocument.ToString()`: the calls LINQ to XML's `ElementWriter`
//! makes, replayed on a model of the writer .NET creates for them (`XmlWellFormedWriter` over
//! `XmlEncodedRawTextWriterIndent`, `OmitXmlDeclaration`, two-space indentation): the prefixes
//! it picks, the namespace declarations it adds, its indentation rules (none inside mixed
//! content), `<a />` for empty elements and its escaping.
//!
//! Line breaks are `\n`, as .NET writes them on Linux (Azure's Windows-hosted gateway writes
//! `\r\n`); the JSON writer makes the same choice.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::parse::{Attr, Kind, Tree, XML_NS, XMLNS_NS};
use crate::csharp::value::{ErrorKind, EvalError, fail};

const NEWLINE: &str = "\n";
const INDENT: &str = "  ";

/// A namespace binding on the writer's stack.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NsKind {
    Special,
    Implied,
    NeedToWrite,
    Written,
}

struct Binding {
    prefix: Arc<str>,
    uri: Arc<str>,
    kind: NsKind,
}

/// An open element on the writer's stack.
struct Scope {
    prefix: Arc<str>,
    local: Arc<str>,
    prev_top: usize,
}

/// A namespace declaration known to `ElementWriter`'s resolver.
struct Decl {
    prefix: Arc<str>,
    ns: Arc<str>,
    scope: usize,
    /// The declaration of the same prefix this one hides.
    hides: Option<usize>,
}

/// `ElementWriter`'s namespace resolver: declarations searched newest first, a declaration
/// hidden by a newer one of the same prefix skipped; indexed so that a lookup costs
/// `O(log n)` however many declarations are in scope.
#[derive(Default)]
struct Resolver {
    decls: Vec<Decl>,
    /// The visible declaration of each prefix.
    visible: HashMap<Arc<str>, usize>,
    /// The visible declarations of each namespace.
    by_ns: HashMap<Arc<str>, BTreeSet<usize>>,
}

impl Resolver {
    fn push(&mut self, prefix: Arc<str>, ns: Arc<str>, scope: usize) {
        let i = self.decls.len();
        let hides = self.visible.insert(prefix.clone(), i);
        if let Some(j) = hides
            && let Some(set) = self.by_ns.get_mut(&self.decls[j].ns)
        {
            set.remove(&j);
        }
        self.by_ns.entry(ns.clone()).or_default().insert(i);
        self.decls.push(Decl {
            prefix,
            ns,
            scope,
            hides,
        });
    }

    /// Removes the declarations of a scope (the newest ones).
    fn pop_scope(&mut self, scope: usize) {
        while self.decls.last().is_some_and(|d| d.scope == scope) {
            let i = self.decls.len() - 1;
            let Some(d) = self.decls.pop() else { break };
            if let Some(set) = self.by_ns.get_mut(&d.ns) {
                set.remove(&i);
            }
            match d.hides {
                Some(j) => {
                    self.visible.insert(d.prefix, j);
                    let ns = self.decls[j].ns.clone();
                    self.by_ns.entry(ns).or_default().insert(j);
                }
                None => {
                    self.visible.remove(&d.prefix);
                }
            }
        }
    }

    /// The prefix of the newest visible declaration of a namespace (`allow_default`: the
    /// default namespace's empty prefix counts).
    fn prefix_of(&self, ns: &str, allow_default: bool) -> Option<Arc<str>> {
        let set = self.by_ns.get(ns)?;
        set.iter()
            .rev()
            .map(|&i| &self.decls[i].prefix)
            .find(|p| allow_default || !p.is_empty())
            .cloned()
    }
}

/// The writer's namespace stack with indexes by prefix and by namespace.
#[derive(Default)]
struct NsStack {
    items: Vec<Binding>,
    by_prefix: HashMap<Arc<str>, Vec<usize>>,
    by_uri: HashMap<Arc<str>, Vec<usize>>,
}

impl NsStack {
    fn push(&mut self, b: Binding) {
        let i = self.items.len();
        self.by_prefix.entry(b.prefix.clone()).or_default().push(i);
        self.by_uri.entry(b.uri.clone()).or_default().push(i);
        self.items.push(b);
    }

    fn truncate(&mut self, n: usize) {
        while self.items.len() > n {
            let Some(b) = self.items.pop() else { break };
            if let Some(v) = self.by_prefix.get_mut(&b.prefix) {
                v.pop();
            }
            if let Some(v) = self.by_uri.get_mut(&b.uri) {
                v.pop();
            }
        }
    }

    fn index_of_prefix(&self, prefix: &str) -> Option<usize> {
        self.by_prefix.get(prefix)?.last().copied()
    }

    /// `LookupPrefix`: the prefix of the newest binding of `uri`, unless that prefix was
    /// bound again since.
    fn prefix_of(&self, uri: &str) -> Option<Arc<str>> {
        let i = *self.by_uri.get(uri)?.last()?;
        let prefix = &self.items[i].prefix;
        if self.index_of_prefix(prefix) != Some(i) {
            return None;
        }
        Some(prefix.clone())
    }
}

/// The writer model.
pub(crate) struct Writer {
    out: String,
    indent: bool,
    // XmlEncodedRawTextWriter(Indent)
    text_pos: usize,
    content_pos: usize,
    level: usize,
    mixed: bool,
    mixed_stack: Vec<bool>,
    // XmlWellFormedWriter
    ns: NsStack,
    elems: Vec<Scope>,
    pending: bool,
    // ElementWriter
    resolver: Resolver,
    scope: usize,
}

fn xml_err<T>(message: impl Into<String>) -> Result<T, EvalError> {
    fail(ErrorKind::Xml, message)
}

fn arg_err<T>(message: impl Into<String>) -> Result<T, EvalError> {
    fail(ErrorKind::Argument, message)
}

fn a(s: &str) -> Arc<str> {
    Arc::from(s)
}

/// Whether an attribute declares a namespace (`XAttribute.IsNamespaceDeclaration`).
pub(crate) fn is_decl(at: &Attr) -> bool {
    if at.name.ns.is_empty() {
        &*at.name.local == "xmlns"
    } else {
        &*at.name.ns == XMLNS_NS
    }
}

/// The prefix a namespace declaration binds (empty for the default namespace).
fn decl_prefix(at: &Attr) -> Arc<str> {
    if at.name.ns.is_empty() {
        a("")
    } else {
        at.name.local.clone()
    }
}

impl Writer {
    /// A writer; `indent` is false for `SaveOptions.DisableFormatting`.
    pub(crate) fn new(indent: bool) -> Writer {
        let binding = |p: &str, u: &str, kind| Binding {
            prefix: a(p),
            uri: a(u),
            kind,
        };
        let mut ns = NsStack::default();
        ns.push(binding("xmlns", XMLNS_NS, NsKind::Special));
        ns.push(binding("xml", XML_NS, NsKind::Special));
        ns.push(binding("", "", NsKind::Implied));
        Writer {
            out: String::new(),
            indent,
            text_pos: 0,
            content_pos: usize::MAX,
            level: 0,
            mixed: false,
            mixed_stack: Vec::new(),
            ns,
            elems: Vec::new(),
            pending: false,
            resolver: Resolver::default(),
            scope: 0,
        }
    }

    /// The text written.
    pub(crate) fn finish(self) -> String {
        self.out
    }

    /// The number of bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.out.len()
    }

    /// An attribute on its own (`XAttribute.ToString()`: written at the root level of a
    /// fragment, then trimmed).
    pub(crate) fn lone_attribute(&mut self, prefix: &str, local: &str, value: &str) {
        self.raw_attr(prefix, local, value);
        self.out.remove(0);
    }

    // ---- the raw writer ----

    fn write_indent(&mut self) {
        self.out.push_str(NEWLINE);
        for _ in 0..self.level {
            self.out.push_str(INDENT);
        }
    }

    fn at_text(&self) -> bool {
        self.text_pos == self.out.len()
    }

    fn escape_text(&mut self, s: &str) {
        let mut cs = s.chars().peekable();
        while let Some(c) = cs.next() {
            match c {
                '&' => self.out.push_str("&amp;"),
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '\n' => self.out.push_str(NEWLINE),
                '\r' => {
                    if cs.peek() == Some(&'\n') {
                        cs.next();
                    }
                    self.out.push_str(NEWLINE);
                }
                c => self.out.push(c),
            }
        }
    }

    fn escape_attr(&mut self, s: &str) {
        for c in s.chars() {
            match c {
                '&' => self.out.push_str("&amp;"),
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '"' => self.out.push_str("&quot;"),
                '\t' => self.out.push_str("&#x9;"),
                '\n' => self.out.push_str("&#xA;"),
                '\r' => self.out.push_str("&#xD;"),
                c => self.out.push(c),
            }
        }
    }

    fn raw_attr(&mut self, prefix: &str, local: &str, value: &str) {
        self.out.push(' ');
        if !prefix.is_empty() {
            self.out.push_str(prefix);
            self.out.push(':');
        }
        self.out.push_str(local);
        self.out.push_str("=\"");
        self.escape_attr(value);
        self.out.push('"');
    }

    // ---- XmlWellFormedWriter ----

    fn lookup_namespace(&self, prefix: &str) -> Option<Arc<str>> {
        self.ns
            .index_of_prefix(prefix)
            .map(|i| self.ns.items[i].uri.clone())
    }

    fn prev_top(&self) -> usize {
        self.elems.last().map_or(2, |e| e.prev_top)
    }

    /// The binding of a prefix made by the current element.
    fn local_index(&self, prefix: &str) -> Option<usize> {
        self.ns
            .index_of_prefix(prefix)
            .filter(|&i| i > self.prev_top())
    }

    fn generate_prefix(&self) -> Arc<str> {
        let base = format!("p{}", self.ns.items.len() - 3);
        if self.lookup_namespace(&base).is_none() {
            return a(&base);
        }
        let mut i = 0;
        loop {
            let s = format!("{base}{i}");
            if self.lookup_namespace(&s).is_none() {
                return a(&s);
            }
            i += 1;
        }
    }

    fn push_implicit(&mut self, prefix: Arc<str>, uri: Arc<str>) -> Result<(), EvalError> {
        let items = &self.ns.items;
        let kind = match self.ns.index_of_prefix(&prefix) {
            Some(i) if i > self.prev_top() => {
                if items[i].uri != uri {
                    return xml_err(format!(
                        "the prefix '{prefix}' cannot be redefined from '{}' to '{uri}' within the same start element tag",
                        items[i].uri
                    ));
                }
                return Ok(());
            }
            Some(i) if items[i].kind == NsKind::Special => {
                if &*prefix == "xml" && *uri == *items[i].uri {
                    NsKind::Implied
                } else {
                    return arg_err(format!("the prefix '{prefix}' is reserved"));
                }
            }
            Some(i) if items[i].uri == uri => NsKind::Implied,
            Some(_) => NsKind::NeedToWrite,
            None => {
                if (&*uri == XML_NS && &*prefix != "xml")
                    || (&*uri == XMLNS_NS && &*prefix != "xmlns")
                {
                    return arg_err(format!("the prefix '{prefix}' cannot be bound to '{uri}'"));
                }
                NsKind::NeedToWrite
            }
        };
        self.ns.push(Binding { prefix, uri, kind });
        Ok(())
    }

    /// A namespace declaration written as an attribute; whether to write it.
    fn push_explicit(&mut self, prefix: Arc<str>, uri: Arc<str>) -> Result<(), EvalError> {
        if let Some(i) = self.local_index(&prefix) {
            let b = &mut self.ns.items[i];
            if b.uri != uri {
                return xml_err(format!(
                    "the prefix '{prefix}' cannot be redefined from '{}' to '{uri}' within the same start element tag",
                    b.uri
                ));
            }
            if b.kind == NsKind::Written {
                return xml_err(format!("duplicate declaration of the prefix '{prefix}'"));
            }
            b.kind = NsKind::Written;
            return Ok(());
        }
        // `xml` is bound to its namespace only, `xmlns` is never declared.
        if (&*uri == XML_NS) != (&*prefix == "xml") || &*uri == XMLNS_NS || &*prefix == "xmlns" {
            return arg_err(format!("the prefix '{prefix}' cannot be bound to '{uri}'"));
        }
        self.ns.push(Binding {
            prefix,
            uri,
            kind: NsKind::Written,
        });
        Ok(())
    }

    /// Ends the pending start tag: namespace declarations the names needed, then `>`.
    fn start_content(&mut self) {
        if !self.pending {
            return;
        }
        self.pending = false;
        let start = self.prev_top() + 1;
        for i in (start..self.ns.items.len()).rev() {
            let b = &self.ns.items[i];
            if b.kind == NsKind::NeedToWrite {
                let (p, u) = (b.prefix.clone(), b.uri.clone());
                if p.is_empty() {
                    self.raw_attr("", "xmlns", &u);
                } else {
                    self.raw_attr("xmlns", &p, &u);
                }
            }
        }
        if self.indent {
            self.mixed = if self.level == 1 {
                false
            } else {
                self.mixed_stack.last().copied().unwrap_or(false)
            };
        }
        self.out.push('>');
        self.content_pos = self.out.len();
    }

    fn start_element(
        &mut self,
        prefix: Option<Arc<str>>,
        local: &Arc<str>,
        ns: &Arc<str>,
    ) -> Result<(), EvalError> {
        self.start_content();
        let prefix = match prefix {
            Some(p) => p,
            None => self.ns.prefix_of(ns).unwrap_or_else(|| a("")),
        };
        if self.indent {
            if !self.mixed && !self.at_text() {
                self.write_indent();
            }
            self.level += 1;
            self.mixed_stack.push(self.mixed);
        }
        self.out.push('<');
        if !prefix.is_empty() {
            self.out.push_str(&prefix);
            self.out.push(':');
        }
        self.out.push_str(local);
        self.elems.push(Scope {
            prefix: prefix.clone(),
            local: local.clone(),
            prev_top: self.ns.items.len() - 1,
        });
        self.push_implicit(prefix, ns.clone())?;
        self.pending = true;
        Ok(())
    }

    fn attribute(
        &mut self,
        prefix: Option<Arc<str>>,
        local: &Arc<str>,
        ns: &Arc<str>,
        value: &str,
    ) -> Result<(), EvalError> {
        let mut prefix = match prefix {
            Some(p) => p,
            None if !(&**local == "xmlns" && &**ns == XMLNS_NS) => {
                self.ns.prefix_of(ns).unwrap_or_else(|| a(""))
            }
            None => a(""),
        };
        if prefix.is_empty() {
            if &**local == "xmlns" {
                return self.push_explicit(a(""), a(value)).map(|()| {
                    self.raw_attr("", "xmlns", value);
                });
            }
            if !ns.is_empty() {
                prefix = match self.ns.prefix_of(ns) {
                    Some(p) if !p.is_empty() => p,
                    _ => self.generate_prefix(),
                };
            }
        } else if &*prefix == "xmlns" {
            return self.push_explicit(local.clone(), a(value)).map(|()| {
                self.raw_attr("xmlns", local, value);
            });
        } else if &*prefix == "xml" && matches!(&**local, "space" | "lang") {
            let value = if &**local == "space" {
                let v = value.trim_matches(super::parse::is_space);
                if v != "default" && v != "preserve" {
                    return arg_err(format!("'{v}' is an invalid xml:space value"));
                }
                v
            } else {
                value
            };
            self.raw_attr("xml", local, value);
            return Ok(());
        } else if ns.is_empty() {
            prefix = a("");
        } else if self
            .local_index(&prefix)
            .is_some_and(|i| self.ns.items[i].uri != *ns)
        {
            prefix = self.generate_prefix();
        }
        if !prefix.is_empty() {
            self.push_implicit(prefix.clone(), ns.clone())?;
        }
        self.raw_attr(&prefix, local, value);
        Ok(())
    }

    fn end_element(&mut self, full: bool) {
        self.start_content();
        let Some(scope) = self.elems.pop() else {
            return;
        };
        if self.indent {
            self.level = self.level.saturating_sub(1);
            if !self.mixed && self.content_pos != self.out.len() && !self.at_text() {
                self.write_indent();
            }
            self.mixed = self.mixed_stack.pop().unwrap_or(false);
        }
        if full || self.content_pos != self.out.len() {
            self.out.push_str("</");
            if !scope.prefix.is_empty() {
                self.out.push_str(&scope.prefix);
                self.out.push(':');
            }
            self.out.push_str(&scope.local);
            self.out.push('>');
        } else {
            self.out.pop();
            self.out.push_str(" />");
        }
        self.ns.truncate(scope.prev_top + 1);
    }

    fn string(&mut self, s: &str) {
        self.start_content();
        if self.indent {
            self.mixed = true;
        }
        self.escape_text(s);
        self.text_pos = self.out.len();
        self.content_pos = usize::MAX;
    }

    fn cdata(&mut self, s: &str) {
        self.start_content();
        if self.indent {
            self.mixed = true;
        }
        self.out.push_str("<![CDATA[");
        self.out.push_str(&s.replace("]]>", "]]]]><![CDATA[>"));
        self.out.push_str("]]>");
        self.text_pos = self.out.len();
    }

    fn markup(&mut self, open: &str, text: &str, close: &str) {
        self.start_content();
        if self.indent && !self.mixed && !self.at_text() {
            self.write_indent();
        }
        self.out.push_str(open);
        self.out.push_str(text);
        self.out.push_str(close);
    }

    // ---- ElementWriter ----

    /// `ElementWriter.GetPrefixOfNamespace`.
    fn prefix_of(&self, ns: &str, allow_default: bool) -> Option<Arc<str>> {
        if ns.is_empty() {
            return Some(a(""));
        }
        self.resolver
            .prefix_of(ns, allow_default)
            .or_else(|| match ns {
                XML_NS => Some(a("xml")),
                XMLNS_NS => Some(a("xmlns")),
                _ => None,
            })
    }

    /// Writes an element and its content (`XElement.WriteTo`), calling `step` for every node
    /// and every namespace declaration of its ancestors.
    pub(crate) fn element(
        &mut self,
        tree: &Tree,
        e: u32,
        step: &mut dyn FnMut(&Writer) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        // PushAncestors: the declarations of the ancestors, nearest first and in document
        // order within an element, are searched after the element's own.
        let mut ancestors = Vec::new();
        let mut p = tree.nodes[e as usize].parent;
        while tree.element(p).is_some() {
            step(self)?;
            ancestors.push(p);
            p = tree.nodes[p as usize].parent;
        }
        for &anc in ancestors.iter().rev() {
            if let Some(el) = tree.element(anc) {
                for at in el.attrs.iter().rev().filter(|at| is_decl(at)) {
                    step(self)?;
                    self.resolver.push(decl_prefix(at), at.value.clone(), 0);
                }
            }
        }
        let end = tree.nodes[e as usize].end;
        let mut open: Vec<u32> = Vec::new();
        for i in e..end {
            while open
                .last()
                .is_some_and(|&o| tree.nodes[o as usize].end <= i)
            {
                open.pop();
                self.close(true);
            }
            step(self)?;
            match &tree.nodes[i as usize].kind {
                Kind::Element(el) => {
                    self.scope += 1;
                    for at in el.attrs.iter().filter(|at| is_decl(at)) {
                        self.resolver
                            .push(decl_prefix(at), at.value.clone(), self.scope);
                    }
                    let prefix = self.prefix_of(&el.name.ns, true);
                    self.start_element(prefix, &el.name.local, &el.name.ns)?;
                    for at in &el.attrs {
                        let ns = at.name.ns.clone();
                        let local = at.name.local.clone();
                        let (ns, local) = if ns.is_empty() && &*local == "xmlns" {
                            (a(XMLNS_NS), local)
                        } else {
                            (ns, local)
                        };
                        let prefix = self.prefix_of(&at.name.ns, false);
                        self.attribute(prefix, &local, &ns, &at.value)?;
                    }
                    if tree.nodes[i as usize].end > i + 1 {
                        open.push(i);
                    } else if el.empty {
                        self.close(false);
                    } else {
                        self.string("");
                        self.close(true);
                    }
                }
                Kind::Text(t) => self.string(t),
                Kind::CData(t) => self.cdata(t),
                Kind::Comment(t) => self.markup("<!--", t, "-->"),
                Kind::Pi(target, data) => self.pi(target, data),
                Kind::Document => {}
            }
        }
        while open.pop().is_some() {
            self.close(true);
        }
        Ok(())
    }

    fn close(&mut self, full: bool) {
        self.end_element(full);
        self.resolver.pop_scope(self.scope);
        self.scope = self.scope.saturating_sub(1);
    }

    fn pi(&mut self, target: &str, data: &str) {
        let open = format!("<?{target}{}", if data.is_empty() { "" } else { " " });
        self.markup(&open, data, "?>");
    }

    /// Writes a document's nodes (`XDocument.WriteContentTo`; the declaration is not written).
    pub(crate) fn document(
        &mut self,
        tree: &Tree,
        step: &mut dyn FnMut(&Writer) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        for c in tree.children(0) {
            match &tree.nodes[c as usize].kind {
                Kind::Element(_) => self.element(tree, c, step)?,
                Kind::Comment(t) => self.markup("<!--", t, "-->"),
                Kind::Pi(target, data) => self.pi(target, data),
                _ => {}
            }
        }
        Ok(())
    }
}
