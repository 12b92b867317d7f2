//! `Regex.Replace` (replacement patterns, `MatchEvaluator` lambdas), `Match.Result` and
//! `Regex.Split`, with .NET's rules: a `$` that starts no valid substitution is literal,
//! captured groups are part of `Split`'s result, a count bounds the replacements or parts.

use std::sync::Arc;

use super::{
    BYTES_PER_STEP, Compiled, Rx, Spans, build, obj, out_of_range, prepare, scan, translate,
};
use crate::csharp::eval::Machine;
use crate::csharp::value::{ErrorKind, EvalError, Value};

type Res = Result<Value, EvalError>;

/// A part of a replacement pattern.
pub(super) enum Piece {
    Text(String),
    /// `$1`, `${name}`, `$&` (0).
    Group(usize),
    /// `` $` ``.
    Left,
    /// `$'`.
    Right,
    /// `$+`: the last group.
    Last,
    /// `$_`: the whole input.
    Whole,
}

/// Parses a replacement pattern as .NET does (`ScanReplacement`): a `$` that does not start a
/// valid substitution is literal.
pub(super) fn parse_replacement(c: &Compiled, rep: &str) -> Result<Vec<Piece>, EvalError> {
    let p: Vec<char> = rep.chars().collect();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < p.len() {
        if p[i] != '$' {
            text.push(p[i]);
            i += 1;
            continue;
        }
        i += 1;
        match dollar(c, &p, i)? {
            Some((Piece::Text(t), next)) => {
                text.push_str(&t);
                i = next;
            }
            Some((piece, next)) => {
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(piece);
                i = next;
            }
            None => text.push('$'),
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

/// What follows a `$` at `i` (`ScanDollar`), and where the rest starts; None: a literal `$`.
fn dollar(c: &Compiled, p: &[char], i: usize) -> Result<Option<(Piece, usize)>, EvalError> {
    let Some(&first) = p.get(i) else {
        return Ok(None);
    };
    let angled = first == '{' && i + 1 < p.len();
    let mut j = if angled { i + 1 } else { i };
    let ch = p[j];
    if ch.is_ascii_digit() {
        let mut n: u32 = 0;
        while let Some(d) = p.get(j).and_then(|c| c.to_digit(10)) {
            j += 1;
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(d))
                .filter(|n| *n <= i32::MAX as u32)
                .ok_or_else(|| {
                    EvalError::new(
                        ErrorKind::Argument,
                        "capture group numbers must be less than or equal to Int32.MaxValue",
                    )
                })?;
        }
        if angled {
            if p.get(j) != Some(&'}') {
                return Ok(None);
            }
            j += 1;
        }
        return Ok(((n as usize) < c.groups.len()).then_some((Piece::Group(n as usize), j)));
    }
    if angled {
        if !translate::is_word_char(ch) {
            return Ok(None);
        }
        let from = j;
        while p.get(j).is_some_and(|c| translate::is_word_char(*c)) {
            j += 1;
        }
        let name: String = p[from..j].iter().collect();
        if p.get(j) != Some(&'}') || !c.named {
            return Ok(None);
        }
        return Ok(c
            .groups
            .iter()
            .position(|(n, _)| **n == *name)
            .map(|g| (Piece::Group(g), j + 1)));
    }
    let piece = match ch {
        '$' => Piece::Text("$".into()),
        '&' => Piece::Group(0),
        '`' => Piece::Left,
        '\'' => Piece::Right,
        '+' => Piece::Last,
        '_' => Piece::Whole,
        _ => return Ok(None),
    };
    Ok(Some((piece, i + 1)))
}

/// Appends a match's replacement, counting the bytes.
pub(super) fn expand(
    m: &mut Machine<'_>,
    pieces: &[Piece],
    input: &str,
    spans: &Spans,
    out: &mut String,
) -> Result<(), EvalError> {
    let (ms, me) = spans[0].unwrap_or((0, 0));
    let group = |g: usize| spans[g].map_or("", |(s, e)| &input[s..e]);
    for piece in pieces {
        let seg = match piece {
            Piece::Text(t) => t.as_str(),
            Piece::Group(g) => group(*g),
            Piece::Left => &input[..ms],
            Piece::Right => &input[me..],
            Piece::Last => group(spans.len() - 1),
            Piece::Whole => input,
        };
        m.alloc(seg.len())?;
        out.push_str(seg);
    }
    Ok(())
}

/// How `Replace` replaces.
pub(super) enum With<'a> {
    Pattern(&'a str),
    Evaluator(&'a Value),
}

pub(super) fn replace(
    m: &mut Machine<'_>,
    c: &Arc<Compiled>,
    input: Arc<str>,
    with: With<'_>,
    count: i32,
) -> Res {
    if count < -1 {
        return out_of_range("count");
    }
    if count == 0 {
        return Ok(Value::Str(input));
    }
    prepare(m, c, &input)?;
    let pieces = match with {
        With::Pattern(p) => {
            m.step(1 + (p.len() / BYTES_PER_STEP) as u64)?;
            Some(parse_replacement(c, p)?)
        }
        With::Evaluator(_) => None,
    };
    let mut out = String::new();
    let mut prev = 0;
    let mut left = count;
    let mut any = false;
    let mut cursor = (0, 0);
    scan(m, c, &input, |m, spans| {
        let Some((s, e)) = spans[0] else {
            return Ok(false);
        };
        any = true;
        m.alloc(s - prev)?;
        out.push_str(&input[prev..s]);
        match (&pieces, &with) {
            (Some(pieces), _) => expand(m, pieces, &input, spans, &mut out)?,
            (None, With::Evaluator(f)) => {
                let md = build(m, c, &input, spans, &mut cursor)?;
                let v = m.call(f, &[obj(Rx::Match(Arc::new(md)))])?;
                let v = v.to_arc_str();
                m.alloc(v.len())?;
                out.push_str(&v);
            }
            (None, With::Pattern(_)) => {}
        }
        prev = e;
        left -= 1;
        Ok(left != 0)
    })?;
    if !any {
        return Ok(Value::Str(input));
    }
    m.alloc(input.len() - prev)?;
    out.push_str(&input[prev..]);
    Ok(Value::Str(Arc::from(out)))
}

pub(super) fn split(m: &mut Machine<'_>, c: &Compiled, input: Arc<str>, count: i32) -> Res {
    if count < 0 {
        return out_of_range("count");
    }
    if count == 1 {
        return m.array(vec![Value::Str(input)]);
    }
    prepare(m, c, &input)?;
    let mut parts = Vec::new();
    let mut prev = 0;
    let mut left = i64::from(count) - 1;
    scan(m, c, &input, |m, spans| {
        let Some((s, e)) = spans[0] else {
            return Ok(false);
        };
        parts.push(m.string(input[prev..s].to_owned())?);
        prev = e;
        // Captured groups are part of the result, in group-number order.
        for (g, e) in spans.iter().skip(1).flatten() {
            parts.push(m.string(input[*g..*e].to_owned())?);
        }
        left -= 1;
        Ok(left != 0)
    })?;
    if parts.is_empty() {
        return m.array(vec![Value::Str(input)]);
    }
    parts.push(m.string(input[prev..].to_owned())?);
    m.array(parts)
}
