//! `System.Text.StringBuilder`. A builder is a copy-on-write value like the JSON tokens: its
//! mutating members change the local variable they are called through (the checker writes the
//! receiver back, and accepts chains such as `sb.Append(a).Append(b)`), and the checker refuses
//! the programs where .NET's shared builder would behave differently (see `check.rs`, `Own`).
//! Indices count characters, as string indices do here. `AppendLine` ends lines with `"\r\n"`,
//! `Environment.NewLine` on the Windows .NET Framework that runs Azure's gateway.

use std::sync::Arc;

use super::crypto::Obj;
use super::{P, Registry, int_arg, null_ref, str_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, Value, fail};

type Res = Result<Value, EvalError>;

/// What `AppendLine` appends.
const NEW_LINE: &str = "\r\n";

fn sb_t() -> Type {
    Type::Named("StringBuilder")
}

/// The builder's text, for reading.
fn text(v: &Value) -> Result<&str, EvalError> {
    match v {
        Value::Obj(o) => match &**o {
            Obj::Builder(s) => Ok(s),
            _ => null_ref(),
        },
        _ => null_ref(),
    }
}

/// The builder's text, for reading, with the steps of a pass over it counted.
fn scanned<'a>(m: &mut Machine<'_>, v: &'a Value) -> Result<&'a str, EvalError> {
    let s = text(v)?;
    m.scan(s.len())?;
    Ok(s)
}

/// The builder's text, for changing: in place when the value is not shared, else a copy.
fn text_mut<'a>(m: &mut Machine<'_>, v: &'a mut Value) -> Result<&'a mut String, EvalError> {
    let Value::Obj(o) = v else {
        return null_ref();
    };
    if Arc::get_mut(o).is_none() {
        let Obj::Builder(shared) = &**o else {
            return null_ref();
        };
        let copy = shared.clone();
        m.alloc(copy.len())?;
        *o = Arc::new(Obj::Builder(copy));
    }
    match Arc::get_mut(o) {
        Some(Obj::Builder(s)) => Ok(s),
        _ => null_ref(),
    }
}

fn range_err<T>(msg: &str) -> Result<T, EvalError> {
    fail(ErrorKind::ArgumentOutOfRange, msg)
}

/// The byte offset of character `i` (`i` may be the length).
fn byte_at(s: &str, i: i32) -> Option<usize> {
    let i = usize::try_from(i).ok()?;
    if i == 0 {
        return Some(0);
    }
    let mut it = s
        .char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(s.len()));
    it.nth(i)
}

/// Appends `add` to the receiver `a[0]`; the builder is the result.
fn push(m: &mut Machine<'_>, a: &mut [Value], add: &str) -> Res {
    m.scan(add.len())?;
    m.alloc(add.len())?;
    text_mut(m, &mut a[0])?.push_str(add);
    Ok(a[0].clone())
}

/// `Append(object)`: the value's `ToString()`, for values whose .NET type name Tollgate
/// shows as .NET does.
fn object_text(m: &mut Machine<'_>, v: &Value) -> Result<String, EvalError> {
    match v {
        Value::Null => Ok(String::new()),
        Value::Array(_) | Value::Dict(_) | Value::Func(_) | Value::Ctx(_) => fail(
            ErrorKind::NotSupported,
            "Tollgate's StringBuilder.Append does not support collections and context objects yet",
        ),
        v => Ok(super::budget::text(m, v)?.to_string()),
    }
}

fn new_builder(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = match a.first() {
        None | Some(Value::Null) => String::new(),
        Some(Value::Int(cap)) => {
            let cap = usize::try_from(*cap).or_else(|_| {
                range_err("capacity must be greater than or equal to zero").map(|()| 0)
            })?;
            // .NET allocates the capacity (two bytes a character).
            m.alloc(cap.saturating_mul(2))?;
            String::new()
        }
        Some(v) => str_arg(v)?.to_string(),
    };
    m.alloc(s.len() + 32)?;
    Ok(Value::Obj(Arc::new(Obj::Builder(s))))
}

fn append(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let add = match &a[1] {
        Value::Str(s) => s.to_string(),
        Value::Char(c) => c.to_string(),
        v => object_text(m, v)?,
    };
    push(m, a, &add)
}

fn append_chars(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let add: String = match &a[1] {
        Value::Null => String::new(),
        v => super::convert::items(v)?
            .iter()
            .filter_map(|c| match c {
                Value::Char(c) => Some(*c),
                _ => None,
            })
            .collect(),
    };
    push(m, a, &add)
}

fn append_repeat(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let Value::Char(c) = a[1] else {
        return null_ref();
    };
    let n = usize::try_from(int_arg(&a[2]))
        .or_else(|_| range_err("count cannot be less than zero").map(|()| 0))?;
    // Charged before the text is built.
    let bytes = n.saturating_mul(c.len_utf8());
    m.alloc(bytes)?;
    m.scan(bytes)?;
    let add: String = std::iter::repeat_n(c, n).collect();
    text_mut(m, &mut a[0])?.push_str(&add);
    Ok(a[0].clone())
}

fn append_line(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let mut add = match a.get(1) {
        None | Some(Value::Null) => String::new(),
        Some(v) => str_arg(v)?.to_string(),
    };
    add.push_str(NEW_LINE);
    push(m, a, &add)
}

fn append_format(m: &mut Machine<'_>, a: &mut [Value], g: Option<&Type>) -> Res {
    if matches!(a[1], Value::Null) {
        return fail(ErrorKind::Argument, "value cannot be null (format)");
    }
    let formatted = super::strings::format(m, &mut a[1..], g)?;
    let add = str_arg(&formatted)?;
    push(m, a, &add)
}

