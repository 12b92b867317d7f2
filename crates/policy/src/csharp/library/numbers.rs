//! Numbers and booleans: `Parse`, `TryParse`, `ToString(format)`, `Math`.

use super::{P, Registry, double_arg, int_arg, str_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, Value, fail, format_double};

type Res = Result<Value, EvalError>;

fn format_err<T>() -> Result<T, EvalError> {
    fail(
        ErrorKind::Format,
        "input string was not in a correct format",
    )
}

/// Parses an integer as `long.Parse` does (invariant culture, surrounding white space).
pub(crate) fn parse_int(s: &str) -> Result<i64, EvalError> {
    let s = s.trim();
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty()
        || !digits
            .trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return format_err();
    }
    digits.parse::<i64>().or_else(|_| {
        fail(
            ErrorKind::Overflow,
            "value was either too large or too small",
        )
    })
}

/// Parses a double (invariant culture).
pub(crate) fn parse_double(s: &str) -> Result<f64, EvalError> {
    let s = s.trim();
    match s {
        "NaN" => return Ok(f64::NAN),
        "Infinity" | "∞" => return Ok(f64::INFINITY),
        "-Infinity" | "-∞" => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E' | b','))
    {
        return format_err();
    }
    s.replace(',', "").parse::<f64>().or_else(|_| format_err())
}

/// Parses `True`/`False` (any case).
pub(crate) fn parse_bool(s: &str) -> Result<bool, EvalError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => fail(
            ErrorKind::Format,
            "string was not recognized as a valid Boolean",
        ),
    }
}

/// `T.TryParse(s, out v)`: `v` gets the parsed value, or the type's default (`0`, `false`) when
/// `s` is null or does not parse; the result says whether it parsed.
fn try_parse<T: Default>(
    m: &mut Machine<'_>,
    a: &mut [Value],
    parse: fn(&str) -> Result<T, EvalError>,
    wrap: fn(T) -> Value,
) -> Res {
    let parsed = match &a[0] {
        Value::Str(s) => {
            m.scan(s.len())?;
            parse(s).ok()
        }
        _ => None,
    };
    let ok = parsed.is_some();
    a[1] = wrap(parsed.unwrap_or_default());
    Ok(Value::Bool(ok))
}

/// `T.Parse(s)`: a pass over `s`, then `parse`.
fn parse_arg<T>(
    m: &mut Machine<'_>,
    v: &Value,
    parse: fn(&str) -> Result<T, EvalError>,
) -> Result<T, EvalError> {
    let s = str_arg(v)?;
    m.scan(s.len())?;
    parse(&s)
}

fn parse_int32(s: &str) -> Result<i32, EvalError> {
    i32::try_from(parse_int(s)?).or_else(|_| {
        fail(
            ErrorKind::Overflow,
            "value was either too large or too small for an Int32",
        )
    })
}

/// Formats a value with a .NET format string (`N2`, `F1`, `D5`, `X`, `0.00`, date patterns),
/// counting a pass over the format (a date pattern is read a step a character, as
/// `ToString(format)` reads it) and checking that a padded result (`D100000`) fits before
/// it is made.
pub(crate) fn format_value(m: &mut Machine<'_>, v: &Value, f: &str) -> Result<String, EvalError> {
    match v {
        Value::DateTime(t) => {
            m.step(f.len() as u64)?;
            return super::timefmt::format(*t, super::timefmt::Zone::Utc, f);
        }
        Value::DateTimeOffset { .. } => {
            m.step(f.len() as u64)?;
            return super::offset::format(v, f);
        }
        _ => {}
    }
    m.scan(f.len())?;
    let (kind, prec) = f.split_at(f.chars().next().map_or(0, char::len_utf8));
    let prec: Option<usize> = if prec.is_empty() {
        None
    } else {
        prec.parse().ok()
    };
    let x = double_arg(v);
    let int = matches!(v, Value::Int(_) | Value::Long(_));
    // The result of a padding format is at least as long as its precision.
    if matches!(kind, "F" | "f" | "N" | "n") || (int && matches!(kind, "D" | "d" | "X" | "x")) {
        let p = prec.unwrap_or(0);
        m.room(p)?;
        m.scan(p)?;
    }
    Ok(match kind {
        "D" | "d" if int => {
            let n = match v {
                Value::Long(l) => *l,
                _ => int_arg(v) as i64,
            };
            let sign = if n < 0 { "-" } else { "" };
            format!("{sign}{}", zero_padded(n.unsigned_abs().to_string(), prec))
        }
        "X" | "x" if int => {
            let n = match v {
                Value::Long(l) => *l as u64,
                _ => int_arg(v) as u32 as u64,
            };
            let digits = if kind == "X" {
                format!("{n:X}")
            } else {
                format!("{n:x}")
            };
            zero_padded(digits, prec)
        }
        "F" | "f" => fixed(x, prec.unwrap_or(2)),
        "N" | "n" => group(&fixed(x, prec.unwrap_or(2))),
        "G" | "g" | "R" | "r" | "" => v.to_string(),
        _ if f.chars().all(|c| matches!(c, '0' | '#' | '.' | ',')) => {
            let decimals = f.split_once('.').map_or(0, |(_, d)| d.len());
            let s = fixed(x, decimals);
            if f.contains(',') { group(&s) } else { s }
        }
        _ => {
            return fail(
                ErrorKind::Format,
                format!("format specifier '{f}' is not supported"),
            );
        }
    })
}

