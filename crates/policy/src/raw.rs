//! Converting the raw form (expression bodies written unescaped) into the
//! escaped, well-formed form, and back.

use crate::error::OffsetError;
use crate::expr::{expression_end, skip_space, starts_expression, unterminated};
use crate::parse::ExprSpan;
use crate::tag::name_len;

/// The escaped form of a raw document, with a map back to raw offsets.
#[derive(Debug)]
pub(crate) struct Converted {
    /// The escaped (well-formed) text.
    pub xml: String,
    /// Every escape written: (offset in `xml`, entity length, raw offset).
    escapes: Vec<(usize, usize, usize)>,
}

impl Converted {
    /// The raw offset corresponding to byte `offset` of [`Converted::xml`].
    pub(crate) fn raw_offset(&self, offset: usize) -> usize {
        let idx = self.escapes.partition_point(|&(at, _, _)| at <= offset);
        match idx.checked_sub(1).and_then(|i| self.escapes.get(i)) {
            None => offset,
            Some(&(at, len, raw)) if offset < at + len => raw,
            Some(&(at, len, raw)) => raw + 1 + (offset - at - len),
        }
    }
}

/// Escapes the expressions of a raw document (see the crate docs).
pub(crate) fn raw_to_xml(raw: &str) -> Result<Converted, OffsetError> {
    let mut scanner = Scanner {
        src: raw,
        bytes: raw.as_bytes(),
        out: String::with_capacity(raw.len() + raw.len() / 8),
        escapes: Vec::new(),
        copied: 0,
    };
    scanner.run()?;
    Ok(Converted {
        xml: scanner.out,
        escapes: scanner.escapes,
    })
}

/// Writes `xml` with the given expression spans replaced by their raw text.
pub(crate) fn xml_to_raw(xml: &str, spans: &[ExprSpan]) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut copied = 0;
    for span in spans {
        if span.start < copied {
            continue;
        }
        out.push_str(xml.get(copied..span.start).unwrap_or(""));
        out.push_str(&span.raw);
        copied = span.end;
    }
    out.push_str(xml.get(copied..).unwrap_or(""));
    out
}

/// Finds `pat` in `bytes` at or after `from`; returns the index just past it,
/// or the end of the input when it is missing.
fn past(bytes: &[u8], from: usize, pat: &[u8]) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.windows(pat.len()).position(|w| w == pat))
        .map_or(bytes.len(), |p| from + p + pat.len())
}

struct Scanner<'a> {
    src: &'a str,
    bytes: &'a [u8],
    out: String,
    escapes: Vec<(usize, usize, usize)>,
    /// `src[..copied]` has been written to `out`.
    copied: usize,
}

