//! `DateTime`, `TimeSpan` and `Guid`.

use super::{Registry, double_arg, int_arg, str_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::ir::Bin;
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, TICKS_PER_SECOND, Value, fail};

type Res = Result<Value, EvalError>;

/// Ticks per day.
const DAY: i64 = 86_400 * TICKS_PER_SECOND;
/// The largest valid DateTime tick count (9999-12-31T23:59:59.9999999).
const MAX_TICKS: i64 = 3_155_378_975_999_999_999;
/// Ticks at 1970-01-01.
#[cfg(test)]
const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;

/// Days since 0001-01-01 of a civil date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 306
}

/// The civil date of a day count since 0001-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 306;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats ticks with a .NET date format (standard `o`, `s`, `u`, `G`, `d`, `r`, or a custom
/// pattern of `yyyy MM dd HH hh mm ss fff tt` and literals).
pub(crate) fn format_datetime(ticks: i64, f: &str) -> String {
    let pattern = match f {
        "o" | "O" => "yyyy-MM-ddTHH:mm:ss.fffffff",
        "s" => "yyyy-MM-ddTHH:mm:ss",
        "u" => "yyyy-MM-dd HH:mm:ssZ",
        "G" | "" => "MM/dd/yyyy HH:mm:ss",
        "g" => "MM/dd/yyyy HH:mm",
        "d" => "MM/dd/yyyy",
        "D" => "dddd, dd MMMM yyyy",
        "T" => "HH:mm:ss",
        "t" => "HH:mm",
        "r" | "R" => "ddd, dd MMM yyyy HH:mm:ss 'GMT'",
        other => other,
    };
    let mut out = format_pattern(ticks, pattern);
    if matches!(f, "o" | "O") {
        out.push('Z');
    }
    out
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn format_pattern(ticks: i64, p: &str) -> String {
    let days = ticks.div_euclid(DAY);
    let (y, mo, d) = civil_from_days(days);
    let tod = ticks.rem_euclid(DAY);
    let (h, mi, s, frac) = (
        tod / (3600 * TICKS_PER_SECOND),
        tod / (60 * TICKS_PER_SECOND) % 60,
        tod / TICKS_PER_SECOND % 60,
        tod % TICKS_PER_SECOND,
    );
    let cs: Vec<char> = p.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        let mut n = 1;
        while i + n < cs.len() && cs[i + n] == c {
            n += 1;
        }
        match c {
            'y' => out.push_str(&if n == 2 {
                format!("{:02}", y % 100)
            } else {
                format!("{y:0n$}")
            }),
            'M' if n >= 4 => out.push_str(MONTHS[(mo - 1) as usize]),
            'M' if n == 3 => out.push_str(&MONTHS[(mo - 1) as usize][..3]),
            'M' => out.push_str(&format!("{mo:0n$}")),
            'd' if n >= 4 => out.push_str(DAYS[days.rem_euclid(7) as usize]),
            'd' if n == 3 => out.push_str(&DAYS[days.rem_euclid(7) as usize][..3]),
            'd' => out.push_str(&format!("{d:0n$}")),
            'H' => out.push_str(&format!("{h:0n$}")),
            'h' => out.push_str(&format!("{:0n$}", if h % 12 == 0 { 12 } else { h % 12 })),
            'm' => out.push_str(&format!("{mi:0n$}")),
            's' => out.push_str(&format!("{s:0n$}")),
            'f' | 'F' => {
                let digits = format!("{frac:07}");
                let part = &digits[..n.min(7)];
                if c == 'F' {
                    out.push_str(part.trim_end_matches('0'));
                } else {
                    out.push_str(part);
                }
            }
            't' => out.push_str(if h < 12 {
                &"AM"[..n.min(2)]
            } else {
                &"PM"[..n.min(2)]
            }),
            'K' | 'z' => out.push_str(if c == 'K' { "Z" } else { "+00:00" }),
            '\'' | '"' => {
                let mut j = i + 1;
                while j < cs.len() && cs[j] != c {
                    out.push(cs[j]);
                    j += 1;
                }
                i = j + 1;
                continue;
            }
            '\\' if i + 1 < cs.len() => {
                out.push(cs[i + 1]);
                i += 2;
                continue;
            }
            _ => {
                for _ in 0..n {
                    out.push(c);
                }
            }
        }
        i += n;
    }
    out
}

