//! `System.Uri` for absolute URIs with an authority (`scheme://[user@]host[:port][/path][?query][#fragment]`),
//! `Uri.EscapeDataString` and `Uri.UnescapeDataString`, as .NET Framework 4.5+ computes them
//! (RFC 3986 escaping, IRI parsing on).
//!
//! .NET canonicalizes a URI in many ways that depend on the scheme, the host type and the
//! characters found. Tollgate accepts the inputs whose canonical forms it knows for certain:
//! ASCII text; `http`, `https`, `ws`, `wss`, `ftp` (without a query) or a scheme .NET does not
//! know, followed by `//`; a DNS name or dotted IPv4 host; a decimal port; path, query and
//! fragment made of RFC 3986 characters, spaces, `"`, `<`, `>` and escapes of reserved
//! characters. Anything else that .NET would accept (dot segments, IPv6, IDN hosts, `file:`,
//! `mailto:`, escapes that .NET unescapes, …) ends with `NotSupportedException` naming the
//! part, never with a different URI; what .NET rejects ends with `UriFormatException`.

use std::sync::Arc;

use super::crypto::Obj;
use super::{P, Registry, int_arg, null_ref, str_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, Value, fail};

type Res = Result<Value, EvalError>;

/// `UriKind.Absolute` (`RelativeOrAbsolute` is 0, `Relative` 2: relative URIs are not supported,
/// and those two members are left out so that the checker refuses them).
const ABSOLUTE: i32 = 1;

/// The longest URI .NET parses (`Uri.c_MaxUriBufferSize`).
const MAX_URI: usize = 0xFFF0;

/// A parsed absolute URI. Path, query and fragment are kept as written (validated); the
/// escaped and display forms are derived from them.
#[derive(Debug, Clone)]
pub struct Uri {
    original: Arc<str>,
    scheme: String,
    user_info: Option<String>,
    host: String,
    port: i32,
    default_port: bool,
    path: String,
    /// With its `?`, or empty.
    query: String,
    /// With its `#`, or empty.
    fragment: String,
}

/// Why a string is not a `Uri`.
enum Bad {
    /// .NET rejects it too.
    Format(&'static str),
    /// .NET accepts it, Tollgate does not reproduce the result.
    Unsupported(String),
}

fn format_err(msg: &'static str) -> Bad {
    Bad::Format(msg)
}

fn unsupported(what: impl Into<String>) -> Bad {
    Bad::Unsupported(what.into())
}

/// Schemes .NET parses with rules of their own (other than `http`'s).
const SPECIAL: &[&str] = &[
    "file", "gopher", "news", "nntp", "uuid", "mailto", "telnet", "ldap", "net.tcp", "net.pipe",
    "vsmacros",
];

/// Reserved characters whose escapes .NET keeps escaped in every form.
const KEPT: &[u8] = b"%#?/;@&=+$,\\";
/// Characters .NET escapes in `AbsoluteUri` and shows unescaped in `ToString()`.
const DISPLAYED: &[u8] = b" \"<>";

fn default_port(scheme: &str) -> i32 {
    match scheme {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        "ftp" => 21,
        _ => -1,
    }
}

fn is_hex_upper(b: u8) -> bool {
    b.is_ascii_digit() || (b'A'..=b'F').contains(&b)
}

fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

fn is_sub_delim(b: u8) -> bool {
    b"!$&'()*+,;=".contains(&b)
}

/// Checks a path, query, fragment (`part`) or user-info text against the supported set.
fn check_part(s: &str, part: &str, display_chars: bool) -> Result<(), Bad> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            let (Some(&h), Some(&l)) = (b.get(i + 1), b.get(i + 2)) else {
                return Err(unsupported(format!(
                    "a '%' that starts no escape in the {part}"
                )));
            };
            if !(is_hex_upper(h) && is_hex_upper(l)) {
                return Err(unsupported(format!(
                    "the escape '%{}{}' in the {part} (only upper-case escapes of reserved characters are supported)",
                    h as char, l as char
                )));
            }
            let v = hex_val(h) * 16 + hex_val(l);
            if !(KEPT.contains(&v) || display_chars && DISPLAYED.contains(&v)) {
                return Err(unsupported(format!(
                    "the escape '%{}{}' in the {part} (.NET unescapes or re-encodes it)",
                    h as char, l as char
                )));
            }
            i += 3;
            continue;
        }
        let ok = is_unreserved(c)
            || is_sub_delim(c)
            || c == b':'
            || c == b'@'
            || (part != "user info" && (c == b'/' || c == b'?'))
            || (display_chars && DISPLAYED.contains(&c));
        if !ok {
            return Err(unsupported(format!(
                "the character '{}' in the {part}",
                s[i..].chars().next().unwrap_or('?').escape_default()
            )));
        }
        i += 1;
    }
    Ok(())
}

