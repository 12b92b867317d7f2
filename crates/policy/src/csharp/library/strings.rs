//! Members of `string` (indices count chars). Every member counts the passes it makes over
//! its strings (see [`Machine::step`]); character positions come from [`budget`], which
//! remembers them for the strings indexed last.

use std::cmp::Ordering;
use std::sync::Arc;

use super::budget::{self, byte_at, char_at, char_count, cmp_str};
use super::{P, Registry, int_arg, null_ref, str_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, Value, fail};

type Res = Result<Value, EvalError>;

fn range_err<T>() -> Result<T, EvalError> {
    fail(
        ErrorKind::ArgumentOutOfRange,
        "index and length must refer to a location within the string",
    )
}

/// The byte offset of a character index argument (which may be the length).
fn offset(m: &mut Machine<'_>, s: &Arc<str>, i: i32) -> Result<usize, EvalError> {
    match usize::try_from(i) {
        Ok(i) => byte_at(m, s, i)?.map_or_else(range_err, Ok),
        Err(_) => range_err(),
    }
}

/// A new string from part of another, its copy counted.
fn copy(m: &mut Machine<'_>, s: &str) -> Res {
    m.room(s.len())?;
    m.scan(s.len())?;
    m.string(s.to_owned())
}

fn substring(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let start = int_arg(&a[1]);
    let from = offset(m, &s, start)?;
    let to = if a.len() > 2 {
        let len = int_arg(&a[2]);
        if len < 0 {
            return range_err();
        }
        offset(m, &s, start.saturating_add(len))?
    } else {
        s.len()
    };
    copy(m, &s[from..to])
}

fn text(v: &Value) -> Result<String, EvalError> {
    Ok(match v {
        Value::Char(c) => c.to_string(),
        v => str_arg(v)?.to_string(),
    })
}

/// The result of a search: the character index of a byte offset, or -1.
fn found(m: &mut Machine<'_>, s: &Arc<str>, byte: Option<usize>) -> Res {
    Ok(Value::Int(match byte {
        Some(b) => char_at(m, s, b)? as i32,
        None => -1,
    }))
}

/// Searches `s` from byte `from` for `needle`, counting the bytes looked at.
fn find(
    m: &mut Machine<'_>,
    s: &str,
    from: usize,
    needle: &str,
) -> Result<Option<usize>, EvalError> {
    let hit = s[from..].find(needle).map(|b| b + from);
    m.scan(hit.map_or(s.len(), |b| b + needle.len()) - from)?;
    Ok(hit)
}

fn index_of(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let needle = text(&a[1])?;
    let start = if a.len() > 2 { int_arg(&a[2]) } else { 0 };
    let from = offset(m, &s, start)?;
    let hit = find(m, &s, from, &needle)?;
    found(m, &s, hit)
}

fn last_index_of(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let needle = text(&a[1])?;
    let hit = s.rfind(&needle);
    m.scan(s.len() - hit.unwrap_or(0))?;
    found(m, &s, hit)
}

fn contains(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    Ok(Value::Bool(find(m, &s, 0, &text(&a[1])?)?.is_some()))
}

fn starts_with(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let p = text(&a[1])?;
    Ok(Value::Bool(if a.len() > 2 && ignore_case(&a[2]) {
        m.scan(s.len() + p.len())?;
        s.to_lowercase().starts_with(&p.to_lowercase())
    } else {
        m.scan(p.len())?;
        s.starts_with(&p)
    }))
}

fn ends_with(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let p = text(&a[1])?;
    Ok(Value::Bool(if a.len() > 2 && ignore_case(&a[2]) {
        m.scan(s.len() + p.len())?;
        s.to_lowercase().ends_with(&p.to_lowercase())
    } else {
        m.scan(p.len())?;
        s.ends_with(&p)
    }))
}

/// Whether a `StringComparison` value ignores case (the odd members do).
fn ignore_case(v: &Value) -> bool {
    int_arg(v) % 2 == 1
}

/// A new string made from all of `s` (changing case), its size checked before.
fn remade(m: &mut Machine<'_>, s: &str, f: fn(&str) -> String) -> Res {
    m.room(s.len())?;
    m.scan(s.len())?;
    m.string(f(s))
}

fn upper(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    remade(m, &s, str::to_uppercase)
}

