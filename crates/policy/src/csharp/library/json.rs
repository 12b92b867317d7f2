//! Newtonsoft.Json.Linq as policy authors use it: `JObject`, `JArray`, `JToken`, `JValue`,
//! `JProperty`, backed by an immutable tree with shared (`Arc`) containers.
//!
//! Values are copy-on-write: a mutating member (`obj["a"] = …`, `Add`, `Remove`) changes the
//! local variable it is called on (the checker writes the receiver back), and the checker
//! refuses mutations whose effect would differ from .NET's shared references (see
//! `check.rs`, "JSON mutation"). Trees are at most [`MAX_DEPTH`] deep, so every recursion
//! here (printing, conversion, dropping) is bounded.

use std::sync::Arc;

use super::budget::{self, pass};
use super::{Registry, int_arg, null_ref, str_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::types::{J, Type};
use crate::csharp::value::{ErrorKind, EvalError, Value, fail, format_double};

type Res = Result<Value, EvalError>;

/// The deepest nesting of JSON containers (Newtonsoft's default `MaxDepth` is 64).
pub(crate) const MAX_DEPTH: u8 = 64;

/// A JSON token.
#[derive(Debug, Clone)]
pub enum Json {
    /// `null`.
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(Arc<str>),
    /// An array.
    Array(Arc<JList>),
    /// An object (properties in order).
    Object(Arc<JMap>),
}

/// The items of a JSON array.
#[derive(Debug, Clone, Default)]
pub struct JList {
    /// Items.
    pub items: Vec<Json>,
    depth: u8,
}

/// The properties of a JSON object.
#[derive(Debug, Clone, Default)]
pub struct JMap {
    /// Properties in order.
    pub entries: Vec<(Arc<str>, Json)>,
    depth: u8,
}

impl JMap {
    /// The index of a property, counting the entries searched.
    fn position(&self, m: &mut Machine<'_>, k: &str) -> Result<Option<usize>, EvalError> {
        let i = self.entries.iter().position(|(n, _)| &**n == k);
        budget::search(m, i.map_or(self.entries.len(), |i| i + 1))?;
        Ok(i)
    }

    /// A property's value, counting the entries searched.
    pub(crate) fn lookup(&self, m: &mut Machine<'_>, k: &str) -> Result<Option<&Json>, EvalError> {
        Ok(self.position(m, k)?.map(|i| &self.entries[i].1))
    }
}

fn too_deep<T>() -> Result<T, EvalError> {
    fail(
        ErrorKind::Argument,
        format!("JSON nesting is limited to {MAX_DEPTH} levels"),
    )
}

impl Json {
    /// Reference equality of two tokens (containers by identity; scalars are never equal).
    pub(crate) fn same(&self, other: &Json) -> bool {
        match (self, other) {
            (Json::Array(a), Json::Array(b)) => Arc::ptr_eq(a, b),
            (Json::Object(a), Json::Object(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Nesting depth (0 for scalars).
    fn depth(&self) -> u8 {
        match self {
            Json::Array(a) => a.depth,
            Json::Object(o) => o.depth,
            _ => 0,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "Null",
            Json::Bool(_) => "Boolean",
            Json::Int(_) => "Integer",
            Json::Float(_) => "Float",
            Json::Str(_) => "String",
            Json::Array(_) => "Array",
            Json::Object(_) => "Object",
        }
    }

    /// `JToken.ToString()`: containers as indented JSON, scalars as .NET writes their value.
    pub(crate) fn to_dotnet_string(&self) -> String {
        match self {
            Json::Null => String::new(),
            Json::Bool(b) => if *b { "True" } else { "False" }.into(),
            Json::Int(i) => i.to_string(),
            Json::Float(f) => format_double(*f),
            Json::Str(s) => s.to_string(),
            _ => self.to_json(true),
        }
    }

    /// The JSON text (Newtonsoft's `Formatting.Indented`: two spaces, `": "`), not counted:
    /// for tokens whose size was counted when they were made (see [`text`]).
    pub(crate) fn to_json(&self, indented: bool) -> String {
        let mut out = String::new();
        let _ = write(self, indented.then_some(0), &mut out, &mut |_, _| Ok(()));
        out
    }

    /// An object from properties.
    pub(crate) fn object(entries: Vec<(Arc<str>, Json)>) -> Result<Json, EvalError> {
        let depth = entries.iter().map(|(_, v)| v.depth()).max().unwrap_or(0) + 1;
        if depth > MAX_DEPTH {
            return too_deep();
        }
        Ok(Json::Object(Arc::new(JMap { entries, depth })))
    }

    /// An array from items.
    pub(crate) fn array(items: Vec<Json>) -> Result<Json, EvalError> {
        let depth = items.iter().map(Json::depth).max().unwrap_or(0) + 1;
        if depth > MAX_DEPTH {
            return too_deep();
        }
        Ok(Json::Array(Arc::new(JList { items, depth })))
    }
}

/// Counts writing a token: called before each token with the length written so far and the
/// bytes of the strings (value or property names) the token is about to write.
type Charge<'c> = dyn FnMut(usize, usize) -> Result<(), EvalError> + 'c;

/// The JSON text of a token, counting a step per token and the bytes written (a tree whose
/// containers are shared can be far larger written out than held).
pub(crate) fn text(m: &mut Machine<'_>, j: &Json, indented: bool) -> Result<String, EvalError> {
    let mut out = String::new();
    write(j, indented.then_some(0), &mut out, &mut |len, add| {
        m.step(1)?;
        m.scan(add)?;
        m.room(len + add)
    })?;
    Ok(out)
}

/// Counts the steps of writing a token's text, as [`text`] does, but not its size (for a
/// program's result, which its caller writes; written here without indentation, which
/// adds at most two bytes a level to each token).
pub(crate) fn count_text(m: &mut Machine<'_>, j: &Json) -> Result<(), EvalError> {
    write(j, None, &mut String::new(), &mut |_, add| {
        m.step(1)?;
        m.scan(add)
    })
}

/// `JToken.ToString()` ([`Json::to_dotnet_string`]), counted.
pub(crate) fn dotnet_text(m: &mut Machine<'_>, j: &Json) -> Result<String, EvalError> {
    match j {
        Json::Array(_) | Json::Object(_) => text(m, j, true),
        Json::Str(s) => {
            m.room(s.len())?;
            m.scan(s.len())?;
            Ok(s.to_string())
        }
        other => Ok(other.to_dotnet_string()),
    }
}

fn write(
    j: &Json,
    indent: Option<usize>,
    out: &mut String,
    charge: &mut Charge<'_>,
) -> Result<(), EvalError> {
    charge(
        out.len(),
        match j {
            Json::Str(s) => s.len(),
            _ => 0,
        },
    )?;
    let newline = |out: &mut String, level: usize| {
        out.push('\n');
        for _ in 0..level {
            out.push_str("  ");
        }
    };
    match j {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(i) => out.push_str(&i.to_string()),
        Json::Float(f) => out.push_str(&json_float(*f)),
        Json::Str(s) => quote(s, out),
        Json::Array(a) => {
            if a.items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, v) in a.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(l) = indent {
                    newline(out, l + 1);
                }
                write(v, indent.map(|l| l + 1), out, charge)?;
            }
            if let Some(l) = indent {
                newline(out, l);
            }
            out.push(']');
        }
        Json::Object(o) => {
            if o.entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, v)) in o.entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(l) = indent {
                    newline(out, l + 1);
                }
                charge(out.len(), k.len())?;
                quote(k, out);
                out.push_str(if indent.is_some() { ": " } else { ":" });
                write(v, indent.map(|l| l + 1), out, charge)?;
            }
            if let Some(l) = indent {
                newline(out, l);
            }
            out.push('}');
        }
    }
    Ok(())
}

