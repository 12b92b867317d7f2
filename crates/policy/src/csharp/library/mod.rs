//! The members expressions may use: one registry of tables per type, each member with its
//! signature and the Rust function that implements it. The checker accepts only members
//! found here, and the evaluator calls only the functions it resolved, so nothing reachable
//! at run time was not checked.

pub(crate) mod budget;
pub(crate) mod context;
pub(crate) mod convert;
pub(crate) mod crypto;
pub(crate) mod enumerable;
pub(crate) mod json;
pub(crate) mod json_convert;
pub(crate) mod json_path;
pub(crate) mod linq;
pub(crate) mod numbers;
pub(crate) mod offset;
pub(crate) mod random;
pub(crate) mod regex;
pub(crate) mod strings;
pub(crate) mod text;
pub(crate) mod time;
pub(crate) mod timefmt;
pub(crate) mod uri;
pub(crate) mod xml;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::eval::Machine;
use super::ir::Ir;
use super::types::Type;
use super::value::{ErrorKind, EvalError, Value, fail};

/// The implementation of a member: receiver (if any) and arguments, the generic type argument.
pub(crate) type Native =
    fn(&mut Machine<'_>, &mut [Value], Option<&Type>) -> Result<Value, EvalError>;

/// A parameter of a member's signature.
#[derive(Debug, Clone)]
pub(crate) enum P {
    /// A value of a type (with the implicit conversions).
    T(Type),
    /// The receiver's element type.
    Elem,
    /// `Func<Elem, bool>`.
    Pred,
    /// `Func<Elem, U>` (U inferred from the lambda).
    Sel,
    /// The generic type argument `T`.
    Gen,
    /// `out` of a type.
    Out(Type),
    /// `params T[]`: any number of values of a type.
    Params(Type),
    /// A lambda `Func<A, R>` (a delegate such as `MatchEvaluator`): parameter and result type.
    Fn(Type, Type),
}

/// A member's result type.
#[derive(Debug, Clone)]
pub(crate) enum R {
    T(Type),
    Elem,
    SeqElem,
    ArrElem,
    ListElem,
    U,
    SeqU,
    Gen,
    /// `IEnumerable<T>` of the generic type argument (`Enumerable.Repeat<T>`).
    SeqGen,
}

/// A member.
#[derive(Debug)]
pub(crate) struct Member {
    pub name: &'static str,
    pub property: bool,
    pub params: Vec<P>,
    pub ret: R,
    pub f: Native,
    /// Whether the member takes a generic type argument (`As<T>`).
    pub generic: bool,
    /// Whether the member changes its receiver (`JObject.Add`, `StringBuilder.Append`): the
    /// native updates `args[0]` and the checker writes it back to the receiver's local.
    pub mutates: bool,
}

/// A member's check-time step: it sees the checked arguments (receiver first) and may replace
/// constant ones by values computed once (`Regex.IsMatch(s, "literal")` compiles the
/// pattern), or refuse them with a message.
pub(crate) type Fold = fn(&mut [Ir]) -> Result<(), String>;

/// Tables of members by owner key.
#[derive(Default)]
pub(crate) struct Registry {
    tables: HashMap<&'static str, Vec<Member>>,
    folds: HashMap<(&'static str, &'static str), Fold>,
}

impl Registry {
    /// Adds a property.
    pub(crate) fn prop(&mut self, key: &'static str, name: &'static str, ret: Type, f: Native) {
        self.add(
            key,
            Member {
                name,
                property: true,
                params: Vec::new(),
                ret: R::T(ret),
                f,
                generic: false,
                mutates: false,
            },
        );
    }

    /// Adds a method with a fixed result type.
    pub(crate) fn method(
        &mut self,
        key: &'static str,
        name: &'static str,
        params: Vec<P>,
        ret: Type,
        f: Native,
    ) {
        self.add(
            key,
            Member {
                name,
                property: false,
                params,
                ret: R::T(ret),
                f,
                generic: false,
                mutates: false,
            },
        );
    }

    /// Adds a method that changes its receiver (see [`Member::mutates`]).
    pub(crate) fn mutator(
        &mut self,
        key: &'static str,
        name: &'static str,
        params: Vec<P>,
        ret: Type,
        f: Native,
    ) {
        self.add(
            key,
            Member {
                name,
                property: false,
                params,
                ret: R::T(ret),
                f,
                generic: false,
                mutates: true,
            },
        );
    }

    /// Adds a generic method (`Value<T>(…)`) with the result `T`.
    pub(crate) fn generic(
        &mut self,
        key: &'static str,
        name: &'static str,
        params: Vec<P>,
        f: Native,
    ) {
        self.add(
            key,
            Member {
                name,
                property: false,
                params,
                ret: R::Gen,
                f,
                generic: true,
                mutates: false,
            },
        );
    }

    /// Adds any member.
    pub(crate) fn add(&mut self, key: &'static str, m: Member) {
        self.tables.entry(key).or_default().push(m);
    }

    /// Adds the check-time step of the members of a name (all overloads).
    pub(crate) fn fold(&mut self, key: &'static str, name: &'static str, f: Fold) {
        self.folds.insert((key, name), f);
    }
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = Registry::default();
        strings::register(&mut r);
        numbers::register(&mut r);
        convert::register(&mut r);
        time::register(&mut r);
        offset::register(&mut r);
        linq::register(&mut r);
        context::register(&mut r);
        json::register(&mut r);
        json_convert::register(&mut r);
        crypto::register(&mut r);
        uri::register(&mut r);
        text::register(&mut r);
        random::register(&mut r);
        enumerable::register(&mut r);
        regex::register(&mut r);
        xml::register(&mut r);
        r
    })
}