fn lower(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    remade(m, &s, str::to_lowercase)
}

/// The characters to trim (sorted, for a binary search), or `None` for white space.
fn trim_set(m: &mut Machine<'_>, a: &[Value]) -> Result<Option<Vec<char>>, EvalError> {
    match a.get(1) {
        None => Ok(None),
        Some(Value::Array(items)) if items.is_empty() => Ok(None),
        Some(Value::Array(items)) => {
            budget::pass(m, items)?;
            let mut set: Vec<char> = items
                .iter()
                .filter_map(|c| {
                    if let Value::Char(c) = c {
                        Some(*c)
                    } else {
                        None
                    }
                })
                .collect();
            set.sort_unstable();
            Ok(Some(set))
        }
        Some(_) => Ok(None),
    }
}

fn trim_with(m: &mut Machine<'_>, a: &mut [Value], start: bool, end: bool) -> Res {
    let s = str_arg(&a[0])?;
    let set = trim_set(m, a)?;
    let pred = |c: char| {
        set.as_ref()
            .map_or(c.is_whitespace(), |set| set.binary_search(&c).is_ok())
    };
    let mut r: &str = &s;
    if start {
        r = r.trim_start_matches(pred);
    }
    if end {
        r = r.trim_end_matches(pred);
    }
    m.scan(s.len() - r.len())?;
    copy(m, r)
}

fn split(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let seps: Vec<String> = match &a[1] {
        Value::Array(items) => items.iter().map(text).collect::<Result<_, _>>()?,
        v => vec![text(v)?],
    };
    let remove_empty = a.len() > 2 && int_arg(&a[2]) == 1;
    let mut out = Vec::new();
    let mut part = |m: &mut Machine<'_>, p: &str| -> Result<(), EvalError> {
        m.step(1)?;
        if !(remove_empty && p.is_empty()) {
            m.room((out.len() + 1) * std::mem::size_of::<Value>())?;
            out.push(copy(m, p)?);
        }
        Ok(())
    };
    let seps: Vec<&str> = seps
        .iter()
        .map(String::as_str)
        .filter(|p| !p.is_empty())
        .collect();
    if seps.is_empty() {
        part(m, &s)?;
    } else {
        // The next match of each separator at or after `at` (searched again only once `at`
        // has passed it), so that each separator's search goes over the text once.
        let mut next: Vec<Option<Option<usize>>> = vec![None; seps.len()];
        let mut at = 0;
        loop {
            let mut hit: Option<(usize, usize)> = None;
            for (i, p) in seps.iter().enumerate() {
                let h = match next[i] {
                    Some(Some(h)) if h >= at => Some(h),
                    Some(None) => None,
                    _ => {
                        let h = find(m, &s, at, p)?;
                        next[i] = Some(h);
                        h
                    }
                };
                // The first separator wins a tie.
                if let Some(h) = h
                    && hit.is_none_or(|(b, _)| h < b)
                {
                    hit = Some((h, p.len()));
                }
            }
            match hit {
                Some((i, len)) => {
                    part(m, &s[at..i])?;
                    at = i + len;
                }
                None => {
                    part(m, &s[at..])?;
                    break;
                }
            }
        }
    }
    m.array(out)
}

fn replace(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let from = text(&a[1])?;
    if from.is_empty() {
        return fail(ErrorKind::Argument, "string cannot be of zero length");
    }
    let to = match &a[2] {
        Value::Null => String::new(),
        v => text(v)?,
    };
    m.scan(s.len())?;
    let count = s.matches(from.as_str()).count();
    let size = (s.len() - count * from.len()).saturating_add(count.saturating_mul(to.len()));
    m.room(size)?;
    m.scan(size)?;
    m.string(s.replace(from.as_str(), &to))
}

fn pad(m: &mut Machine<'_>, a: &mut [Value], left: bool) -> Res {
    let s = str_arg(&a[0])?;
    let width = int_arg(&a[1]);
    if width < 0 {
        return range_err();
    }
    let c = match a.get(2) {
        Some(Value::Char(c)) => *c,
        _ => ' ',
    };
    let n = (width as usize).saturating_sub(char_count(m, &s)?);
    let size = s.len() + n * c.len_utf8();
    m.room(size)?;
    m.scan(size)?;
    let fill: String = std::iter::repeat_n(c, n).collect();
    m.string(if left {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    })
}

