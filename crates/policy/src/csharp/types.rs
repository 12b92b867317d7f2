//! Static types of the checker.

use std::fmt;

/// The `context` object types (REFERENCE §18.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ctx {
    /// `IProxyRequestContext` (the `context` variable).
    Context,
    /// `IRequest`.
    Request,
    /// `IResponse`.
    Response,
    /// `IUrl`.
    Url,
    /// `IMessageBody`.
    Body,
    /// `ISubscription`.
    Subscription,
    /// `IUser`.
    User,
    /// `IProduct`.
    Product,
    /// `IApi`.
    Api,
    /// `IOperation`.
    Operation,
    /// `IDeployment`.
    Deployment,
    /// `ILastError`.
    LastError,
    /// `IGroup`.
    Group,
    /// `IUserIdentity`.
    Identity,
    /// `ISubscriptionKeyParameterNames`.
    KeyNames,
}

/// A static type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// No value (a block without a result).
    Void,
    /// The type of the `null` literal.
    Null,
    /// `object`.
    Object,
    /// `bool`.
    Bool,
    /// `byte` (held as an int).
    Byte,
    /// `int`.
    Int,
    /// `long`.
    Long,
    /// `double` (also `float` and `decimal`).
    Double,
    /// `char`.
    Char,
    /// `string`.
    String,
    /// `System.DateTime`.
    DateTime,
    /// `System.TimeSpan`.
    TimeSpan,
    /// `System.DateTimeOffset`.
    DateTimeOffset,
    /// `System.Guid`.
    Guid,
    /// `System.Text.Encoding`.
    Encoding,
    /// `T?` for a value type `T`.
    Nullable(Box<Type>),
    /// `T[]`.
    Array(Box<Type>),
    /// `List<T>`.
    List(Box<Type>),
    /// `IEnumerable<T>`.
    Seq(Box<Type>),
    /// `IReadOnlyDictionary<string, T>`.
    Dict(Box<Type>),
    /// `KeyValuePair<string, T>`.
    Pair(Box<Type>),
    /// A lambda: parameter types and result.
    Func(Vec<Type>, Box<Type>),
    /// A context object.
    Ctx(Ctx),
    /// A type name used for static members (`Math`, `string`, …).
    Static(&'static str),
    /// A Newtonsoft.Json.Linq token type.
    Json(J),
    /// A library object type (`Jwt`, `BasicAuthCredentials`, `HashAlgorithm`, …).
    Named(&'static str),
}

/// The Newtonsoft.Json.Linq token types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum J {
    /// `JToken` (any).
    Token,
    /// `JObject`.
    Object,
    /// `JArray`.
    Array,
    /// `JValue` (a scalar).
    Value,
    /// `JProperty`.
    Property,
}

impl Type {
    /// Whether values of this type may be null.
    pub fn is_reference(&self) -> bool {
        !matches!(
            self,
            Type::Bool
                | Type::Byte
                | Type::Int
                | Type::Long
                | Type::Double
                | Type::Char
                | Type::DateTime
                | Type::TimeSpan
                | Type::DateTimeOffset
                | Type::Guid
                | Type::Void
        )
    }

    /// The element type when this type is a sequence.
    pub fn element(&self) -> Option<Type> {
        match self {
            Type::Array(t) | Type::List(t) | Type::Seq(t) => Some((**t).clone()),
            Type::String => Some(Type::Char),
            Type::Dict(v) => Some(Type::Pair(v.clone())),
            Type::Json(J::Array) => Some(Type::Json(J::Token)),
            Type::Json(J::Object) => Some(Type::Pair(Box::new(Type::Json(J::Token)))),
            Type::Named("MatchCollection") => Some(Type::Named("Match")),
            _ => None,
        }
    }

    /// The numeric rank used for promotions (int < long < double), chars and bytes as int.
    pub(crate) fn numeric_rank(&self) -> Option<u8> {
        match self {
            Type::Byte | Type::Char | Type::Int => Some(0),
            Type::Long => Some(1),
            Type::Double => Some(2),
            _ => None,
        }
    }

    /// The type with `?` removed.
    pub(crate) fn strip_nullable(&self) -> &Type {
        match self {
            Type::Nullable(t) => t,
            t => t,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Void => write!(f, "void"),
            Type::Null => write!(f, "null"),
            Type::Object => write!(f, "object"),
            Type::Bool => write!(f, "bool"),
            Type::Byte => write!(f, "byte"),
            Type::Int => write!(f, "int"),
            Type::Long => write!(f, "long"),
            Type::Double => write!(f, "double"),
            Type::Char => write!(f, "char"),
            Type::String => write!(f, "string"),
            Type::DateTime => write!(f, "DateTime"),
            Type::TimeSpan => write!(f, "TimeSpan"),
            Type::DateTimeOffset => write!(f, "DateTimeOffset"),
            Type::Guid => write!(f, "Guid"),
            Type::Encoding => write!(f, "Encoding"),
            Type::Nullable(t) => write!(f, "{t}?"),
            Type::Array(t) => write!(f, "{t}[]"),
            Type::List(t) => write!(f, "List<{t}>"),
            Type::Seq(t) => write!(f, "IEnumerable<{t}>"),
            Type::Dict(t) => write!(f, "IReadOnlyDictionary<string, {t}>"),
            Type::Pair(t) => write!(f, "KeyValuePair<string, {t}>"),
            Type::Func(p, r) => {
                write!(f, "Func<")?;
                for t in p {
                    write!(f, "{t}, ")?;
                }
                write!(f, "{r}>")
            }
            Type::Ctx(c) => write!(f, "{}", ctx_name(*c)),
            Type::Static(n) => write!(f, "{}", n.strip_prefix("static:").unwrap_or(n)),
            Type::Json(j) => f.write_str(match j {
                J::Token => "JToken",
                J::Object => "JObject",
                J::Array => "JArray",
                J::Value => "JValue",
                J::Property => "JProperty",
            }),
            Type::Named(n) => f.write_str(n),
        }
    }
}

