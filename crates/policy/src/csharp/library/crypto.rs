//! Library objects: `Jwt` (`AsJwt`, `TryParseJwt`), `BasicAuthCredentials` (`AsBasic`,
//! `TryParseBasic`), hash algorithms and HMACs (`SHA256.Create()`, `new HMACSHA256(key)`,
//! `ComputeHash`) and `BitConverter.ToString`.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::budget::bytes_of;
use super::json::Json;
use super::{P, Registry, null_ref, str_arg, t};
use crate::csharp::TICKS_PER_SECOND;
use crate::csharp::eval::Machine;
use crate::csharp::types::Type;
use crate::csharp::value::{Dict, ErrorKind, EvalError, Value, fail};

type Res = Result<Value, EvalError>;

/// Ticks from 0001-01-01 to the Unix epoch.
const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;

/// A hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// SHA-256.
    Sha256,
    /// SHA-1.
    Sha1,
    /// SHA-512.
    Sha512,
    /// MD5.
    Md5,
}

/// A decoded JWT (not validated: `AsJwt` only reads it).
#[derive(Debug)]
pub struct Jwt {
    header: Json,
    payload: Json,
    claims: Value,
}

/// A library object.
#[derive(Debug)]
pub enum Obj {
    /// `Jwt`.
    Jwt(Jwt),
    /// `BasicAuthCredentials`.
    Basic(Arc<str>, Arc<str>),
    /// `HashAlgorithm`.
    Hash(Alg),
    /// `HMAC` with its key.
    Hmac(Alg, Vec<u8>),
    /// An `IResponse` held in a variable (the response of `send-request`).
    Response(Arc<crate::csharp::context::Response>),
    /// The `IMessageBody` of such a response: its text.
    Body(Arc<str>),
    /// `System.Uri`.
    Uri(Box<super::uri::Uri>),
    /// `System.Text.StringBuilder` and its text.
    Builder(String),
    /// `System.Random`.
    Random(Box<super::random::Knuth>),
    /// `Regex`, `Match`, `Group` and their collections.
    Regex(super::regex::Rx),
    /// LINQ to XML (`XElement`, `XDocument`, `XAttribute`, `XName`, …).
    Xml(super::xml::Xml),
}

impl Obj {
    /// The type's table key (`Type::Named`).
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Obj::Jwt(_) => "Jwt",
            Obj::Basic(..) => "BasicAuthCredentials",
            Obj::Hash(_) => "HashAlgorithm",
            Obj::Hmac(..) => "HMAC",
            Obj::Response(_) => "IResponse",
            Obj::Body(_) => "IMessageBody",
            Obj::Uri(_) => "Uri",
            Obj::Builder(_) => "StringBuilder",
            Obj::Random(_) => "Random",
            Obj::Regex(r) => r.type_name(),
            Obj::Xml(x) => x.type_name(),
        }
    }

    /// Whether the object is of a type (its own, or a base type: a `Match` is a `Group`).
    pub(crate) fn is(&self, type_name: &str) -> bool {
        let own = self.type_name();
        own == type_name || own == "Match" && type_name == "Group"
    }

    /// The items of a collection object (`MatchCollection`).
    pub(crate) fn items(&self) -> Option<Arc<[Value]>> {
        match self {
            Obj::Regex(r) => r.items(),
            _ => None,
        }
    }

    pub(crate) fn to_dotnet_string(&self) -> String {
        match self {
            Obj::Uri(u) => return u.display(),
            Obj::Builder(s) => return s.clone(),
            Obj::Random(_) => "System.Random",
            Obj::Jwt(_) => "Microsoft.Azure.ApiManagement.Proxy.Gateway.Policies.Expressions.Jwt",
            Obj::Basic(..) => "Microsoft.Azure.ApiManagement.Proxy.Gateway.Policies.Expressions.BasicAuthCredentials",
            Obj::Hash(_) => "System.Security.Cryptography.HashAlgorithm",
            Obj::Hmac(..) => "System.Security.Cryptography.HMAC",
            Obj::Response(_) => "Microsoft.Azure.ApiManagement.Proxy.Gateway.Policies.IResponse",
            Obj::Body(_) => "Microsoft.Azure.ApiManagement.Proxy.Gateway.Policies.IMessageBody",
            Obj::Regex(r) => return r.to_dotnet_string(),
            Obj::Xml(x) => return x.to_dotnet_string(),
        }
        .into()
    }
}