/// The host as .NET shows it: a dotted IPv4 address or a DNS name (lower-cased).
fn check_host(h: &str) -> Result<String, Bad> {
    if h.starts_with('[') {
        return Err(unsupported("IPv6 hosts"));
    }
    let b = h.as_bytes();
    let numeric = b.first().is_some_and(u8::is_ascii_digit)
        && b.iter()
            .all(|c| c.is_ascii_hexdigit() || b".xX".contains(c));
    if numeric {
        let parts: Vec<&str> = h.split('.').collect();
        let quad = parts.len() == 4
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.len() <= 3
                    && p.bytes().all(|c| c.is_ascii_digit())
                    && (p.len() == 1 || !p.starts_with('0'))
                    && p.parse::<u16>().is_ok_and(|v| v <= 255)
            });
        return if quad {
            Ok(h.to_owned())
        } else {
            Err(unsupported(format!(
                "the host '{h}' (not a dotted IPv4 address)"
            )))
        };
    }
    // DomainNameHelper.IsValid: labels of letters, digits, '-' and '_', starting with a
    // letter or digit, at most 63 long; a trailing dot is allowed.
    let labels: Vec<&str> = h.strip_suffix('.').unwrap_or(h).split('.').collect();
    let valid = labels.iter().all(|l| {
        let lb = l.as_bytes();
        !lb.is_empty()
            && lb.len() <= 63
            && lb[0].is_ascii_alphanumeric()
            && lb
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
    });
    if !valid {
        return Err(unsupported(format!("the host '{h}'")));
    }
    let lower = h.to_ascii_lowercase();
    if lower == "loopback" {
        // .NET Framework shows "localhost" in some properties and "loopback" in others.
        return Err(unsupported("the host 'loopback'"));
    }
    Ok(lower)
}

/// Splits a scheme off the front of `s` as .NET's `ParseScheme` does, or tells why not.
fn scheme_of(s: &str) -> Result<(String, &str), Bad> {
    const NO_FORMAT: &str = "Invalid URI: The format of the URI could not be determined.";
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(format_err("Invalid URI: The URI is empty."));
    }
    let colon = b.iter().position(|&c| c == b':');
    if b.len() < 3 || colon == Some(0) {
        return Err(format_err(NO_FORMAT));
    }
    if b[1] == b':' || b[1] == b'|' {
        if b[0].is_ascii_alphabetic() {
            return if b[2] == b'\\' || b[2] == b'/' {
                Err(unsupported("DOS file paths"))
            } else {
                Err(format_err(
                    "Invalid URI: A Dos path must be rooted, for example, 'c:\\\\'.",
                ))
            };
        }
        return Err(format_err(if b[1] == b':' {
            "Invalid URI: The URI scheme is not valid."
        } else {
            NO_FORMAT
        }));
    }
    if b[0] == b'/' || b[0] == b'\\' {
        return if b[1] == b'/' || b[1] == b'\\' {
            Err(unsupported("UNC paths"))
        } else {
            Err(format_err(NO_FORMAT))
        };
    }
    let Some(colon) = colon else {
        return Err(format_err(NO_FORMAT));
    };
    let scheme = &s[..colon];
    if scheme.len() > 1024 {
        return Err(format_err("Invalid URI: The Uri scheme is too long."));
    }
    let sb = scheme.as_bytes();
    if !sb[0].is_ascii_alphabetic()
        || !sb
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(c))
    {
        return Err(format_err("Invalid URI: The URI scheme is not valid."));
    }
    Ok((scheme.to_ascii_lowercase(), &s[colon + 1..]))
}

