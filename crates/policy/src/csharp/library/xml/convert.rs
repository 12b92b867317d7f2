//! `XmlConvert`'s parsing, as the explicit conversions of `XElement` and `XAttribute` use it
//! (`(int)element`, `(double?)attribute`, `(bool)element`).

use super::parse;
use crate::csharp::value::{ErrorKind, EvalError, fail};

fn format_err<T>(what: &str) -> Result<T, EvalError> {
    fail(
        ErrorKind::Format,
        format!("the string was not recognized as a valid {what}"),
    )
}

/// White space `NumberStyles.AllowLeadingWhite`/`AllowTrailingWhite` skip.
fn number_space(c: char) -> bool {
    c == ' ' || ('\u{9}'..='\u{D}').contains(&c)
}

/// `XmlConvert.ToInt32`/`ToInt64` (`int.Parse` with white space and a leading sign, invariant):
/// out of `min..=max` → `OverflowException`.
pub(super) fn xml_long(s: &str, min: i64, max: i64) -> Result<i64, EvalError> {
    let t = s.trim_matches(number_space);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return format_err("integer");
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v * 10 + i128::from(b - b'0');
        if v > i128::from(u64::MAX) {
            break;
        }
    }
    let v = if neg { -v } else { v };
    if v < i128::from(min) || v > i128::from(max) {
        return fail(
            ErrorKind::Overflow,
            "value was either too large or too small",
        );
    }
    Ok(v as i64)
}

/// `XmlConvert.ToDouble`: `INF`, `-INF`, or `double.Parse` of the trimmed text.
pub(super) fn xml_double(s: &str) -> Result<f64, EvalError> {
    let t = s.trim_matches(parse::is_space);
    match t {
        "INF" => return Ok(f64::INFINITY),
        "-INF" => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    let u = t.trim_matches(number_space);
    let body = u.strip_prefix(['+', '-']).unwrap_or(u);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    let ok = (!int.is_empty() || !frac.is_empty())
        && digits(int)
        && digits(frac)
        && exp.is_none_or(|e| {
            let e = e.strip_prefix(['+', '-']).unwrap_or(e);
            !e.is_empty() && digits(e)
        });
    if !ok {
        let lower = u.to_lowercase();
        if lower.contains("nan") || lower.contains("infinity") || lower.contains('∞') {
            return fail(
                ErrorKind::InvalidOperation,
                format!("converting '{t}' to a double is not supported in policy expressions"),
            );
        }
        return format_err("double");
    }
    let d: f64 = u.parse().or_else(|_| format_err("double"))?;
    Ok(if d == 0.0 && t.starts_with('-') {
        -0.0
    } else {
        d
    })
}

/// `XmlConvert.ToBoolean` of the lower-cased text.
pub(super) fn xml_bool(s: &str) -> Result<bool, EvalError> {
    match s.to_lowercase().trim_matches(parse::is_space) {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => format_err("Boolean"),
    }
}
