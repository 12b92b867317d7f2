//! `xml-to-json kind="direct"`: an XML body as the JSON Azure writes for it, in the shapes its
//! observed output shows, and refused where none is shown:
//!
//! * the XML declaration's `version`, `encoding` and `standalone` become top-level properties,
//!   before the root element's;
//! * an element is a property named by its qualified name with `:` written `$`
//!   (`soap$Envelope`); its attributes, namespace declarations included, are `@` properties
//!   (`@xmlns`, `@xmlns$soap`) before its child elements; child elements of the same name
//!   make an array (`always-array-child-elements`: every child element is an array); an
//!   element with text only is that text (a string: values are not typed);
//! * white space between elements is not content.
//!
//! Refused: text beside child elements or attributes, elements without content or attributes,
//! comments and processing instructions, and nesting deeper than 128 elements.

use serde_json::{Map, Value};

use crate::csharp::Context;
use crate::csharp::eval::{Limits, Machine};
use crate::csharp::library::xml::parse::{Kind, Tree, XML_NS, is_space, parse};
use crate::csharp::library::xml::write::is_decl;

/// The deepest element nesting converted (as deep as JSON documents are read).
const MAX_DEPTH: usize = 128;

/// Converts an XML text to JSON text (`kind="direct"`); the error says what cannot be
/// converted.
pub fn xml_to_json_text(xml: &str, always_array: bool) -> Result<String, String> {
    let ctx = Context::default();
    let unbounded = Limits {
        max_steps: u64::MAX,
        max_bytes: usize::MAX,
    };
    let mut machine = Machine::new(&ctx, 0, unbounded);
    let tree = parse(&mut machine, xml, true)
        .map_err(|e| format!("the body is not well-formed XML: {}", e.message))?;
    let convert = Convert {
        tree: &tree,
        always_array,
    };
    let mut out = Map::new();
    if let Some(decl) = &tree.decl {
        for (name, value) in [
            ("version", &decl.version),
            ("encoding", &decl.encoding),
            ("standalone", &decl.standalone),
        ] {
            if let Some(v) = value {
                out.insert(name.to_owned(), Value::String(v.to_string()));
            }
        }
    }
    for child in tree.children(0) {
        match &tree.nodes[child as usize].kind {
            Kind::Element(_) => {
                let name = convert.element_name(child);
                if out.contains_key(&name) {
                    return Err(undocumented(&format!(
                        "a root element named like the XML declaration's '{name}'"
                    )));
                }
                let value = convert.value(child, 1)?;
                out.insert(name, value);
            }
            other => convert.refuse(other)?,
        }
    }
    serde_json::to_string(&Value::Object(out)).map_err(|e| e.to_string())
}

fn undocumented(what: &str) -> String {
    format!("{what} has no documented JSON form in xml-to-json kind=\"direct\"")
}

struct Convert<'t> {
    tree: &'t Tree,
    always_array: bool,
}

