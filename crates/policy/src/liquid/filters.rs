//! The standard filters, by the PascalCase names Azure's DotLiquid (C# naming convention)
//! knows them by.

use std::sync::Arc;

use super::value::Value;
use crate::csharp::library::time::parse_datetime;
use crate::csharp::library::timefmt::{Zone, format};

/// The filters Tollgate runs. `Currency` (culture-dependent) is not among them.
const NAMES: [&str; 48] = [
    "Abs",
    "Append",
    "AtLeast",
    "AtMost",
    "Capitalize",
    "Ceil",
    "Compact",
    "Date",
    "Default",
    "DividedBy",
    "Downcase",
    "Escape",
    "First",
    "Floor",
    "H",
    "Join",
    "Last",
    "Lstrip",
    "Map",
    "Minus",
    "Modulo",
    "NewlineToBr",
    "Plus",
    "Prepend",
    "Remove",
    "RemoveFirst",
    "Replace",
    "ReplaceFirst",
    "Reverse",
    "Round",
    "Rstrip",
    "Size",
    "Slice",
    "Sort",
    "Split",
    "Strip",
    "StripHtml",
    "StripNewlines",
    "Times",
    "Truncate",
    "TruncateWords",
    "Uniq",
    "Upcase",
    "UrlDecode",
    "UrlEncode",
    "EscapeOnce",
    "Concat",
    "SortNatural",
];

/// The filter of that name; an unknown name (Liquid's `upcase` among them: Azure requires
/// PascalCase) is an error naming the right one when there is one.
pub(super) fn known(name: &str) -> Result<&'static str, String> {
    if let Some(n) = NAMES.iter().find(|n| **n == name) {
        return Ok(n);
    }
    let pascal: String = name
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect();
    match NAMES.iter().find(|n| **n == pascal) {
        Some(n) => Err(format!(
            "unknown filter '{name}': Azure's Liquid names filters in PascalCase ('{n}')"
        )),
        None => Err(format!("the filter '{name}' is not supported by Tollgate")),
    }
}

type Res = Result<Value, String>;

/// Applies a filter (its name from [`known`]); `now` is the current time in ticks.
pub(super) fn apply(name: &str, input: &Value, args: &[Value], now: i64) -> Res {
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let text = || input.text();
    let s = |v: String| Ok(Value::from(v));
    match name {
        "Upcase" => s(text().to_uppercase()),
        "Downcase" => s(text().to_lowercase()),
        "Capitalize" => {
            let t = text();
            let mut c = t.chars();
            s(c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default())
        }
        "Size" => Ok(Value::Int(match input {
            Value::Str(t) => t.encode_utf16().count() as i64,
            Value::Array(items) => items.len() as i64,
            Value::Object(o) => o.members().len() as i64,
            _ => 0,
        })),
        "First" | "Last" => Ok(match input {
            Value::Array(items) if name == "First" => items.first().cloned().unwrap_or_default(),
            Value::Array(items) => items.last().cloned().unwrap_or_default(),
            Value::Str(t) => {
                let c = if name == "First" {
                    t.chars().next()
                } else {
                    t.chars().last()
                };
                c.map(|c| Value::from(c.to_string())).unwrap_or_default()
            }
            _ => Value::Nil,
        }),
        "Join" => {
            let glue = args.first().map_or(" ".into(), Value::text);
            s(input
                .items()
                .iter()
                .map(Value::text)
                .collect::<Vec<_>>()
                .join(&glue))
        }
        "Split" => {
            let t = text();
            let sep = arg(0).text();
            let parts: Vec<Value> = if sep.is_empty() {
                t.chars().map(|c| Value::from(c.to_string())).collect()
            } else {
                t.split(sep.as_str())
                    .filter(|p| !p.is_empty())
                    .map(Value::from)
                    .collect()
            };
            Ok(parts.into())
        }
        "Replace" => s(text().replace(&arg(0).text(), &arg(1).text())),
        "ReplaceFirst" => s(text().replacen(&arg(0).text(), &arg(1).text(), 1)),
        "Remove" => s(text().replace(&arg(0).text(), "")),
        "RemoveFirst" => s(text().replacen(&arg(0).text(), "", 1)),
        "Append" => s(text() + &arg(0).text()),
        "Prepend" => s(arg(0).text() + &text()),
        "Strip" => s(text().trim().to_owned()),
        "Lstrip" => s(text().trim_start().to_owned()),
        "Rstrip" => s(text().trim_end().to_owned()),
        "StripNewlines" => s(text().replace(['\r', '\n'], "")),
        "NewlineToBr" => s(text().replace("\r\n", "<br />\r\n").replace_newlines()),
        "Escape" | "H" => s(escape_html(&text())),
        "EscapeOnce" => s(escape_html(&unescape_html(&text()))),
        "StripHtml" => s(strip_html(&text())),
        "UrlEncode" => s(url_encode(&text())),
        "UrlDecode" => s(url_decode(&text())),
        "Truncate" => truncate(&text(), args),
        "TruncateWords" => truncate_words(&text(), args),
        "Slice" => slice(input, args),
        "Default" => Ok(if !input.truthy() || input.is_empty() {
            arg(0)
        } else {
            input.clone()
        }),
        "Plus" | "Minus" | "Times" | "DividedBy" | "Modulo" | "AtLeast" | "AtMost" => {
            arithmetic(name, input, &arg(0))
        }
        "Abs" | "Ceil" | "Floor" | "Round" => rounding(name, input, args),
        "Date" => date(input, &arg(0), now),
        "Sort" | "SortNatural" => sort(name, input, args),
        "Map" => Ok(input
            .items()
            .iter()
            .map(|v| member(v, &arg(0).text()))
            .collect::<Vec<_>>()
            .into()),
        "Uniq" => {
            let mut out: Vec<Value> = Vec::new();
            for v in input.items() {
                if !out.iter().any(|o| o.equals(&v)) {
                    out.push(v);
                }
            }
            Ok(out.into())
        }
        "Compact" => Ok(input
            .items()
            .into_iter()
            .filter(|v| !matches!(v, Value::Nil))
            .collect::<Vec<_>>()
            .into()),
        "Reverse" => Ok(input.items().into_iter().rev().collect::<Vec<_>>().into()),
        "Concat" => Ok(input
            .items()
            .into_iter()
            .chain(arg(0).items())
            .collect::<Vec<_>>()
            .into()),
        other => Err(format!("the filter '{other}' is not supported by Tollgate")),
    }
}

