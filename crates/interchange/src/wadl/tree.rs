//! The document as a tree of elements: namespace-aware (quick-xml's `NsReader`, end names
//! checked), every element with its XPath-like location and byte offset, nesting bounded.

use crate::ImportError;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use std::collections::HashMap;

/// The WADL namespace of the W3C member submission (2009/02).
pub(crate) const WADL_2009: &str = "http://wadl.dev.java.net/2009/02";
/// The namespace of the earlier WADL drafts (2006/10).
pub(crate) const WADL_2006: &str = "http://research.sun.com/wadl/2006/10";
/// The deepest element nesting accepted.
pub(crate) const MAX_DEPTH: usize = 100;

/// A child of an element.
#[derive(Debug)]
pub(crate) enum Node {
    /// A child element.
    Element(Element),
    /// Character data (text, CDATA, resolved references), line ends normalised.
    Text(String),
}

/// An attribute: its namespace (`None` when unqualified), local name and unescaped value.
#[derive(Debug)]
pub(crate) struct Attribute {
    pub namespace: Option<String>,
    pub name: String,
    pub value: String,
}

/// An element of the document.
#[derive(Debug)]
pub(crate) struct Element {
    /// Whether the element is in the document's WADL namespace (that of the root).
    pub wadl: bool,
    /// The local name.
    pub name: String,
    /// The attributes, namespace declarations left out.
    pub attributes: Vec<Attribute>,
    /// The children, in document order.
    pub children: Vec<Node>,
    /// Where it is: `/application/resources/resource[2]/method[1]`.
    pub path: String,
    /// The byte offset of its start tag.
    pub offset: usize,
}

impl Element {
    /// The value of the unqualified attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attr_ns(None, name)
    }

    /// The value of the attribute `name` in `namespace`.
    pub fn attr_ns(&self, namespace: Option<&str>, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.as_deref() == namespace && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The child elements in the WADL namespace called `name`.
    pub fn wadl_children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.wadl && e.name == name)
    }

    /// All child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The text of the element and its descendants, in document order.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for node in &self.children {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
            }
        }
    }
}

/// The line (from 1) of a byte offset.
pub(crate) fn line(source: &str, offset: usize) -> usize {
    let end = offset.min(source.len());
    source.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// An error at `pointer`, the message starting with the line of `offset`.
pub(crate) fn error_at(
    source: &str,
    pointer: &str,
    offset: usize,
    message: impl AsRef<str>,
) -> ImportError {
    ImportError {
        message: format!("line {}: {}", line(source, offset), message.as_ref()),
        pointer: pointer.to_owned(),
    }
}

/// An element being read, with the counts of its children's names (for their indexes).
struct Open {
    element: Element,
    counts: HashMap<String, usize>,
}

/// Reads `source` into the tree of its root element, which must be a WADL `<application>`
/// (2009/02, 2006/10 or no namespace).
pub(crate) fn parse(source: &str) -> Result<Element, ImportError> {
    let mut reader = NsReader::from_str(source);
    reader.config_mut().check_end_names = true;
    reader.config_mut().check_comments = true;
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Element> = None;
    // The root's namespace, once the root is read.
    let mut wadl_ns: Option<Option<String>> = None;
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let here = |stack: &[Open]| {
            stack
                .last()
                .map_or(String::new(), |o| o.element.path.clone())
        };
        let (namespace, event) = match reader.read_resolved_event() {
            Ok((ns, event)) => (namespace_of(&ns), event),
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(error_at(
                    source,
                    &here(&stack),
                    at,
                    format!("not well-formed XML: {e}"),
                ));
            }
        };
        let fail = |message: String| error_at(source, &here(&stack), offset, message);
        let text = match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                if root.is_some() {
                    return Err(fail("content after the root element".to_owned()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(fail(format!(
                        "elements nest deeper than {MAX_DEPTH} levels"
                    )));
                }
                let namespace = namespace.map_err(fail)?;
                let element = element(&reader, start, namespace, &mut stack, &mut wadl_ns)
                    .map_err(|m| error_at(source, &here(&stack), offset, m))?;
                let element = Element { offset, ..element };
                if matches!(event, Event::Start(_)) {
                    stack.push(Open {
                        element,
                        counts: HashMap::new(),
                    });
                } else {
                    attach(&mut stack, &mut root, element);
                }
                continue;
            }
            Event::End(_) => {
                if let Some(open) = stack.pop() {
                    attach(&mut stack, &mut root, open.element);
                }
                continue;
            }
            Event::Text(t) => t.xml_content().map(|c| c.into_owned()),
            Event::CData(c) => c.xml_content().map(|c| c.into_owned()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    Ok(None) => r
                        .decode()
                        .ok()
                        .and_then(|name| resolve_xml_entity(&name))
                        .map(str::to_owned),
                    Err(e) => return Err(fail(format!("not well-formed XML: {e}"))),
                };
                match resolved {
                    Some(text) => Ok(text),
                    None => {
                        let name = String::from_utf8_lossy(&r);
                        return Err(fail(format!(
                            "undefined entity &{name}; (only the predefined XML entities are known)"
                        )));
                    }
                }
            }
            Event::Eof => break,
            // Declarations, processing instructions, comments, DOCTYPE.
            _ => continue,
        };
        let text = text.map_err(|e| fail(format!("not well-formed XML: {e}")))?;
        if stack.is_empty() && !text.trim().is_empty() {
            let place = if root.is_some() { "after" } else { "before" };
            return Err(fail(format!(
                "not an XML document: text {place} the root element"
            )));
        }
        if let Some(open) = stack.last_mut() {
            open.element.children.push(Node::Text(text));
        }
    }
    if let Some(open) = stack.last() {
        return Err(error_at(
            source,
            &open.element.path,
            source.len(),
            format!(
                "the document ends before <{}> (line {}) is closed",
                open.element.name,
                line(source, open.element.offset)
            ),
        ));
    }
    root.ok_or_else(|| {
        error_at(
            source,
            "",
            source.len(),
            "not an XML document: there is no root element",
        )
    })
}

