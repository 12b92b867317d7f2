//! Scanning of policy expressions (`@( … )` and `@{ … }`) and named-value
//! references (`{{name}}`).
//!
//! The scanners work on bytes: every delimiter they look for is ASCII, so any
//! index they return lies on a UTF-8 character boundary of the scanned text.

use crate::error::OffsetError;

/// XML whitespace: space, tab, carriage return, line feed.
pub(crate) fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Index of the first byte at or after `i` that is not XML whitespace.
pub(crate) fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|&b| is_xml_space(b)) {
        i += 1;
    }
    i
}

/// Whether an expression (`@(` or `@{`) starts at index `i`.
pub(crate) fn starts_expression(bytes: &[u8], i: usize) -> bool {
    bytes.get(i) == Some(&b'@') && matches!(bytes.get(i + 1), Some(b'(' | b'{'))
}

/// The error for an expression starting at `offset` whose opening bracket
/// (`open`, `(` or `{`) is never closed.
pub(crate) fn unterminated(offset: usize, open: Option<&u8>) -> OffsetError {
    let (open, close) = if open == Some(&b'{') {
        ('{', '}')
    } else {
        ('(', ')')
    };
    let message = format!("unterminated policy expression: no '{close}' closes '@{open}'");
    OffsetError::new(offset, message)
}

/// Given `bytes[at..]` starting with `@(` or `@{`, the index just past the
/// matching `)` or `}`; `None` when the input ends first.
///
/// Only the outer bracket kind is counted. C# string literals (regular,
/// verbatim `@"…"`, interpolated `$"…"`), character literals and comments
/// are skipped, so brackets inside them do not count.
pub(crate) fn expression_end(bytes: &[u8], at: usize) -> Option<usize> {
    let (open, close) = match bytes.get(at + 1) {
        Some(b'(') => (b'(', b')'),
        Some(b'{') => (b'{', b'}'),
        _ => return None,
    };
    let mut depth = 0usize;
    let mut i = at + 1;
    while let Some(&b) = bytes.get(i) {
        let next = bytes.get(i + 1).copied();
        i = match b {
            b'"' => skip_quoted(bytes, i + 1, b'"')?,
            b'\'' => skip_quoted(bytes, i + 1, b'\'')?,
            b'@' | b'$' if next == Some(b'"') => {
                if b == b'@' {
                    skip_verbatim(bytes, i + 2)?
                } else {
                    skip_quoted(bytes, i + 2, b'"')?
                }
            }
            b'@' | b'$' if matches!(next, Some(b'@' | b'$')) && next != Some(b) => {
                if bytes.get(i + 2) == Some(&b'"') {
                    skip_verbatim(bytes, i + 3)?
                } else {
                    i + 1
                }
            }
            b'/' if next == Some(b'/') => skip_line_comment(bytes, i + 2),
            b'/' if next == Some(b'*') => skip_block_comment(bytes, i + 2)?,
            _ if b == open => {
                depth += 1;
                i + 1
            }
            _ if b == close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
                i + 1
            }
            _ => i + 1,
        };
    }
    None
}

/// Skips a literal with backslash escapes; `i` is just past the opening quote.
fn skip_quoted(bytes: &[u8], mut i: usize, quote: u8) -> Option<usize> {
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            i += 2;
        } else if b == quote {
            return Some(i + 1);
        } else {
            i += 1;
        }
    }
    None
}

/// Skips a verbatim string (`""` is an escaped quote); `i` is past the quote.
fn skip_verbatim(bytes: &[u8], mut i: usize) -> Option<usize> {
    while let Some(&b) = bytes.get(i) {
        if b == b'"' {
            if bytes.get(i + 1) == Some(&b'"') {
                i += 2;
            } else {
                return Some(i + 1);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Skips to the end of the line (the newline stays); `i` is past `//`.
fn skip_line_comment(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|&b| b != b'\n') {
        i += 1;
    }
    i
}

/// Skips past the closing `*/`; `i` is past `/*`.
fn skip_block_comment(bytes: &[u8], mut i: usize) -> Option<usize> {
    while let Some(&b) = bytes.get(i) {
        if b == b'*' && bytes.get(i + 1) == Some(&b'/') {
            return Some(i + 2);
        }
        i += 1;
    }
    None
}

/// Whether `b` may appear in a named-value name (`[A-Za-z0-9-._]`).
fn is_named_value_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')
}

/// Appends the names of the `{{name}}` references in `text` to `out`.
pub(crate) fn named_value_refs<'a>(text: &'a str, out: &mut Vec<&'a str>) {
    out.extend(named_value_spans(text).into_iter().map(|(_, name)| name));
}

/// The `{{name}}` references in `text`: each one's byte range (braces included) and name.
pub(crate) fn named_value_spans(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'{' && bytes[i + 1] == b'{' {
            let start = i + 2;
            let mut end = start;
            while bytes.get(end).copied().is_some_and(is_named_value_char) {
                end += 1;
            }
            if end > start && bytes.get(end) == Some(&b'}') && bytes.get(end + 1) == Some(&b'}') {
                if let Some(name) = text.get(start..end) {
                    out.push((i..end + 2, name));
                }
                i = end + 2;
                continue;
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(s: &str) -> Option<&str> {
        expression_end(s.as_bytes(), 0).map(|e| &s[..e])
    }

    #[test]
    fn balances_parentheses_and_braces() {
        assert_eq!(end("@(a(b)c) tail"), Some("@(a(b)c)"));
        assert_eq!(
            end("@{ if (x) { return 1; } return 2; } x"),
            Some("@{ if (x) { return 1; } return 2; }")
        );
        assert_eq!(end("@(a(b)"), None);
        assert_eq!(end("@x"), None);
    }

    #[test]
    fn skips_literals_and_comments() {
        assert_eq!(
            end(r#"@(")" + ')' + '\'')x"#),
            Some(r#"@(")" + ')' + '\'')"#)
        );
        assert_eq!(end(r#"@("a\")b")"#), Some(r#"@("a\")b")"#));
        assert_eq!(end(r#"@(@"c:\" + ")")x"#), Some(r#"@(@"c:\" + ")")"#));
        assert_eq!(end(r#"@(@"c:\"")x")"#), Some(r#"@(@"c:\"")x")"#));
        assert_eq!(
            end(r#"@($"{x})" + $@"{y}"")")x"#),
            Some(r#"@($"{x})" + $@"{y}"")")"#)
        );
        assert_eq!(end(r#"@(@$"(""" + 1)"#), Some(r#"@(@$"(""" + 1)"#));
        assert_eq!(
            end("@{ // }\n return 1; /* } */ }"),
            Some("@{ // }\n return 1; /* } */ }")
        );
        assert_eq!(end("@(\"unterminated)"), None);
    }

    #[test]
    fn unterminated_messages() {
        assert_eq!(
            unterminated(3, Some(&b'(')).message,
            "unterminated policy expression: no ')' closes '@('"
        );
        assert_eq!(
            unterminated(3, Some(&b'{')).message,
            "unterminated policy expression: no '}' closes '@{'"
        );
    }

    #[test]
    fn finds_named_value_refs() {
        let mut out = Vec::new();
        named_value_refs(
            "a {{One}} {{ bad }} {{}} {{{Two.x-y_z}}} {{Three}",
            &mut out,
        );
        assert_eq!(out, ["One", "Two.x-y_z"]);
        out.clear();
        named_value_refs("{{a}}{{b}}{", &mut out);
        assert_eq!(out, ["a", "b"]);
    }
}