trait Newlines {
    fn replace_newlines(self) -> String;
}

impl Newlines for String {
    /// `\n` not after `\r` becomes `<br />\n`.
    fn replace_newlines(self) -> String {
        let mut out = String::with_capacity(self.len());
        let mut prev = '\0';
        for c in self.chars() {
            if c == '\n' && prev != '\r' {
                out.push_str("<br />");
            }
            out.push(c);
            prev = c;
        }
        out
    }
}

/// A member of an object (`Map`, `Sort`).
pub(super) fn member(v: &Value, name: &str) -> Value {
    match v {
        Value::Object(o) => o.get(name).cloned().unwrap_or_default(),
        _ => Value::Nil,
    }
}

fn escape_html(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn unescape_html(t: &str) -> String {
    t.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Scripts, styles, comments and tags taken out.
fn strip_html(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let lower = t.to_ascii_lowercase();
    let mut at = 0;
    while let Some(open) = t[at..].find('<').map(|i| at + i) {
        out.push_str(&t[at..open]);
        let close = if lower[open..].starts_with("<script") {
            lower[open..].find("</script>").map(|i| open + i + 9)
        } else if lower[open..].starts_with("<style") {
            lower[open..].find("</style>").map(|i| open + i + 8)
        } else if t[open..].starts_with("<!--") {
            t[open..].find("-->").map(|i| open + i + 3)
        } else {
            t[open..].find('>').map(|i| open + i + 1)
        };
        match close {
            Some(end) => at = end,
            None => {
                out.push_str(&t[open..]);
                return out;
            }
        }
    }
    out.push_str(&t[at..]);
    out
}

/// `WebUtility.UrlEncode`: space as `+`, letters, digits and `-_.!*()` kept, the rest `%XX`.
fn url_encode(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for b in t.bytes() {
        match b {
            b' ' => out.push('+'),
            b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'*'
            | b'('
            | b')' => out.push(b as char),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn url_decode(t: &str) -> String {
    let bytes = t.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| (*b as char).to_digit(16));
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if hex(i + 1).is_some() && hex(i + 2).is_some() => {
                out.push((hex(i + 1).unwrap_or(0) * 16 + hex(i + 2).unwrap_or(0)) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn count_arg(args: &[Value], i: usize, default: i64) -> Result<i64, String> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(default),
        Some(v) => match v.number() {
            Some(Value::Int(n)) => Ok(n),
            Some(Value::Float(f)) => Ok(f as i64),
            _ => Err(format!("'{}' is not a number", v.text())),
        },
    }
}

fn truncate(t: &str, args: &[Value]) -> Res {
    let length = count_arg(args, 0, 50)?.max(0) as usize;
    let ellipsis = args.get(1).map_or("...".into(), Value::text);
    let chars: Vec<char> = t.chars().collect();
    if chars.len() <= length {
        return Ok(Value::from(t));
    }
    let keep = length.saturating_sub(ellipsis.chars().count());
    Ok(Value::from(
        chars[..keep].iter().collect::<String>() + &ellipsis,
    ))
}

fn truncate_words(t: &str, args: &[Value]) -> Res {
    let words = count_arg(args, 0, 15)?.max(1) as usize;
    let ellipsis = args.get(1).map_or("...".into(), Value::text);
    let all: Vec<&str> = t.split(' ').collect();
    if all.len() <= words {
        return Ok(Value::from(t));
    }
    Ok(Value::from(all[..words].join(" ") + &ellipsis))
}

fn slice(input: &Value, args: &[Value]) -> Res {
    let start = count_arg(args, 0, 0)?;
    let len = count_arg(args, 1, 1)?.max(0) as usize;
    let pick = |n: usize| -> (usize, usize) {
        let from = if start < 0 {
            n.saturating_sub(start.unsigned_abs() as usize)
        } else {
            (start as usize).min(n)
        };
        (from, (from + len).min(n))
    };
    Ok(match input {
        Value::Array(items) => {
            let (a, b) = pick(items.len());
            items[a..b].to_vec().into()
        }
        other => {
            let chars: Vec<char> = other.text().chars().collect();
            let (a, b) = pick(chars.len());
            Value::from(chars[a..b].iter().collect::<String>())
        }
    })
}

fn arithmetic(name: &str, input: &Value, arg: &Value) -> Res {
    let (a, b) = match (input.number(), arg.number()) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Err(format!(
                "{name}: '{}' and '{}' are not both numbers",
                input.text(),
                arg.text()
            ));
        }
    };
    if let (Value::Int(x), Value::Int(y)) = (&a, &b) {
        let (x, y) = (*x, *y);
        let r = match name {
            "Plus" => x.checked_add(y),
            "Minus" => x.checked_sub(y),
            "Times" => x.checked_mul(y),
            "DividedBy" | "Modulo" if y == 0 => return Err(format!("{name}: division by zero")),
            "DividedBy" => x.checked_div(y),
            "Modulo" => x.checked_rem(y),
            "AtLeast" => Some(x.max(y)),
            _ => Some(x.min(y)),
        };
        return r
            .map(Value::Int)
            .ok_or_else(|| format!("{name}: the result overflows"));
    }
    let (x, y) = (a.float().unwrap_or(0.0), b.float().unwrap_or(0.0));
    if matches!(name, "DividedBy" | "Modulo") && y == 0.0 {
        return Err(format!("{name}: division by zero"));
    }
    Ok(Value::Float(match name {
        "Plus" => x + y,
        "Minus" => x - y,
        "Times" => x * y,
        "DividedBy" => x / y,
        "Modulo" => x % y,
        "AtLeast" => x.max(y),
        _ => x.min(y),
    }))
}

fn rounding(name: &str, input: &Value, args: &[Value]) -> Res {
    let n = input
        .number()
        .ok_or_else(|| format!("{name}: '{}' is not a number", input.text()))?;
    let Value::Float(f) = n else {
        return Ok(match n {
            Value::Int(i) if name == "Abs" => Value::Int(i.checked_abs().unwrap_or(i64::MAX)),
            other => other,
        });
    };
    Ok(match name {
        "Abs" => Value::Float(f.abs()),
        "Ceil" => Value::Float(f.ceil()),
        "Floor" => Value::Float(f.floor()),
        _ => {
            let places = count_arg(args, 0, 0)?.clamp(0, 15) as i32;
            let scale = 10f64.powi(places);
            // .NET's Math.Round: to even.
            Value::Float((f * scale).round_ties_even() / scale)
        }
    })
}

fn date(input: &Value, fmt: &Value, now: i64) -> Res {
    let ticks = match input {
        Value::Date(t) => *t,
        Value::Str(s) if matches!(s.trim(), "now" | "today" | "Now" | "Today") => now,
        Value::Str(s) => match parse_datetime(s) {
            Some(t) => t,
            None => return Ok(input.clone()),
        },
        other => return Ok(other.clone()),
    };
    let f = fmt.text();
    if f.is_empty() {
        return Ok(Value::from(super::value::date_text(ticks)));
    }
    format(ticks, Zone::Utc, &f)
        .map(Value::from)
        .map_err(|e| format!("Date: {}", e.message))
}

fn sort(name: &str, input: &Value, args: &[Value]) -> Res {
    let key = args.first().map(Value::text);
    let mut items = input.items();
    let of = |v: &Value| match &key {
        Some(k) => member(v, k),
        None => v.clone(),
    };
    let natural = name == "SortNatural";
    items.sort_by(|a, b| {
        let (a, b) = (of(a), of(b));
        if natural {
            return a.text().to_lowercase().cmp(&b.text().to_lowercase());
        }
        a.compare(&b).unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(items.into())
}

/// A `[key, value]` pair of an object iterated by `for`.
pub(super) fn pair(name: &Arc<str>, value: &Value) -> Value {
    vec![Value::Str(name.clone()), value.clone()].into()
}