/// The table keys that apply to a receiver type, most specific first.
fn keys(t: &Type) -> Vec<&'static str> {
    let mut k = match t {
        Type::String => vec!["string", "seq"],
        Type::Array(_) => vec!["array", "seq"],
        Type::List(_) => vec!["list", "seq"],
        Type::Seq(_) => vec!["seq"],
        Type::Dict(v) => match &**v {
            Type::Array(_) => vec!["dict:multi", "dict", "seq"],
            Type::Object => vec!["dict:object", "dict", "seq"],
            _ => vec!["dict:string", "dict", "seq"],
        },
        Type::Pair(_) => vec!["pair"],
        Type::Nullable(_) => vec!["nullable"],
        Type::Int | Type::Byte => vec!["int"],
        Type::Long => vec!["long"],
        Type::Double => vec!["double"],
        Type::Bool => vec!["bool"],
        Type::Char => vec!["char"],
        Type::DateTime => vec!["DateTime"],
        Type::TimeSpan => vec!["TimeSpan"],
        Type::DateTimeOffset => vec!["DateTimeOffset"],
        Type::Guid => vec!["Guid"],
        Type::Encoding => vec!["Encoding"],
        Type::Ctx(c) => vec![context::key(*c)],
        Type::Json(j) => json::keys(*j).to_vec(),
        Type::Named(n) if t.element().is_some() => vec![*n, "seq"],
        Type::Named(n) => vec![*n],
        Type::Static(n) => return vec![n],
        _ => vec![],
    };
    // LINQ to XML's extension methods on sequences of elements (`Elements()`, …).
    if let Type::Array(e) | Type::List(e) | Type::Seq(e) = t
        && **e == Type::Named("XElement")
    {
        k.insert(0, "seq:XElement");
    }
    k.push("object");
    k
}

/// The members named `name` of a receiver type (instance members) or of a static type.
pub(crate) fn lookup(t: &Type, name: &str) -> Vec<&'static Member> {
    let reg = registry();
    keys(t)
        .into_iter()
        .filter_map(|k| reg.tables.get(k))
        .flat_map(|ms| ms.iter().filter(|m| m.name == name))
        .collect()
}

/// The check-time step of a member (see [`Fold`]), if it has one.
pub(crate) fn fold(t: &Type, name: &str) -> Option<Fold> {
    let reg = registry();
    keys(t)
        .into_iter()
        .find_map(|k| {
            reg.folds
                .iter()
                .find(|((fk, fname), _)| *fk == k && *fname == name)
        })
        .map(|(_, f)| *f)
}