impl Convert<'_> {
    /// Comments and processing instructions have no documented form.
    fn refuse(&self, kind: &Kind) -> Result<(), String> {
        match kind {
            Kind::Comment(_) => Err(undocumented("an XML comment")),
            Kind::Pi(target, _) => Err(undocumented(&format!(
                "the processing instruction '<?{target} …?>'"
            ))),
            _ => Ok(()),
        }
    }

    /// The prefix the nearest declaration in scope binds to a namespace (`allow_default`:
    /// the default namespace's empty prefix counts).
    fn prefix_of(&self, node: u32, ns: &str, allow_default: bool) -> Option<String> {
        if ns == XML_NS {
            return Some("xml".to_owned());
        }
        let mut at = node;
        while let Some(el) = self.tree.element(at) {
            for a in el.attrs.iter().filter(|a| is_decl(a) && &*a.value == ns) {
                let prefix = if a.name.ns.is_empty() {
                    ""
                } else {
                    &a.name.local
                };
                if allow_default || !prefix.is_empty() {
                    return Some(prefix.to_owned());
                }
            }
            at = self.tree.nodes[at as usize].parent;
        }
        None
    }

    /// `prefix$local`, or `local`.
    fn qualified(prefix: Option<String>, local: &str) -> String {
        match prefix {
            Some(p) if !p.is_empty() => format!("{p}${local}"),
            _ => local.to_owned(),
        }
    }

    fn element_name(&self, node: u32) -> String {
        let Some(el) = self.tree.element(node) else {
            return String::new();
        };
        let prefix = match el.name.ns.is_empty() {
            true => None,
            false => self.prefix_of(node, &el.name.ns, true),
        };
        Self::qualified(prefix, &el.name.local)
    }

    /// An element's value: its text, or an object of its attributes and child elements.
    fn value(&self, node: u32, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "XML nested deeper than {MAX_DEPTH} elements is not converted"
            ));
        }
        let Some(el) = self.tree.element(node) else {
            return Ok(Value::Null);
        };
        let mut object = Map::new();
        for a in &el.attrs {
            let name = if is_decl(a) {
                match a.name.ns.is_empty() {
                    true => "xmlns".to_owned(),
                    false => format!("xmlns${}", a.name.local),
                }
            } else if a.name.ns.is_empty() {
                a.name.local.to_string()
            } else {
                let prefix = self.prefix_of(node, &a.name.ns, false);
                Self::qualified(prefix, &a.name.local)
            };
            object.insert(format!("@{name}"), Value::String(a.value.to_string()));
        }
        let mut text = String::new();
        let mut children = Vec::new();
        for c in self.tree.children(node) {
            match &self.tree.nodes[c as usize].kind {
                Kind::Element(_) => children.push(c),
                Kind::Text(t) | Kind::CData(t) => text.push_str(t),
                other => self.refuse(other)?,
            }
        }
        let name = self.element_name(node);
        if children.is_empty() {
            return match (el.attrs.is_empty(), text.is_empty()) {
                (true, false) => Ok(Value::String(text)),
                (false, true) => Ok(Value::Object(object)),
                (true, true) => Err(undocumented(&format!("the empty element <{name}>"))),
                (false, false) => Err(undocumented(&format!(
                    "the element <{name}>, which has both attributes and text,"
                ))),
            };
        }
        if !text.chars().all(is_space) {
            return Err(undocumented(&format!(
                "the element <{name}>, which mixes text and elements,"
            )));
        }
        for c in children {
            let key = self.element_name(c);
            let value = self.value(c, depth + 1)?;
            match object.get_mut(&key) {
                Some(Value::Array(items)) => items.push(value),
                Some(single) => {
                    let first = single.take();
                    *single = Value::Array(vec![first, value]);
                }
                None if self.always_array => {
                    object.insert(key, Value::Array(vec![value]));
                }
                None => {
                    object.insert(key, value);
                }
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn convert(xml: &str, always_array: bool) -> Result<Value, String> {
        xml_to_json_text(xml, always_array).map(|s| serde_json::from_str(&s).unwrap())
    }

    /// Azure's observed output for a SOAP envelope (kind="direct").
    #[test]
    fn the_observed_soap_example() {
        let xml = r#"<?xml version="1.0"?>
<soap:Envelope xmlns="http://fyicenter.com/"
    xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
    <soap:Body>
        <GetOrders>
            <Customer>1234567</Customer>
        </GetOrders>
    </soap:Body>
</soap:Envelope>"#;
        let text = xml_to_json_text(xml, false).unwrap();
        assert_eq!(
            text,
            r#"{"version":"1.0","soap$Envelope":{"@xmlns":"http://fyicenter.com/","@xmlns$soap":"http://schemas.xmlsoap.org/soap/envelope/","soap$Body":{"GetOrders":{"Customer":"1234567"}}}}"#
        );
    }

    #[test]
    fn repeated_elements_are_arrays() {
        let xml = r#"<orders><order id="1"><item>a</item></order><order id="2"><item>b</item><item>c</item></order><note>n</note></orders>"#;
        assert_eq!(
            convert(xml, false).unwrap(),
            json!({"orders": {"order": [
                {"@id": "1", "item": "a"},
                {"@id": "2", "item": ["b", "c"]}
            ], "note": "n"}})
        );
        assert_eq!(
            convert(xml, true).unwrap(),
            json!({"orders": {"order": [
                {"@id": "1", "item": ["a"]},
                {"@id": "2", "item": ["b", "c"]}
            ], "note": ["n"]}})
        );
        assert_eq!(
            convert(r#"<a xml:lang="en" x="1"/>"#, false).unwrap(),
            json!({"a": {"@xml$lang": "en", "@x": "1"}})
        );
        assert_eq!(
            convert("<a><![CDATA[<b>]]></a>", false).unwrap(),
            json!({"a": "<b>"})
        );
    }

    #[test]
    fn undocumented_shapes_are_refused() {
        for (xml, expected) in [
            ("<a x=\"1\">text</a>", "both attributes and text"),
            ("<a>text<b>c</b></a>", "mixes text and elements"),
            ("<a><b/></a>", "the empty element <b>"),
            ("<a><!-- c --><b>x</b></a>", "comment"),
            ("<?pi data?><a>x</a>", "processing instruction"),
            ("<a><b>", "not well-formed"),
            ("no xml", "not well-formed"),
        ] {
            let err = convert(xml, false).unwrap_err();
            assert!(err.contains(expected), "{xml}: {err}");
        }
        let deep = format!("{}x{}", "<a>".repeat(200), "</a>".repeat(200));
        assert!(
            convert(&deep, false)
                .unwrap_err()
                .contains("deeper than 128")
        );
    }
}