/// A double as Newtonsoft writes it: .NET's round-trip digits, with `.0` for integral values.
fn json_float(f: f64) -> String {
    let s = format_double(f);
    if s.contains(['.', 'E', 'N', 'I']) {
        s
    } else {
        s + ".0"
    }
}

/// A JSON string literal, escaped as Newtonsoft does (control characters as `\u00xx`).
fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses JSON text (`JToken.Parse`); `want` restricts the token kind.
pub(crate) fn parse(m: &mut Machine<'_>, text: &str, want: J) -> Result<Json, EvalError> {
    m.alloc(text.len())?;
    m.scan(text.len())?;
    let v: serde_json::Value = serde_json::from_str(text)
        .or_else(|e| fail(ErrorKind::JsonReader, format!("error reading JSON: {e}")))?;
    let j = from_serde(v, 0)?;
    let ok = match want {
        J::Object => matches!(j, Json::Object(_)),
        J::Array => matches!(j, Json::Array(_)),
        _ => true,
    };
    if !ok {
        let (what, start) = if want == J::Object {
            ("JObject", "an object")
        } else {
            ("JArray", "an array")
        };
        return fail(
            ErrorKind::JsonReader,
            format!(
                "error reading {what} from JsonReader: the current item is not {start}: {}",
                j.kind()
            ),
        );
    }
    Ok(j)
}

fn from_serde(v: serde_json::Value, depth: u8) -> Result<Json, EvalError> {
    if depth > MAX_DEPTH {
        return fail(
            ErrorKind::JsonReader,
            format!("the JSON is nested deeper than {MAX_DEPTH} levels"),
        );
    }
    Ok(match v {
        serde_json::Value::Null => Json::Null,
        serde_json::Value::Bool(b) => Json::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Json::Int(i),
            None => Json::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Json::Str(Arc::from(s)),
        serde_json::Value::Array(a) => {
            let mut items = Vec::with_capacity(a.len());
            for x in a {
                items.push(from_serde(x, depth + 1)?);
            }
            Json::array(items)
                .or_else(|_| fail(ErrorKind::JsonReader, "the JSON is nested too deeply"))?
        }
        serde_json::Value::Object(o) => {
            let mut entries = Vec::with_capacity(o.len());
            for (k, x) in o {
                entries.push((Arc::from(k), from_serde(x, depth + 1)?));
            }
            Json::object(entries)
                .or_else(|_| fail(ErrorKind::JsonReader, "the JSON is nested too deeply"))?
        }
    })
}