fn digest(alg: Alg, data: &[u8]) -> Vec<u8> {
    match alg {
        Alg::Sha256 => {
            use sha2::Digest;
            sha2::Sha256::digest(data).to_vec()
        }
        Alg::Sha512 => {
            use sha2::Digest;
            sha2::Sha512::digest(data).to_vec()
        }
        Alg::Sha1 => {
            use sha1::Digest;
            sha1::Sha1::digest(data).to_vec()
        }
        Alg::Md5 => {
            use md5::Digest;
            md5::Md5::digest(data).to_vec()
        }
    }
}

/// HMAC (RFC 2104) over any of the hashes: keys longer than the block are hashed first.
fn hmac(alg: Alg, key: &[u8], data: &[u8]) -> Vec<u8> {
    let block = if alg == Alg::Sha512 { 128 } else { 64 };
    let mut k = if key.len() > block {
        digest(alg, key)
    } else {
        key.to_vec()
    };
    k.resize(block, 0);
    let mut inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    inner.extend_from_slice(data);
    let ih = digest(alg, &inner);
    let mut outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    outer.extend_from_slice(&ih);
    digest(alg, &outer)
}

fn obj(v: &Value) -> Result<&Obj, EvalError> {
    match v {
        Value::Obj(o) => Ok(o),
        Value::Null => null_ref(),
        _ => fail(ErrorKind::InvalidCast, "unexpected value"),
    }
}

fn compute_hash(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let data = bytes_of(m, &a[1])?;
    m.scan(data.len())?;
    let out = match obj(&a[0])? {
        Obj::Hash(alg) => digest(*alg, &data),
        Obj::Hmac(alg, key) => hmac(*alg, key, &data),
        _ => return null_ref(),
    };
    m.array(out.into_iter().map(|b| Value::Int(b as i32)).collect())
}

fn bit_converter(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let data = bytes_of(m, &a[0])?;
    let size = (3 * data.len()).saturating_sub(1);
    m.room(size)?;
    m.scan(size)?;
    let parts: Vec<String> = data.iter().map(|b| format!("{b:02X}")).collect();
    m.string(parts.join("-"))
}

/// Decodes a JWT's header and payload (`header.payload.signature`, base64url).
/// `AsJwt`: the decoded token, or null. Decoding holds the decoded bytes, the JSON trees and
/// the claims at once: about three times the token's length, charged before decoding.
fn parse_jwt(m: &mut Machine<'_>, token: &Value) -> Result<Value, EvalError> {
    let token = str_arg(token)?;
    m.alloc(token.len().saturating_mul(3))?;
    m.scan(token.len())?;
    Ok(mk(decode_jwt(&token).map(Obj::Jwt)))
}

