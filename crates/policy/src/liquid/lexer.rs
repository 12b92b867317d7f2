//! A template cut into text, `{{ output }}` and `{% tag %}` pieces (whitespace control applied),
//! and the markup inside them cut into tokens.

/// A piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Piece<'a> {
    /// Text written as it is.
    Text(&'a str),
    /// The markup of `{{ … }}`.
    Output(&'a str),
    /// The markup of `{% … %}`.
    Tag(&'a str),
}

/// A piece with the line it starts on.
pub(super) type Located<'a> = (Piece<'a>, usize);

/// Cuts a template into pieces. `{{-`/`{%-` strip the white space before, `-}}`/`-%}` the white
/// space after.
pub(super) fn pieces(src: &str) -> Result<Vec<Located<'_>>, String> {
    let mut out: Vec<Located<'_>> = Vec::new();
    let mut at = 0;
    let mut trim_next = false;
    let line_at = |i: usize| src[..i].matches('\n').count() + 1;
    while at < src.len() {
        let rest = &src[at..];
        let open = [rest.find("{{"), rest.find("{%")]
            .into_iter()
            .flatten()
            .min();
        let Some(open) = open else {
            push_text(&mut out, &src[at..], trim_next, false, line_at(at));
            break;
        };
        let is_tag = rest[open..].starts_with("{%");
        let inner = at + open + 2;
        let trim_before = src[inner..].starts_with('-');
        push_text(
            &mut out,
            &src[at..at + open],
            trim_next,
            trim_before,
            line_at(at),
        );
        let close = if is_tag { "%}" } else { "}}" };
        let Some(end) = src[inner..].find(close) else {
            return Err(format!(
                "line {}: '{}' is not closed by '{close}'",
                line_at(at + open),
                if is_tag { "{%" } else { "{{" }
            ));
        };
        let mut markup = &src[inner..inner + end];
        if trim_before {
            markup = &markup[1..];
        }
        trim_next = markup.ends_with('-');
        if trim_next {
            markup = &markup[..markup.len() - 1];
        }
        let piece = if is_tag {
            Piece::Tag(markup)
        } else {
            Piece::Output(markup)
        };
        out.push((piece, line_at(at + open)));
        at = inner + end + 2;
    }
    Ok(out)
}

fn push_text<'a>(
    out: &mut Vec<Located<'a>>,
    text: &'a str,
    trim_start: bool,
    trim_end: bool,
    line: usize,
) {
    let mut text = text;
    if trim_start {
        text = text.trim_start();
    }
    if trim_end {
        text = text.trim_end();
    }
    if !text.is_empty() {
        out.push((Piece::Text(text), line));
    }
}

/// A token of markup.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// A name (`body`, `and`, `Upcase`, `forloop`).
    Name(String),
    /// A quoted string.
    Str(String),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// Punctuation or an operator: `. .. [ ] ( ) | : , = == != <> < > <= >=`.
    Sym(&'static str),
}

const SYMBOLS: [&str; 16] = [
    "..", "==", "!=", "<>", "<=", ">=", ".", "[", "]", "(", ")", "|", ":", ",", "<", ">",
];

/// Cuts markup into tokens.
pub(super) fn tokens(markup: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = markup.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let end = chars[i + 1..]
                .iter()
                .position(|&d| d == c)
                .ok_or_else(|| format!("a string is not closed in '{}'", markup.trim()))?;
            out.push(Token::Str(chars[i + 1..i + 1 + end].iter().collect()));
            i += end + 2;
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let is_float =
                chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if is_float {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text: String = chars[start..i].iter().collect();
            out.push(if is_float {
                Token::Float(text.parse().map_err(|_| format!("bad number '{text}'"))?)
            } else {
                Token::Int(
                    text.parse()
                        .map_err(|_| format!("number too large '{text}'"))?,
                )
            });
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || chars[i] == '_'
                    || chars[i] == '-'
                    || chars[i] == '?')
            {
                i += 1;
            }
            out.push(Token::Name(chars[start..i].iter().collect()));
        } else if c == '=' && chars.get(i + 1) != Some(&'=') {
            out.push(Token::Sym("="));
            i += 1;
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let Some(sym) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) else {
                return Err(format!("unexpected '{c}' in '{}'", markup.trim()));
            };
            out.push(Token::Sym(sym));
            i += sym.len();
        }
    }
    Ok(out)
}