impl Scanner<'_> {
    fn run(&mut self) -> Result<(), OffsetError> {
        let mut i = 0;
        let mut text_start = true;
        while let Some(&b) = self.bytes.get(i) {
            if b == b'<' {
                i = self.markup(i)?;
                text_start = true;
            } else if text_start {
                text_start = false;
                i = skip_space(self.bytes, i);
                if starts_expression(self.bytes, i) {
                    i = self.expression(i, None)?;
                }
            } else {
                i += 1;
            }
        }
        self.out.push_str(self.src.get(self.copied..).unwrap_or(""));
        Ok(())
    }

    /// Skips the markup starting with `<` at `i`; returns the index after it.
    fn markup(&mut self, i: usize) -> Result<usize, OffsetError> {
        let rest = &self.bytes[i..];
        Ok(if rest.starts_with(b"<!--") {
            past(self.bytes, i + 4, b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            past(self.bytes, i + 9, b"]]>")
        } else if rest.starts_with(b"<?") {
            past(self.bytes, i + 2, b"?>")
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") {
            past(self.bytes, i + 2, b">")
        } else {
            self.start_tag(i)?
        })
    }

    /// Scans a start tag at `i`, escaping expressions in attribute values.
    fn start_tag(&mut self, i: usize) -> Result<usize, OffsetError> {
        let bytes = self.bytes;
        let mut j = i + 1 + name_len(&bytes[i + 1..]);
        if j == i + 1 {
            return Ok(j);
        }
        loop {
            j = skip_space(bytes, j);
            let Some(&b) = bytes.get(j) else {
                return Ok(j);
            };
            match b {
                b'>' => return Ok(j + 1),
                b'/' if bytes.get(j + 1) == Some(&b'>') => return Ok(j + 2),
                b'<' => return Ok(j),
                _ => {}
            }
            let n = name_len(&bytes[j..]);
            if n == 0 {
                j += 1;
                continue;
            }
            j += n;
            let eq = skip_space(bytes, j);
            if bytes.get(eq) != Some(&b'=') {
                continue;
            }
            j = skip_space(bytes, eq + 1);
            let Some(&quote @ (b'"' | b'\'')) = bytes.get(j) else {
                continue;
            };
            let mut v = skip_space(bytes, j + 1);
            if starts_expression(bytes, v) {
                v = self.expression(v, Some(quote))?;
            }
            j = bytes[v..]
                .iter()
                .position(|&c| c == quote)
                .map_or(bytes.len(), |p| v + p + 1);
        }
    }

    /// Escapes the expression starting with `@` at `at`; returns its end.
    fn expression(&mut self, at: usize, quote: Option<u8>) -> Result<usize, OffsetError> {
        let Some(end) = expression_end(self.bytes, at) else {
            return Err(unterminated(at, self.bytes.get(at + 1)));
        };
        self.out
            .push_str(self.src.get(self.copied..at).unwrap_or(""));
        for (k, c) in self.src.get(at..end).unwrap_or("").char_indices() {
            let entity = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' if quote == Some(b'"') => "&quot;",
                '\'' if quote == Some(b'\'') => "&apos;",
                _ => {
                    self.out.push(c);
                    continue;
                }
            };
            self.escapes.push((self.out.len(), entity.len(), at + k));
            self.out.push_str(entity);
        }
        self.copied = end;
        Ok(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(raw: &str) -> String {
        raw_to_xml(raw).unwrap().xml
    }

    #[test]
    fn escapes_expressions_in_attributes() {
        assert_eq!(
            convert(r#"<when condition="@(a("x") != "" && 1 < 2)">"#),
            r#"<when condition="@(a(&quot;x&quot;) != &quot;&quot; &amp;&amp; 1 &lt; 2)">"#
        );
        assert_eq!(
            convert(r#"<a b='@(c['x'] + "y")' d="&amp;">"#),
            r#"<a b='@(c[&apos;x&apos;] + "y")' d="&amp;">"#
        );
        assert_eq!(
            convert(r#"<a b=" @(1>2) & x" />"#),
            r#"<a b=" @(1&gt;2) & x" />"#
        );
        assert_eq!(convert(r#"<a b="x @(1<2)">"#), r#"<a b="x @(1<2)">"#);
    }

    #[test]
    fn escapes_expressions_in_text() {
        assert_eq!(
            convert(r#"<b>@{ var s = "<a>}"; return s; }</b>"#),
            r#"<b>@{ var s = "&lt;a&gt;}"; return s; }</b>"#
        );
        assert_eq!(
            convert("<b>\n  @(1 < 2)</b><c>x @(1<2)</c>"),
            "<b>\n  @(1 &lt; 2)</b><c>x @(1<2)</c>"
        );
        assert_eq!(
            convert("<!-- @(1<2) --><![CDATA[@(1<2)]]><b>é@(1)</b>"),
            "<!-- @(1<2) --><![CDATA[@(1<2)]]><b>é@(1)</b>"
        );
    }

    #[test]
    fn maps_offsets_back() {
        let c = raw_to_xml(r#"<a b="@(1<2&&3)">x</a>"#).unwrap();
        assert_eq!(c.xml, r#"<a b="@(1&lt;2&amp;&amp;3)">x</a>"#);
        assert_eq!(c.raw_offset(3), 3);
        assert_eq!(c.raw_offset(9), 9);
        assert_eq!(c.raw_offset(12), 9);
        assert_eq!(c.raw_offset(13), 10);
        assert_eq!(c.raw_offset(14), 11);
        assert_eq!(c.raw_offset(c.xml.len()), 22);
    }

    #[test]
    fn reports_unterminated_expressions() {
        let e = raw_to_xml("<a>\n <b c=\"@(x(\" /></a>").unwrap_err();
        assert_eq!(e.offset, 11);
        assert_eq!(
            e.message,
            "unterminated policy expression: no ')' closes '@('"
        );
        let e = raw_to_xml("<a>@{ return \"}\"; </a>").unwrap_err();
        assert_eq!(
            e.message,
            "unterminated policy expression: no '}' closes '@{'"
        );
    }
}