fn decode_jwt(s: &str) -> Option<Jwt> {
    let mut parts = s.trim().split('.');
    let (h, p, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let dec = |x: &str| -> Option<Json> {
        let bytes = URL_SAFE_NO_PAD.decode(x.trim_end_matches('=')).ok()?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let j = super::json::to_json_counted(&serde_to_value(v, 0)?).ok()?;
        matches!(j, Json::Object(_)).then_some(j)
    };
    let header = dec(h)?;
    let payload = dec(p)?;
    let mut entries: Vec<(Arc<str>, Value)> = Vec::new();
    if let Json::Object(o) = &payload {
        for (k, v) in &o.entries {
            let vals: Vec<Value> = match v {
                Json::Array(l) => l.items.iter().map(claim_string).collect(),
                other => vec![claim_string(other)],
            };
            entries.push((k.clone(), Value::Array(Arc::from(vals))));
        }
    }
    let claims = Value::Dict(Arc::new(Dict {
        entries,
        ignore_case: false,
    }));
    Some(Jwt {
        header,
        payload,
        claims,
    })
}

impl Jwt {
    /// Decodes a token's header and payload, as `AsJwt` does (nothing is validated): `None`
    /// when the text is not a JWT (three base64url parts, the first two JSON objects).
    pub fn decode(token: &str) -> Option<Jwt> {
        decode_jwt(token)
    }

    /// A header parameter (`alg`, `kid`) as text, when present and not null.
    pub fn header(&self, name: &str) -> Option<Arc<str>> {
        match str_field(&self.header, name) {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A claim's values as `Claims[name]` shows them (an array's items, else the one value);
    /// `None` when the token does not have it.
    pub fn claim(&self, name: &str) -> Option<Vec<Arc<str>>> {
        let strings = |items: &[Json]| {
            items
                .iter()
                .map(|j| match claim_string(j) {
                    Value::Str(s) => s,
                    other => Arc::from(other.to_policy_string()),
                })
                .collect()
        };
        match field(&self.payload, name)? {
            Json::Array(l) => Some(strings(&l.items)),
            other => Some(strings(std::slice::from_ref(other))),
        }
    }

    /// A time claim (`exp`, `nbf`) in seconds since the Unix epoch: `None` when absent,
    /// `Some(None)` when it is not a number.
    pub fn seconds(&self, name: &str) -> Option<Option<f64>> {
        Some(match field(&self.payload, name)? {
            Json::Int(i) => Some(*i as f64),
            Json::Float(f) => Some(*f),
            Json::Str(s) => s.parse::<f64>().ok().filter(|f| f.is_finite()),
            _ => None,
        })
    }

    /// The `Jwt` object expressions see (for `context.Variables`).
    pub fn into_value(self) -> Value {
        mk(Some(Obj::Jwt(self)))
    }
}

/// A bounded conversion of parsed JSON into a value (for `to_json`).
fn serde_to_value(v: serde_json::Value, depth: u8) -> Option<Value> {
    if depth > super::json::MAX_DEPTH {
        return None;
    }
    Some(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Long(i),
            None => Value::Double(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::from(s),
        serde_json::Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for x in a {
                out.push(serde_to_value(x, depth + 1)?);
            }
            Value::Array(Arc::from(out))
        }
        serde_json::Value::Object(o) => {
            let mut entries = Vec::with_capacity(o.len());
            for (k, x) in o {
                entries.push((Arc::from(k), serde_to_value(x, depth + 1)?));
            }
            Value::Dict(Arc::new(Dict {
                entries,
                ignore_case: false,
            }))
        }
    })
}

fn claim_string(j: &Json) -> Value {
    match j {
        Json::Str(s) => Value::Str(s.clone()),
        Json::Object(_) | Json::Array(_) => Value::from(j.to_json(false)),
        Json::Bool(b) => Value::from(if *b { "true" } else { "false" }),
        other => Value::from(other.to_dotnet_string()),
    }
}

fn jwt(v: &Value) -> Result<&Jwt, EvalError> {
    match obj(v)? {
        Obj::Jwt(j) => Ok(j),
        _ => null_ref(),
    }
}

fn field<'a>(j: &'a Json, name: &str) -> Option<&'a Json> {
    match j {
        Json::Object(o) => o.entries.iter().find(|(k, _)| &**k == name).map(|(_, v)| v),
        _ => None,
    }
}

fn str_field(j: &Json, name: &str) -> Value {
    match field(j, name) {
        Some(Json::Str(s)) => Value::Str(s.clone()),
        Some(Json::Null) | None => Value::Null,
        Some(other) => claim_string(other),
    }
}