/// A value as a JSON token (Newtonsoft's implicit conversions and `JToken.FromObject`),
/// counting a step and the memory of each item of the containers it makes.
pub(crate) fn to_json(m: &mut Machine<'_>, v: &Value) -> Result<Json, EvalError> {
    convert(v, 0, &mut |n| {
        m.step(n as u64)?;
        m.alloc(n.saturating_mul(std::mem::size_of::<Json>()))
    })
}

/// [`to_json`] for a value whose size was counted already (a decoded JWT's claims).
pub(crate) fn to_json_counted(v: &Value) -> Result<Json, EvalError> {
    convert(v, 0, &mut |_| Ok(()))
}

/// [`to_json`] at a nesting depth, with `charge` told the number of items of each container
/// before it is made. A container nested deeper than [`MAX_DEPTH`] fails before its items
/// are converted (so that the recursion stays bounded).
fn convert(
    v: &Value,
    depth: u8,
    charge: &mut dyn FnMut(usize) -> Result<(), EvalError>,
) -> Result<Json, EvalError> {
    if matches!(v, Value::Array(_) | Value::Dict(_) | Value::Pair(_)) {
        if depth >= MAX_DEPTH {
            return too_deep();
        }
        charge(match v {
            Value::Array(items) => items.len(),
            Value::Dict(d) => d.entries.len(),
            _ => 1,
        })?;
    }
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Int(*i as i64),
        Value::Long(i) => Json::Int(*i),
        Value::Double(d) => Json::Float(*d),
        Value::Char(c) => Json::Str(Arc::from(c.to_string())),
        Value::Str(s) => Json::Str(s.clone()),
        Value::Json(j) => j.clone(),
        Value::DateTime(t) => Json::Str(Arc::from(super::time::format_datetime(*t, "o"))),
        Value::Guid(_) | Value::TimeSpan(_) => Json::Str(v.to_arc_str()),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items.iter() {
                out.push(convert(i, depth + 1, charge)?);
            }
            Json::array(out)?
        }
        Value::Dict(d) => {
            let mut out = Vec::with_capacity(d.entries.len());
            for (k, x) in &d.entries {
                out.push((k.clone(), convert(x, depth + 1, charge)?));
            }
            Json::object(out)?
        }
        Value::Pair(p) => Json::object(vec![(p.0.clone(), convert(&p.1, depth + 1, charge)?)])?,
        _ => {
            return fail(
                ErrorKind::Argument,
                format!("could not determine the JSON object type for '{v}'"),
            );
        }
    })
}

fn cannot(j: &Json, to: &str) -> Res {
    fail(
        ErrorKind::Argument,
        format!("can not convert {} to {to}", j.kind()),
    )
}

/// An explicit conversion of a token (`(string)tok`, `(int)tok`, `Value<T>`): `None` as the
/// token is a missing one (C# `null`). Reading a number, a bool or a date from a string
/// counts a pass over it.
pub(crate) fn from_json(m: &mut Machine<'_>, j: Option<&Json>, ty: &Type) -> Res {
    if let Some(Json::Str(s)) = j
        && !matches!(
            ty.strip_nullable(),
            Type::String | Type::Json(_) | Type::Object
        )
    {
        m.scan(s.len())?;
    }
    let Some(j) = j else {
        return if ty.is_reference() {
            Ok(Value::Null)
        } else {
            fail(
                ErrorKind::NullReference,
                "object reference not set to an instance of an object",
            )
        };
    };
    if matches!(j, Json::Null) && (ty.is_reference() || matches!(ty, Type::Nullable(_))) {
        return Ok(match ty {
            Type::Json(_) | Type::Object => Value::Json(Json::Null),
            _ => Value::Null,
        });
    }
    let num_str = |s: &str| -> Result<f64, EvalError> { super::numbers::parse_double(s) };
    Ok(match ty.strip_nullable() {
        Type::Json(k) => {
            let ok = match k {
                J::Token => true,
                J::Object => matches!(j, Json::Object(_)),
                J::Array => matches!(j, Json::Array(_)),
                J::Value => !matches!(j, Json::Object(_) | Json::Array(_)),
                J::Property => false,
            };
            if !ok {
                return fail(
                    ErrorKind::InvalidCast,
                    format!("unable to cast a JSON {} to {ty}", j.kind()),
                );
            }
            Value::Json(j.clone())
        }
        Type::Object => Value::Json(j.clone()),
        Type::String => match j {
            Json::Str(s) => Value::Str(s.clone()),
            Json::Object(_) | Json::Array(_) => return cannot(j, "String"),
            other => Value::from(other.to_dotnet_string()),
        },
        Type::Bool => match j {
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::Bool(*i != 0),
            Json::Float(f) => Value::Bool(*f != 0.0),
            Json::Str(s) => Value::Bool(super::numbers::parse_bool(s)?),
            _ => return cannot(j, "Boolean"),
        },
        t @ (Type::Int | Type::Long | Type::Byte) => {
            let wide: i64 = match j {
                Json::Int(i) => *i,
                Json::Bool(b) => *b as i64,
                Json::Float(f) => {
                    let r = f.round_ties_even();
                    if !(-9.2e18..9.2e18).contains(&r) {
                        return fail(
                            ErrorKind::Overflow,
                            "value was either too large or too small",
                        );
                    }
                    r as i64
                }
                Json::Str(s) => super::numbers::parse_int(s)?,
                _ => return cannot(j, "Int32"),
            };
            if *t == Type::Long {
                Value::Long(wide)
            } else {
                let range = if *t == Type::Byte {
                    0..=255
                } else {
                    i32::MIN as i64..=i32::MAX as i64
                };
                if !range.contains(&wide) {
                    return fail(
                        ErrorKind::Overflow,
                        "value was either too large or too small for an Int32",
                    );
                }
                Value::Int(wide as i32)
            }
        }
        Type::Double => match j {
            Json::Int(i) => Value::Double(*i as f64),
            Json::Float(f) => Value::Double(*f),
            Json::Bool(b) => Value::Double(*b as i32 as f64),
            Json::Str(s) => Value::Double(num_str(s)?),
            _ => return cannot(j, "Double"),
        },
        Type::DateTime => match j {
            Json::Str(s) => match super::time::parse_datetime(s) {
                Some(t) => Value::DateTime(t),
                None => return fail(ErrorKind::Format, "the string is not a valid DateTime"),
            },
            _ => return cannot(j, "DateTime"),
        },
        _ => {
            return fail(
                ErrorKind::InvalidCast,
                format!("can not convert a JSON {} to {ty}", j.kind()),
            );
        }
    })
}