fn insert(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let add = match &a[2] {
        Value::Null => String::new(),
        Value::Char(c) => c.to_string(),
        v => str_arg(v)?.to_string(),
    };
    let Some(at) = byte_at(scanned(m, &a[0])?, int_arg(&a[1])) else {
        return range_err("index must be within the bounds of the StringBuilder");
    };
    m.alloc(add.len())?;
    text_mut(m, &mut a[0])?.insert_str(at, &add);
    Ok(a[0].clone())
}

fn remove(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let (start, len) = (int_arg(&a[1]), int_arg(&a[2]));
    let s = scanned(m, &a[0])?;
    if start < 0 || len < 0 {
        return range_err("startIndex and length cannot be less than zero");
    }
    let (Some(from), Some(to)) = (byte_at(s, start), byte_at(s, start.saturating_add(len))) else {
        return range_err("index and length must refer to a location within the StringBuilder");
    };
    text_mut(m, &mut a[0])?.replace_range(from..to, "");
    Ok(a[0].clone())
}

fn replace(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let (from, to) = match (&a[1], &a[2]) {
        (Value::Char(x), Value::Char(y)) => (x.to_string(), y.to_string()),
        (Value::Null, _) => return fail(ErrorKind::Argument, "value cannot be null (oldValue)"),
        (x, y) => (
            str_arg(x)?.to_string(),
            match y {
                Value::Null => String::new(),
                y => str_arg(y)?.to_string(),
            },
        ),
    };
    if from.is_empty() {
        return fail(ErrorKind::Argument, "string cannot be of zero length");
    }
    let s = scanned(m, &a[0])?;
    let count = s.matches(from.as_str()).count();
    m.alloc(count.saturating_mul(to.len()))?;
    let new = s.replace(from.as_str(), &to);
    *text_mut(m, &mut a[0])? = new;
    Ok(a[0].clone())
}

fn clear(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    text_mut(m, &mut a[0])?.clear();
    Ok(a[0].clone())
}

fn to_string(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = scanned(m, &a[0])?;
    let out = if a.len() > 1 {
        let (start, len) = (int_arg(&a[1]), int_arg(&a[2]));
        match (
            (start >= 0 && len >= 0)
                .then(|| byte_at(s, start))
                .flatten(),
            byte_at(s, start.saturating_add(len)),
        ) {
            (Some(from), Some(to)) => s[from..to].to_owned(),
            _ => {
                return range_err(
                    "index and length must refer to a location within the StringBuilder",
                );
            }
        }
    } else {
        s.to_owned()
    };
    m.string(out)
}

pub(crate) fn register(r: &mut Registry) {
    let s = || t(Type::String);
    let i = || t(Type::Int);
    let c = || t(Type::Char);
    const S: &str = "static:StringBuilder";
    r.method(S, ".ctor", vec![], sb_t(), new_builder);
    r.method(S, ".ctor", vec![s()], sb_t(), new_builder);
    r.method(S, ".ctor", vec![i()], sb_t(), new_builder);

    const B: &str = "StringBuilder";
    // Overloads are tried in order: char before int (a char converts to int), the typed ones
    // before object.
    r.mutator(B, "Append", vec![s()], sb_t(), append);
    r.mutator(B, "Append", vec![c()], sb_t(), append);
    r.mutator(
        B,
        "Append",
        vec![t(Type::Array(Box::new(Type::Char)))],
        sb_t(),
        append_chars,
    );
    r.mutator(B, "Append", vec![c(), i()], sb_t(), append_repeat);
    for ty in [
        Type::Bool,
        Type::Int,
        Type::Long,
        Type::Double,
        Type::Object,
    ] {
        r.mutator(B, "Append", vec![t(ty)], sb_t(), append);
    }
    r.mutator(B, "AppendLine", vec![], sb_t(), append_line);
    r.mutator(B, "AppendLine", vec![s()], sb_t(), append_line);
    r.mutator(
        B,
        "AppendFormat",
        vec![s(), P::Params(Type::Object)],
        sb_t(),
        append_format,
    );
    r.mutator(B, "Insert", vec![i(), s()], sb_t(), insert);
    r.mutator(B, "Insert", vec![i(), c()], sb_t(), insert);
    r.mutator(B, "Remove", vec![i(), i()], sb_t(), remove);
    r.mutator(B, "Replace", vec![s(), s()], sb_t(), replace);
    r.mutator(B, "Replace", vec![c(), c()], sb_t(), replace);
    r.mutator(B, "Clear", vec![], sb_t(), clear);
    r.prop(B, "Length", Type::Int, |m, a, _| {
        Ok(Value::Int(scanned(m, &a[0])?.chars().count() as i32))
    });
    r.method(B, "[]", vec![i()], Type::Char, |m, a, _| {
        let s = scanned(m, &a[0])?;
        match usize::try_from(int_arg(&a[1]))
            .ok()
            .and_then(|i| s.chars().nth(i))
        {
            Some(c) => Ok(Value::Char(c)),
            None => fail(
                ErrorKind::IndexOutOfRange,
                "index was outside the bounds of the array",
            ),
        }
    });
    r.method(B, "ToString", vec![], Type::String, to_string);
    r.method(B, "ToString", vec![i(), i()], Type::String, to_string);
    // `StringBuilder.Equals(StringBuilder)` compares contents (and, on .NET Framework,
    // capacities): not the reference equality `object.Equals` gives.
    r.method(B, "Equals", vec![t(sb_t())], Type::Bool, |_, _, _| {
        fail(
            ErrorKind::NotSupported,
            "Tollgate does not support StringBuilder.Equals(StringBuilder) yet: compare ToString() results",
        )
    });
}
