//! Parsing the escaped (well-formed XML) form into an element tree, using
//! quick-xml for tokenizing and doing the well-formedness checks it leaves
//! out: end-tag names, attribute syntax, duplicate attributes, references,
//! content outside the root element.

use quick_xml::errors::{Error as XmlError, IllFormedError, SyntaxError};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::error::{LineCounter, OffsetError};
use crate::escape::{Unescaped, unescape};
use crate::expr::{expression_end, is_xml_space, skip_space, starts_expression, unterminated};
use crate::tag::{is_name, name_len, parse_attributes};
use crate::tree::{Attribute, Element, Node};

/// The deepest allowed element nesting (the root element counts as 1).
pub(crate) const MAX_DEPTH: usize = 64;

/// The name the root element must have.
const ROOT: &str = "policies";

/// A byte range of the escaped document holding a policy expression, with
/// the expression's unescaped text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExprSpan {
    pub start: usize,
    pub end: usize,
    pub raw: String,
}

/// The result of parsing the escaped form.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub root: Element,
    /// Expression spans whose unescaped text differs from the source, in
    /// document order.
    pub spans: Vec<ExprSpan>,
}

/// Parses a well-formed policy document (the escaped form).
pub(crate) fn parse_xml(input: &str) -> Result<Parsed, OffsetError> {
    let base = if input.starts_with('\u{feff}') { 3 } else { 0 };
    let body = input.get(base..).unwrap_or("");
    let mut reader = Reader::from_str(body);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.check_comments = true;
    let mut parser = Parser {
        input,
        stack: Vec::new(),
        root: None,
        spans: Vec::new(),
        text: None,
        lines: LineCounter::default(),
        seen_decl: false,
    };
    loop {
        let start = base + reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => return Err(xml_error(&e, base + reader.error_position() as usize)),
        };
        let end = base + reader.buffer_position() as usize;
        match event {
            Event::Start(e) => parser.start(start, e.len(), false)?,
            Event::Empty(e) => parser.start(start, e.len(), true)?,
            Event::End(e) => parser.end(start, &String::from_utf8_lossy(e.name().as_ref()))?,
            Event::Text(_) => parser.text(start, end)?,
            Event::GeneralRef(_) => parser.text(start, end)?,
            Event::CData(c) => {
                parser.node(start, Node::CData(String::from_utf8_lossy(&c).into_owned()))?
            }
            Event::Comment(c) => parser.node(
                start,
                Node::Comment(String::from_utf8_lossy(&c).into_owned()),
            )?,
            Event::PI(_) => parser.flush_text()?,
            Event::Decl(_) => parser.decl(start)?,
            Event::DocType(_) => {
                return Err(OffsetError::new(
                    start,
                    "DOCTYPE declarations are not allowed",
                ));
            }
            Event::Eof => return parser.finish(body),
        }
    }
}

/// A message for a quick-xml error.
fn xml_error(e: &XmlError, offset: usize) -> OffsetError {
    let message = match e {
        XmlError::Syntax(SyntaxError::UnclosedTag) => {
            "unclosed tag: '>' not found before the end of the document"
        }
        XmlError::Syntax(SyntaxError::UnclosedComment) => {
            "unclosed comment: '-->' not found before the end of the document"
        }
        XmlError::Syntax(SyntaxError::UnclosedCData) => {
            "unclosed CDATA section: ']]>' not found before the end of the document"
        }
        XmlError::Syntax(SyntaxError::UnclosedPIOrXmlDecl) => {
            "unclosed processing instruction or XML declaration: '?>' not found before the end of the document"
        }
        XmlError::Syntax(SyntaxError::UnclosedDoctype) => "unclosed DOCTYPE declaration",
        XmlError::Syntax(SyntaxError::InvalidBangMarkup) => "invalid markup after '<!'",
        XmlError::IllFormed(IllFormedError::UnclosedReference) => {
            "'&' must start an entity or character reference ending with ';'"
        }
        XmlError::IllFormed(IllFormedError::DoubleHyphenInComment) => {
            "'--' is not allowed inside a comment"
        }
        other => return OffsetError::new(offset, other.to_string()),
    };
    OffsetError::new(offset, message)
}