/// A TimeSpan as .NET writes it: `[-][d.]hh:mm:ss[.fffffff]`.
pub(crate) fn format_timespan(ticks: i64) -> String {
    let sign = if ticks < 0 { "-" } else { "" };
    let t = ticks.unsigned_abs() as i64;
    let days = t / DAY;
    let rest = t % DAY;
    let (h, m, s, f) = (
        rest / (3600 * TICKS_PER_SECOND),
        rest / (60 * TICKS_PER_SECOND) % 60,
        rest / TICKS_PER_SECOND % 60,
        rest % TICKS_PER_SECOND,
    );
    let mut out = sign.to_string();
    if days > 0 {
        out.push_str(&format!("{days}."));
    }
    out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    if f > 0 {
        out.push_str(&format!(".{f:07}"));
    }
    out
}

fn range<T>() -> Result<T, EvalError> {
    fail(
        ErrorKind::ArgumentOutOfRange,
        "the added or subtracted value results in an un-representable DateTime",
    )
}

fn checked_date(t: Option<i64>) -> Res {
    match t {
        Some(t) if (0..=MAX_TICKS).contains(&t) => Ok(Value::DateTime(t)),
        _ => range(),
    }
}

/// `DateTime ± TimeSpan`, `TimeSpan ± TimeSpan`, `DateTime - DateTime`.
pub(crate) fn arith(op: Bin, a: &Value, b: &Value) -> Res {
    match (op, a, b) {
        (Bin::TimeAdd, Value::DateTime(x), Value::TimeSpan(y)) => checked_date(x.checked_add(*y)),
        (Bin::TimeSub, Value::DateTime(x), Value::TimeSpan(y)) => checked_date(x.checked_sub(*y)),
        (Bin::DateDiff, Value::DateTime(x), Value::DateTime(y)) => Ok(Value::TimeSpan(x - y)),
        (Bin::TimeAdd, Value::TimeSpan(x), Value::TimeSpan(y)) => span(x.checked_add(*y)),
        (Bin::TimeSub, Value::TimeSpan(x), Value::TimeSpan(y)) => span(x.checked_sub(*y)),
        _ => fail(ErrorKind::InvalidOperation, "unsupported date arithmetic"),
    }
}

fn span(t: Option<i64>) -> Res {
    t.map(Value::TimeSpan)
        .map_or_else(|| fail(ErrorKind::Overflow, "TimeSpan overflowed"), Ok)
}

fn from_units(v: &Value, unit: i64) -> Res {
    let x = double_arg(v) * unit as f64;
    if !x.is_finite() || x.abs() > i64::MAX as f64 {
        return fail(
            ErrorKind::Overflow,
            "TimeSpan overflowed because the duration is too long",
        );
    }
    Ok(Value::TimeSpan(x.round() as i64))
}

fn ticks_of(v: &Value) -> i64 {
    match v {
        Value::DateTime(t) | Value::TimeSpan(t) => *t,
        _ => 0,
    }
}

fn add_units(a: &[Value], unit: i64) -> Res {
    let x = double_arg(&a[1]) * unit as f64;
    if !x.is_finite() || x.abs() > MAX_TICKS as f64 {
        return range();
    }
    checked_date(ticks_of(&a[0]).checked_add(x.round() as i64))
}

