//! Resolving XML entity and character references, keeping track of where
//! every resolved byte came from.

use crate::error::OffsetError;

/// Unescaped text with a map back to the escaped source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unescaped {
    /// The text with references resolved.
    pub text: String,
    /// For every byte of `text`, the document offset of the source character
    /// or reference that produced it, plus one final entry for the end.
    sources: Vec<usize>,
}

impl Unescaped {
    /// Document offset of the source of `text[i..]` (`i` a char boundary).
    pub(crate) fn source_of(&self, i: usize) -> usize {
        self.sources
            .get(i)
            .or_else(|| self.sources.last())
            .copied()
            .unwrap_or(0)
    }
}

/// Whether `c` is allowed in an XML 1.0 document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Resolves one reference body (between `&` and `;`).
fn resolve(body: &str) -> Result<char, String> {
    let numeric = body
        .strip_prefix('#')
        .map(|num| match num.strip_prefix('x') {
            Some(hex) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()
            }
            None if num.bytes().all(|b| b.is_ascii_digit()) => num.parse::<u32>().ok(),
            _ => None,
        });
    if let Some(code) = numeric {
        return code
            .and_then(char::from_u32)
            .filter(|&c| is_xml_char(c))
            .ok_or_else(|| format!("invalid character reference '&{body};'"));
    }
    match body {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ if crate::tag::is_name(body) => Err(format!("undefined entity '&{body};'")),
        _ => Err("'&' must start an entity or character reference such as '&amp;'".to_string()),
    }
}

/// Resolves the references in `src`, which starts at document offset `base`.
/// In an attribute value (`in_attribute`), a literal `<` is an error.
pub(crate) fn unescape(
    src: &str,
    base: usize,
    in_attribute: bool,
) -> Result<Unescaped, OffsetError> {
    let bytes = src.as_bytes();
    let mut text = String::with_capacity(src.len());
    let mut sources = Vec::with_capacity(src.len() + 1);
    let mut literal_start = 0;
    let mut i = 0;
    let flush = |text: &mut String, sources: &mut Vec<usize>, from: usize, to: usize| {
        if let Some(run) = src.get(from..to) {
            text.push_str(run);
            sources.extend((from..to).map(|j| base + j));
        }
    };
    while let Some(&b) = bytes.get(i) {
        match b {
            b'&' => {
                flush(&mut text, &mut sources, literal_start, i);
                let semi = bytes[i..].iter().take(64).position(|&c| c == b';');
                let Some(semi) = semi.map(|p| i + p) else {
                    return Err(OffsetError::new(
                        base + i,
                        "'&' must start an entity or character reference ending with ';'",
                    ));
                };
                let body = src.get(i + 1..semi).unwrap_or("");
                let c = resolve(body).map_err(|m| OffsetError::new(base + i, m))?;
                text.push(c);
                sources.extend(std::iter::repeat_n(base + i, c.len_utf8()));
                i = semi + 1;
                literal_start = i;
            }
            b'<' if in_attribute => {
                return Err(OffsetError::new(
                    base + i,
                    "'<' is not allowed in an attribute value",
                ));
            }
            _ if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') => {
                return Err(OffsetError::new(
                    base + i,
                    format!("invalid character U+{b:04X}"),
                ));
            }
            _ => i += 1,
        }
    }
    flush(&mut text, &mut sources, literal_start, bytes.len());
    sources.push(base + bytes.len());
    Ok(Unescaped { text, sources })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_references_and_maps_sources() {
        let u = unescape("a&lt;b&#x263A;&#65;&quot;", 10, true).unwrap();
        assert_eq!(u.text, "a<b☺A\"");
        assert_eq!(u.source_of(0), 10);
        assert_eq!(u.source_of(1), 11);
        assert_eq!(u.source_of(2), 15);
        assert_eq!(u.source_of(3), 16);
        assert_eq!(u.source_of(6), 24);
        assert_eq!(u.source_of(7), 29);
        assert_eq!(u.source_of(u.text.len()), 10 + 25);
    }

    #[test]
    fn rejects_bad_references() {
        let err = |s: &str| unescape(s, 0, true).unwrap_err();
        assert_eq!(err("x &nbsp; y").message, "undefined entity '&nbsp;'");
        assert_eq!(err("x &nbsp; y").offset, 2);
        assert_eq!(err("&#0;").message, "invalid character reference '&#0;'");
        assert_eq!(
            err("&#xZZ;").message,
            "invalid character reference '&#xZZ;'"
        );
        assert_eq!(
            err("&#+65;").message,
            "invalid character reference '&#+65;'"
        );
        assert_eq!(err("&#x;").message, "invalid character reference '&#x;'");
        assert_eq!(
            unescape("&#x10FFFF;&#9;", 0, false).unwrap().text,
            "\u{10FFFF}\t"
        );
        assert!(err("a & b").message.contains("ending with ';'"));
        assert!(err("a &; b").message.starts_with("'&' must start"));
        assert_eq!(
            err("a<b").message,
            "'<' is not allowed in an attribute value"
        );
        assert_eq!(err("a\u{1}").message, "invalid character U+0001");
        assert_eq!(unescape("a<b", 0, false).unwrap().text, "a<b");
    }
}