/// The .NET interface name of a context type.
fn ctx_name(c: Ctx) -> &'static str {
    match c {
        Ctx::Context => "IProxyRequestContext",
        Ctx::Request => "IRequest",
        Ctx::Response => "IResponse",
        Ctx::Url => "IUrl",
        Ctx::Body => "IMessageBody",
        Ctx::Subscription => "ISubscription",
        Ctx::User => "IUser",
        Ctx::Product => "IProduct",
        Ctx::Api => "IApi",
        Ctx::Operation => "IOperation",
        Ctx::Deployment => "IDeployment",
        Ctx::LastError => "ILastError",
        Ctx::Group => "IGroup",
        Ctx::Identity => "IUserIdentity",
        Ctx::KeyNames => "ISubscriptionKeyParameterNames",
    }
}

/// The type a type name denotes, if supported.
pub(crate) fn resolve(name: &str, args: &[Type], array: usize, nullable: bool) -> Option<Type> {
    let base = name.rsplit('.').next().unwrap_or(name);
    let mut t = match (base, args) {
        ("bool" | "Boolean", []) => Type::Bool,
        ("byte" | "Byte", []) => Type::Byte,
        ("int" | "Int32" | "short" | "Int16" | "ushort" | "sbyte" | "uint", []) => Type::Int,
        ("long" | "Int64" | "ulong" | "UInt64" | "UInt32", []) => Type::Long,
        ("double" | "Double" | "float" | "Single" | "decimal" | "Decimal", []) => Type::Double,
        ("char" | "Char", []) => Type::Char,
        ("string" | "String", []) => Type::String,
        ("object" | "Object", []) => Type::Object,
        ("DateTime", []) => Type::DateTime,
        ("TimeSpan", []) => Type::TimeSpan,
        ("DateTimeOffset", []) => Type::DateTimeOffset,
        ("DayOfWeek", []) => Type::Named("DayOfWeek"),
        ("Guid", []) => Type::Guid,
        ("List" | "IList" | "ICollection", [t]) => Type::List(Box::new(t.clone())),
        ("IEnumerable", [t]) => Type::Seq(Box::new(t.clone())),
        ("Nullable", [t]) => Type::Nullable(Box::new(t.clone())),
        ("JToken", []) => Type::Json(J::Token),
        ("JObject", []) => Type::Json(J::Object),
        ("JArray", []) => Type::Json(J::Array),
        ("JValue", []) => Type::Json(J::Value),
        ("JProperty", []) => Type::Json(J::Property),
        ("IResponse", []) => Type::Ctx(Ctx::Response),
        ("Jwt", []) => Type::Named("Jwt"),
        ("BasicAuthCredentials", []) => Type::Named("BasicAuthCredentials"),
        ("HMAC" | "HMACSHA256" | "HMACSHA1" | "HMACSHA512" | "HMACMD5", []) => Type::Named("HMAC"),
        ("HashAlgorithm" | "SHA256" | "SHA1" | "SHA512" | "MD5", []) => {
            Type::Named("HashAlgorithm")
        }
        ("Uri", []) => Type::Named("Uri"),
        ("StringBuilder", []) => Type::Named("StringBuilder"),
        ("Random", []) => Type::Named("Random"),
        ("Regex", []) => Type::Named("Regex"),
        ("Match", []) => Type::Named("Match"),
        ("Group", []) => Type::Named("Group"),
        ("MatchCollection", []) => Type::Named("MatchCollection"),
        ("GroupCollection", []) => Type::Named("GroupCollection"),
        ("RegexOptions", []) => Type::Int,
        ("XElement", []) => Type::Named("XElement"),
        ("XDocument", []) => Type::Named("XDocument"),
        ("XAttribute", []) => Type::Named("XAttribute"),
        ("XName", []) => Type::Named("XName"),
        ("XNamespace", []) => Type::Named("XNamespace"),
        ("XDeclaration", []) => Type::Named("XDeclaration"),
        _ => return None,
    };
    if nullable && !t.is_reference() {
        t = Type::Nullable(Box::new(t));
    }
    for _ in 0..array {
        t = Type::Array(Box::new(t));
    }
    Some(t)
}
