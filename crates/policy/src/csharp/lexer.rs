//! Tokens of C# expressions and statements, with byte offsets into the source.

use super::Error;

/// A part of an interpolated string: text, or a hole `{expr[,align][:format]}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    /// Literal text (escapes already applied).
    Text(String),
    /// A hole: its source, the byte offset of that source, and an optional format.
    Hole(String, usize, Option<String>),
}

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Int(i64),
    Long(i64),
    Double(f64),
    Char(char),
    Str(String),
    Interp(Vec<Part>),
    /// An operator or punctuation, e.g. `?.`, `=>`, `(`.
    Op(&'static str),
    Eof,
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub at: usize,
}

/// Operators, longest first so that the first match is the longest.
const OPS: [&str; 49] = [
    "<<=", ">>=", "??=", "?.", "?[", "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "++", "--",
    "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<", "::", "(", ")", "{", "}", "[", "]", ".",
    ",", ";", ":", "?", "+", "-", "*", "/", "%", "!", "~", "<", ">", "=", "&", "|", "^",
];

/// Splits `src` into tokens; offsets are relative to `src` plus `base`.
pub(crate) fn lex(src: &str, base: usize) -> Result<Vec<Token>, Error> {
    let mut lx = Lexer {
        src,
        b: src.as_bytes(),
        i: 0,
        base,
        out: Vec::new(),
    };
    lx.run()?;
    Ok(lx.out)
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    base: usize,
    out: Vec<Token>,
}