/// Digits with zeros in front up to a width (Rust's `{:0w$}` takes widths up to 65535 only).
fn zero_padded(digits: String, width: Option<usize>) -> String {
    let zeros = width.unwrap_or(0).saturating_sub(digits.len());
    if zeros == 0 {
        return digits;
    }
    let mut out = "0".repeat(zeros);
    out.push_str(&digits);
    out
}

/// Fractional digits beyond which every double's exact decimal expansion has only zeros (the
/// smallest subnormal, 2^-1074, has 1074).
const EXACT_DIGITS: usize = 1074;

/// A double with `decimals` digits after the point, rounded as Rust's `{:.N}` rounds the exact
/// value (Rust's precision goes up to 65535 only: the digits beyond the exact expansion are
/// zeros, added here).
fn fixed(x: f64, decimals: usize) -> String {
    if decimals <= EXACT_DIGITS || !x.is_finite() {
        return format!("{x:.decimals$}");
    }
    let mut s = format!("{x:.EXACT_DIGITS$}");
    s.extend(std::iter::repeat_n('0', decimals - EXACT_DIGITS));
    s
}

/// Inserts thousands separators.
fn group(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

fn to_string_fmt(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let f = str_arg(&a[1])?;
    let s = format_value(m, &a[0], &f)?;
    m.string(s)
}

fn to_string(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let s = match &a[0] {
        Value::Double(d) => format_double(*d),
        v => v.to_string(),
    };
    m.string(s)
}

fn math1(a: &[Value], f: fn(f64) -> f64) -> Res {
    Ok(Value::Double(f(double_arg(&a[0]))))
}

pub(crate) fn register(r: &mut Registry) {
    let s = || t(Type::String);
    for (k, ty) in [
        ("int", Type::Int),
        ("long", Type::Long),
        ("double", Type::Double),
        ("bool", Type::Bool),
        ("char", Type::Char),
    ] {
        r.method(k, "ToString", vec![], Type::String, to_string);
        if k != "bool" && k != "char" {
            r.method(k, "ToString", vec![s()], Type::String, to_string_fmt);
        }
        r.method(k, "Equals", vec![t(ty.clone())], Type::Bool, |m, a, _| {
            Ok(Value::Bool(super::budget::equals(m, &a[0], &a[1])?))
        });
        r.method(k, "CompareTo", vec![t(ty)], Type::Int, |_, a, _| {
            let (x, y) = (double_arg(&a[0]), double_arg(&a[1]));
            Ok(Value::Int(x.partial_cmp(&y).map_or(0, |o| o as i32)))
        });
    }
    r.method("static:int", "Parse", vec![s()], Type::Int, |m, a, _| {
        Ok(Value::Int(parse_arg(m, &a[0], parse_int32)?))
    });
    r.method("static:long", "Parse", vec![s()], Type::Long, |m, a, _| {
        Ok(Value::Long(parse_arg(m, &a[0], parse_int)?))
    });
    r.method(
        "static:double",
        "Parse",
        vec![s()],
        Type::Double,
        |m, a, _| Ok(Value::Double(parse_arg(m, &a[0], parse_double)?)),
    );
    r.method("static:bool", "Parse", vec![s()], Type::Bool, |m, a, _| {
        Ok(Value::Bool(parse_arg(m, &a[0], parse_bool)?))
    });
    r.method(
        "static:int",
        "TryParse",
        vec![s(), P::Out(Type::Int)],
        Type::Bool,
        |m, a, _| try_parse(m, a, parse_int32, Value::Int),
    );
    r.method(
        "static:long",
        "TryParse",
        vec![s(), P::Out(Type::Long)],
        Type::Bool,
        |m, a, _| try_parse(m, a, parse_int, Value::Long),
    );
    r.method(
        "static:double",
        "TryParse",
        vec![s(), P::Out(Type::Double)],
        Type::Bool,
        |m, a, _| try_parse(m, a, parse_double, Value::Double),
    );
    r.method(
        "static:bool",
        "TryParse",
        vec![s(), P::Out(Type::Bool)],
        Type::Bool,
        |m, a, _| try_parse(m, a, parse_bool, Value::Bool),
    );
    r.prop("static:int", "MaxValue", Type::Int, |_, _, _| {
        Ok(Value::Int(i32::MAX))
    });
    r.prop("static:int", "MinValue", Type::Int, |_, _, _| {
        Ok(Value::Int(i32::MIN))
    });
    r.prop("static:long", "MaxValue", Type::Long, |_, _, _| {
        Ok(Value::Long(i64::MAX))
    });
    r.prop("static:long", "MinValue", Type::Long, |_, _, _| {
        Ok(Value::Long(i64::MIN))
    });
    r.method(
        "static:char",
        "IsDigit",
        vec![t(Type::Char)],
        Type::Bool,
        |_, a, _| {
            Ok(Value::Bool(
                matches!(a[0], Value::Char(c) if c.is_ascii_digit()),
            ))
        },
    );
    r.method(
        "static:char",
        "IsLetter",
        vec![t(Type::Char)],
        Type::Bool,
        |_, a, _| {
            Ok(Value::Bool(
                matches!(a[0], Value::Char(c) if c.is_alphabetic()),
            ))
        },
    );
    r.method(
        "static:char",
        "IsWhiteSpace",
        vec![t(Type::Char)],
        Type::Bool,
        |_, a, _| {
            Ok(Value::Bool(
                matches!(a[0], Value::Char(c) if c.is_whitespace()),
            ))
        },
    );
    r.method(
        "static:char",
        "IsUpper",
        vec![t(Type::Char)],
        Type::Bool,
        |_, a, _| {
            Ok(Value::Bool(
                matches!(a[0], Value::Char(c) if c.is_uppercase()),
            ))
        },
    );
    const M: &str = "static:Math";
    let d = || t(Type::Double);
    for (ty, k) in [(Type::Int, 0), (Type::Long, 1), (Type::Double, 2)] {
        let abs: super::Native = match k {
            0 => |_, a, _| match a[0] {
                Value::Int(i) => i.checked_abs().map(Value::Int).map_or_else(
                    || {
                        fail(
                            ErrorKind::Overflow,
                            "negating the minimum value of a twos complement number is invalid",
                        )
                    },
                    Ok,
                ),
                _ => Ok(a[0].clone()),
            },
            1 => |_, a, _| match a[0] {
                Value::Long(i) => i.checked_abs().map(Value::Long).map_or_else(
                    || {
                        fail(
                            ErrorKind::Overflow,
                            "negating the minimum value of a twos complement number is invalid",
                        )
                    },
                    Ok,
                ),
                _ => Ok(a[0].clone()),
            },
            _ => |_, a, _| math1(a, f64::abs),
        };
        r.method(M, "Abs", vec![t(ty.clone())], ty.clone(), abs);
        r.method(
            M,
            "Max",
            vec![t(ty.clone()), t(ty.clone())],
            ty.clone(),
            |_, a, _| {
                Ok(if double_arg(&a[1]) > double_arg(&a[0]) {
                    a[1].clone()
                } else {
                    a[0].clone()
                })
            },
        );
        r.method(
            M,
            "Min",
            vec![t(ty.clone()), t(ty.clone())],
            ty.clone(),
            |_, a, _| {
                Ok(if double_arg(&a[1]) < double_arg(&a[0]) {
                    a[1].clone()
                } else {
                    a[0].clone()
                })
            },
        );
    }
    r.method(M, "Floor", vec![d()], Type::Double, |_, a, _| {
        math1(a, f64::floor)
    });
    r.method(M, "Ceiling", vec![d()], Type::Double, |_, a, _| {
        math1(a, f64::ceil)
    });
    r.method(M, "Round", vec![d()], Type::Double, |_, a, _| {
        math1(a, f64::round_ties_even)
    });
    r.method(
        M,
        "Round",
        vec![d(), t(Type::Int)],
        Type::Double,
        |_, a, _| {
            let p = 10f64.powi(int_arg(&a[1]).clamp(0, 15));
            Ok(Value::Double((double_arg(&a[0]) * p).round_ties_even() / p))
        },
    );
    r.method(M, "Sqrt", vec![d()], Type::Double, |_, a, _| {
        math1(a, f64::sqrt)
    });
    r.method(M, "Truncate", vec![d()], Type::Double, |_, a, _| {
        math1(a, f64::trunc)
    });
    r.method(M, "Log", vec![d()], Type::Double, |_, a, _| {
        math1(a, f64::ln)
    });
    r.method(M, "Log10", vec![d()], Type::Double, |_, a, _| {
        math1(a, f64::log10)
    });
    r.method(M, "Pow", vec![d(), d()], Type::Double, |_, a, _| {
        Ok(Value::Double(double_arg(&a[0]).powf(double_arg(&a[1]))))
    });
    r.method(M, "Sign", vec![d()], Type::Int, |_, a, _| {
        let x = double_arg(&a[0]);
        Ok(Value::Int(if x > 0.0 {
            1
        } else if x < 0.0 {
            -1
        } else {
            0
        }))
    });
    r.prop(M, "PI", Type::Double, |_, _, _| {
        Ok(Value::Double(std::f64::consts::PI))
    });
    r.prop(M, "E", Type::Double, |_, _, _| {
        Ok(Value::Double(std::f64::consts::E))
    });
}