/// Whether a token is of a token type (`is JObject`).
pub(crate) fn is_kind(j: &Json, k: J) -> bool {
    match k {
        J::Token => true,
        J::Object => matches!(j, Json::Object(_)),
        J::Array => matches!(j, Json::Array(_)),
        J::Value => !matches!(j, Json::Object(_) | Json::Array(_)),
        J::Property => false,
    }
}

/// The table keys of a token type.
pub(crate) fn keys(j: J) -> &'static [&'static str] {
    match j {
        J::Object => &["json:object", "json:token", "seq"],
        J::Array => &["json:array", "json:token", "seq"],
        J::Token | J::Value => &["json:token"],
        J::Property => &["json:property"],
    }
}

fn tok(v: &Value) -> Result<&Json, EvalError> {
    match v {
        Value::Json(j) => Ok(j),
        Value::Null => null_ref(),
        _ => fail(ErrorKind::InvalidCast, "the value is not a JSON token"),
    }
}

/// `token[key]`: a property of an object (missing → null) or an item of an array.
fn child<'a>(m: &mut Machine<'_>, j: &'a Json, key: &Value) -> Result<Option<&'a Json>, EvalError> {
    match (j, key) {
        (Json::Object(o), Value::Str(k)) => o.lookup(m, k),
        (Json::Array(a), Value::Int(i)) => {
            match usize::try_from(*i).ok().and_then(|i| a.items.get(i)) {
                Some(x) => Ok(Some(x)),
                None => fail(
                    ErrorKind::ArgumentOutOfRange,
                    "index was out of range: must be non-negative and less than the size of the collection",
                ),
            }
        }
        (Json::Object(_), _) => fail(
            ErrorKind::Argument,
            "accessed JObject values with an invalid key value: object property names must be strings",
        ),
        (Json::Array(_), _) => fail(
            ErrorKind::Argument,
            "accessed JArray values with an invalid key value: array indexes must be integers",
        ),
        (other, _) => fail(
            ErrorKind::InvalidOperation,
            format!("cannot access child value on a JSON {}", other.kind()),
        ),
    }
}

fn opt_json(j: Option<&Json>) -> Value {
    j.map_or(Value::Null, |j| Value::Json(j.clone()))
}

fn index(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let j = tok(&a[0])?;
    Ok(opt_json(child(m, j, &a[1])?))
}

fn value_of(m: &mut Machine<'_>, a: &mut [Value], g: Option<&Type>) -> Res {
    let j = tok(&a[0])?;
    let ty = g.cloned().unwrap_or(Type::Object);
    match a.get(1) {
        Some(k) => {
            let c = child(m, j, k)?;
            from_json(m, c, &ty)
        }
        None => from_json(m, Some(j), &ty),
    }
}

fn to_string_fmt(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let j = tok(&a[0])?;
    let indented = int_arg(&a[1]) != 0;
    let s = text(m, j, indented)?;
    m.string(s)
}