impl Lexer<'_> {
    fn err(&self, at: usize, msg: impl Into<String>) -> Error {
        Error::new(self.base + at, msg)
    }

    fn peek(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    fn push(&mut self, tok: Tok, at: usize) {
        self.out.push(Token {
            tok,
            at: self.base + at,
        });
    }

    fn run(&mut self) -> Result<(), Error> {
        while let Some(c) = self.peek(0) {
            let at = self.i;
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => self.i += 1,
                b'/' if self.peek(1) == Some(b'/') => {
                    while self.peek(0).is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                }
                b'/' if self.peek(1) == Some(b'*') => {
                    let end = self.src[self.i + 2..]
                        .find("*/")
                        .ok_or_else(|| self.err(at, "unterminated comment"))?;
                    self.i += end + 4;
                }
                b'"' => {
                    self.i += 1;
                    let s = self.regular(b'"', at)?;
                    self.push(Tok::Str(s), at);
                }
                b'\'' => {
                    self.i += 1;
                    let s = self.regular(b'\'', at)?;
                    let mut chars = s.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => self.push(Tok::Char(c), at),
                        _ => {
                            return Err(
                                self.err(at, "a character literal holds exactly one character")
                            );
                        }
                    }
                }
                b'@' if self.peek(1) == Some(b'"') => {
                    self.i += 2;
                    let s = self.verbatim(at)?;
                    self.push(Tok::Str(s), at);
                }
                b'$' | b'@' if matches!((self.peek(1), self.peek(2)), (Some(b'$' | b'@'), Some(b'"')) if self.peek(1) != Some(c)) =>
                {
                    self.i += 3;
                    let parts = self.interpolated(true, at)?;
                    self.push(Tok::Interp(parts), at);
                }
                b'$' if self.peek(1) == Some(b'"') => {
                    self.i += 2;
                    let parts = self.interpolated(false, at)?;
                    self.push(Tok::Interp(parts), at);
                }
                b'0'..=b'9' => self.number()?,
                b'.' if self.peek(1).is_some_and(|c| c.is_ascii_digit()) => self.number()?,
                c if c == b'_' || c == b'@' || c.is_ascii_alphabetic() || c >= 0x80 => {
                    if c == b'@' {
                        self.i += 1;
                    }
                    let start = self.i;
                    while let Some(ch) = self.src[self.i..].chars().next() {
                        if ch == '_' || ch.is_alphanumeric() {
                            self.i += ch.len_utf8();
                        } else {
                            break;
                        }
                    }
                    if self.i == start {
                        let ch = self.src[at..].chars().next().unwrap_or('?');
                        return Err(self.err(at, format!("unexpected character '{ch}'")));
                    }
                    self.push(Tok::Ident(self.src[start..self.i].to_owned()), at);
                }
                _ => {
                    let rest = &self.src[self.i..];
                    match OPS.iter().find(|op| rest.starts_with(**op)) {
                        Some(op) => {
                            self.i += op.len();
                            self.push(Tok::Op(op), at);
                        }
                        None => {
                            let ch = rest.chars().next().unwrap_or('?');
                            return Err(self.err(at, format!("unexpected character '{ch}'")));
                        }
                    }
                }
            }
        }
        self.push(Tok::Eof, self.b.len());
        Ok(())
    }

    /// A regular string or char literal body; `self.i` is past the opening quote.
    fn regular(&mut self, quote: u8, at: usize) -> Result<String, Error> {
        let mut s = String::new();
        loop {
            let Some(ch) = self.src[self.i..].chars().next() else {
                return Err(self.err(at, "unterminated literal"));
            };
            self.i += ch.len_utf8();
            match ch {
                '\n' => return Err(self.err(at, "newline in a literal")),
                '\\' => s.push(self.escape()?),
                c if c as u32 == quote as u32 => return Ok(s),
                c => s.push(c),
            }
        }
    }

    /// An escape sequence; `self.i` is past the backslash.
    fn escape(&mut self) -> Result<char, Error> {
        let at = self.i - 1;
        let Some(c) = self.peek(0) else {
            return Err(self.err(at, "unterminated escape sequence"));
        };
        self.i += 1;
        Ok(match c {
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'v' => '\u{b}',
            b'\\' => '\\',
            b'\'' => '\'',
            b'"' => '"',
            b'u' | b'x' | b'U' => {
                let max = if c == b'U' { 8 } else { 4 };
                let start = self.i;
                while self.i - start < max && self.peek(0).is_some_and(|d| d.is_ascii_hexdigit()) {
                    self.i += 1;
                }
                let digits = &self.src[start..self.i];
                if digits.is_empty() || (c != b'x' && digits.len() != max) {
                    return Err(self.err(at, "invalid unicode escape sequence"));
                }
                u32::from_str_radix(digits, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| self.err(at, "invalid unicode escape sequence"))?
            }
            _ => {
                return Err(self.err(
                    at,
                    format!("unrecognized escape sequence '\\{}'", c as char),
                ));
            }
        })
    }

    /// A verbatim string body; `self.i` is past the opening quote.
    fn verbatim(&mut self, at: usize) -> Result<String, Error> {
        let mut s = String::new();
        loop {
            let Some(ch) = self.src[self.i..].chars().next() else {
                return Err(self.err(at, "unterminated string literal"));
            };
            self.i += ch.len_utf8();
            if ch == '"' {
                if self.peek(0) == Some(b'"') {
                    self.i += 1;
                } else {
                    return Ok(s);
                }
            }
            s.push(ch);
        }
    }

    /// An interpolated string body; `self.i` is past the opening quote.
    fn interpolated(&mut self, verbatim: bool, at: usize) -> Result<Vec<Part>, Error> {
        let mut parts = Vec::new();
        let mut text = String::new();
        loop {
            let Some(ch) = self.src[self.i..].chars().next() else {
                return Err(self.err(at, "unterminated interpolated string"));
            };
            self.i += ch.len_utf8();
            match ch {
                '"' if verbatim && self.peek(0) == Some(b'"') => {
                    self.i += 1;
                    text.push('"');
                }
                '"' => break,
                '\\' if !verbatim => text.push(self.escape()?),
                '\n' if !verbatim => return Err(self.err(at, "newline in a literal")),
                '{' if self.peek(0) == Some(b'{') => {
                    self.i += 1;
                    text.push('{');
                }
                '}' if self.peek(0) == Some(b'}') => {
                    self.i += 1;
                    text.push('}');
                }
                '}' => {
                    return Err(
                        self.err(self.i - 1, "'}' in an interpolated string must be doubled")
                    );
                }
                '{' => {
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(self.hole()?);
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(parts)
    }

    /// A hole of an interpolated string; `self.i` is past `{`.
    fn hole(&mut self) -> Result<Part, Error> {
        let start = self.i;
        let mut depth = 0usize;
        let mut expr_end = None;
        loop {
            let Some(c) = self.peek(0) else {
                return Err(self.err(start - 1, "unterminated interpolation hole"));
            };
            match c {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' => depth = depth.saturating_sub(1),
                b'}' if depth > 0 => depth -= 1,
                b'}' => break,
                b'"' | b'\'' => {
                    self.i += 1;
                    self.regular(c, self.i - 1)?;
                    continue;
                }
                b':' if depth == 0 && expr_end.is_none() => expr_end = Some(self.i),
                b'?' if depth == 0 && expr_end.is_none() => {
                    // a conditional operator inside a hole must be parenthesized in C#
                }
                _ => {}
            }
            self.i += 1;
        }
        let end = self.i;
        self.i += 1;
        let (code_end, format) = match expr_end {
            Some(e) => (e, Some(self.src[e + 1..end].to_owned())),
            None => (end, None),
        };
        let code = &self.src[start..code_end];
        let code = code
            .split(',')
            .next()
            .filter(|_| !code.contains('('))
            .unwrap_or(code);
        Ok(Part::Hole(code.to_owned(), self.base + start, format))
    }

    fn number(&mut self) -> Result<(), Error> {
        let at = self.i;
        let hex = self.peek(0) == Some(b'0') && matches!(self.peek(1), Some(b'x' | b'X'));
        if hex {
            self.i += 2;
        }
        let mut float = false;
        while let Some(c) = self.peek(0) {
            let exp_sign = matches!(c, b'+' | b'-')
                && !hex
                && matches!(self.b.get(self.i - 1), Some(b'e' | b'E'));
            if c.is_ascii_digit()
                || c == b'_'
                || (hex && c.is_ascii_hexdigit())
                || exp_sign
                || (!hex && matches!(c, b'e' | b'E'))
            {
                float |= !hex && matches!(c, b'e' | b'E');
                self.i += 1;
            } else if c == b'.'
                && !hex
                && !float
                && self.peek(1).is_some_and(|d| d.is_ascii_digit())
            {
                float = true;
                self.i += 1;
            } else {
                break;
            }
        }
        let digits: String = self.src[at..self.i].chars().filter(|&c| c != '_').collect();
        let suffix_start = self.i;
        while self.peek(0).is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        let suffix = self.src[suffix_start..self.i].to_ascii_lowercase();
        let bad = || self.err(at, format!("invalid number '{}'", &self.src[at..self.i]));
        let tok = match suffix.as_str() {
            "d" | "f" | "m" => Tok::Double(digits.parse().map_err(|_| bad())?),
            "" if float => Tok::Double(digits.parse().map_err(|_| bad())?),
            "" | "l" | "u" | "ul" | "lu" => {
                let v = if hex {
                    u64::from_str_radix(&digits[2..], 16).map_err(|_| bad())? as i64
                } else {
                    digits.parse::<i64>().map_err(|_| bad())?
                };
                if suffix.is_empty() && i32::try_from(v).is_ok() {
                    Tok::Int(v)
                } else {
                    Tok::Long(v)
                }
            }
            _ => return Err(bad()),
        };
        self.push(tok, at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s, 0).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn literals_and_operators() {
        assert_eq!(
            toks(r#"a?.b ?? "x\n" + 'c' + 1L + 2.5 + @"q""r""#),
            [
                Tok::Ident("a".into()),
                Tok::Op("?."),
                Tok::Ident("b".into()),
                Tok::Op("??"),
                Tok::Str("x\n".into()),
                Tok::Op("+"),
                Tok::Char('c'),
                Tok::Op("+"),
                Tok::Long(1),
                Tok::Op("+"),
                Tok::Double(2.5),
                Tok::Op("+"),
                Tok::Str("q\"r".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn interpolation_holes() {
        assert_eq!(
            toks(r#"$"a{x:N2}{{b}}{f("}")}""#),
            [
                Tok::Interp(vec![
                    Part::Text("a".into()),
                    Part::Hole("x".into(), 4, Some("N2".into())),
                    Part::Text("{b}".into()),
                    Part::Hole("f(\"}\")".into(), 15, None)
                ]),
                Tok::Eof
            ]
        );
        assert!(lex("\"abc", 0).is_err());
    }
}
