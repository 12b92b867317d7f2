//! The step rule of [`Machine::step`] applied to values: conversions to text, equality,
//! ordering, sequences and type tests that count the work they do, and character positions
//! in strings (indices count characters, so finding one is a pass over the text: the machine
//! remembers where recently indexed strings' characters are, which makes `s[i]` in a loop
//! over `s.Length` cost a step, not a pass).

use std::cmp::Ordering;
use std::sync::Arc;

use super::crypto::Obj;
use super::{convert, json};
use crate::csharp::eval::{Machine, SCAN_BYTES};
use crate::csharp::types::Type;
use crate::csharp::value::{Dict, EvalError, Value};

/// Counts a pass over a slice's memory (a linear search through entries, a copy).
pub(crate) fn pass<T>(m: &mut Machine<'_>, xs: &[T]) -> Result<(), EvalError> {
    m.scan(std::mem::size_of_val(xs))
}

/// Counts a linear search through `n` entries of a dictionary or a JSON object (each entry's
/// key is read: its address and length, and its text when the length matches).
pub(crate) fn search(m: &mut Machine<'_>, n: usize) -> Result<(), EvalError> {
    m.scan(n.saturating_mul(std::mem::size_of::<Arc<str>>()))
}

/// A dictionary's value for a key, counting the search.
pub(crate) fn lookup<'d>(
    m: &mut Machine<'_>,
    d: &'d Dict,
    key: &str,
) -> Result<Option<&'d Value>, EvalError> {
    search(m, d.entries.len())?;
    Ok(d.get(key))
}

/// A value's `ToString()`, counting the work of writing JSON tokens and builders (other
/// values have short fixed-size texts). The caller counts the bytes of what it makes of it.
pub(crate) fn text(m: &mut Machine<'_>, v: &Value) -> Result<Arc<str>, EvalError> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        Value::Json(j) => Ok(Arc::from(json::dotnet_text(m, j)?)),
        Value::Pair(p) => {
            let inner = text(m, &p.1)?;
            m.room(p.0.len() + inner.len() + 4)?;
            m.scan(p.0.len() + inner.len())?;
            Ok(Arc::from(format!("[{}, {inner}]", p.0)))
        }
        Value::Obj(o) => {
            if let Obj::Builder(s) = &**o {
                m.room(s.len())?;
                m.scan(s.len())?;
            } else if let Some(n) = super::uri::text_len(o) {
                m.scan(n)?;
            }
            Ok(Arc::from(o.to_dotnet_string()))
        }
        other => Ok(other.to_arc_str()),
    }
}

/// C# equality ([`convert::equals`]), counting the comparison of long strings (and of URIs,
/// which compare their escaped forms).
pub(crate) fn equals(m: &mut Machine<'_>, a: &Value, b: &Value) -> Result<bool, EvalError> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => {
            Ok(x.len() == y.len() && cmp_str(m, x, y)? == Ordering::Equal)
        }
        (Value::Obj(x), Value::Obj(y)) if !Arc::ptr_eq(x, y) => {
            let n = super::uri::text_len(x).unwrap_or(0) + super::uri::text_len(y).unwrap_or(0);
            m.scan(2 * n)?;
            Ok(convert::equals(a, b))
        }
        _ => Ok(convert::equals(a, b)),
    }
}

/// Ordinal order of two strings, counting the bytes compared (the common prefix).
pub(crate) fn cmp_str(m: &mut Machine<'_>, x: &str, y: &str) -> Result<Ordering, EvalError> {
    if std::ptr::eq(x, y) {
        return Ok(Ordering::Equal);
    }
    let (a, b) = (x.as_bytes(), y.as_bytes());
    let n = a.len().min(b.len());
    let mut i = 0;
    while i < n {
        let j = (i + SCAN_BYTES).min(n);
        if a[i..j] != b[i..j] {
            break;
        }
        i = j;
    }
    m.scan(i)?;
    Ok(a[i..].cmp(&b[i..]))
}

/// The items of a sequence ([`convert::items`]), counting what is built: a string's
/// characters, a dictionary's pairs and a JSON container's tokens become values.
pub(crate) fn items(m: &mut Machine<'_>, v: &Value) -> Result<Arc<[Value]>, EvalError> {
    let n = match v {
        Value::Array(_) => 0,
        Value::Str(s) => s.len(),
        Value::Dict(d) => d.entries.len(),
        Value::Json(json::Json::Array(l)) => l.items.len(),
        Value::Json(json::Json::Object(o)) => o.entries.len(),
        _ => 0,
    };
    m.scan(n.saturating_mul(std::mem::size_of::<Value>()))?;
    convert::items(v)
}

/// The number of items of a sequence, without building them.
pub(crate) fn count(m: &mut Machine<'_>, v: &Value) -> Result<usize, EvalError> {
    match v {
        Value::Array(a) => Ok(a.len()),
        Value::Dict(d) => Ok(d.entries.len()),
        Value::Json(json::Json::Array(l)) => Ok(l.items.len()),
        Value::Json(json::Json::Object(o)) => Ok(o.entries.len()),
        Value::Str(s) => char_count(m, s),
        v => Ok(convert::items(v)?.len()),
    }
}

/// The bytes of a `byte[]` value ([`convert::bytes_of`]), counting the pass over its items.
pub(crate) fn bytes_of(m: &mut Machine<'_>, v: &Value) -> Result<Vec<u8>, EvalError> {
    if let Value::Array(a) = v {
        pass(m, a)?;
    }
    convert::bytes_of(v)
}