/// Counts copying a shared container before it is changed (copy-on-write).
fn copy_on_write<T: Clone>(
    m: &mut Machine<'_>,
    c: &mut Arc<T>,
    bytes: fn(&T) -> usize,
) -> Result<(), EvalError> {
    if Arc::get_mut(c).is_none() {
        let n = bytes(c);
        m.scan(n)?;
        m.alloc(n)?;
    }
    Ok(())
}

fn object_of<'v>(m: &mut Machine<'_>, v: &'v mut Value) -> Result<&'v mut JMap, EvalError> {
    match v {
        Value::Json(Json::Object(o)) => {
            copy_on_write(m, o, |o| std::mem::size_of_val(&o.entries[..]))?;
            Ok(Arc::make_mut(o))
        }
        Value::Null => null_ref(),
        _ => fail(ErrorKind::InvalidCast, "the value is not a JObject"),
    }
}

fn array_of<'v>(m: &mut Machine<'_>, v: &'v mut Value) -> Result<&'v mut JList, EvalError> {
    match v {
        Value::Json(Json::Array(l)) => {
            copy_on_write(m, l, |l| std::mem::size_of_val(&l.items[..]))?;
            Ok(Arc::make_mut(l))
        }
        Value::Null => null_ref(),
        _ => fail(ErrorKind::InvalidCast, "the value is not a JArray"),
    }
}

/// Sets `root[k1][k2]…[kn] = value` (args: root, value, keys…), copying on write; the new
/// root is left in `args[0]`.
pub(crate) fn set_path(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let value = to_json(m, &a[1])?;
    let keys: Vec<Value> = a[2..].to_vec();
    m.step(keys.len() as u64)?;
    let Value::Json(root) = &mut a[0] else {
        return null_ref();
    };
    set_in(m, root, &keys, value.clone())?;
    Ok(Value::Json(value))
}

/// Sets a value in a token, counting at each level the search, the copy of a shared
/// container and the pass that recomputes its depth.
fn set_in(m: &mut Machine<'_>, j: &mut Json, keys: &[Value], value: Json) -> Result<(), EvalError> {
    let Some((k, rest)) = keys.split_first() else {
        *j = value;
        return Ok(());
    };
    match (j, k) {
        (Json::Object(o), Value::Str(name)) => {
            copy_on_write(m, o, |o| std::mem::size_of_val(&o.entries[..]))?;
            let o = Arc::make_mut(o);
            match o.position(m, name)? {
                Some(i) => set_in(m, &mut o.entries[i].1, rest, value)?,
                None if rest.is_empty() => o.entries.push((name.clone(), value)),
                None => return null_ref(),
            }
            pass(m, &o.entries)?;
            o.depth = o.entries.iter().map(|(_, v)| v.depth()).max().unwrap_or(0) + 1;
            if o.depth > MAX_DEPTH {
                return too_deep();
            }
            Ok(())
        }
        (Json::Array(a), Value::Int(i)) => {
            copy_on_write(m, a, |l| std::mem::size_of_val(&l.items[..]))?;
            let a = Arc::make_mut(a);
            let Some(slot) = usize::try_from(*i).ok().and_then(|i| a.items.get_mut(i)) else {
                return fail(ErrorKind::ArgumentOutOfRange, "index was out of range");
            };
            set_in(m, slot, rest, value)?;
            pass(m, &a.items)?;
            a.depth = a.items.iter().map(Json::depth).max().unwrap_or(0) + 1;
            if a.depth > MAX_DEPTH {
                return too_deep();
            }
            Ok(())
        }
        (j, k) => child(m, j, k).and_then(|_| {
            fail(
                ErrorKind::InvalidOperation,
                "cannot set a child value of this token",
            )
        }),
    }
}

fn obj_add(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let name = str_arg(&a[1])?;
    let value = to_json(m, &a[2])?;
    add_property(m, &mut a[0], name, value)
}

/// `o.Add(new JProperty(name, value))`.
fn obj_add_property(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let Value::Pair(p) = &a[1] else {
        return fail(
            ErrorKind::Argument,
            "can not add a null value to a JObject: only JProperty items can be added",
        );
    };
    let (name, value) = (p.0.clone(), to_json(m, &p.1)?);
    add_property(m, &mut a[0], name, value)
}

fn add_property(m: &mut Machine<'_>, object: &mut Value, name: Arc<str>, value: Json) -> Res {
    let o = object_of(m, object)?;
    if o.position(m, &name)?.is_some() {
        return fail(
            ErrorKind::Argument,
            format!(
                "can not add property {name} to Newtonsoft.Json.Linq.JObject: a property with the same name already exists"
            ),
        );
    }
    if value.depth() >= MAX_DEPTH {
        return too_deep();
    }
    o.depth = o.depth.max(value.depth() + 1);
    o.entries.push((name, value));
    Ok(Value::Null)
}

fn obj_remove(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let name = str_arg(&a[1])?;
    let o = object_of(m, &mut a[0])?;
    pass(m, &o.entries)?;
    let before = o.entries.len();
    o.entries.retain(|(n, _)| *n != name);
    Ok(Value::Bool(o.entries.len() != before))
}

