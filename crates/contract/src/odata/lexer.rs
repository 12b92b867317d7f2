//! Splits `$filter` text into tokens. Keywords (`and`, `eq`, `true`, …) are
//! left as identifiers; the parser recognises them case-insensitively.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::FilterError;

/// How a datetime literal should look, for error messages.
pub(crate) const DATETIME_HINT: &str = "expected ISO-8601, e.g. 2014-10-07T00:00:00Z";

/// One token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// What was read.
    pub kind: TokenKind,
    /// Byte offset of the token's first character.
    pub pos: usize,
}

/// The kinds of token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `/`
    Slash,
    /// A name: field, function, keyword or lambda variable.
    Ident(String),
    /// A single-quoted string, unescaped.
    Str(String),
    /// A finite number.
    Number(f64),
    /// `datetime'…'` or a bare ISO-8601 datetime.
    DateTime(DateTime<Utc>),
    /// End of input (always the last token).
    Eof,
}

impl TokenKind {
    /// A short description for error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            TokenKind::LParen => "'('".to_owned(),
            TokenKind::RParen => "')'".to_owned(),
            TokenKind::Comma => "','".to_owned(),
            TokenKind::Colon => "':'".to_owned(),
            TokenKind::Slash => "'/'".to_owned(),
            TokenKind::Ident(name) => format!("'{name}'"),
            TokenKind::Str(s) => format!("string '{}'", s.replace('\'', "''")),
            TokenKind::Number(n) => format!("number {n}"),
            TokenKind::DateTime(dt) => format!("datetime {}", dt.to_rfc3339()),
            TokenKind::Eof => "end of input".to_owned(),
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Tokenises `input`; the result always ends with [`TokenKind::Eof`].
pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(pos, c)) = chars.peek() {
        let simple = match c {
            '(' => Some(TokenKind::LParen),
            ')' => Some(TokenKind::RParen),
            ',' => Some(TokenKind::Comma),
            ':' => Some(TokenKind::Colon),
            '/' => Some(TokenKind::Slash),
            _ => None,
        };
        if let Some(kind) = simple {
            chars.next();
            tokens.push(Token { kind, pos });
            continue;
        }
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let rest = input.get(pos..).unwrap_or_default();
        let (kind, len) = if c == '\'' {
            let (text, len) = lex_string(rest, pos)?;
            (TokenKind::Str(text), len)
        } else if is_ident_start(c) {
            lex_word(rest, pos)?
        } else if c.is_ascii_digit() || c == '-' {
            lex_number_or_datetime(rest, pos)?
        } else {
            return Err(FilterError::new(format!("unexpected character '{c}'"), pos));
        };
        tokens.push(Token { kind, pos });
        // Skip the consumed characters (`len` is a byte count on char boundaries).
        while chars.peek().is_some_and(|&(p, _)| p < pos + len) {
            chars.next();
        }
    }
    tokens.push(Token {
        kind: TokenKind::Eof,
        pos: input.len(),
    });
    Ok(tokens)
}

/// Reads a quoted string at the start of `rest`; returns the unescaped text
/// and the byte length including both quotes.
fn lex_string(rest: &str, pos: usize) -> Result<(String, usize), FilterError> {
    let mut text = String::new();
    let mut iter = rest.char_indices().skip(1).peekable();
    while let Some((i, c)) = iter.next() {
        if c == '\'' {
            if iter.peek().is_some_and(|&(_, next)| next == '\'') {
                iter.next();
                text.push('\'');
            } else {
                return Ok((text, i + 1));
            }
        } else {
            text.push(c);
        }
    }
    Err(FilterError::new(
        "unterminated string literal (a quote inside a string is written '')",
        pos,
    ))
}

/// Reads an identifier, or a `datetime'…'` / `datetimeoffset'…'` literal.
fn lex_word(rest: &str, pos: usize) -> Result<(TokenKind, usize), FilterError> {
    let len = rest
        .char_indices()
        .find(|&(_, c)| !is_ident_continue(c))
        .map_or(rest.len(), |(i, _)| i);
    let word = rest.get(..len).unwrap_or_default();
    let after = rest.get(len..).unwrap_or_default();
    let is_datetime_prefix =
        word.eq_ignore_ascii_case("datetime") || word.eq_ignore_ascii_case("datetimeoffset");
    if is_datetime_prefix && after.starts_with('\'') {
        let (text, quoted_len) = lex_string(after, pos + len)?;
        let dt = parse_datetime(&text).ok_or_else(|| {
            FilterError::new(
                format!("invalid datetime literal '{text}' ({DATETIME_HINT})"),
                pos,
            )
        })?;
        return Ok((TokenKind::DateTime(dt), len + quoted_len));
    }
    Ok((TokenKind::Ident(word.to_owned()), len))
}

/// Whether `rest` starts with `dddd-dd-dd`.
fn starts_with_date(rest: &str) -> bool {
    let b = rest.as_bytes();
    b.len() >= 10
        && b.iter().take(10).enumerate().all(|(i, &c)| {
            if i == 4 || i == 7 {
                c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Reads a number (`-12`, `3.5`, `1e3`) or a bare ISO-8601 datetime.
fn lex_number_or_datetime(rest: &str, pos: usize) -> Result<(TokenKind, usize), FilterError> {
    if starts_with_date(rest) {
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_digit() || "TtZz:.+-".contains(c)))
            .map_or(rest.len(), |(i, _)| i);
        let text = rest.get(..len).unwrap_or_default();
        let dt = parse_datetime(text)
            .ok_or_else(|| FilterError::new(format!("invalid datetime literal '{text}'"), pos))?;
        return Ok((TokenKind::DateTime(dt), len));
    }
    let b = rest.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    let mut ok = digits(&mut i);
    if ok && b.get(i) == Some(&b'.') {
        i += 1;
        ok = digits(&mut i);
    }
    if ok && matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        ok = digits(&mut i);
    }
    // A number must not run straight into a name (`5abc`, `1L`).
    let next = rest.get(i..).and_then(|s| s.chars().next());
    if !ok || next.is_some_and(|c| is_ident_continue(c) || c == '.') {
        let end = rest
            .char_indices()
            .find(|&(_, c)| c.is_whitespace() || "(),:/'".contains(c))
            .map_or(rest.len(), |(j, _)| j);
        let text = rest.get(..end).unwrap_or_default();
        return Err(FilterError::new(format!("invalid number '{text}'"), pos));
    }
    let text = rest.get(..i).unwrap_or_default();
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok((TokenKind::Number(n), i)),
        _ => Err(FilterError::new(
            format!("number '{text}' is out of range"),
            pos,
        )),
    }
}

/// Parses an ISO-8601 datetime: date-only, or date `T` time with optional
/// seconds and fraction, optionally followed by `Z` or a `±hh:mm` offset.
/// Without an offset the time is UTC.
pub(crate) fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let mut s = text.trim().to_ascii_uppercase();
    if s.as_bytes().get(10) == Some(&b' ') {
        s.replace_range(10..11, "T");
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(&s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(&s, fmt) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    let naive = s.strip_suffix('Z').unwrap_or(&s);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(dt.and_utc());
        }
    }
    if naive.len() == s.len()
        && let Ok(date) = NaiveDate::parse_from_str(&s, "%Y-%m-%d")
    {
        return date.and_hms_opt(0, 0, 0).map(|dt| dt.and_utc());
    }
    None
}