fn is_null_or_empty(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    Ok(Value::Bool(match &a[0] {
        Value::Null => true,
        Value::Str(s) => s.is_empty(),
        _ => false,
    }))
}

fn is_null_or_white_space(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    Ok(Value::Bool(match &a[0] {
        Value::Null => true,
        Value::Str(s) => {
            let other = s.find(|c: char| !c.is_whitespace());
            m.scan(other.unwrap_or(s.len()))?;
            other.is_none()
        }
        _ => false,
    }))
}

/// The texts of `items` joined by `sep`, the size checked as it grows.
fn joined(m: &mut Machine<'_>, sep: &str, items: &[Value]) -> Res {
    m.step(items.len() as u64)?;
    let mut out = String::new();
    for (i, v) in items.iter().enumerate() {
        let part = budget::text(m, v)?;
        let sep = if i > 0 { sep } else { "" };
        m.room(out.len() + sep.len() + part.len())?;
        m.scan(sep.len() + part.len())?;
        out.push_str(sep);
        out.push_str(&part);
    }
    m.string(out)
}

fn join(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let sep = match &a[0] {
        Value::Null => String::new(),
        v => text(v)?,
    };
    let items = match &a[1] {
        Value::Array(items) if items.len() == 1 && matches!(items[0], Value::Array(_)) => {
            match &items[0] {
                Value::Array(inner) => inner.clone(),
                _ => items.clone(),
            }
        }
        // A collection object (`MatchCollection`) binds `Join<T>(string, IEnumerable<T>)`.
        Value::Array(items)
            if items.len() == 1 && matches!(&items[0], Value::Obj(o) if o.items().is_some()) =>
        {
            super::convert::items(&items[0])?
        }
        Value::Array(items) => items.clone(),
        Value::Null => return null_ref(),
        v => budget::items(m, v)?,
    };
    joined(m, &sep, &items)
}

fn concat(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let items = budget::items(m, &a[0])?;
    joined(m, "", &items)
}

/// `string.Format(format, args)`: `a[0]` the format, `a[1]` the arguments.
pub(crate) fn format(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let f = str_arg(&a[0])?;
    let args = budget::items(m, &a[1])?;
    m.scan(f.len())?;
    let mut out = String::new();
    let mut it = f.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '{' if it.peek() == Some(&'{') => {
                it.next();
                out.push('{');
            }
            '}' if it.peek() == Some(&'}') => {
                it.next();
                out.push('}');
            }
            '{' => {
                let mut spec = String::new();
                for c in it.by_ref() {
                    if c == '}' {
                        break;
                    }
                    spec.push(c);
                }
                let (index, fmt) = match spec.split_once(':') {
                    Some((i, f)) => (i, Some(f)),
                    None => (spec.as_str(), None),
                };
                // `{index,alignment:format}`: a positive alignment pads on the left.
                let (index, width) = match index.split_once(',') {
                    Some((i, w)) => match w.trim().parse::<i32>() {
                        Ok(n) if !w.trim().starts_with('+') && n.unsigned_abs() < 1_000_000 => {
                            (i, n)
                        }
                        _ => {
                            return fail(
                                ErrorKind::Format,
                                "input string was not in a correct format",
                            );
                        }
                    },
                    None => (index, 0),
                };
                let Some(v) = index.trim().parse::<usize>().ok().and_then(|i| args.get(i)) else {
                    return fail(
                        ErrorKind::Format,
                        "index (zero based) must be greater than or equal to zero and less than the size of the argument list",
                    );
                };
                let text = match fmt {
                    Some(f) => Arc::from(super::numbers::format_value(m, v, f)?),
                    None => budget::text(m, v)?,
                };
                let pad = (width.unsigned_abs() as usize).saturating_sub(text.chars().count());
                m.room(out.len() + pad + text.len())?;
                m.scan(pad + text.len())?;
                if width < 0 {
                    out.push_str(&text);
                    out.extend(std::iter::repeat_n(' ', pad));
                } else {
                    out.extend(std::iter::repeat_n(' ', pad));
                    out.push_str(&text);
                }
            }
            '}' => {
                return fail(
                    ErrorKind::Format,
                    "input string was not in a correct format",
                );
            }
            c => out.push(c),
        }
    }
    m.string(out)
}