struct Parser<'a> {
    input: &'a str,
    /// Open elements, innermost last.
    stack: Vec<Element>,
    root: Option<Element>,
    spans: Vec<ExprSpan>,
    /// The pending run of character data and references, as a byte range.
    text: Option<(usize, usize)>,
    lines: LineCounter,
    seen_decl: bool,
}

impl Parser<'_> {
    /// A start tag (or empty-element tag) at `start` with `len` bytes of
    /// content between `<` and `>` (or `/>`).
    fn start(&mut self, start: usize, len: usize, empty: bool) -> Result<(), OffsetError> {
        self.flush_text()?;
        let content = self.input.get(start + 1..start + 1 + len).unwrap_or("");
        let n = name_len(content.as_bytes());
        let name = content.get(..n).unwrap_or("");
        if !is_name(name) {
            return Err(OffsetError::new(
                start + 1,
                "expected an element name after '<'",
            ));
        }
        if self.stack.is_empty() {
            if self.root.is_some() {
                let message = format!("unexpected element <{name}> after the root element");
                return Err(OffsetError::new(start, message));
            }
            if name != ROOT {
                let message = format!("expected root element <{ROOT}>, found <{name}>");
                return Err(OffsetError::new(start, message));
            }
        }
        if self.stack.len() >= MAX_DEPTH {
            let message = format!("elements are nested more than {MAX_DEPTH} levels deep");
            return Err(OffsetError::new(start, message));
        }
        let mut attributes = Vec::new();
        for (name, value) in parse_attributes(name, content.get(n..).unwrap_or(""), start + 1 + n)?
        {
            self.record_expression(&value)?;
            attributes.push(Attribute {
                name,
                value: value.text,
            });
        }
        let element = Element {
            name: name.to_owned(),
            attributes,
            children: Vec::new(),
            line: self.lines.line_of(self.input, start),
        };
        if empty {
            self.close(element);
        } else {
            self.stack.push(element);
        }
        Ok(())
    }

    /// An end tag at `start`.
    fn end(&mut self, start: usize, name: &str) -> Result<(), OffsetError> {
        self.flush_text()?;
        if !is_name(name) {
            return Err(OffsetError::new(
                start,
                format!("invalid end tag </{name}>"),
            ));
        }
        match self.stack.pop() {
            Some(element) if element.name == name => {
                self.close(element);
                Ok(())
            }
            Some(element) => {
                let message = format!("unexpected end tag </{name}>, expected </{}>", element.name);
                Err(OffsetError::new(start, message))
            }
            None => Err(OffsetError::new(
                start,
                format!("unexpected end tag </{name}>"),
            )),
        }
    }

    /// Attaches a finished element to its parent, or makes it the root.
    fn close(&mut self, element: Element) {
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(Node::Element(element)),
            None => self.root = Some(element),
        }
    }

    /// Character data or a reference from `start` to `end`.
    fn text(&mut self, start: usize, end: usize) -> Result<(), OffsetError> {
        if self.stack.is_empty() {
            let bytes = self.input.as_bytes().get(start..end).unwrap_or_default();
            let first = skip_space(bytes, 0);
            if first < bytes.len() {
                let message = if self.root.is_some() {
                    "unexpected content after the root element"
                } else {
                    "text is not allowed before the root element"
                };
                return Err(OffsetError::new(start + first, message));
            }
            return Ok(());
        }
        let run_start = self.text.map_or(start, |(s, _)| s);
        self.text = Some((run_start, end));
        Ok(())
    }

    /// Turns the pending run of character data into a text node.
    fn flush_text(&mut self) -> Result<(), OffsetError> {
        let Some((start, end)) = self.text.take() else {
            return Ok(());
        };
        let src = self.input.get(start..end).unwrap_or("");
        if let Some(p) = src.find("]]>") {
            return Err(OffsetError::new(start + p, "']]>' is not allowed in text"));
        }
        let text = unescape(src, start, false)?;
        self.record_expression(&text)?;
        if let Some(parent) = self.stack.last_mut() {
            parent.children.push(Node::Text(text.text));
        }
        Ok(())
    }

    /// A comment or CDATA section at `start`.
    fn node(&mut self, start: usize, node: Node) -> Result<(), OffsetError> {
        self.flush_text()?;
        match (self.stack.last_mut(), node) {
            (Some(parent), node) => parent.children.push(node),
            (None, Node::CData(_)) => {
                let message = "CDATA sections are not allowed outside the root element";
                return Err(OffsetError::new(start, message));
            }
            (None, _) => {}
        }
        Ok(())
    }

    /// An XML declaration at `start`: allowed once, before the root element.
    fn decl(&mut self, start: usize) -> Result<(), OffsetError> {
        if self.seen_decl || self.root.is_some() || !self.stack.is_empty() {
            let message = "an XML declaration is only allowed at the start of the document";
            return Err(OffsetError::new(start, message));
        }
        self.seen_decl = true;
        Ok(())
    }

    /// Records the expression in an attribute value or text node, if any.
    ///
    /// Like the raw scanner, this only counts an expression whose leading
    /// whitespace and `@(` / `@{` are written literally, not as references.
    fn record_expression(&mut self, value: &Unescaped) -> Result<(), OffsetError> {
        let bytes = value.text.as_bytes();
        let a = skip_space(bytes, 0);
        if !starts_expression(bytes, a) || value.source_of(a + 2) != value.source_of(0) + a + 2 {
            return Ok(());
        }
        let Some(b) = expression_end(bytes, a) else {
            return Err(unterminated(value.source_of(a), bytes.get(a + 1)));
        };
        let (start, end) = (value.source_of(a), value.source_of(b));
        let raw = value.text.get(a..b).unwrap_or("");
        if self.input.get(start..end) != Some(raw) {
            self.spans.push(ExprSpan {
                start,
                end,
                raw: raw.to_owned(),
            });
        }
        Ok(())
    }

    /// The end of the document.
    fn finish(mut self, body: &str) -> Result<Parsed, OffsetError> {
        self.flush_text()?;
        let eof = self.input.len();
        if let Some(open) = self.stack.last() {
            let message = format!(
                "unexpected end of document: element <{}> (line {}) is not closed",
                open.name, open.line
            );
            return Err(OffsetError::new(eof, message));
        }
        match self.root {
            Some(root) => Ok(Parsed {
                root,
                spans: self.spans,
            }),
            None if body.bytes().all(is_xml_space) => {
                Err(OffsetError::new(eof, "document is empty"))
            }
            None => Err(OffsetError::new(eof, "document has no root element")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Parsed {
        parse_xml(input).unwrap_or_else(|e| panic!("{input}: {e:?}"))
    }

    #[test]
    fn text_runs_merge_references() {
        let parsed = parse("<policies><v>a &amp; &#x62;<!--c-->c</v></policies>");
        let v = parsed.root.element("v").unwrap();
        assert_eq!(
            v.children,
            [
                Node::Text("a & b".into()),
                Node::Comment("c".into()),
                Node::Text("c".into())
            ]
        );
    }

    #[test]
    fn records_escaped_expressions() {
        let input = "<policies a=\"@(&quot;x&quot;) y\" b=\"@(1)\">\n<v> @{ return 1 &lt; 2; }&amp;</v></policies>";
        let spans = parse(input).spans;
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].raw, "@(\"x\")");
        assert_eq!(&input[spans[0].start..spans[0].end], "@(&quot;x&quot;)");
        assert_eq!(spans[1].raw, "@{ return 1 < 2; }");
        assert_eq!(
            &input[spans[1].start..spans[1].end],
            "@{ return 1 &lt; 2; }"
        );
    }

    #[test]
    fn expressions_must_start_literally() {
        let parsed =
            parse("<policies a=\"&#64;(&quot;\" b=\"&#32;@(&quot;\"><v>&#x40;{</v></policies>");
        assert!(parsed.spans.is_empty());
        assert_eq!(parsed.root.attribute("a"), Some("@(\""));
    }

    #[test]
    fn unterminated_expressions_are_errors() {
        let e = parse_xml("<policies><v>\n @{ return &quot;}&quot;; </v></policies>").unwrap_err();
        assert_eq!(e.offset, 15);
        assert_eq!(
            e.message,
            "unterminated policy expression: no '}' closes '@{'"
        );
        let e = parse_xml("<policies a=\"@((x)\" />").unwrap_err();
        assert_eq!(e.offset, 13);
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        assert!(parse_xml("\u{feff}<policies/>").is_ok());
        let e = parse_xml("\u{feff}<policy/>").unwrap_err();
        assert_eq!(e.offset, 3);
    }
}
