//! Names and the attributes of start tags.

use std::collections::HashSet;

use crate::error::OffsetError;
use crate::escape::{Unescaped, unescape};
use crate::expr::skip_space;

fn is_name_byte(b: u8) -> bool {
    b >= 0x80 || b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.')
}

/// Length of the run of name characters at the start of `bytes`.
pub(crate) fn name_len(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|&&b| is_name_byte(b)).count()
}

/// Whether `s` is an XML name (leniently: any non-ASCII character counts as
/// a name character).
pub(crate) fn is_name(s: &str) -> bool {
    let first_ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':' || !c.is_ascii());
    first_ok && name_len(s.as_bytes()) == s.len()
}

/// Parses the attribute part of start tag `<tag …>`, which begins at
/// document offset `base`: names with their unescaped values, in order.
pub(crate) fn parse_attributes(
    tag: &str,
    content: &str,
    base: usize,
) -> Result<Vec<(String, Unescaped)>, OffsetError> {
    let bytes = content.as_bytes();
    let mut attributes = Vec::new();
    let mut names = HashSet::new();
    let mut i = 0;
    loop {
        let before = i;
        i = skip_space(bytes, i);
        let Some(&b) = bytes.get(i) else { break };
        let n = name_len(&bytes[i..]);
        if i == before || n == 0 {
            let c = content
                .get(i..)
                .and_then(|s| s.chars().next())
                .unwrap_or(b as char);
            let message = format!("unexpected character '{c}' in start tag <{tag}>");
            return Err(OffsetError::new(base + i, message));
        }
        let name = content.get(i..i + n).unwrap_or("");
        if !is_name(name) {
            return Err(OffsetError::new(
                base + i,
                format!("invalid attribute name '{name}'"),
            ));
        }
        let eq = skip_space(bytes, i + n);
        if bytes.get(eq) != Some(&b'=') {
            return Err(OffsetError::new(
                base + i,
                format!("attribute '{name}' has no value"),
            ));
        }
        let open = skip_space(bytes, eq + 1);
        let quote = match bytes.get(open) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                let message = format!("the value of attribute '{name}' must be quoted");
                return Err(OffsetError::new(base + open, message));
            }
        };
        let Some(close) = bytes[open + 1..]
            .iter()
            .position(|&c| c == quote)
            .map(|p| open + 1 + p)
        else {
            let message = format!("the value of attribute '{name}' is not closed");
            return Err(OffsetError::new(base + open, message));
        };
        if !names.insert(name) {
            return Err(OffsetError::new(
                base + i,
                format!("duplicate attribute '{name}'"),
            ));
        }
        let value = unescape(
            content.get(open + 1..close).unwrap_or(""),
            base + open + 1,
            true,
        )?;
        attributes.push((name.to_owned(), value));
        i = close + 1;
    }
    Ok(attributes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_name("set-header"));
        assert!(is_name("_a.b:c1"));
        assert!(is_name("é"));
        assert!(!is_name(""));
        assert!(!is_name("1a"));
        assert!(!is_name("-a"));
        assert!(!is_name("a b"));
        assert_eq!(name_len(b"abc=\"x\""), 3);
    }

    fn attrs(content: &str) -> Result<Vec<(String, String)>, OffsetError> {
        parse_attributes("t", content, 10)
            .map(|v| v.into_iter().map(|(n, u)| (n, u.text)).collect())
    }

    #[test]
    fn attributes() {
        let parsed = attrs(" a=\"1 &amp; 2\"\n\tb = '\"x\"' c=\"'>\" ").unwrap();
        let expected = [("a", "1 & 2"), ("b", "\"x\""), ("c", "'>")];
        let expected: Vec<_> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(parsed, expected);
        assert_eq!(attrs("").unwrap(), []);
        let err = |c: &str| attrs(c).unwrap_err();
        assert_eq!(err(" a=\"1\" a='2'").message, "duplicate attribute 'a'");
        assert_eq!(err(" a=\"1\" a='2'").offset, 17);
        assert_eq!(err(" a").message, "attribute 'a' has no value");
        assert_eq!(
            err(" a=1").message,
            "the value of attribute 'a' must be quoted"
        );
        assert_eq!(
            err(" a=\"1").message,
            "the value of attribute 'a' is not closed"
        );
        assert_eq!(err(" 1a=\"1\"").message, "invalid attribute name '1a'");
        assert_eq!(
            err(" a=\"1\"b=\"2\"").message,
            "unexpected character 'b' in start tag <t>"
        );
        assert_eq!(
            err(" =\"2\"").message,
            "unexpected character '=' in start tag <t>"
        );
        assert_eq!(err(" a=\"&x;\"").offset, 14);
    }
}
