//! Conversions, equality, type tests, `Convert` and `Encoding`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{Registry, int_arg, null_ref, str_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::types::{Ctx, J, Type};
use crate::csharp::value::{CtxRef, ErrorKind, EvalError, Value, fail};
use std::sync::Arc;

/// The items of a sequence value (arrays, strings as chars, dictionaries as pairs).
pub(crate) fn items(v: &Value) -> Result<Arc<[Value]>, EvalError> {
    Ok(match v {
        Value::Array(a) => a.clone(),
        Value::Str(s) => s.chars().map(Value::Char).collect(),
        Value::Dict(d) => d
            .entries
            .iter()
            .map(|(k, v)| Value::Pair(Arc::new((k.clone(), v.clone()))))
            .collect(),
        Value::Json(j) => super::json::items(j)?,
        Value::Obj(o) => match o.items() {
            Some(items) => items,
            None => return fail(ErrorKind::InvalidCast, "the value is not a sequence"),
        },
        Value::Null => return null_ref(),
        _ => return fail(ErrorKind::InvalidCast, "the value is not a sequence"),
    })
}

/// C# equality of two values (numbers across kinds, strings ordinal).
pub(crate) fn equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Char(x), Value::Char(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Long(x), Value::Long(y)) => x == y,
        (
            Value::Double(_) | Value::Int(_) | Value::Long(_),
            Value::Double(_) | Value::Int(_) | Value::Long(_),
        ) => super::double_arg(a) == super::double_arg(b),
        (Value::DateTime(x), Value::DateTime(y)) | (Value::TimeSpan(x), Value::TimeSpan(y)) => {
            x == y
        }
        (Value::Guid(x), Value::Guid(y)) => x == y,
        (Value::DateTimeOffset { utc: x, .. }, Value::DateTimeOffset { utc: y, .. }) => x == y,
        (Value::Array(x), Value::Array(y)) => Arc::ptr_eq(x, y),
        (Value::Ctx(x), Value::Ctx(y)) => x == y,
        (Value::Encoding, Value::Encoding) => true,
        (Value::Json(x), Value::Json(y)) => x.same(y),
        (Value::Obj(x), Value::Obj(y)) => {
            Arc::ptr_eq(x, y) || super::uri::equal(x, y) || same_xml(x, y)
        }
        _ => false,
    }
}

/// Whether two LINQ to XML values are the same object (.NET atomizes names: equal by value).
fn same_xml(a: &super::crypto::Obj, b: &super::crypto::Obj) -> bool {
    match (a, b) {
        (super::crypto::Obj::Xml(x), super::crypto::Obj::Xml(y)) => x.same(y),
        _ => false,
    }
}

/// Whether a value is of a type (`is`).
pub(crate) fn is_type(v: &Value, ty: &Type) -> bool {
    match (v, ty.strip_nullable()) {
        (Value::Null, _) => false,
        (_, Type::Object) => true,
        (Value::Bool(_), Type::Bool)
        | (Value::Int(_), Type::Int)
        | (Value::Long(_), Type::Long)
        | (Value::Double(_), Type::Double)
        | (Value::Char(_), Type::Char)
        | (Value::Str(_), Type::String)
        | (Value::DateTime(_), Type::DateTime)
        | (Value::TimeSpan(_), Type::TimeSpan)
        | (Value::DateTimeOffset { .. }, Type::DateTimeOffset)
        | (Value::Guid(_), Type::Guid) => true,
        (Value::Array(a), Type::Array(e) | Type::List(e) | Type::Seq(e)) => {
            **e == Type::Object || a.iter().all(|x| matches!(x, Value::Null) || is_type(x, e))
        }
        (Value::Str(_), Type::Seq(e)) => **e == Type::Char,
        (Value::Json(j), Type::Json(k)) => super::json::is_kind(j, *k),
        (Value::Pair(p), Type::Json(J::Property)) => matches!(p.1, Value::Json(_)),
        (Value::Obj(o), Type::Named(n)) => o.is(n),
        (Value::Ctx(CtxRef::Response), Type::Ctx(Ctx::Response)) => true,
        (Value::Obj(o), Type::Ctx(Ctx::Response)) => o.type_name() == "IResponse",
        (Value::Str(_), Type::Named("JTokenType" | "DayOfWeek"))
        | (Value::Int(_), Type::Named("Formatting" | "SaveOptions")) => true,
        _ => false,
    }
}

/// A checked cast (unboxing) of a value to a type.
pub(crate) fn cast(v: Value, ty: &Type) -> Result<Value, EvalError> {
    if is_type(&v, ty) {
        return Ok(v);
    }
    if matches!(v, Value::Null) && ty.is_reference() {
        return Ok(v);
    }
    let from = match &v {
        Value::Int(_) => "System.Int32",
        Value::Long(_) => "System.Int64",
        Value::Double(_) => "System.Double",
        Value::Str(_) => "System.String",
        Value::Bool(_) => "System.Boolean",
        Value::Null => "null",
        _ => "the value's type",
    };
    fail(
        ErrorKind::InvalidCast,
        format!("unable to cast object of type '{from}' to type '{ty}'"),
    )
}