/// `Children()`: the items of an array. An object's children are `JProperty` tokens, which
/// Tollgate does not hold as tokens: enumerating an object as `JToken` is an error that names
/// the way that works (`Properties()`, or a cast to `JObject`).
fn children(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    match tok(&a[0])? {
        Json::Array(l) => {
            m.step(l.items.len() as u64)?;
            m.array(l.items.iter().cloned().map(Value::Json).collect())
        }
        Json::Object(_) => fail(
            ErrorKind::NotSupported,
            "enumerating a JObject as JToken children (JProperty tokens) is not supported; use Properties() or cast it to JObject",
        ),
        other => fail(
            ErrorKind::InvalidOperation,
            format!("cannot access child value on a JSON {}", other.kind()),
        ),
    }
}

/// `token.First` / `token.Last`: an array's first or last item (null when empty).
fn edge_child(a: &[Value], first: bool) -> Res {
    match tok(&a[0])? {
        Json::Array(l) => {
            let item = if first {
                l.items.first()
            } else {
                l.items.last()
            };
            Ok(item.map_or(Value::Null, |j| Value::Json(j.clone())))
        }
        Json::Object(_) => fail(
            ErrorKind::NotSupported,
            "First and Last of a JObject (JProperty tokens) are not supported; use Properties()",
        ),
        other => fail(
            ErrorKind::InvalidOperation,
            format!("cannot access child value on a JSON {}", other.kind()),
        ),
    }
}

/// `o.Property(name).Remove()`, which the checker reads as one mutation of `o` (a property
/// is not a separate object here); the member's name cannot be written in source.
pub(crate) const PROPERTY_REMOVE: &str = "Property(…).Remove";

fn property_remove(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let name = str_arg(&a[1])?;
    let o = object_of(m, &mut a[0])?;
    match o.position(m, &name)? {
        Some(i) => {
            pass(m, &o.entries[i..])?;
            o.entries.remove(i);
            Ok(Value::Null)
        }
        // `Property(name)` is null: .NET's `Remove()` on it throws.
        None => null_ref(),
    }
}

fn arr_add(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let value = to_json(m, &a[1])?;
    let l = array_of(m, &mut a[0])?;
    if value.depth() >= MAX_DEPTH {
        return too_deep();
    }
    l.depth = l.depth.max(value.depth() + 1);
    l.items.push(value);
    Ok(Value::Null)
}

fn arr_remove_at(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let i = int_arg(&a[1]);
    let l = array_of(m, &mut a[0])?;
    match usize::try_from(i).ok().filter(|i| *i < l.items.len()) {
        Some(i) => {
            pass(m, &l.items[i..])?;
            l.items.remove(i);
            Ok(Value::Null)
        }
        None => fail(ErrorKind::ArgumentOutOfRange, "index is out of range"),
    }
}

fn count(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    Ok(Value::Int(match tok(&a[0])? {
        Json::Object(o) => o.entries.len() as i32,
        Json::Array(l) => l.items.len() as i32,
        _ => 0,
    }))
}

fn property(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let name = str_arg(&a[1])?;
    let Json::Object(o) = tok(&a[0])? else {
        return null_ref();
    };
    Ok(o.lookup(m, &name)?.map_or(Value::Null, |v| {
        Value::Pair(Arc::new((name.clone(), Value::Json(v.clone()))))
    }))
}

fn properties(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let Json::Object(o) = tok(&a[0])? else {
        return null_ref();
    };
    m.step(o.entries.len() as u64)?;
    let items = o
        .entries
        .iter()
        .map(|(k, v)| Value::Pair(Arc::new((k.clone(), Value::Json(v.clone())))))
        .collect();
    m.array(items)
}

/// The items of a JSON container as values (arrays: tokens; objects: key/value pairs).
pub(crate) fn items(j: &Json) -> Result<Arc<[Value]>, EvalError> {
    Ok(match j {
        Json::Array(a) => a.items.iter().cloned().map(Value::Json).collect(),
        Json::Object(o) => o
            .entries
            .iter()
            .map(|(k, v)| Value::Pair(Arc::new((k.clone(), Value::Json(v.clone())))))
            .collect(),
        other => {
            return fail(
                ErrorKind::InvalidOperation,
                format!("cannot access child value on a JSON {}", other.kind()),
            );
        }
    })
}

/// The items of a sequence cast to a token type (`foreach (JObject o in array)`).
pub(crate) fn cast_items(m: &mut Machine<'_>, a: &mut [Value], g: Option<&Type>) -> Res {
    let items = budget::items(m, &a[0])?;
    m.step(items.len() as u64)?;
    let ty = g.cloned().unwrap_or(Type::Object);
    let mut out = Vec::with_capacity(items.len());
    for i in items.iter() {
        out.push(match i {
            Value::Json(j) => from_json(m, Some(j), &ty)?,
            other => super::convert::cast(other.clone(), &ty)?,
        });
    }
    m.array(out)
}

