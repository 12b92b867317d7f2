//! `Newtonsoft.Json.JsonConvert`: `SerializeObject` and `DeserializeObject`, the two members
//! Azure allows, through the same tokens as `JToken.FromObject` and `JToken.Parse`.

use super::json::{Json, from_json, parse, text, to_json};
use super::{P, Registry, int_arg, str_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::types::{J, Type};
use crate::csharp::value::{ErrorKind, EvalError, Value, fail};

type Res = Result<Value, EvalError>;

/// The type arguments `DeserializeObject<T>` accepts.
pub(crate) fn deserializable(t: &Type) -> bool {
    matches!(
        t.strip_nullable(),
        Type::Json(J::Token | J::Object | J::Array | J::Value)
            | Type::Object
            | Type::String
            | Type::Int
            | Type::Long
            | Type::Double
            | Type::Bool
    )
}

fn serialize(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let indented = a.get(1).is_some_and(|f| int_arg(f) != 0);
    // Newtonsoft writes these differently from their `JToken.FromObject` form:
    // `KeyValuePair` as `{"Key":…,"Value":…}`, dates without trailing zero digits.
    if let Value::Pair(_) | Value::DateTime(_) = a[0] {
        return fail(
            ErrorKind::NotSupported,
            "JsonConvert.SerializeObject of a date or a key/value pair is not supported",
        );
    }
    m.step(1)?;
    let token = to_json(m, &a[0])?;
    let text = text(m, &token, indented)?;
    m.string(text)
}

fn deserialize(m: &mut Machine<'_>, a: &mut [Value], g: Option<&Type>) -> Res {
    let text = str_arg(&a[0])?;
    let kind = match g {
        Some(Type::Json(k)) => *k,
        _ => J::Token,
    };
    let token = parse(m, &text, kind)?;
    match g {
        Some(ty) => from_json(m, Some(&token), ty),
        // Without a type: containers as tokens, scalars as .NET values.
        None => Ok(match token {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(b),
            Json::Int(i) => Value::Long(i),
            Json::Float(f) => Value::Double(f),
            Json::Str(s) => Value::Str(s),
            container => Value::Json(container),
        }),
    }
}

pub(crate) fn register(r: &mut Registry) {
    const JC: &str = "static:JsonConvert";
    let formatting = || t(Type::Named("Formatting"));
    r.method(
        JC,
        "SerializeObject",
        vec![t(Type::Object)],
        Type::String,
        serialize,
    );
    r.method(
        JC,
        "SerializeObject",
        vec![t(Type::Object), formatting()],
        Type::String,
        serialize,
    );
    r.method(
        JC,
        "DeserializeObject",
        vec![t(Type::String)],
        Type::Object,
        deserialize,
    );
    r.generic(
        JC,
        "DeserializeObject",
        vec![P::T(Type::String)],
        deserialize,
    );
}