impl Uri {
    /// Parses an absolute URI as `new Uri(s)` does.
    fn parse(s: &str) -> Result<Uri, Bad> {
        if s.len() > MAX_URI {
            return Err(format_err("Invalid URI: The Uri string is too long."));
        }
        if s.len() == MAX_URI {
            return Err(unsupported("a URI of exactly 65520 characters"));
        }
        if !s.is_ascii() {
            return Err(unsupported("non-ASCII characters"));
        }
        if s.starts_with(|c: char| c.is_ascii_whitespace())
            || s.ends_with(|c: char| c.is_ascii_whitespace())
        {
            return Err(unsupported("leading or trailing white space"));
        }
        if s.contains('\\') {
            return Err(unsupported("backslashes"));
        }
        let (scheme, rest) = scheme_of(s)?;
        if SPECIAL.contains(&scheme.as_str()) {
            return Err(unsupported(format!("the '{scheme}' scheme")));
        }
        let Some(rest) = rest.strip_prefix("//") else {
            return Err(unsupported(format!(
                "'{scheme}:' without '//' and an authority"
            )));
        };
        let known = default_port(&scheme) != -1;
        if scheme == "ftp" && rest.contains('?') {
            return Err(unsupported("'?' in an ftp URI (ftp has no query)"));
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (user_info, host_port) = match authority.split_once('@') {
            Some((u, hp)) => {
                if u.is_empty() {
                    return Err(unsupported("an empty user info"));
                }
                check_part(u, "user info", false)?;
                (Some(u.to_owned()), hp)
            }
            None => (None, authority),
        };
        if host_port.contains('@') {
            return Err(unsupported("'@' in the host"));
        }
        let (host, port) = match host_port.rfind(':') {
            Some(i) if !host_port.starts_with('[') => (&host_port[..i], Some(&host_port[i + 1..])),
            _ => (host_port, None),
        };
        if host.is_empty() {
            return if known {
                Err(format_err("Invalid URI: The hostname could not be parsed."))
            } else {
                Err(unsupported("an empty host"))
            };
        }
        let host = check_host(host)?;
        let default = default_port(&scheme);
        let port = match port {
            None => default,
            Some("") => return Err(unsupported("an empty port")),
            Some(p) => {
                if !p.bytes().all(|c| c.is_ascii_digit()) {
                    return if known {
                        Err(format_err("Invalid URI: Invalid port specified."))
                    } else {
                        Err(unsupported(format!("the port '{p}'")))
                    };
                }
                if p.len() > 1 && p.starts_with('0') {
                    return Err(unsupported("a port with leading zeros"));
                }
                match p.parse::<u32>() {
                    Ok(v) if v <= 0xFFFF => v as i32,
                    _ => return Err(format_err("Invalid URI: Invalid port specified.")),
                }
            }
        };
        let (before_fragment, fragment) = match tail.find('#') {
            Some(i) => tail.split_at(i),
            None => (tail, ""),
        };
        if fragment[1.min(fragment.len())..].contains('#') {
            return Err(unsupported("a second '#' in the fragment"));
        }
        let (path, query) = match before_fragment.find('?') {
            Some(i) => before_fragment.split_at(i),
            None => (before_fragment, ""),
        };
        check_part(path, "path", true)?;
        if path.split('/').any(|seg| seg.ends_with('.')) {
            return Err(unsupported(
                "a path segment ending with '.' (.NET removes dot segments and trailing dots)",
            ));
        }
        check_part(&query[1.min(query.len())..], "query", true)?;
        check_part(&fragment[1.min(fragment.len())..], "fragment", true)?;
        Ok(Uri {
            original: Arc::from(s),
            default_port: port == default,
            scheme,
            user_info,
            host,
            port,
            path: if path.is_empty() {
                "/".into()
            } else {
                path.into()
            },
            query: query.into(),
            fragment: fragment.into(),
        })
    }

    fn authority(&self) -> String {
        if self.default_port {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// `scheme://[user@]host[:port]`.
    fn left(&self) -> String {
        let user = self
            .user_info
            .as_ref()
            .map_or(String::new(), |u| format!("{u}@"));
        format!("{}://{user}{}", self.scheme, self.authority())
    }

    /// `AbsoluteUri`.
    fn absolute(&self) -> String {
        format!(
            "{}{}{}{}",
            self.left(),
            escaped(&self.path),
            escaped(&self.query),
            escaped(&self.fragment)
        )
    }

    /// `Uri.Equals`: the same scheme, host, port, path and query; user info and fragment aside.
    pub(crate) fn same(&self, o: &Uri) -> bool {
        self.scheme == o.scheme
            && self.host == o.host
            && self.port == o.port
            && escaped(&self.path) == escaped(&o.path)
            && escaped(&self.query) == escaped(&o.query)
    }

    /// `ToString()`: the canonical form with spaces, quotes and angle brackets unescaped.
    pub(crate) fn display(&self) -> String {
        format!(
            "{}{}{}{}",
            self.left(),
            shown(&self.path),
            shown(&self.query),
            shown(&self.fragment)
        )
    }
}

/// A component as `AbsoluteUri` shows it.
fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '"' => out.push_str("%22"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            c => out.push(c),
        }
    }
    out
}

/// A component as `ToString()` shows it.
fn shown(s: &str) -> String {
    s.replace("%20", " ")
        .replace("%22", "\"")
        .replace("%3C", "<")
        .replace("%3E", ">")
}

fn parse_or_fail(s: &str) -> Result<Uri, EvalError> {
    Uri::parse(s).or_else(|b| match b {
        Bad::Format(msg) => fail(ErrorKind::UriFormat, msg),
        Bad::Unsupported(what) => fail(
            ErrorKind::NotSupported,
            format!("Tollgate's Uri does not support {what} yet"),
        ),
    })
}

fn arg_null() -> Res {
    fail(ErrorKind::Argument, "value cannot be null")
}

fn new_uri(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    if matches!(a[0], Value::Null) {
        return arg_null();
    }
    if a.len() > 1 && int_arg(&a[1]) != ABSOLUTE {
        return fail(
            ErrorKind::NotSupported,
            "Tollgate's Uri supports UriKind.Absolute only",
        );
    }
    let s = str_arg(&a[0])?;
    m.scan(s.len())?;
    let u = parse_or_fail(&s)?;
    m.alloc(2 * s.len() + 64)?;
    Ok(Value::Obj(Arc::new(Obj::Uri(Box::new(u)))))
}

fn try_create(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    if int_arg(&a[1]) != ABSOLUTE {
        return fail(
            ErrorKind::NotSupported,
            "Tollgate's Uri.TryCreate supports UriKind.Absolute only",
        );
    }
    let s = match &a[0] {
        Value::Null => {
            a[2] = Value::Null;
            return Ok(Value::Bool(false));
        }
        v => str_arg(v)?,
    };
    m.scan(s.len())?;
    match Uri::parse(&s) {
        Ok(u) => {
            m.alloc(2 * s.len() + 64)?;
            a[2] = Value::Obj(Arc::new(Obj::Uri(Box::new(u))));
            Ok(Value::Bool(true))
        }
        Err(Bad::Format(_)) => {
            a[2] = Value::Null;
            Ok(Value::Bool(false))
        }
        Err(Bad::Unsupported(what)) => fail(
            ErrorKind::NotSupported,
            format!("Tollgate's Uri does not support {what} yet"),
        ),
    }
}

fn uri(v: &Value) -> Result<&Uri, EvalError> {
    match v {
        Value::Obj(o) => match &**o {
            Obj::Uri(u) => Ok(u),
            _ => null_ref(),
        },
        _ => null_ref(),
    }
}

fn text(m: &mut Machine<'_>, s: String) -> Res {
    m.string(s)
}

/// `Uri.EscapeDataString`: everything but RFC 3986 unreserved characters as UTF-8 escapes.
fn escape_data(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    if matches!(a[0], Value::Null) {
        return arg_null();
    }
    let s = str_arg(&a[0])?;
    let units = s.encode_utf16().count();
    if units >= MAX_URI {
        return fail(
            ErrorKind::UriFormat,
            "Invalid URI: The Uri string is too long.",
        );
    }
    if units > 32766 {
        return fail(
            ErrorKind::NotSupported,
            "Tollgate's Uri.EscapeDataString does not support strings of more than 32766 characters yet",
        );
    }
    m.scan(s.len())?;
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if is_unreserved(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    m.string(out)
}

/// `Uri.UnescapeDataString`: every valid escape decoded (UTF-8 for bytes from 0x80).
fn unescape_data(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    if matches!(a[0], Value::Null) {
        return arg_null();
    }
    let s = str_arg(&a[0])?;
    m.scan(s.len())?;
    let b = s.as_bytes();
    let esc = |i: usize| -> Option<u8> {
        let (h, l) = (*b.get(i + 1)?, *b.get(i + 2)?);
        (b[i] == b'%' && h.is_ascii_hexdigit() && l.is_ascii_hexdigit())
            .then(|| hex_val(h) * 16 + hex_val(l))
    };
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match esc(i) {
            Some(v) if v < 0x80 => {
                out.push(v);
                i += 3;
            }
            Some(_) => {
                let mut bytes = Vec::new();
                while let Some(v) = esc(i).filter(|v| *v >= 0x80) {
                    bytes.push(v);
                    i += 3;
                }
                if std::str::from_utf8(&bytes).is_err() {
                    return fail(
                        ErrorKind::NotSupported,
                        "Tollgate's Uri.UnescapeDataString does not support escapes that are not UTF-8 yet",
                    );
                }
                out.extend_from_slice(&bytes);
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    // Only ASCII bytes and whole UTF-8 sequences were added to valid UTF-8 text.
    m.string(String::from_utf8(out).unwrap_or_default())
}

/// The length of the text a `Uri` holds (what comparing or showing it reads), if it is one.
pub(crate) fn text_len(o: &Obj) -> Option<usize> {
    match o {
        Obj::Uri(u) => Some(u.original.len()),
        _ => None,
    }
}

/// Whether two values are equal `Uri`s (for `==` and `Equals`, as .NET's `Uri` overrides them).
pub(crate) fn equal(a: &Obj, b: &Obj) -> bool {
    matches!((a, b), (Obj::Uri(x), Obj::Uri(y)) if x.same(y))
}

fn equals(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let me = uri(&a[0])?;
    let other = match &a[1] {
        Value::Obj(o) => text_len(o).unwrap_or(0),
        Value::Str(s) => s.len(),
        _ => 0,
    };
    m.scan(2 * (me.original.len() + other))?;
    Ok(Value::Bool(match &a[1] {
        Value::Obj(o) => matches!(&**o, Obj::Uri(u) if me.same(u)),
        Value::Str(s) => match Uri::parse(s) {
            Ok(u) => me.same(&u),
            // A relative or malformed string is never equal to an absolute URI.
            Err(Bad::Format(_)) => false,
            Err(Bad::Unsupported(what)) => {
                return fail(
                    ErrorKind::NotSupported,
                    format!("Tollgate's Uri does not support {what} yet"),
                );
            }
        },
        _ => false,
    }))
}

fn left_part(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let u = uri(&a[0])?;
    let s = match int_arg(&a[1]) {
        0 => format!("{}://", u.scheme),
        1 => u.left(),
        2 => format!("{}{}", u.left(), escaped(&u.path)),
        3 => format!("{}{}{}", u.left(), escaped(&u.path), escaped(&u.query)),
        _ => return fail(ErrorKind::Argument, "the parameter 'part' is not valid"),
    };
    text(m, s)
}

fn segments(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let path = escaped(&uri(&a[0])?.path);
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in path.char_indices() {
        if c == '/' {
            out.push(Value::from(&path[start..=i]));
            start = i + 1;
        }
    }
    if start < path.len() {
        out.push(Value::from(&path[start..]));
    }
    m.alloc(path.len())?;
    m.array(out)
}

pub(crate) fn register(r: &mut Registry) {
    let s = || Type::String;
    let uri_t = || Type::Named("Uri");
    const S: &str = "static:Uri";
    r.method(S, ".ctor", vec![t(s())], uri_t(), new_uri);
    r.method(S, ".ctor", vec![t(s()), t(Type::Int)], uri_t(), new_uri);
    r.method(
        S,
        "TryCreate",
        vec![t(s()), t(Type::Int), P::Out(uri_t())],
        Type::Bool,
        try_create,
    );
    r.method(S, "EscapeDataString", vec![t(s())], s(), escape_data);
    r.method(S, "UnescapeDataString", vec![t(s())], s(), unescape_data);
    r.prop(S, "SchemeDelimiter", s(), |_, _, _| Ok(Value::from("://")));
    r.prop(S, "UriSchemeHttp", s(), |_, _, _| Ok(Value::from("http")));
    r.prop(S, "UriSchemeHttps", s(), |_, _, _| Ok(Value::from("https")));
    macro_rules! enums {
        ($($key:literal, $name:literal = $v:literal;)*) => {$(
            r.prop($key, $name, Type::Int, |_, _, _| Ok(Value::Int($v)));
        )*};
    }
    enums! {
        "static:UriKind", "Absolute" = 1;
        "static:UriPartial", "Scheme" = 0;
        "static:UriPartial", "Authority" = 1;
        "static:UriPartial", "Path" = 2;
        "static:UriPartial", "Query" = 3;
    }

    const U: &str = "Uri";
    macro_rules! props {
        ($($name:literal => |$u:ident| $e:expr;)*) => {$(
            r.prop(U, $name, s(), |m, a, _| {
                let $u = uri(&a[0])?;
                let v: String = $e;
                text(m, v)
            });
        )*};
    }
    props! {
        "Scheme" => |u| u.scheme.clone();
        "Host" => |u| u.host.clone();
        "DnsSafeHost" => |u| u.host.clone();
        "Authority" => |u| u.authority();
        "UserInfo" => |u| u.user_info.clone().unwrap_or_default();
        "AbsolutePath" => |u| escaped(&u.path);
        "AbsoluteUri" => |u| u.absolute();
        "PathAndQuery" => |u| format!("{}{}", escaped(&u.path), escaped(&u.query));
        "Query" => |u| escaped(&u.query);
        "Fragment" => |u| escaped(&u.fragment);
        "OriginalString" => |u| u.original.to_string();
    }
    r.prop(U, "Port", Type::Int, |_, a, _| {
        Ok(Value::Int(uri(&a[0])?.port))
    });
    r.prop(U, "IsDefaultPort", Type::Bool, |_, a, _| {
        Ok(Value::Bool(uri(&a[0])?.default_port))
    });
    r.prop(U, "IsAbsoluteUri", Type::Bool, |_, a, _| {
        uri(&a[0]).map(|_| Value::Bool(true))
    });
    r.prop(U, "Segments", Type::Array(Box::new(s())), segments);
    r.method(U, "GetLeftPart", vec![t(Type::Int)], s(), left_part);
    r.method(U, "ToString", vec![], s(), |m, a, _| {
        let v = uri(&a[0])?.display();
        text(m, v)
    });
    // Before `object.Equals`: a string argument is read as a URI.
    r.method(U, "Equals", vec![t(Type::Object)], Type::Bool, equals);
}