/// `SelectToken(path)`: the one token a JSONPath selects, or null.
fn select_token(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let path = str_arg(&a[1])?;
    let mut found = super::json_path::select(m, tok(&a[0])?, &path)?;
    match found.len() {
        0 => Ok(Value::Null),
        1 => Ok(Value::Json(found.remove(0))),
        _ => fail(ErrorKind::Json, "path returned multiple tokens"),
    }
}

/// `SelectTokens(path)`: every token a JSONPath selects.
fn select_tokens(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let path = str_arg(&a[1])?;
    let found = super::json_path::select(m, tok(&a[0])?, &path)?;
    m.array(found.into_iter().map(Value::Json).collect())
}

fn parse_as(m: &mut Machine<'_>, a: &mut [Value], want: J) -> Res {
    let s = str_arg(&a[0])?;
    Ok(Value::Json(parse(m, &s, want)?))
}

/// `new JObject(…)` and `new JArray(…)`: a step for each item, a pass for each property's
/// check for duplicates, and the memory of the new container.
fn new_container(m: &mut Machine<'_>, a: &mut [Value], object: bool) -> Res {
    let args = match a.first() {
        Some(Value::Array(items)) => items.clone(),
        _ => Arc::from(Vec::new()),
    };
    m.step(args.len() as u64)?;
    if object {
        let mut entries: Vec<(Arc<str>, Json)> = Vec::new();
        for v in args.iter() {
            match v {
                Value::Pair(p) => {
                    let j = to_json(m, &p.1)?;
                    pass(m, &entries)?;
                    if entries.iter().any(|(k, _)| *k == p.0) {
                        return fail(
                            ErrorKind::Argument,
                            format!(
                                "can not add property {} to Newtonsoft.Json.Linq.JObject: a property with the same name already exists",
                                p.0
                            ),
                        );
                    }
                    entries.push((p.0.clone(), j));
                }
                Value::Json(Json::Object(o)) => {
                    m.step(o.entries.len() as u64)?;
                    entries.extend(o.entries.iter().cloned())
                }
                Value::Null => {}
                _ => {
                    return fail(
                        ErrorKind::Argument,
                        "can not add a value to a JObject: only JProperty items can be added",
                    );
                }
            }
        }
        m.alloc(std::mem::size_of_val(&entries[..]))?;
        Ok(Value::Json(Json::object(entries)?))
    } else {
        let mut items = Vec::new();
        for v in args.iter() {
            match v {
                // `new JArray(sequence)` adds the sequence's items.
                Value::Array(xs) => {
                    m.step(xs.len() as u64)?;
                    for x in xs.iter() {
                        items.push(to_json(m, x)?);
                    }
                }
                Value::Json(Json::Array(l)) if args.len() == 1 => {
                    m.step(l.items.len() as u64)?;
                    items.extend(l.items.iter().cloned())
                }
                v => items.push(to_json(m, v)?),
            }
        }
        m.alloc(std::mem::size_of_val(&items[..]))?;
        Ok(Value::Json(Json::array(items)?))
    }
}