fn to_base64(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Result<Value, EvalError> {
    let bytes = super::budget::bytes_of(m, &a[0])?;
    let size = bytes.len().div_ceil(3) * 4;
    m.room(size)?;
    m.scan(size)?;
    m.string(STANDARD.encode(bytes))
}

/// A `byte[]` of `n` bytes fits (each byte is a value).
fn byte_array_room(m: &mut Machine<'_>, n: usize) -> Result<(), EvalError> {
    m.room(n.saturating_mul(std::mem::size_of::<Value>()))
}

fn from_base64(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Result<Value, EvalError> {
    let s = str_arg(&a[0])?;
    m.scan(2 * s.len())?;
    let cleaned: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = STANDARD
        .decode(cleaned.as_bytes())
        .or_else(|_| fail(ErrorKind::Format, "the input is not a valid Base-64 string"))?;
    byte_array_room(m, bytes.len())?;
    m.array(bytes.into_iter().map(|b| Value::Int(b as i32)).collect())
}

/// The bytes of a `byte[]` value.
pub(crate) fn bytes_of(v: &Value) -> Result<Vec<u8>, EvalError> {
    match v {
        Value::Array(a) => Ok(a.iter().map(|b| int_arg(b) as u8).collect()),
        Value::Null => null_ref(),
        _ => fail(ErrorKind::InvalidCast, "expected a byte array"),
    }
}

fn get_bytes(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Result<Value, EvalError> {
    let s = str_arg(&a[1])?;
    byte_array_room(m, s.len())?;
    m.scan(s.len())?;
    m.array(s.bytes().map(|b| Value::Int(b as i32)).collect())
}

fn get_string(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Result<Value, EvalError> {
    let bytes = super::budget::bytes_of(m, &a[1])?;
    m.room(bytes.len())?;
    m.scan(bytes.len())?;
    m.string(String::from_utf8_lossy(&bytes).into_owned())
}

fn to_string_any(
    m: &mut Machine<'_>,
    a: &mut [Value],
    _: Option<&Type>,
) -> Result<Value, EvalError> {
    match &a[0] {
        Value::Str(_) => Ok(a[0].clone()),
        Value::Null => Ok(Value::from("")),
        v => {
            let s = super::budget::text(m, v)?;
            m.string(s.to_string())
        }
    }
}

fn to_int32(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Result<Value, EvalError> {
    Ok(Value::Int(match &a[0] {
        Value::Null => 0,
        Value::Str(s) => {
            m.scan(s.len())?;
            super::numbers::parse_int(s)? as i32
        }
        Value::Double(d) => {
            let r = d.round_ties_even();
            if !(i32::MIN as f64..=i32::MAX as f64).contains(&r) {
                return fail(
                    ErrorKind::Overflow,
                    "value was either too large or too small for an Int32",
                );
            }
            r as i32
        }
        Value::Long(l) => i32::try_from(*l).or_else(|_| {
            fail(
                ErrorKind::Overflow,
                "value was either too large or too small for an Int32",
            )
        })?,
        Value::Bool(b) => *b as i32,
        v => int_arg(v),
    }))
}

fn to_bool(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Result<Value, EvalError> {
    Ok(Value::Bool(match &a[0] {
        Value::Null => false,
        Value::Str(s) => {
            m.scan(s.len())?;
            super::numbers::parse_bool(s)?
        }
        Value::Bool(b) => *b,
        v => super::double_arg(v) != 0.0,
    }))
}

fn encoding(_: &mut Machine<'_>, _: &mut [Value], _: Option<&Type>) -> Result<Value, EvalError> {
    Ok(Value::Encoding)
}

pub(crate) fn register(r: &mut Registry) {
    let bytes = || Type::Array(Box::new(Type::Byte));
    r.method(
        "static:Convert",
        "ToBase64String",
        vec![t(bytes())],
        Type::String,
        to_base64,
    );
    r.method(
        "static:Convert",
        "FromBase64String",
        vec![t(Type::String)],
        bytes(),
        from_base64,
    );
    r.method(
        "static:Convert",
        "ToString",
        vec![t(Type::Object)],
        Type::String,
        to_string_any,
    );
    r.method(
        "static:Convert",
        "ToInt32",
        vec![t(Type::Object)],
        Type::Int,
        to_int32,
    );
    r.method(
        "static:Convert",
        "ToBoolean",
        vec![t(Type::Object)],
        Type::Bool,
        to_bool,
    );
    for name in ["UTF8", "ASCII", "Unicode", "Default"] {
        r.prop("static:Encoding", name, Type::Encoding, encoding);
    }
    r.method(
        "Encoding",
        "GetBytes",
        vec![t(Type::String)],
        bytes(),
        get_bytes,
    );
    r.method(
        "Encoding",
        "GetString",
        vec![t(bytes())],
        Type::String,
        get_string,
    );
    r.method("object", "ToString", vec![], Type::String, to_string_any);
    r.method(
        "object",
        "Equals",
        vec![t(Type::Object)],
        Type::Bool,
        |m, a, _| {
            if matches!(a[0], Value::Null) {
                return null_ref();
            }
            Ok(Value::Bool(super::budget::equals(m, &a[0], &a[1])?))
        },
    );
}
