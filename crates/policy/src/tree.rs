//! The element tree of a parsed policy document.

/// An element of a policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The element name exactly as written (including any prefix).
    pub name: String,
    /// The attributes in document order.
    pub attributes: Vec<Attribute>,
    /// The child nodes in document order, including whitespace-only text.
    pub children: Vec<Node>,
    /// 1-based line of the element's start tag (its `<`).
    pub line: usize,
}

/// An attribute of an [`Element`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute name exactly as written.
    pub name: String,
    /// The value with entity and character references resolved (no
    /// whitespace normalization is applied).
    pub value: String,
}

/// A child node of an [`Element`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data with references resolved; adjacent character data and
    /// references form one node, which comments and CDATA sections split.
    Text(String),
    /// The content of a comment, between `<!--` and `-->`.
    Comment(String),
    /// The content of a CDATA section, between `<![CDATA[` and `]]>`.
    CData(String),
}

impl Element {
    /// The value of the attribute called `name` (compared exactly), if any.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The child elements, skipping text, comments and CDATA sections.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The first child element called `name`, if any.
    pub fn element(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    /// The concatenated text and CDATA content of the direct children.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for node in &self.children {
            if let Node::Text(t) | Node::CData(t) = node {
                out.push_str(t);
            }
        }
        out
    }

    /// Whether this element or a descendant is an `element` whose `attribute` equals `value`
    /// (names compared exactly, the value without regard to ASCII case).
    pub fn contains_reference(&self, element: &str, attribute: &str, value: &str) -> bool {
        (self.name == element
            && self
                .attribute(attribute)
                .is_some_and(|v| v.eq_ignore_ascii_case(value)))
            || self
                .elements()
                .any(|child| child.contains_reference(element, attribute, value))
    }

    /// Calls `f` with every attribute value, text and CDATA content of this
    /// element and its descendants, in document order.
    /// The content of a Liquid `set-body` is a template, whose `{{ … }}` are not named values.
    pub(crate) fn visit_values<'a>(&'a self, f: &mut impl FnMut(&'a str)) {
        for attribute in &self.attributes {
            f(&attribute.value);
        }
        if self.is_liquid_body() {
            return;
        }
        for node in &self.children {
            match node {
                Node::Element(e) => e.visit_values(f),
                Node::Text(t) | Node::CData(t) => f(t),
                Node::Comment(_) => {}
            }
        }
    }

    /// Whether this is `<set-body template="liquid">`.
    pub fn is_liquid_body(&self) -> bool {
        self.name == "set-body"
            && self
                .attribute("template")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("liquid"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        let child = Element {
            name: "value".into(),
            attributes: vec![],
            children: vec![
                Node::Text("a".into()),
                Node::Comment("c".into()),
                Node::CData("b".into()),
            ],
            line: 2,
        };
        let parent = Element {
            name: "set-header".into(),
            attributes: vec![Attribute {
                name: "name".into(),
                value: "x".into(),
            }],
            children: vec![Node::Text("\n".into()), Node::Element(child)],
            line: 1,
        };
        assert_eq!(parent.attribute("name"), Some("x"));
        assert_eq!(parent.attribute("Name"), None);
        assert_eq!(parent.elements().count(), 1);
        assert_eq!(
            parent.element("value").map(Element::text).as_deref(),
            Some("ab")
        );
        let mut seen = Vec::new();
        parent.visit_values(&mut |v| seen.push(v));
        assert_eq!(seen, ["x", "\n", "a", "b"]);
    }
}