pub(crate) fn register(r: &mut Registry) {
    let tk = || Type::Json(J::Token);
    let obj = || Type::Json(J::Object);
    let arr = || Type::Json(J::Array);
    let prop = || Type::Json(J::Property);
    let s = || Type::String;
    r.method("static:JObject", "Parse", vec![t(s())], obj(), |m, a, _| {
        parse_as(m, a, J::Object)
    });
    r.method("static:JArray", "Parse", vec![t(s())], arr(), |m, a, _| {
        parse_as(m, a, J::Array)
    });
    r.method("static:JToken", "Parse", vec![t(s())], tk(), |m, a, _| {
        parse_as(m, a, J::Token)
    });
    r.method(
        "static:JToken",
        "FromObject",
        vec![t(Type::Object)],
        tk(),
        |m, a, _| Ok(Value::Json(to_json(m, &a[0])?)),
    );
    r.method(
        "static:JObject",
        "FromObject",
        vec![t(Type::Object)],
        obj(),
        |m, a, _| match to_json(m, &a[0])? {
            j @ Json::Object(_) => Ok(Value::Json(j)),
            j => fail(
                ErrorKind::Argument,
                format!(
                    "object serialized to {}: JObject instance expected",
                    j.kind()
                ),
            ),
        },
    );
    r.method(
        "static:JObject",
        ".ctor",
        vec![super::P::Params(Type::Object)],
        obj(),
        |m, a, _| new_container(m, a, true),
    );
    r.method(
        "static:JArray",
        ".ctor",
        vec![super::P::Params(Type::Object)],
        arr(),
        |m, a, _| new_container(m, a, false),
    );
    r.method(
        "static:JProperty",
        ".ctor",
        vec![t(s()), t(Type::Object)],
        prop(),
        |m, a, _| {
            let name = str_arg(&a[0])?;
            Ok(Value::Pair(Arc::new((
                name,
                Value::Json(to_json(m, &a[1])?),
            ))))
        },
    );
    for (name, v) in [("None", 0), ("Indented", 1)] {
        let f: super::Native = if v == 0 {
            |_, _, _| Ok(Value::Int(0))
        } else {
            |_, _, _| Ok(Value::Int(1))
        };
        r.prop("static:Formatting", name, Type::Named("Formatting"), f);
    }
    macro_rules! kinds {
        ($($n:literal),*) => {$(
            r.prop("static:JTokenType", $n, Type::Named("JTokenType"), |_, _, _| Ok(Value::from($n)));
        )*};
    }
    kinds!(
        "None", "Object", "Array", "Property", "Integer", "Float", "String", "Boolean", "Null",
        "Date", "Guid", "Uri", "TimeSpan"
    );
    r.method("JTokenType", "ToString", vec![], s(), |_, a, _| {
        Ok(a[0].clone())
    });

    const T: &str = "json:token";
    r.method(T, "[]", vec![t(Type::Object)], tk(), index);
    r.generic(T, "Value", vec![t(Type::Object)], value_of);
    r.generic(T, "Value", vec![], value_of);
    r.generic(T, "ToObject", vec![], value_of);
    r.method(T, "ToString", vec![], s(), |m, a, _| {
        let s = dotnet_text(m, tok(&a[0])?)?;
        m.string(s)
    });
    r.method(
        T,
        "ToString",
        vec![t(Type::Named("Formatting"))],
        s(),
        to_string_fmt,
    );
    r.prop(T, "Type", Type::Named("JTokenType"), |_, a, _| {
        Ok(Value::from(tok(&a[0])?.kind()))
    });
    r.prop(T, "HasValues", Type::Bool, |_, a, _| {
        Ok(Value::Bool(match tok(&a[0])? {
            Json::Object(o) => !o.entries.is_empty(),
            Json::Array(l) => !l.items.is_empty(),
            _ => false,
        }))
    });
    r.method(T, "SelectToken", vec![t(s())], tk(), select_token);
    r.method(
        T,
        "SelectTokens",
        vec![t(s())],
        Type::Seq(Box::new(tk())),
        select_tokens,
    );

    const O: &str = "json:object";
    r.method(O, "[]", vec![t(s())], tk(), index);
    r.prop(O, "Count", Type::Int, count);
    r.method(O, "ContainsKey", vec![t(s())], Type::Bool, |m, a, _| {
        let name = str_arg(&a[1])?;
        Ok(Value::Bool(match tok(&a[0])? {
            Json::Object(o) => o.lookup(m, &name)?.is_some(),
            _ => false,
        }))
    });
    r.method(O, "GetValue", vec![t(s())], tk(), index);
    r.method(
        O,
        "TryGetValue",
        vec![t(s()), super::P::Out(tk())],
        Type::Bool,
        |m, a, _| {
            let name = str_arg(&a[1])?;
            let found = match tok(&a[0])? {
                Json::Object(o) => o.lookup(m, &name)?.cloned(),
                _ => None,
            };
            let yes = found.is_some();
            a[2] = found.map_or(Value::Null, Value::Json);
            Ok(Value::Bool(yes))
        },
    );
    r.method(O, "Property", vec![t(s())], prop(), property);
    r.method(
        O,
        "Properties",
        vec![],
        Type::Seq(Box::new(prop())),
        properties,
    );
    r.mutator(O, "Add", vec![t(s()), t(tk())], Type::Void, obj_add);
    r.mutator(O, "Remove", vec![t(s())], Type::Bool, obj_remove);
    r.mutator(O, "Add", vec![t(prop())], Type::Void, obj_add_property);
    r.prop(T, "First", tk(), |_, a, _| edge_child(a, true));
    r.prop(T, "Last", tk(), |_, a, _| edge_child(a, false));
    r.method(
        "json:token",
        "Children",
        vec![],
        Type::Seq(Box::new(tk())),
        children,
    );
    r.mutator(
        O,
        PROPERTY_REMOVE,
        vec![t(s())],
        Type::Void,
        property_remove,
    );

    const A: &str = "json:array";
    r.method(A, "[]", vec![t(Type::Int)], tk(), index);
    r.prop(A, "Count", Type::Int, count);
    r.mutator(A, "Add", vec![t(tk())], Type::Void, arr_add);
    r.mutator(A, "RemoveAt", vec![t(Type::Int)], Type::Void, arr_remove_at);

    const P: &str = "json:property";
    r.prop(P, "Name", s(), |_, a, _| match &a[0] {
        Value::Pair(p) => Ok(Value::Str(p.0.clone())),
        _ => null_ref(),
    });
    r.prop(P, "Value", tk(), |_, a, _| match &a[0] {
        Value::Pair(p) => Ok(p.1.clone()),
        _ => null_ref(),
    });
    r.method(P, "ToString", vec![], s(), |m, a, _| match &a[0] {
        Value::Pair(p) => {
            let mut out = String::new();
            m.scan(p.0.len())?;
            quote(&p.0, &mut out);
            out.push_str(": ");
            if let Value::Json(j) = &p.1 {
                out.push_str(&text(m, j, true)?);
            }
            m.string(out)
        }
        _ => null_ref(),
    });
}