/// A resolved namespace: `Ok(None)` for no namespace; an unbound prefix is an error.
fn namespace_of(result: &ResolveResult<'_>) -> Result<Option<String>, String> {
    match result {
        ResolveResult::Bound(ns) => Ok(Some(String::from_utf8_lossy(ns.as_ref()).into_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(prefix) => Err(format!(
            "the namespace prefix '{}' is not declared",
            String::from_utf8_lossy(prefix)
        )),
    }
}

/// Builds the element of a start tag (its offset is filled in by the caller).
fn element(
    reader: &NsReader<&[u8]>,
    start: &BytesStart<'_>,
    namespace: Option<String>,
    stack: &mut [Open],
    wadl_ns: &mut Option<Option<String>>,
) -> Result<Element, String> {
    let qname = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let local = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let wadl = match wadl_ns {
        Some(ns) => *ns == namespace,
        None => {
            let known = matches!(
                namespace.as_deref(),
                None | Some(WADL_2009) | Some(WADL_2006)
            );
            if local != "application" || !known {
                let ns = namespace.as_deref().unwrap_or("no namespace");
                return Err(format!(
                    "not a WADL document: the root element must be <application> in the namespace \
                     {WADL_2009} (or {WADL_2006}, or none); found <{qname}> ({ns})"
                ));
            }
            *wadl_ns = Some(namespace.clone());
            true
        }
    };
    let step = if wadl { local.clone() } else { qname };
    let path = match stack.last_mut() {
        None => format!("/{step}"),
        Some(parent) => {
            let n = parent.counts.entry(step.clone()).or_insert(0);
            *n += 1;
            // Elements WADL has once per parent read better without `[1]`.
            if wadl && *n == 1 && matches!(step.as_str(), "resources" | "request") {
                format!("{}/{step}", parent.element.path)
            } else {
                format!("{}/{step}[{n}]", parent.element.path)
            }
        }
    };
    let mut attributes = Vec::new();
    for attribute in start.attributes().with_checks(true) {
        let attribute = attribute.map_err(|e| format!("not well-formed XML: {e}"))?;
        if attribute.key.as_namespace_binding().is_some() {
            continue;
        }
        let (ns, name) = reader.resolve_attribute(attribute.key);
        let namespace = namespace_of(&ns)?;
        let value = attribute
            .decode_and_unescape_value(reader.decoder())
            .map_err(|e| format!("not well-formed XML: {e}"))?
            .into_owned();
        attributes.push(Attribute {
            namespace,
            name: String::from_utf8_lossy(name.as_ref()).into_owned(),
            value,
        });
    }
    Ok(Element {
        wadl,
        name: local,
        attributes,
        children: Vec::new(),
        path,
        offset: 0,
    })
}

/// Adds a finished element to its parent, or makes it the root.
fn attach(stack: &mut [Open], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.element.children.push(Node::Element(element)),
        None => *root = Some(element),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_located_elements() {
        let doc = "<a:application xmlns:a=\"http://wadl.dev.java.net/2009/02\" xmlns:x=\"urn:x\">\n\
                   <a:resources><a:resource a=\"1 &amp; 2\"/><x:resource/><a:resource x:b=\"&#65;\">t&lt;<![CDATA[<c>]]></a:resource>\
                   </a:resources></a:application>";
        let root = parse(doc).unwrap();
        assert_eq!(root.path, "/application");
        let resources = root.wadl_children("resources").next().unwrap();
        let found: Vec<_> = resources
            .elements()
            .map(|e| (e.wadl, e.path.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (true, "/application/resources/resource[1]"),
                (false, "/application/resources/x:resource[1]"),
                (true, "/application/resources/resource[2]")
            ]
        );
        let first = resources.wadl_children("resource").next().unwrap();
        assert_eq!(first.attr("a"), Some("1 & 2"));
        let second = resources.wadl_children("resource").nth(1).unwrap();
        assert_eq!(second.attr_ns(Some("urn:x"), "b"), Some("A"));
        assert_eq!(second.text(), "t<<c>");
        assert_eq!(line(doc, second.offset), 2);
    }

    #[test]
    fn refuses_what_is_not_a_wadl_tree() {
        let cases = [
            ("", "", "no root element"),
            ("just text", "", "text before the root"),
            ("<definitions/>", "", "not a WADL document"),
            (
                "<application xmlns=\"urn:other\"/>",
                "",
                "not a WADL document",
            ),
            (
                "<application><a></b></application>",
                "/application/a[1]",
                "not well-formed",
            ),
            (
                "<application>\n<a>",
                "/application/a[1]",
                "ends before <a> (line 2)",
            ),
            ("<application/><application/>", "", "after the root"),
            ("<application/>x", "", "text after the root"),
            (
                "<application>&nbsp;</application>",
                "/application",
                "undefined entity &nbsp;",
            ),
            (
                "<application><p:a/></application>",
                "/application",
                "prefix 'p' is not declared",
            ),
        ];
        for (doc, pointer, message) in cases {
            let err = parse(doc).unwrap_err();
            assert_eq!(err.pointer, pointer, "{doc}: {err}");
            assert!(err.message.contains(message), "{doc}: {err}");
            assert!(err.message.starts_with("line "), "{doc}: {err}");
        }
        let deep = "<application>".to_owned() + &"<a>".repeat(MAX_DEPTH) + "</a>";
        assert!(parse(&deep).unwrap_err().message.contains("deeper"));
    }
}