fn length(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    Ok(Value::Int(char_count(m, &s)? as i32))
}

fn char_at_index(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let at = match usize::try_from(int_arg(&a[1])) {
        Ok(i) => byte_at(m, &s, i)?,
        Err(_) => None,
    };
    match at.and_then(|b| s[b..].chars().next()) {
        Some(c) => Ok(Value::Char(c)),
        None => fail(
            ErrorKind::IndexOutOfRange,
            "index was outside the bounds of the array",
        ),
    }
}

fn equals_str(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let o = match &a[1] {
        Value::Null => return Ok(Value::Bool(false)),
        v => str_arg(v)?,
    };
    Ok(Value::Bool(if a.len() > 2 && ignore_case(&a[2]) {
        m.scan(s.len() + o.len())?;
        s.to_lowercase() == o.to_lowercase()
    } else {
        s.len() == o.len() && cmp_str(m, &s, &o)? == Ordering::Equal
    }))
}

fn new_string(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    match (&a[0], a.get(1)) {
        (Value::Char(c), Some(n)) => {
            let n = usize::try_from(int_arg(n)).or_else(|_| range_err())?;
            let size = n.saturating_mul(c.len_utf8());
            m.room(size)?;
            m.scan(size)?;
            m.string(std::iter::repeat_n(*c, n).collect())
        }
        (v, _) => {
            let items = budget::items(m, v)?;
            m.step(items.len() as u64)?;
            m.room(items.len() * 4)?;
            m.string(items.iter().map(|c| c.to_string()).collect())
        }
    }
}