/// Whether a value is of a type ([`convert::is_type`]), counting the items an array type
/// checks (each, recursively).
pub(crate) fn is_type(m: &mut Machine<'_>, v: &Value, ty: &Type) -> Result<bool, EvalError> {
    match (v, ty.strip_nullable()) {
        (Value::Array(a), Type::Array(e) | Type::List(e) | Type::Seq(e)) if **e != Type::Object => {
            pass(m, a)?;
            for x in a.iter() {
                if !matches!(x, Value::Null) && !is_type(m, x, e)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ => Ok(convert::is_type(v, ty)),
    }
}

/// A stable sort with a comparison that counts its work and may fail (a merge sort: the
/// standard library's sorts take infallible comparisons).
pub(crate) fn sort_by<T: Clone>(
    m: &mut Machine<'_>,
    mut v: Vec<T>,
    cmp: &mut dyn FnMut(&mut Machine<'_>, &T, &T) -> Result<Ordering, EvalError>,
) -> Result<Vec<T>, EvalError> {
    let n = v.len();
    let mut buf: Vec<T> = Vec::with_capacity(n);
    let mut width = 1;
    while width < n {
        buf.clear();
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            while i < mid && j < end {
                m.step(1)?;
                // Ties keep the left run's item first: the sort is stable.
                if cmp(m, &v[j], &v[i])? == Ordering::Less {
                    buf.push(v[j].clone());
                    j += 1;
                } else {
                    buf.push(v[i].clone());
                    i += 1;
                }
            }
            buf.extend_from_slice(&v[i..mid]);
            buf.extend_from_slice(&v[j..end]);
            start = end;
        }
        std::mem::swap(&mut v, &mut buf);
        width *= 2;
    }
    Ok(v)
}

/// How many strings the machine remembers character positions of.
const REMEMBERED: usize = 4;

/// Character positions of the strings the evaluation indexed last: each string's length in
/// characters, whether it is ASCII (then character and byte indices agree), and the last
/// position found in it (so that a loop going forwards or backwards walks one character).
#[derive(Default)]
pub(crate) struct CharIndex {
    recent: Vec<Known>,
}

struct Known {
    s: Arc<str>,
    chars: usize,
    ascii: bool,
    /// The last position found: a character index and its byte offset.
    at: (usize, usize),
}

/// The entry of a string (measured, with a pass counted, the first time), most recent first.
fn known(m: &mut Machine<'_>, s: &Arc<str>) -> Result<(), EvalError> {
    let recent = &mut m.chars.recent;
    if let Some(i) = recent.iter().position(|k| Arc::ptr_eq(&k.s, s)) {
        if i > 0 {
            let k = recent.remove(i);
            recent.insert(0, k);
        }
        return Ok(());
    }
    m.scan(s.len())?;
    let ascii = s.is_ascii();
    let chars = if ascii { s.len() } else { s.chars().count() };
    let recent = &mut m.chars.recent;
    recent.truncate(REMEMBERED - 1);
    recent.insert(
        0,
        Known {
            s: s.clone(),
            chars,
            ascii,
            at: (0, 0),
        },
    );
    Ok(())
}

/// Whether a string is short enough to measure directly (a pass over it costs no step).
fn short(s: &str) -> bool {
    s.len() < SCAN_BYTES
}

/// The length of a string in characters.
pub(crate) fn char_count(m: &mut Machine<'_>, s: &Arc<str>) -> Result<usize, EvalError> {
    if short(s) {
        return Ok(s.chars().count());
    }
    known(m, s)?;
    Ok(m.chars.recent[0].chars)
}

/// The byte offset of character `i` of a string (`i` may be its length), if there is one.
pub(crate) fn byte_at(
    m: &mut Machine<'_>,
    s: &Arc<str>,
    i: usize,
) -> Result<Option<usize>, EvalError> {
    if short(s) {
        let mut offsets = s.char_indices().map(|(b, _)| b).chain([s.len()]);
        return Ok(offsets.nth(i));
    }
    known(m, s)?;
    let k = &m.chars.recent[0];
    if i > k.chars {
        return Ok(None);
    }
    if k.ascii {
        return Ok(Some(i));
    }
    // From the nearest known position: the start, the last one found, or the end.
    let (c, b) = [(0, 0), k.at, (k.chars, s.len())]
        .into_iter()
        .min_by_key(|(c, _)| c.abs_diff(i))
        .unwrap_or((0, 0));
    let byte = if i >= c {
        s[b..]
            .char_indices()
            .nth(i - c)
            .map_or(s.len(), |(o, _)| b + o)
    } else {
        s[..b]
            .char_indices()
            .rev()
            .nth(c - i - 1)
            .map_or(0, |(o, _)| o)
    };
    m.chars.recent[0].at = (i, byte);
    m.scan(byte.abs_diff(b))?;
    Ok(Some(byte))
}

/// The character index of a byte offset of a string (at a character boundary).
pub(crate) fn char_at(m: &mut Machine<'_>, s: &Arc<str>, byte: usize) -> Result<usize, EvalError> {
    if short(s) {
        return Ok(s[..byte].chars().count());
    }
    known(m, s)?;
    let k = &m.chars.recent[0];
    if k.ascii {
        return Ok(byte);
    }
    let (c, b) = [(0, 0), k.at, (k.chars, s.len())]
        .into_iter()
        .min_by_key(|(_, b)| b.abs_diff(byte))
        .unwrap_or((0, 0));
    let i = if byte >= b {
        c + s[b..byte].chars().count()
    } else {
        c - s[byte..b].chars().count()
    };
    m.chars.recent[0].at = (i, byte);
    m.scan(byte.abs_diff(b))?;
    Ok(i)
}
