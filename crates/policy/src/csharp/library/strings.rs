//! Members of `string` (indices count chars).

use std::sync::Arc;

use super::{P, Registry, int_arg, null_ref, str_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, Value, fail};

type Res = Result<Value, EvalError>;

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn range_err() -> Res {
    fail(
        ErrorKind::ArgumentOutOfRange,
        "index and length must refer to a location within the string",
    )
}

fn char_index(s: &str, byte: Option<usize>) -> Value {
    Value::Int(byte.map_or(-1, |b| s[..b].chars().count() as i32))
}

fn substring(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let cs = chars(&s);
    let start = int_arg(&a[1]);
    let len = if a.len() > 2 {
        int_arg(&a[2])
    } else {
        cs.len() as i32 - start
    };
    if start < 0 || len < 0 || start as usize + len as usize > cs.len() {
        return range_err();
    }
    m.string(cs[start as usize..(start + len) as usize].iter().collect())
}

fn text(v: &Value) -> Result<String, EvalError> {
    Ok(match v {
        Value::Char(c) => c.to_string(),
        v => str_arg(v)?.to_string(),
    })
}

fn index_of(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let needle = text(&a[1])?;
    let start = if a.len() > 2 { int_arg(&a[2]) } else { 0 };
    let cs = chars(&s);
    if start < 0 || start as usize > cs.len() {
        return range_err();
    }
    let offset: usize = cs[..start as usize].iter().map(|c| c.len_utf8()).sum();
    Ok(char_index(
        &s,
        s[offset..].find(&needle).map(|b| b + offset),
    ))
}

fn last_index_of(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let needle = text(&a[1])?;
    Ok(char_index(&s, s.rfind(&needle)))
}

fn contains(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    Ok(Value::Bool(s.contains(&text(&a[1])?)))
}

fn starts_with(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let p = text(&a[1])?;
    Ok(Value::Bool(if a.len() > 2 && ignore_case(&a[2]) {
        s.to_lowercase().starts_with(&p.to_lowercase())
    } else {
        s.starts_with(&p)
    }))
}

fn ends_with(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let p = text(&a[1])?;
    Ok(Value::Bool(if a.len() > 2 && ignore_case(&a[2]) {
        s.to_lowercase().ends_with(&p.to_lowercase())
    } else {
        s.ends_with(&p)
    }))
}

/// Whether a `StringComparison` value ignores case (the odd members do).
fn ignore_case(v: &Value) -> bool {
    int_arg(v) % 2 == 1
}

fn upper(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    m.string(s.to_uppercase())
}

fn lower(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    m.string(s.to_lowercase())
}

fn trim_set(a: &[Value]) -> Result<Option<Vec<char>>, EvalError> {
    match a.get(1) {
        None => Ok(None),
        Some(Value::Array(items)) if items.is_empty() => Ok(None),
        Some(Value::Array(items)) => Ok(Some(
            items
                .iter()
                .filter_map(|c| {
                    if let Value::Char(c) = c {
                        Some(*c)
                    } else {
                        None
                    }
                })
                .collect(),
        )),
        Some(_) => Ok(None),
    }
}

fn trim_with(m: &mut Machine<'_>, a: &mut [Value], start: bool, end: bool) -> Res {
    let s = str_arg(&a[0])?;
    let set = trim_set(a)?;
    let pred = |c: char| {
        set.as_ref()
            .map_or(c.is_whitespace(), |set| set.contains(&c))
    };
    let mut r: &str = &s;
    if start {
        r = r.trim_start_matches(pred);
    }
    if end {
        r = r.trim_end_matches(pred);
    }
    m.string(r.to_owned())
}

fn split(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let seps: Vec<String> = match &a[1] {
        Value::Array(items) => items.iter().map(text).collect::<Result<_, _>>()?,
        v => vec![text(v)?],
    };
    let remove_empty = a.len() > 2 && int_arg(&a[2]) == 1;
    let mut parts = Vec::new();
    if seps.iter().all(|s| s.is_empty()) {
        parts.push(s.to_string());
    } else {
        let mut rest: &str = &s;
        loop {
            let hit = seps
                .iter()
                .filter(|p| !p.is_empty())
                .filter_map(|p| rest.find(p.as_str()).map(|i| (i, p.len())))
                .min_by_key(|(i, _)| *i);
            match hit {
                Some((i, len)) => {
                    parts.push(rest[..i].to_owned());
                    rest = &rest[i + len..];
                }
                None => {
                    parts.push(rest.to_owned());
                    break;
                }
            }
            m.step(1)?;
        }
    }
    let mut out = Vec::new();
    for p in parts {
        if remove_empty && p.is_empty() {
            continue;
        }
        out.push(m.string(p)?);
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
    let count = s.matches(from.as_str()).count();
    m.alloc(count.saturating_mul(to.len()))?;
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
    let n = (width as usize).saturating_sub(s.chars().count());
    m.alloc(n)?;
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

fn is_null_or_white_space(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    Ok(Value::Bool(match &a[0] {
        Value::Null => true,
        Value::Str(s) => s.chars().all(char::is_whitespace),
        _ => false,
    }))
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
        v => super::convert::items(v)?,
    };
    m.step(items.len() as u64)?;
    let parts: Vec<String> = items.iter().map(|v| v.to_string()).collect();
    m.string(parts.join(&sep))
}

fn concat(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let items = super::convert::items(&a[0])?;
    let s: String = items.iter().map(|v| v.to_string()).collect();
    m.string(s)
}

/// `string.Format(format, args)`: `a[0]` the format, `a[1]` the arguments.
pub(crate) fn format(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let f = str_arg(&a[0])?;
    let args = super::convert::items(&a[1])?;
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
                    Some(f) => super::numbers::format_value(v, f)?,
                    None => v.to_string(),
                };
                let pad = (width.unsigned_abs() as usize).saturating_sub(text.chars().count());
                m.alloc(pad)?;
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

fn length(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    Ok(Value::Int(str_arg(&a[0])?.chars().count() as i32))
}

fn char_at(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let i = int_arg(&a[1]);
    match usize::try_from(i).ok().and_then(|i| s.chars().nth(i)) {
        Some(c) => Ok(Value::Char(c)),
        None => fail(
            ErrorKind::IndexOutOfRange,
            "index was outside the bounds of the array",
        ),
    }
}

fn equals_str(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = str_arg(&a[0])?;
    let o = match &a[1] {
        Value::Null => return Ok(Value::Bool(false)),
        v => str_arg(v)?,
    };
    Ok(Value::Bool(if a.len() > 2 && ignore_case(&a[2]) {
        s.to_lowercase() == o.to_lowercase()
    } else {
        s == o
    }))
}

fn new_string(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    match (&a[0], a.get(1)) {
        (Value::Char(c), Some(n)) => {
            let n = usize::try_from(int_arg(n)).or_else(|_| range_err().map(|_| 0))?;
            m.alloc(n)?;
            m.string(std::iter::repeat_n(*c, n).collect())
        }
        (v, _) => {
            let items = super::convert::items(v)?;
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
    r.method(K, "[]", vec![i()], Type::Char, char_at);
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
    r.method(S, "Equals", vec![s(), s()], Type::Bool, |_, a, _| {
        Ok(Value::Bool(super::convert::equals(&a[0], &a[1])))
    });
    r.method(S, "Compare", vec![s(), s()], Type::Int, |_, a, _| {
        Ok(Value::Int(match (&a[0], &a[1]) {
            (Value::Null, Value::Null) => 0,
            (Value::Null, _) => -1,
            (_, Value::Null) => 1,
            (x, y) => x.to_string().cmp(&y.to_string()) as i32,
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