fn add_months(a: &[Value], months: i64) -> Res {
    let t = ticks_of(&a[0]);
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    let total = y * 12 + (m - 1) + months;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    if !(1..=9999).contains(&ny) {
        return range();
    }
    let dim = days_in_month(ny, nm);
    let days = days_from_civil(ny, nm, d.min(dim));
    checked_date(Some(days * DAY + t.rem_euclid(DAY)))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn new_date(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let n: Vec<i64> = a.iter().map(|v| int_arg(v) as i64).collect();
    let (y, mo, d) = (n[0], n[1], n[2]);
    let (h, mi, s) = (
        n.get(3).copied().unwrap_or(0),
        n.get(4).copied().unwrap_or(0),
        n.get(5).copied().unwrap_or(0),
    );
    if !(1..=9999).contains(&y)
        || !(1..=12).contains(&mo)
        || d < 1
        || d > days_in_month(y, mo)
        || !(0..24).contains(&h)
        || !(0..60).contains(&mi)
        || !(0..60).contains(&s)
    {
        return fail(
            ErrorKind::ArgumentOutOfRange,
            "year, month, and day parameters describe an un-representable DateTime",
        );
    }
    Ok(Value::DateTime(
        days_from_civil(y, mo, d) * DAY + (h * 3600 + mi * 60 + s) * TICKS_PER_SECOND,
    ))
}

/// Parses an ISO 8601 date (`yyyy-MM-dd[THH:mm[:ss[.f…]]][Z|±hh:mm]`), converted to UTC.
pub(crate) fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let num = |r: &str| r.parse::<i64>().ok();
    let (date, time) = s.split_once(['T', ' ']).map_or((s, ""), |(d, t)| (d, t));
    let mut dp = date.split('-');
    let (y, m, d) = (num(dp.next()?)?, num(dp.next()?)?, num(dp.next()?)?);
    if dp.next().is_some()
        || !(1..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || d < 1
        || d > days_in_month(y, m)
    {
        return None;
    }
    let mut ticks = days_from_civil(y, m, d) * DAY;
    if !time.is_empty() {
        let (clock, offset) = if let Some(c) = time.strip_suffix('Z') {
            (c, 0)
        } else if let Some(i) = time.rfind(['+', '-']) {
            let (c, o) = time.split_at(i);
            let (oh, om) = o[1..].split_once(':')?;
            let off = (num(oh)? * 60 + num(om)?) * 60 * TICKS_PER_SECOND;
            (c, if o.starts_with('-') { -off } else { off })
        } else {
            (time, 0)
        };
        let mut parts = clock.split(':');
        let h = num(parts.next()?)?;
        let mi = num(parts.next()?)?;
        let (sec, frac) = match parts.next() {
            Some(sf) => sf.split_once('.').map_or((sf, ""), |(a, b)| (a, b)),
            None => ("0", ""),
        };
        let sec = num(sec)?;
        if !(0..24).contains(&h)
            || !(0..60).contains(&mi)
            || !(0..60).contains(&sec)
            || frac.len() > 7
        {
            return None;
        }
        let f = if frac.is_empty() {
            0
        } else {
            num(&format!("{frac:0<7}"))?
        };
        ticks += (h * 3600 + mi * 60 + sec) * TICKS_PER_SECOND + f - offset;
    }
    (0..=MAX_TICKS).contains(&ticks).then_some(ticks)
}

fn parts(t: &Value) -> (i64, i64, i64, i64) {
    let t = ticks_of(t);
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    (y, m, d, t.rem_euclid(DAY))
}

pub(crate) fn register(r: &mut Registry) {
    const D: &str = "DateTime";
    const SD: &str = "static:DateTime";
    r.prop(SD, "UtcNow", Type::DateTime, |m, _, _| {
        Ok(Value::DateTime(m.ctx.now))
    });
    r.prop(SD, "Now", Type::DateTime, |m, _, _| {
        Ok(Value::DateTime(m.ctx.now))
    });
    r.prop(SD, "Today", Type::DateTime, |m, _, _| {
        Ok(Value::DateTime(m.ctx.now - m.ctx.now.rem_euclid(DAY)))
    });
    r.prop(SD, "MinValue", Type::DateTime, |_, _, _| {
        Ok(Value::DateTime(0))
    });
    r.prop(SD, "MaxValue", Type::DateTime, |_, _, _| {
        Ok(Value::DateTime(MAX_TICKS))
    });
    let i = || t(Type::Int);
    let d = || t(Type::Double);
    r.method(SD, ".ctor", vec![i(), i(), i()], Type::DateTime, new_date);
    r.method(
        SD,
        ".ctor",
        vec![i(), i(), i(), i(), i(), i()],
        Type::DateTime,
        new_date,
    );
    r.method(
        SD,
        "Parse",
        vec![t(Type::String)],
        Type::DateTime,
        |_, a, _| {
            let s = str_arg(&a[0])?;
            parse_datetime(&s).map(Value::DateTime).map_or_else(
                || {
                    fail(
                        ErrorKind::Format,
                        format!("string '{s}' was not recognized as a valid DateTime"),
                    )
                },
                Ok,
            )
        },
    );
    r.method(
        SD,
        "TryParse",
        vec![t(Type::String), super::P::Out(Type::DateTime)],
        Type::Bool,
        |_, a, _| {
            let v = match &a[0] {
                Value::Str(s) => parse_datetime(s),
                _ => None,
            };
            a[1] = Value::DateTime(v.unwrap_or(0));
            Ok(Value::Bool(v.is_some()))
        },
    );
    r.prop(D, "Year", Type::Int, |_, a, _| {
        Ok(Value::Int(parts(&a[0]).0 as i32))
    });
    r.prop(D, "Month", Type::Int, |_, a, _| {
        Ok(Value::Int(parts(&a[0]).1 as i32))
    });
    r.prop(D, "Day", Type::Int, |_, a, _| {
        Ok(Value::Int(parts(&a[0]).2 as i32))
    });
    r.prop(D, "Hour", Type::Int, |_, a, _| {
        Ok(Value::Int(
            (parts(&a[0]).3 / (3600 * TICKS_PER_SECOND)) as i32,
        ))
    });
    r.prop(D, "Minute", Type::Int, |_, a, _| {
        Ok(Value::Int(
            (parts(&a[0]).3 / (60 * TICKS_PER_SECOND) % 60) as i32,
        ))
    });
    r.prop(D, "Second", Type::Int, |_, a, _| {
        Ok(Value::Int((parts(&a[0]).3 / TICKS_PER_SECOND % 60) as i32))
    });
    r.prop(D, "Millisecond", Type::Int, |_, a, _| {
        Ok(Value::Int((parts(&a[0]).3 / 10_000 % 1000) as i32))
    });
    r.prop(D, "Ticks", Type::Long, |_, a, _| {
        Ok(Value::Long(ticks_of(&a[0])))
    });
    r.prop(D, "Date", Type::DateTime, |_, a, _| {
        Ok(Value::DateTime(ticks_of(&a[0]) - parts(&a[0]).3))
    });
    r.prop(D, "TimeOfDay", Type::TimeSpan, |_, a, _| {
        Ok(Value::TimeSpan(parts(&a[0]).3))
    });
    r.prop(D, "DayOfYear", Type::Int, |_, a, _| {
        let (y, _, _, _) = parts(&a[0]);
        Ok(Value::Int(
            (ticks_of(&a[0]).div_euclid(DAY) - days_from_civil(y, 1, 1) + 1) as i32,
        ))
    });
    r.method(D, "ToUniversalTime", vec![], Type::DateTime, |_, a, _| {
        Ok(a[0].clone())
    });
    r.method(D, "ToLocalTime", vec![], Type::DateTime, |_, a, _| {
        Ok(a[0].clone())
    });
    r.method(D, "ToString", vec![], Type::String, |m, a, _| {
        m.string(format_datetime(ticks_of(&a[0]), "G"))
    });
    r.method(
        D,
        "ToString",
        vec![t(Type::String)],
        Type::String,
        |m, a, _| {
            let f = str_arg(&a[1])?;
            m.string(format_datetime(ticks_of(&a[0]), &f))
        },
    );
    for (name, unit) in [
        ("AddDays", DAY),
        ("AddHours", 3600 * TICKS_PER_SECOND),
        ("AddMinutes", 60 * TICKS_PER_SECOND),
        ("AddSeconds", TICKS_PER_SECOND),
        ("AddMilliseconds", 10_000),
    ] {
        let f: super::Native = match unit {
            DAY => |_, a, _| add_units(a, DAY),
            36_000_000_000 => |_, a, _| add_units(a, 3600 * TICKS_PER_SECOND),
            600_000_000 => |_, a, _| add_units(a, 60 * TICKS_PER_SECOND),
            10_000_000 => |_, a, _| add_units(a, TICKS_PER_SECOND),
            _ => |_, a, _| add_units(a, 10_000),
        };
        r.method(D, name, vec![d()], Type::DateTime, f);
    }
    r.method(
        D,
        "AddTicks",
        vec![t(Type::Long)],
        Type::DateTime,
        |_, a, _| checked_date(ticks_of(&a[0]).checked_add(super::double_arg(&a[1]) as i64)),
    );
    r.method(D, "AddMonths", vec![i()], Type::DateTime, |_, a, _| {
        add_months(a, int_arg(&a[1]) as i64)
    });
    r.method(D, "AddYears", vec![i()], Type::DateTime, |_, a, _| {
        add_months(a, int_arg(&a[1]) as i64 * 12)
    });
    r.method(
        D,
        "Add",
        vec![t(Type::TimeSpan)],
        Type::DateTime,
        |_, a, _| arith(Bin::TimeAdd, &a[0], &a[1]),
    );
    r.method(
        D,
        "Subtract",
        vec![t(Type::TimeSpan)],
        Type::DateTime,
        |_, a, _| arith(Bin::TimeSub, &a[0], &a[1]),
    );
    r.method(
        D,
        "Subtract",
        vec![t(Type::DateTime)],
        Type::TimeSpan,
        |_, a, _| arith(Bin::DateDiff, &a[0], &a[1]),
    );

    const TS: &str = "TimeSpan";
    const STS: &str = "static:TimeSpan";
    r.method(STS, "FromDays", vec![d()], Type::TimeSpan, |_, a, _| {
        from_units(&a[0], DAY)
    });
    r.method(STS, "FromHours", vec![d()], Type::TimeSpan, |_, a, _| {
        from_units(&a[0], 3600 * TICKS_PER_SECOND)
    });
    r.method(STS, "FromMinutes", vec![d()], Type::TimeSpan, |_, a, _| {
        from_units(&a[0], 60 * TICKS_PER_SECOND)
    });
    r.method(STS, "FromSeconds", vec![d()], Type::TimeSpan, |_, a, _| {
        from_units(&a[0], TICKS_PER_SECOND)
    });
    r.method(
        STS,
        "FromMilliseconds",
        vec![d()],
        Type::TimeSpan,
        |_, a, _| from_units(&a[0], 10_000),
    );
    r.method(
        STS,
        "FromTicks",
        vec![t(Type::Long)],
        Type::TimeSpan,
        |_, a, _| Ok(Value::TimeSpan(super::double_arg(&a[0]) as i64)),
    );
    r.prop(STS, "Zero", Type::TimeSpan, |_, _, _| {
        Ok(Value::TimeSpan(0))
    });
    r.method(
        STS,
        ".ctor",
        vec![i(), i(), i()],
        Type::TimeSpan,
        |_, a, _| {
            let (h, m, s) = (
                int_arg(&a[0]) as i64,
                int_arg(&a[1]) as i64,
                int_arg(&a[2]) as i64,
            );
            Ok(Value::TimeSpan((h * 3600 + m * 60 + s) * TICKS_PER_SECOND))
        },
    );
    r.method(
        STS,
        ".ctor",
        vec![i(), i(), i(), i()],
        Type::TimeSpan,
        |_, a, _| {
            let n: Vec<i64> = a.iter().map(|v| int_arg(v) as i64).collect();
            Ok(Value::TimeSpan(
                (n[0] * 86_400 + n[1] * 3600 + n[2] * 60 + n[3]) * TICKS_PER_SECOND,
            ))
        },
    );
    for (name, unit) in [
        ("TotalDays", 86_400.0),
        ("TotalHours", 3600.0),
        ("TotalMinutes", 60.0),
        ("TotalSeconds", 1.0),
        ("TotalMilliseconds", 0.001),
    ] {
        let f: super::Native = match name {
            "TotalDays" => |_, a, _| Ok(Value::Double(ticks_of(&a[0]) as f64 / (DAY as f64))),
            "TotalHours" => |_, a, _| Ok(Value::Double(ticks_of(&a[0]) as f64 / 36e9)),
            "TotalMinutes" => |_, a, _| Ok(Value::Double(ticks_of(&a[0]) as f64 / 6e8)),
            "TotalSeconds" => |_, a, _| Ok(Value::Double(ticks_of(&a[0]) as f64 / 1e7)),
            _ => |_, a, _| Ok(Value::Double(ticks_of(&a[0]) as f64 / 1e4)),
        };
        let _ = unit;
        r.prop(TS, name, Type::Double, f);
    }
    r.prop(TS, "Days", Type::Int, |_, a, _| {
        Ok(Value::Int((ticks_of(&a[0]) / DAY) as i32))
    });
    r.prop(TS, "Hours", Type::Int, |_, a, _| {
        Ok(Value::Int((ticks_of(&a[0]) / 36_000_000_000 % 24) as i32))
    });
    r.prop(TS, "Minutes", Type::Int, |_, a, _| {
        Ok(Value::Int((ticks_of(&a[0]) / 600_000_000 % 60) as i32))
    });
    r.prop(TS, "Seconds", Type::Int, |_, a, _| {
        Ok(Value::Int((ticks_of(&a[0]) / TICKS_PER_SECOND % 60) as i32))
    });
    r.prop(TS, "Milliseconds", Type::Int, |_, a, _| {
        Ok(Value::Int((ticks_of(&a[0]) / 10_000 % 1000) as i32))
    });
    r.prop(TS, "Ticks", Type::Long, |_, a, _| {
        Ok(Value::Long(ticks_of(&a[0])))
    });
    r.method(TS, "ToString", vec![], Type::String, |m, a, _| {
        m.string(format_timespan(ticks_of(&a[0])))
    });
    r.method(
        TS,
        "Add",
        vec![t(Type::TimeSpan)],
        Type::TimeSpan,
        |_, a, _| arith(Bin::TimeAdd, &a[0], &a[1]),
    );
    r.method(
        TS,
        "Subtract",
        vec![t(Type::TimeSpan)],
        Type::TimeSpan,
        |_, a, _| arith(Bin::TimeSub, &a[0], &a[1]),
    );

    r.method("static:Guid", "NewGuid", vec![], Type::Guid, |_, _, _| {
        Ok(Value::Guid(new_guid()))
    });
    r.prop("static:Guid", "Empty", Type::Guid, |_, _, _| {
        Ok(Value::Guid(0))
    });
    r.method(
        "static:Guid",
        "Parse",
        vec![t(Type::String)],
        Type::Guid,
        |_, a, _| {
            parse_guid(&str_arg(&a[0])?)
                .map(Value::Guid)
                .map_or_else(|| fail(ErrorKind::Format, "unrecognized Guid format"), Ok)
        },
    );
    r.method(
        "static:Guid",
        "TryParse",
        vec![t(Type::String), super::P::Out(Type::Guid)],
        Type::Bool,
        |_, a, _| {
            let g = match &a[0] {
                Value::Str(s) => parse_guid(s),
                _ => None,
            };
            a[1] = Value::Guid(g.unwrap_or(0));
            Ok(Value::Bool(g.is_some()))
        },
    );
    r.method("Guid", "ToString", vec![], Type::String, |m, a, _| {
        m.string(a[0].to_string())
    });
    r.method("Guid", "ToString", vec![t(Type::String)], Type::String, |m, a, _| {
        let f = str_arg(&a[1])?;
        let s = a[0].to_string();
        let s = match &*f {
            "N" | "n" => s.replace('-', ""),
            "B" | "b" => format!("{{{s}}}"),
            "P" | "p" => format!("({s})"),
            "D" | "d" | "" => s,
            _ => return fail(ErrorKind::Format, "format string can be only \"D\", \"d\", \"N\", \"n\", \"P\", \"p\", \"B\", \"b\", \"X\" or \"x\""),
        };
        m.string(s)
    });
}

/// A random version-4 GUID (from the standard library's randomly seeded hasher).
fn new_guid() -> u128 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u8(1);
    let a = h.finish() as u128;
    let mut h = RandomState::new().build_hasher();
    h.write_u8(2);
    let b = h.finish() as u128;
    let g = (a << 64) | b;
    (g & !(0xfu128 << 76) | (0x4u128 << 76)) & !(0xcu128 << 60) | (0x8u128 << 60)
}

fn parse_guid(s: &str) -> Option<u128> {
    let s = s
        .trim()
        .trim_start_matches(['{', '('])
        .trim_end_matches(['}', ')']);
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !(s.len() == 32 || s.len() == 36) {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1, 1, 1), 0);
        assert_eq!(days_from_civil(1970, 1, 1) * DAY, UNIX_EPOCH_TICKS);
        for days in [0, 59, 60, 365, 719_162, 3_652_058] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(
            format_timespan(-(DAY + 5 * TICKS_PER_SECOND + 1)),
            "-1.00:00:05.0000001"
        );
    }
}