fn time_field(j: &Json, name: &str) -> Value {
    let secs = match field(j, name) {
        Some(Json::Int(i)) => *i as f64,
        Some(Json::Float(f)) => *f,
        Some(Json::Str(s)) => match s.parse::<f64>() {
            Ok(f) => f,
            Err(_) => return Value::Null,
        },
        _ => return Value::Null,
    };
    let ticks = secs * TICKS_PER_SECOND as f64;
    let max = (3_155_378_975_999_999_999_i64 - UNIX_EPOCH_TICKS) as f64;
    if !(ticks.is_finite() && (-(UNIX_EPOCH_TICKS as f64)..=max).contains(&ticks)) {
        return Value::Null;
    }
    Value::DateTime(UNIX_EPOCH_TICKS + ticks as i64)
}

fn decode_basic(s: &str) -> Option<(Arc<str>, Arc<str>)> {
    let s = s.trim();
    let b64 = match s.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => rest.trim(),
        Some(_) => return None,
        None => s,
    };
    let bytes = STANDARD.decode(b64).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((Arc::from(u), Arc::from(p)))
}

/// `AsBasic`: a pass over the header value, then its credentials, if it holds any.
fn basic(m: &mut Machine<'_>, v: &Value) -> Result<Option<Obj>, EvalError> {
    let s = str_arg(v)?;
    m.scan(2 * s.len())?;
    Ok(decode_basic(&s).map(|(u, p)| Obj::Basic(u, p)))
}

fn mk(o: Option<Obj>) -> Value {
    o.map_or(Value::Null, |o| Value::Obj(Arc::new(o)))
}

