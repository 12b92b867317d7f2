//! Run-time values and errors.

use std::fmt;
use std::sync::Arc;

use super::eval::Lambda;

/// 100-nanosecond ticks per second, as .NET counts time.
pub const TICKS_PER_SECOND: i64 = 10_000_000;

/// A run-time value.
#[derive(Debug, Clone)]
pub enum Value {
    /// `null`.
    Null,
    /// `bool`.
    Bool(bool),
    /// `int` (and `byte`).
    Int(i32),
    /// `long`.
    Long(i64),
    /// `double`.
    Double(f64),
    /// `char`.
    Char(char),
    /// `string`.
    Str(Arc<str>),
    /// `DateTime`, in ticks since 0001-01-01 (UTC).
    DateTime(i64),
    /// `TimeSpan`, in ticks.
    TimeSpan(i64),
    /// `DateTimeOffset`: the UTC instant in ticks since 0001-01-01 and the offset in minutes.
    DateTimeOffset {
        /// UTC ticks.
        utc: i64,
        /// Minutes east of UTC (within ±14 hours).
        offset: i16,
    },
    /// `Guid`.
    Guid(u128),
    /// An array, list or sequence.
    Array(Arc<[Value]>),
    /// A read-only dictionary with string keys.
    Dict(Arc<Dict>),
    /// A key/value pair of a dictionary.
    Pair(Arc<(Arc<str>, Value)>),
    /// A lambda.
    Func(Arc<Lambda>),
    /// `Encoding.UTF8` (and friends).
    Encoding,
    /// A context object.
    Ctx(CtxRef),
    /// A Newtonsoft.Json.Linq token.
    Json(super::library::json::Json),
    /// A library object (`Jwt`, `BasicAuthCredentials`, hash algorithms, `Uri`, …).
    Obj(Arc<super::library::crypto::Obj>),
}

/// A dictionary with string keys (headers, query, matched parameters).
#[derive(Debug, Clone, Default)]
pub struct Dict {
    /// Entries in order.
    pub entries: Vec<(Arc<str>, Value)>,
    /// Whether keys compare case-insensitively.
    pub ignore_case: bool,
}

impl Dict {
    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| {
                if self.ignore_case {
                    k.eq_ignore_ascii_case(key)
                } else {
                    &**k == key
                }
            })
            .map(|(_, v)| v)
    }
}

/// Which context object a [`Value::Ctx`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtxRef {
    /// `context`.
    Context,
    /// `context.Request`.
    Request,
    /// `context.Response`.
    Response,
    /// `context.Request.Url`.
    RequestUrl,
    /// `context.Request.OriginalUrl`.
    OriginalUrl,
    /// `ServiceUrl` of an API.
    ServiceUrl(ApiRef),
    /// `context.Request.Body`.
    RequestBody,
    /// `context.Response.Body`.
    ResponseBody,
    /// `context.Subscription`.
    Subscription,
    /// `context.User`.
    User,
    /// `context.Product`.
    Product,
    /// `context.Api`, or one of `context.Product.Apis`.
    Api(ApiRef),
    /// `context.Operation`.
    Operation,
    /// `context.Deployment`.
    Deployment,
    /// `context.LastError`.
    LastError,
    /// `context.User.Groups[i]`.
    UserGroup(usize),
    /// `context.Product.Groups[i]`.
    ProductGroup(usize),
    /// `context.User.Identities[i]`.
    Identity(usize),
    /// `SubscriptionKeyParameterNames` of an API.
    KeyNames(ApiRef),
}

/// Which API an `IApi` value (or one of its parts) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiRef {
    /// The call's (`context.Api`).
    Call,
    /// The product's `i`-th (`context.Product.Apis`).
    Product(usize),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i)
    }
}

impl Value {
    /// A response held in a variable (`send-request`'s `response-variable-name`), read by
    /// expressions as `(IResponse)context.Variables["name"]`.
    pub fn response(r: super::context::Response) -> Value {
        Value::Obj(Arc::new(super::library::crypto::Obj::Response(Arc::new(r))))
    }

    /// The bytes of a `byte[]` value (an error for anything else).
    pub fn as_bytes(&self) -> Result<Vec<u8>, EvalError> {
        super::library::convert::bytes_of(self)
    }

    /// The response a value holds, if it is one made by [`Value::response`].
    pub fn as_response(&self) -> Option<&super::context::Response> {
        match self {
            Value::Obj(obj) => match &**obj {
                super::library::crypto::Obj::Response(r) => Some(r),
                _ => None,
            },
            _ => None,
        }
    }

    /// How a value is written into a policy attribute or body: .NET's `ToString()` in the
    /// invariant culture (`True`/`False`, `1.5`, `1E+20`, `null` as the empty string).
    pub fn to_policy_string(&self) -> String {
        self.to_string()
    }