/// The static type a name denotes (`Math`, `string`, `int`, …), if any.
pub(crate) fn static_type(name: &str) -> Option<&'static str> {
    let name = name.strip_prefix("System.").unwrap_or(name);
    Some(match name {
        "string" | "String" => "static:string",
        "int" | "Int32" => "static:int",
        "long" | "Int64" => "static:long",
        "double" | "Double" | "decimal" | "Decimal" | "float" => "static:double",
        "bool" | "Boolean" => "static:bool",
        "char" | "Char" => "static:char",
        "Math" => "static:Math",
        "Convert" => "static:Convert",
        "Guid" => "static:Guid",
        "DateTime" => "static:DateTime",
        "TimeSpan" => "static:TimeSpan",
        "DateTimeOffset" => "static:DateTimeOffset",
        "DayOfWeek" => "static:DayOfWeek",
        "Encoding" | "Text.Encoding" => "static:Encoding",
        "Enumerable" | "Linq.Enumerable" => "static:Enumerable",
        "StringComparison" => "static:StringComparison",
        "StringSplitOptions" => "static:StringSplitOptions",
        "JObject" | "Newtonsoft.Json.Linq.JObject" => "static:JObject",
        "JArray" | "Newtonsoft.Json.Linq.JArray" => "static:JArray",
        "JToken" | "Newtonsoft.Json.Linq.JToken" => "static:JToken",
        "JProperty" | "Newtonsoft.Json.Linq.JProperty" => "static:JProperty",
        "JTokenType" | "Newtonsoft.Json.Linq.JTokenType" => "static:JTokenType",
        "Formatting" | "Newtonsoft.Json.Formatting" => "static:Formatting",
        "JsonConvert" | "Newtonsoft.Json.JsonConvert" => "static:JsonConvert",
        "HMACSHA256" | "Security.Cryptography.HMACSHA256" => "static:HMACSHA256",
        "HMACSHA1" | "Security.Cryptography.HMACSHA1" => "static:HMACSHA1",
        "HMACSHA512" | "Security.Cryptography.HMACSHA512" => "static:HMACSHA512",
        "HMACMD5" | "Security.Cryptography.HMACMD5" => "static:HMACMD5",
        "SHA256" | "Security.Cryptography.SHA256" => "static:SHA256",
        "SHA1" | "Security.Cryptography.SHA1" => "static:SHA1",
        "SHA512" | "Security.Cryptography.SHA512" => "static:SHA512",
        "MD5" | "Security.Cryptography.MD5" => "static:MD5",
        "BitConverter" => "static:BitConverter",
        "Uri" => "static:Uri",
        "UriKind" => "static:UriKind",
        "UriPartial" => "static:UriPartial",
        "StringBuilder" | "Text.StringBuilder" => "static:StringBuilder",
        "Random" => "static:Random",
        "Array" => "static:Array",
        "Regex" | "Text.RegularExpressions.Regex" => "static:Regex",
        "RegexOptions" | "Text.RegularExpressions.RegexOptions" => "static:RegexOptions",
        "XElement" | "Xml.Linq.XElement" => "static:XElement",
        "XDocument" | "Xml.Linq.XDocument" => "static:XDocument",
        "XName" | "Xml.Linq.XName" => "static:XName",
        "XNamespace" | "Xml.Linq.XNamespace" => "static:XNamespace",
        "SaveOptions" | "Xml.Linq.SaveOptions" => "static:SaveOptions",
        _ => return None,
    })
}

// ---- argument helpers for the natives ----

/// The string in an argument (null → `NullReferenceException`).
pub(crate) fn str_arg(v: &Value) -> Result<Arc<str>, EvalError> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        Value::Null => fail(
            ErrorKind::NullReference,
            "object reference not set to an instance of an object",
        ),
        other => Ok(other.to_arc_str()),
    }
}

/// An int argument.
pub(crate) fn int_arg(v: &Value) -> i32 {
    match v {
        Value::Int(i) => *i,
        Value::Long(l) => *l as i32,
        Value::Char(c) => *c as i32,
        Value::Double(d) => *d as i32,
        _ => 0,
    }
}

/// A double argument.
pub(crate) fn double_arg(v: &Value) -> f64 {
    match v {
        Value::Double(d) => *d,
        Value::Int(i) => *i as f64,
        Value::Long(l) => *l as f64,
        Value::Char(c) => *c as u32 as f64,
        _ => 0.0,
    }
}

/// A null receiver or argument.
pub(crate) fn null_ref<T>() -> Result<T, EvalError> {
    fail(
        ErrorKind::NullReference,
        "object reference not set to an instance of an object",
    )
}

/// Shorthand for parameter lists.
pub(crate) fn t(ty: Type) -> P {
    P::T(ty)
}