pub(crate) fn register(r: &mut Registry) {
    let s = || Type::String;
    let jwt_t = || Type::Named("Jwt");
    let basic_t = || Type::Named("BasicAuthCredentials");
    r.method("string", "AsJwt", vec![], jwt_t(), |m, a, _| {
        parse_jwt(m, &a[0])
    });
    r.method(
        "string",
        "TryParseJwt",
        vec![P::Out(jwt_t())],
        Type::Bool,
        |m, a, _| {
            let v = parse_jwt(m, &a[0])?;
            let yes = !matches!(v, Value::Null);
            a[1] = v;
            Ok(Value::Bool(yes))
        },
    );
    r.method("string", "AsBasic", vec![], basic_t(), |m, a, _| {
        Ok(mk(basic(m, &a[0])?))
    });
    r.method(
        "string",
        "TryParseBasic",
        vec![P::Out(basic_t())],
        Type::Bool,
        |m, a, _| {
            let v = mk(basic(m, &a[0])?);
            let yes = !matches!(v, Value::Null);
            a[1] = v;
            Ok(Value::Bool(yes))
        },
    );
    r.prop(
        "BasicAuthCredentials",
        "UserId",
        s(),
        |_, a, _| match obj(&a[0])? {
            Obj::Basic(u, _) => Ok(Value::Str(u.clone())),
            _ => null_ref(),
        },
    );
    r.prop(
        "BasicAuthCredentials",
        "Password",
        s(),
        |_, a, _| match obj(&a[0])? {
            Obj::Basic(_, p) => Ok(Value::Str(p.clone())),
            _ => null_ref(),
        },
    );

    const JW: &str = "Jwt";
    r.prop(
        JW,
        "Claims",
        Type::Dict(Box::new(Type::Array(Box::new(s())))),
        |_, a, _| Ok(jwt(&a[0])?.claims.clone()),
    );
    r.prop(JW, "Subject", s(), |_, a, _| {
        Ok(str_field(&jwt(&a[0])?.payload, "sub"))
    });
    r.prop(JW, "Issuer", s(), |_, a, _| {
        Ok(str_field(&jwt(&a[0])?.payload, "iss"))
    });
    r.prop(JW, "Id", s(), |_, a, _| {
        Ok(str_field(&jwt(&a[0])?.payload, "jti"))
    });
    r.prop(JW, "Type", s(), |_, a, _| {
        Ok(str_field(&jwt(&a[0])?.header, "typ"))
    });
    r.prop(JW, "Algorithm", s(), |_, a, _| {
        Ok(str_field(&jwt(&a[0])?.header, "alg"))
    });
    r.prop(JW, "Audiences", Type::Seq(Box::new(s())), |m, a, _| {
        let items = match field(&jwt(&a[0])?.payload, "aud") {
            Some(Json::Array(l)) => l.items.iter().map(claim_string).collect(),
            Some(Json::Null) | None => Vec::new(),
            Some(other) => vec![claim_string(other)],
        };
        m.array(items)
    });
    let ndt = || Type::Nullable(Box::new(Type::DateTime));
    r.prop(JW, "ExpirationTime", ndt(), |_, a, _| {
        Ok(time_field(&jwt(&a[0])?.payload, "exp"))
    });
    r.prop(JW, "NotBefore", ndt(), |_, a, _| {
        Ok(time_field(&jwt(&a[0])?.payload, "nbf"))
    });
    r.prop(JW, "IssuedAt", ndt(), |_, a, _| {
        Ok(time_field(&jwt(&a[0])?.payload, "iat"))
    });

    let bytes = || Type::Array(Box::new(Type::Byte));
    let hash_t = || Type::Named("HashAlgorithm");
    let hmac_t = || Type::Named("HMAC");
    macro_rules! algs {
        ($($st:literal, $hm:literal, $alg:expr);*) => {$(
            r.method($st, "Create", vec![], hash_t(), |_, _, _| Ok(mk(Some(Obj::Hash($alg)))));
            r.method($hm, ".ctor", vec![t(bytes())], hmac_t(), |m, a, _| {
                Ok(mk(Some(Obj::Hmac($alg, bytes_of(m, &a[0])?))))
            });
        )*};
    }
    algs!(
        "static:SHA256", "static:HMACSHA256", Alg::Sha256;
        "static:SHA1", "static:HMACSHA1", Alg::Sha1;
        "static:SHA512", "static:HMACSHA512", Alg::Sha512;
        "static:MD5", "static:HMACMD5", Alg::Md5
    );
    r.method(
        "HashAlgorithm",
        "ComputeHash",
        vec![t(bytes())],
        bytes(),
        compute_hash,
    );
    r.method(
        "HMAC",
        "ComputeHash",
        vec![t(bytes())],
        bytes(),
        compute_hash,
    );
    r.method(
        "static:BitConverter",
        "ToString",
        vec![t(bytes())],
        s(),
        bit_converter,
    );
}

#[cfg(test)]
mod tests {
    use super::Jwt;

    #[test]
    fn decoded_tokens_show_their_header_claims_and_times() {
        // {"alg":"HS256","kid":"k1"}.{"sub":"ann","aud":["a","b"],"exp":1700000000,"nbf":"x","admin":true}
        let token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbm4iLCJhdWQiOlsiYSIsImIiXSwiZXhwIjoxNzAwMDAwMDAwLCJuYmYiOiJ4IiwiYWRtaW4iOnRydWV9.c2ln";
        let jwt = Jwt::decode(token).unwrap();
        assert_eq!(jwt.header("kid").as_deref(), Some("k1"));
        assert_eq!(jwt.header("typ"), None);
        let claim = |name| {
            jwt.claim(name)
                .map(|v| v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(claim("aud"), Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(claim("admin"), Some(vec!["true".to_owned()]));
        assert_eq!(claim("missing"), None);
        assert_eq!(jwt.seconds("exp"), Some(Some(1_700_000_000.0)));
        assert_eq!(jwt.seconds("nbf"), Some(None));
        assert_eq!(jwt.seconds("iat"), None);
        assert!(Jwt::decode("a.b").is_none());
    }
}