    /// A string value (without a copy for strings).
    pub(crate) fn to_arc_str(&self) -> Arc<str> {
        match self {
            Value::Str(s) => s.clone(),
            other => Arc::from(other.to_string()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Long(i) => write!(f, "{i}"),
            Value::Double(d) => f.write_str(&format_double(*d)),
            Value::Char(c) => write!(f, "{c}"),
            Value::Str(s) => f.write_str(s),
            Value::DateTime(t) => f.write_str(&super::library::time::format_datetime(*t, "G")),
            Value::TimeSpan(t) => f.write_str(&super::library::time::format_timespan(*t)),
            Value::DateTimeOffset { .. } => f.write_str(&super::library::offset::to_string(self)),
            Value::Guid(g) => f.write_str(&format_guid(*g)),
            Value::Array(_) => f.write_str("System.Object[]"),
            Value::Dict(_) => {
                f.write_str("System.Collections.Generic.Dictionary`2[System.String,System.Object]")
            }
            Value::Pair(p) => write!(f, "[{}, {}]", p.0, p.1),
            Value::Func(_) => f.write_str("System.Func"),
            Value::Encoding => f.write_str("System.Text.UTF8Encoding"),
            Value::Ctx(c) => write!(f, "{c:?}"),
            Value::Json(j) => f.write_str(&j.to_dotnet_string()),
            Value::Obj(o) => f.write_str(&o.to_dotnet_string()),
        }
    }
}

/// A double as .NET Core writes it: shortest round-trip digits, exponent form from 1E+15
/// and below 1E-05.
pub(crate) fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let abs = d.abs();
    if (1e-5..1e15).contains(&abs) {
        return format!("{d}");
    }
    let s = format!("{d:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}E{sign}{:02}", exp.abs())
}

/// A GUID in the `D` format (lower-case, hyphenated).
pub(crate) fn format_guid(g: u128) -> String {
    let h = format!("{g:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The .NET exception an evaluation error stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A member of `null` was used.
    NullReference,
    /// Text could not be parsed (`int.Parse("x")`).
    Format,
    /// A cast failed.
    InvalidCast,
    /// Integer division by zero.
    DivideByZero,
    /// An arithmetic or conversion overflow.
    Overflow,
    /// An index outside an array or string.
    IndexOutOfRange,
    /// An argument outside its range (`Substring(10)` of a short string).
    ArgumentOutOfRange,
    /// An invalid argument.
    Argument,
    /// An invalid operation (`First()` of an empty sequence).
    InvalidOperation,
    /// A dictionary key that is not there.
    KeyNotFound,
    /// The step budget ran out.
    StepLimit,
    /// The memory budget ran out.
    MemoryLimit,
    /// Text is not valid JSON (`JObject.Parse`, `Body.As<JObject>()`).
    JsonReader,
    /// An operation .NET allows that Tollgate does not (named in the message).
    NotSupported,
    /// A JSON operation failed (`SelectToken` matching several tokens).
    Json,
    /// Text is not an absolute URI (`new Uri("/relative")`).
    UriFormat,
    /// Text is not well-formed XML, or an invalid XML name (`XElement.Parse`).
    Xml,
    /// A null argument (`Regex.IsMatch(null, …)`, `(int)element` of a missing element).
    ArgumentNull,
}

impl ErrorKind {
    /// The .NET exception name.
    pub fn exception(self) -> &'static str {
        match self {
            ErrorKind::NullReference => "NullReferenceException",
            ErrorKind::Format => "FormatException",
            ErrorKind::InvalidCast => "InvalidCastException",
            ErrorKind::DivideByZero => "DivideByZeroException",
            ErrorKind::Overflow => "OverflowException",
            ErrorKind::IndexOutOfRange => "IndexOutOfRangeException",
            ErrorKind::ArgumentOutOfRange => "ArgumentOutOfRangeException",
            ErrorKind::Argument => "ArgumentException",
            ErrorKind::NotSupported => "NotSupportedException",
            ErrorKind::Json => "JsonException",
            ErrorKind::InvalidOperation => "InvalidOperationException",
            ErrorKind::KeyNotFound => "KeyNotFoundException",
            ErrorKind::StepLimit => "ExpressionStepLimitExceeded",
            ErrorKind::MemoryLimit => "ExpressionMemoryLimitExceeded",
            ErrorKind::JsonReader => "JsonReaderException",
            ErrorKind::UriFormat => "UriFormatException",
            ErrorKind::Xml => "XmlException",
            ErrorKind::ArgumentNull => "ArgumentNullException",
        }
    }
}

/// An expression failed at run time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.exception())]
pub struct EvalError {
    /// Which exception.
    pub kind: ErrorKind,
    /// What happened.
    pub message: String,
}

impl EvalError {
    /// An error of a kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> EvalError {
        EvalError {
            kind,
            message: message.into(),
        }
    }
}

/// Shorthand for a failed evaluation.
pub(crate) fn fail<T>(kind: ErrorKind, message: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError::new(kind, message))
}