pub(crate) fn register(r: &mut Registry) {
    let s = || t(Type::String);
    let i = || t(Type::Int);
    let c = || t(Type::Char);
    let chars = || P::Params(Type::Char);
    let cmp = || t(Type::Int);
    const K: &str = "string";
    r.prop(K, "Length", Type::Int, length);
    r.method(K, "[]", vec![i()], Type::Char, char_at_index);
    r.method(K, "Substring", vec![i()], Type::String, substring);
    r.method(K, "Substring", vec![i(), i()], Type::String, substring);
    for (name, f) in [
        ("IndexOf", index_of as super::Native),
        ("LastIndexOf", last_index_of),
    ] {
        r.method(K, name, vec![s()], Type::Int, f);
        r.method(K, name, vec![c()], Type::Int, f);
    }
    r.method(K, "IndexOf", vec![s(), i()], Type::Int, index_of);
    r.method(K, "IndexOf", vec![c(), i()], Type::Int, index_of);
    r.method(K, "Contains", vec![s()], Type::Bool, contains);
    r.method(K, "Contains", vec![c()], Type::Bool, contains);
    for (name, f) in [
        ("StartsWith", starts_with as super::Native),
        ("EndsWith", ends_with),
    ] {
        r.method(K, name, vec![s()], Type::Bool, f);
        r.method(K, name, vec![c()], Type::Bool, f);
        r.method(K, name, vec![s(), cmp()], Type::Bool, f);
    }
    for name in ["ToUpper", "ToUpperInvariant"] {
        r.method(K, name, vec![], Type::String, upper);
    }
    for name in ["ToLower", "ToLowerInvariant"] {
        r.method(K, name, vec![], Type::String, lower);
    }
    r.method(K, "Trim", vec![chars()], Type::String, |m, a, _| {
        trim_with(m, a, true, true)
    });
    r.method(K, "TrimStart", vec![chars()], Type::String, |m, a, _| {
        trim_with(m, a, true, false)
    });
    r.method(K, "TrimEnd", vec![chars()], Type::String, |m, a, _| {
        trim_with(m, a, false, true)
    });
    let str_arr = || Type::Array(Box::new(Type::String));
    r.method(K, "Split", vec![chars()], str_arr(), split);
    r.method(
        K,
        "Split",
        vec![t(Type::Array(Box::new(Type::Char))), i()],
        str_arr(),
        split,
    );
    r.method(K, "Split", vec![t(str_arr()), i()], str_arr(), split);
    r.method(K, "Split", vec![s(), i()], str_arr(), split);
    r.method(K, "Split", vec![c(), i()], str_arr(), split);
    r.method(K, "Split", vec![s()], str_arr(), split);
    r.method(K, "Replace", vec![s(), s()], Type::String, replace);
    r.method(K, "Replace", vec![c(), c()], Type::String, replace);
    r.method(K, "PadLeft", vec![i()], Type::String, |m, a, _| {
        pad(m, a, true)
    });
    r.method(K, "PadLeft", vec![i(), c()], Type::String, |m, a, _| {
        pad(m, a, true)
    });
    r.method(K, "PadRight", vec![i()], Type::String, |m, a, _| {
        pad(m, a, false)
    });
    r.method(K, "PadRight", vec![i(), c()], Type::String, |m, a, _| {
        pad(m, a, false)
    });
    r.method(K, "Equals", vec![s()], Type::Bool, equals_str);
    r.method(K, "Equals", vec![s(), cmp()], Type::Bool, equals_str);
    r.method(K, "ToString", vec![], Type::String, |_, a, _| {
        str_arg(&a[0]).map(Value::Str)
    });
    const S: &str = "static:string";
    r.prop(S, "Empty", Type::String, |_, _, _| Ok(Value::from("")));
    r.method(S, "IsNullOrEmpty", vec![s()], Type::Bool, is_null_or_empty);
    r.method(
        S,
        "IsNullOrWhiteSpace",
        vec![s()],
        Type::Bool,
        is_null_or_white_space,
    );
    r.method(
        S,
        "Join",
        vec![s(), t(Type::Seq(Box::new(Type::String)))],
        Type::String,
        |m, a, g| {
            a[1] = Value::Array(Arc::from(vec![a[1].clone()]));
            join(m, a, g)
        },
    );
    r.method(
        S,
        "Join",
        vec![s(), P::Params(Type::Object)],
        Type::String,
        join,
    );
    // `Concat(IEnumerable<T>)` before `Concat(params object[])`, which would show a sequence
    // argument as its type name.
    for elem in [
        Type::String,
        Type::Char,
        Type::Int,
        Type::Long,
        Type::Double,
        Type::Bool,
        Type::Object,
    ] {
        r.method(
            S,
            "Concat",
            vec![t(Type::Seq(Box::new(elem)))],
            Type::String,
            concat,
        );
    }
    r.method(
        S,
        "Concat",
        vec![P::Params(Type::Object)],
        Type::String,
        concat,
    );
    r.method(
        S,
        "Format",
        vec![s(), P::Params(Type::Object)],
        Type::String,
        format,
    );
    r.method(S, "Equals", vec![s(), s()], Type::Bool, |m, a, _| {
        Ok(Value::Bool(budget::equals(m, &a[0], &a[1])?))
    });
    r.method(S, "Compare", vec![s(), s()], Type::Int, |m, a, _| {
        Ok(Value::Int(match (&a[0], &a[1]) {
            (Value::Null, Value::Null) => 0,
            (Value::Null, _) => -1,
            (_, Value::Null) => 1,
            (x, y) => {
                let (x, y) = (budget::text(m, x)?, budget::text(m, y)?);
                cmp_str(m, &x, &y)? as i32
            }
        }))
    });
    r.method(S, ".ctor", vec![c(), i()], Type::String, new_string);
    r.method(
        S,
        ".ctor",
        vec![t(Type::Seq(Box::new(Type::Char)))],
        Type::String,
        new_string,
    );
    r.prop(
        "static:StringComparison",
        "Ordinal",
        Type::Int,
        |_, _, _| Ok(Value::Int(4)),
    );
    r.prop(
        "static:StringComparison",
        "OrdinalIgnoreCase",
        Type::Int,
        |_, _, _| Ok(Value::Int(5)),
    );
    r.prop(
        "static:StringComparison",
        "InvariantCultureIgnoreCase",
        Type::Int,
        |_, _, _| Ok(Value::Int(3)),
    );
    r.prop(
        "static:StringComparison",
        "CurrentCultureIgnoreCase",
        Type::Int,
        |_, _, _| Ok(Value::Int(1)),
    );
    r.prop(
        "static:StringSplitOptions",
        "RemoveEmptyEntries",
        Type::Int,
        |_, _, _| Ok(Value::Int(1)),
    );
    r.prop("static:StringSplitOptions", "None", Type::Int, |_, _, _| {
        Ok(Value::Int(0))
    });
}
