//! `DateTime`, `TimeSpan`, `DayOfWeek` and `Guid`. Every `DateTime` is UTC (the gateway's
//! zone is UTC, so `Now` is `UtcNow`); the calendar, formats and parsing are in
//! [`super::timefmt`].

use super::timefmt::{
    DAY, DAY_NAMES, HOUR, MAX_TICKS, MINUTE, Zone, civil_from_days, day_of_week, days_from_civil,
    days_in_month, ticks_of,
};
use super::{P, Registry, double_arg, int_arg, str_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::ir::Bin;
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, TICKS_PER_SECOND, Value, fail};

type Res = Result<Value, EvalError>;

/// Ticks per millisecond.
const MS: i64 = 10_000;

/// A date in a fixed standard format the library itself writes (`G`, `o`); a format from an
/// expression goes through [`super::timefmt::format`], which may fail.
pub(crate) fn format_datetime(ticks: i64, f: &str) -> String {
    super::timefmt::format(ticks, Zone::Utc, f).unwrap_or_default()
}

/// A TimeSpan as .NET writes it: `[-][d.]hh:mm:ss[.fffffff]`.
pub(crate) fn format_timespan(ticks: i64) -> String {
    let sign = if ticks < 0 { "-" } else { "" };
    let t = ticks.unsigned_abs();
    let day = DAY as u64;
    let (days, rest) = (t / day, t % day);
    let (h, m, s, f) = (
        rest / HOUR as u64,
        rest / MINUTE as u64 % 60,
        rest / TICKS_PER_SECOND as u64 % 60,
        rest % TICKS_PER_SECOND as u64,
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

/// Parses a date as `DateTime.Parse` does, to UTC (see [`super::timefmt::parse`]).
pub(crate) fn parse_datetime(s: &str) -> Option<i64> {
    super::timefmt::parse(s)?.utc()
}

/// A long argument.
pub(crate) fn long_arg(v: &Value) -> i64 {
    match v {
        Value::Long(l) => *l,
        v => int_arg(v) as i64,
    }
}

/// The format argument of `ToString(format)`: `null` is the default format.
pub(crate) fn format_arg(m: &mut Machine<'_>, v: &Value) -> Result<std::sync::Arc<str>, EvalError> {
    let f = match v {
        Value::Null => std::sync::Arc::from(""),
        v => str_arg(v)?,
    };
    m.step(f.len() as u64)?;
    Ok(f)
}

fn range<T>() -> Result<T, EvalError> {
    fail(
        ErrorKind::ArgumentOutOfRange,
        "the added or subtracted value results in an un-representable DateTime",
    )
}

/// `ticks + delta`, if that is a valid DateTime.
pub(crate) fn add_ticks(ticks: i64, delta: i64) -> Result<i64, EvalError> {
    match ticks.checked_add(delta) {
        Some(t) if (0..=MAX_TICKS).contains(&t) => Ok(t),
        _ => range(),
    }
}

/// Adds a fractional number of units (`AddDays(1.5)`): .NET Framework rounds the amount to the
/// millisecond, .NET 7 and later truncate it to the tick. Where the two differ (a fraction of a
/// millisecond) the expression is not evaluated rather than answered one way.
pub(crate) fn add_fraction(ticks: i64, value: f64, unit: i64) -> Result<i64, EvalError> {
    const MAX_MILLIS: f64 = 315_537_897_600_000.0;
    let millis = value * (unit / MS) as f64 + if value >= 0.0 { 0.5 } else { -0.5 };
    if value.is_nan() || millis <= -MAX_MILLIS || millis >= MAX_MILLIS {
        return fail(
            ErrorKind::ArgumentOutOfRange,
            "value to add was out of range",
        );
    }
    let framework = millis as i64 * MS;
    let whole = value.trunc();
    let core = whole as i64 * unit + ((value - whole) * unit as f64) as i64;
    if framework != core {
        return fail(
            ErrorKind::InvalidOperation,
            format!(
                "adding {value} units of {unit} ticks is not evaluated: .NET Framework rounds it to {framework} ticks, .NET 7 and later truncate it to {core}"
            ),
        );
    }
    add_ticks(ticks, framework)
}

/// Adds months (`AddMonths`, `AddYears`), the day clamped to the month's length.
pub(crate) fn add_months(ticks: i64, months: i64) -> Result<i64, EvalError> {
    let (y, m, d) = civil_from_days(ticks.div_euclid(DAY));
    let total = y * 12 + (m - 1) + months;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    if !(1..=9999).contains(&ny) {
        return range();
    }
    let days = days_from_civil(ny, nm, d.min(days_in_month(ny, nm)));
    Ok(days * DAY + ticks.rem_euclid(DAY))
}

fn date(t: Result<i64, EvalError>) -> Res {
    t.map(Value::DateTime)
}

fn span(t: Option<i64>) -> Res {
    t.map(Value::TimeSpan)
        .map_or_else(|| fail(ErrorKind::Overflow, "TimeSpan overflowed"), Ok)
}

/// `DateTime ± TimeSpan`, `TimeSpan ± TimeSpan`, `DateTime - DateTime`, and the same with
/// `DateTimeOffset` (see [`super::offset::arith`]).
pub(crate) fn arith(op: Bin, a: &Value, b: &Value) -> Res {
    match (op, a, b) {
        (_, Value::DateTimeOffset { .. }, _) => super::offset::arith(op, a, b),
        (Bin::TimeAdd, Value::DateTime(x), Value::TimeSpan(y)) => date(add_ticks(*x, *y)),
        (Bin::TimeSub, Value::DateTime(x), Value::TimeSpan(y)) => {
            date(add_ticks(*x, y.checked_neg().unwrap_or(i64::MAX)))
        }
        (Bin::DateDiff, Value::DateTime(x), Value::DateTime(y)) => Ok(Value::TimeSpan(x - y)),
        (Bin::TimeAdd, Value::TimeSpan(x), Value::TimeSpan(y)) => span(x.checked_add(*y)),
        (Bin::TimeSub, Value::TimeSpan(x), Value::TimeSpan(y)) => span(x.checked_sub(*y)),
        _ => fail(ErrorKind::InvalidOperation, "unsupported date arithmetic"),
    }
}

/// A TimeSpan of a fractional number of units (`TimeSpan.FromMinutes(1.5)`): .NET Framework
/// rounds to the millisecond, .NET Core 3.0 and later truncate to the tick; where they differ,
/// not evaluated.
fn span_from(value: f64, unit: i64) -> Res {
    if value.is_nan() {
        return fail(
            ErrorKind::Argument,
            "TimeSpan does not accept floating point Not-a-Number values",
        );
    }
    let too_long = || {
        fail(
            ErrorKind::Overflow,
            "TimeSpan overflowed because the duration is too long",
        )
    };
    let millis = value * (unit / MS) as f64 + if value >= 0.0 { 0.5 } else { -0.5 };
    let ticks = value * unit as f64;
    if millis > (i64::MAX / MS) as f64
        || millis < (i64::MIN / MS) as f64
        || ticks > i64::MAX as f64
        || ticks < i64::MIN as f64
    {
        return too_long();
    }
    let (framework, core) = (millis as i64 * MS, ticks as i64);
    if framework != core {
        return fail(
            ErrorKind::InvalidOperation,
            format!(
                "a TimeSpan of {value} units of {unit} ticks is not evaluated: .NET Framework rounds it to {framework} ticks, .NET Core truncates it to {core}"
            ),
        );
    }
    Ok(Value::TimeSpan(core))
}

fn ticks(v: &Value) -> i64 {
    match v {
        Value::DateTime(t) | Value::TimeSpan(t) => *t,
        _ => 0,
    }
}

/// Date parts of a tick count: year, month, day, time of day.
pub(crate) fn parts(t: i64) -> (i64, i64, i64, i64) {
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    (y, m, d, t.rem_euclid(DAY))
}

/// `new DateTime(y, m, d[, h, mi, s[, ms]])`.
fn new_date(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let n: Vec<i64> = a.iter().map(|v| int_arg(v) as i64).collect();
    let at = |i: usize| n.get(i).copied().unwrap_or(0);
    let ms = at(6);
    match ticks_of(n[0], n[1], n[2], at(3), at(4), at(5)) {
        Some(t) if (0..1000).contains(&ms) => Ok(Value::DateTime(t + ms * MS)),
        _ => fail(
            ErrorKind::ArgumentOutOfRange,
            "year, month, day, hour, minute, second and millisecond describe an un-representable DateTime",
        ),
    }
}

/// `-t` (the negation of `TimeSpan.MinValue` overflows).
pub(crate) fn negate(t: i64) -> Res {
    span(t.checked_neg())
}

/// `new TimeSpan(h, m, s)`, `(d, h, m, s)`, `(d, h, m, s, ms)`.
fn new_span(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let n: Vec<i64> = a.iter().map(|v| int_arg(v) as i64).collect();
    let [d, h, m, s, ms] = match n[..] {
        [h, m, s] => [0, h, m, s, 0],
        [d, h, m, s] => [d, h, m, s, 0],
        [d, h, m, s, ms, ..] => [d, h, m, s, ms],
        _ => {
            return fail(
                ErrorKind::Argument,
                "TimeSpan needs three to five arguments",
            );
        }
    };
    let total_ms = (d * 86_400 + h * 3600 + m * 60 + s) * 1000 + ms;
    if total_ms.abs() > i64::MAX / MS {
        return fail(
            ErrorKind::ArgumentOutOfRange,
            "TimeSpan overflowed because the duration is too long",
        );
    }
    Ok(Value::TimeSpan(total_ms * MS))
}

/// The `DayOfWeek` of a tick count (an enum value, held as its name).
pub(crate) fn weekday(ticks: i64) -> Value {
    Value::from(DAY_NAMES[day_of_week(ticks)])
}

/// The members reading the parts of a clock time, shared by `DateTime` and `DateTimeOffset`.
pub(crate) fn register_parts(r: &mut Registry, key: &'static str) {
    r.prop(key, "Year", Type::Int, |_, a, _| {
        Ok(Value::Int(parts(clock_of(a)).0 as i32))
    });
    r.prop(key, "Month", Type::Int, |_, a, _| {
        Ok(Value::Int(parts(clock_of(a)).1 as i32))
    });
    r.prop(key, "Day", Type::Int, |_, a, _| {
        Ok(Value::Int(parts(clock_of(a)).2 as i32))
    });
    r.prop(key, "Hour", Type::Int, |_, a, _| {
        Ok(Value::Int((parts(clock_of(a)).3 / HOUR) as i32))
    });
    r.prop(key, "Minute", Type::Int, |_, a, _| {
        Ok(Value::Int((parts(clock_of(a)).3 / MINUTE % 60) as i32))
    });
    r.prop(key, "Second", Type::Int, |_, a, _| {
        Ok(Value::Int(
            (parts(clock_of(a)).3 / TICKS_PER_SECOND % 60) as i32,
        ))
    });
    r.prop(key, "Millisecond", Type::Int, |_, a, _| {
        Ok(Value::Int((parts(clock_of(a)).3 / MS % 1000) as i32))
    });
    r.prop(key, "Ticks", Type::Long, |_, a, _| {
        Ok(Value::Long(clock_of(a)))
    });
    r.prop(key, "Date", Type::DateTime, |_, a, _| {
        let t = clock_of(a);
        Ok(Value::DateTime(t - t.rem_euclid(DAY)))
    });
    r.prop(key, "TimeOfDay", Type::TimeSpan, |_, a, _| {
        Ok(Value::TimeSpan(clock_of(a).rem_euclid(DAY)))
    });
    r.prop(key, "DayOfYear", Type::Int, |_, a, _| {
        let t = clock_of(a);
        let (y, _, _, _) = parts(t);
        Ok(Value::Int(
            (t.div_euclid(DAY) - days_from_civil(y, 1, 1) + 1) as i32,
        ))
    });
    r.prop(key, "DayOfWeek", Type::Named("DayOfWeek"), |_, a, _| {
        Ok(weekday(clock_of(a)))
    });
}

/// The clock ticks of a `DateTime` or `DateTimeOffset` receiver.
fn clock_of(a: &[Value]) -> i64 {
    match &a[0] {
        Value::DateTimeOffset { .. } => super::offset::clock(&a[0]),
        v => ticks(v),
    }
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
    let l = || t(Type::Long);
    let dt = || t(Type::DateTime);
    let ts = || t(Type::TimeSpan);
    r.method(SD, ".ctor", vec![i(), i(), i()], Type::DateTime, new_date);
    r.method(SD, ".ctor", vec![i(); 6], Type::DateTime, new_date);
    r.method(SD, ".ctor", vec![i(); 7], Type::DateTime, new_date);
    r.method(SD, ".ctor", vec![l()], Type::DateTime, |_, a, _| {
        date(add_ticks(0, long_arg(&a[0])))
    });
    r.method(
        SD,
        "Parse",
        vec![t(Type::String)],
        Type::DateTime,
        |m, a, _| {
            if let Value::Null = a[0] {
                return fail(ErrorKind::Argument, "value cannot be null (parameter 's')");
            }
            let s = str_arg(&a[0])?;
            m.step(s.len() as u64)?;
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
        vec![t(Type::String), P::Out(Type::DateTime)],
        Type::Bool,
        |m, a, _| {
            let v = match &a[0] {
                Value::Str(s) => {
                    m.step(s.len() as u64)?;
                    parse_datetime(s)
                }
                _ => None,
            };
            a[1] = Value::DateTime(v.unwrap_or(0));
            Ok(Value::Bool(v.is_some()))
        },
    );
    r.method(SD, "DaysInMonth", vec![i(), i()], Type::Int, |_, a, _| {
        let (y, m) = (int_arg(&a[0]) as i64, int_arg(&a[1]) as i64);
        if !(1..=9999).contains(&y) || !(1..=12).contains(&m) {
            return fail(ErrorKind::ArgumentOutOfRange, "year or month out of range");
        }
        Ok(Value::Int(days_in_month(y, m) as i32))
    });
    r.method(SD, "IsLeapYear", vec![i()], Type::Bool, |_, a, _| {
        let y = int_arg(&a[0]) as i64;
        if !(1..=9999).contains(&y) {
            return fail(ErrorKind::ArgumentOutOfRange, "year out of range");
        }
        Ok(Value::Bool(days_in_month(y, 2) == 29))
    });
    register_parts(r, D);
    r.method(D, "ToUniversalTime", vec![], Type::DateTime, |_, a, _| {
        Ok(a[0].clone())
    });
    r.method(D, "ToLocalTime", vec![], Type::DateTime, |_, a, _| {
        Ok(a[0].clone())
    });
    r.method(D, "ToString", vec![], Type::String, |m, a, _| {
        m.string(format_datetime(ticks(&a[0]), ""))
    });
    r.method(
        D,
        "ToString",
        vec![t(Type::String)],
        Type::String,
        |m, a, _| {
            let f = format_arg(m, &a[1])?;
            let s = super::timefmt::format(ticks(&a[0]), Zone::Utc, &f)?;
            m.string(s)
        },
    );
    r.method(D, "AddDays", vec![d()], Type::DateTime, |_, a, _| {
        date(add_fraction(ticks(&a[0]), double_arg(&a[1]), DAY))
    });
    r.method(D, "AddHours", vec![d()], Type::DateTime, |_, a, _| {
        date(add_fraction(ticks(&a[0]), double_arg(&a[1]), HOUR))
    });
    r.method(D, "AddMinutes", vec![d()], Type::DateTime, |_, a, _| {
        date(add_fraction(ticks(&a[0]), double_arg(&a[1]), MINUTE))
    });
    r.method(D, "AddSeconds", vec![d()], Type::DateTime, |_, a, _| {
        date(add_fraction(
            ticks(&a[0]),
            double_arg(&a[1]),
            TICKS_PER_SECOND,
        ))
    });
    r.method(
        D,
        "AddMilliseconds",
        vec![d()],
        Type::DateTime,
        |_, a, _| date(add_fraction(ticks(&a[0]), double_arg(&a[1]), MS)),
    );
    r.method(D, "AddTicks", vec![l()], Type::DateTime, |_, a, _| {
        date(add_ticks(ticks(&a[0]), long_arg(&a[1])))
    });
    r.method(D, "AddMonths", vec![i()], Type::DateTime, |_, a, _| {
        date(add_months(ticks(&a[0]), int_arg(&a[1]) as i64))
    });
    r.method(D, "AddYears", vec![i()], Type::DateTime, |_, a, _| {
        date(add_months(ticks(&a[0]), int_arg(&a[1]) as i64 * 12))
    });
    r.method(D, "Add", vec![ts()], Type::DateTime, |_, a, _| {
        arith(Bin::TimeAdd, &a[0], &a[1])
    });
    r.method(D, "Subtract", vec![ts()], Type::DateTime, |_, a, _| {
        arith(Bin::TimeSub, &a[0], &a[1])
    });
    r.method(D, "Subtract", vec![dt()], Type::TimeSpan, |_, a, _| {
        arith(Bin::DateDiff, &a[0], &a[1])
    });
    r.method(D, "CompareTo", vec![dt()], Type::Int, |_, a, _| {
        Ok(Value::Int(ticks(&a[0]).cmp(&ticks(&a[1])) as i32))
    });

    const WD: &str = "static:DayOfWeek";
    macro_rules! days {
        ($($n:literal),*) => {$(
            r.prop(WD, $n, Type::Named("DayOfWeek"), |_, _, _| Ok(Value::from($n)));
        )*};
    }
    days!(
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday"
    );
    r.method("DayOfWeek", "ToString", vec![], Type::String, |_, a, _| {
        Ok(a[0].clone())
    });

    const TS: &str = "TimeSpan";
    const STS: &str = "static:TimeSpan";
    r.method(STS, "FromDays", vec![d()], Type::TimeSpan, |_, a, _| {
        span_from(double_arg(&a[0]), DAY)
    });
    r.method(STS, "FromHours", vec![d()], Type::TimeSpan, |_, a, _| {
        span_from(double_arg(&a[0]), HOUR)
    });
    r.method(STS, "FromMinutes", vec![d()], Type::TimeSpan, |_, a, _| {
        span_from(double_arg(&a[0]), MINUTE)
    });
    r.method(STS, "FromSeconds", vec![d()], Type::TimeSpan, |_, a, _| {
        span_from(double_arg(&a[0]), TICKS_PER_SECOND)
    });
    r.method(
        STS,
        "FromMilliseconds",
        vec![d()],
        Type::TimeSpan,
        |_, a, _| span_from(double_arg(&a[0]), MS),
    );
    r.method(STS, "FromTicks", vec![l()], Type::TimeSpan, |_, a, _| {
        Ok(Value::TimeSpan(long_arg(&a[0])))
    });
    r.prop(STS, "Zero", Type::TimeSpan, |_, _, _| {
        Ok(Value::TimeSpan(0))
    });
    r.prop(STS, "MinValue", Type::TimeSpan, |_, _, _| {
        Ok(Value::TimeSpan(i64::MIN))
    });
    r.prop(STS, "MaxValue", Type::TimeSpan, |_, _, _| {
        Ok(Value::TimeSpan(i64::MAX))
    });
    r.method(STS, ".ctor", vec![l()], Type::TimeSpan, |_, a, _| {
        Ok(Value::TimeSpan(long_arg(&a[0])))
    });
    r.method(STS, ".ctor", vec![i(); 3], Type::TimeSpan, new_span);
    r.method(STS, ".ctor", vec![i(); 4], Type::TimeSpan, new_span);
    r.method(STS, ".ctor", vec![i(); 5], Type::TimeSpan, new_span);
    r.prop(TS, "TotalDays", Type::Double, |_, a, _| {
        Ok(Value::Double(ticks(&a[0]) as f64 / DAY as f64))
    });
    r.prop(TS, "TotalHours", Type::Double, |_, a, _| {
        Ok(Value::Double(ticks(&a[0]) as f64 / HOUR as f64))
    });
    r.prop(TS, "TotalMinutes", Type::Double, |_, a, _| {
        Ok(Value::Double(ticks(&a[0]) as f64 / MINUTE as f64))
    });
    r.prop(TS, "TotalSeconds", Type::Double, |_, a, _| {
        Ok(Value::Double(ticks(&a[0]) as f64 / TICKS_PER_SECOND as f64))
    });
    r.prop(TS, "TotalMilliseconds", Type::Double, |_, a, _| {
        Ok(Value::Double(ticks(&a[0]) as f64 / MS as f64))
    });
    r.prop(TS, "Days", Type::Int, |_, a, _| {
        Ok(Value::Int((ticks(&a[0]) / DAY) as i32))
    });
    r.prop(TS, "Hours", Type::Int, |_, a, _| {
        Ok(Value::Int((ticks(&a[0]) / HOUR % 24) as i32))
    });
    r.prop(TS, "Minutes", Type::Int, |_, a, _| {
        Ok(Value::Int((ticks(&a[0]) / MINUTE % 60) as i32))
    });
    r.prop(TS, "Seconds", Type::Int, |_, a, _| {
        Ok(Value::Int((ticks(&a[0]) / TICKS_PER_SECOND % 60) as i32))
    });
    r.prop(TS, "Milliseconds", Type::Int, |_, a, _| {
        Ok(Value::Int((ticks(&a[0]) / MS % 1000) as i32))
    });
    r.prop(TS, "Ticks", Type::Long, |_, a, _| {
        Ok(Value::Long(ticks(&a[0])))
    });
    r.method(TS, "ToString", vec![], Type::String, |m, a, _| {
        m.string(format_timespan(ticks(&a[0])))
    });
    r.method(TS, "Add", vec![ts()], Type::TimeSpan, |_, a, _| {
        arith(Bin::TimeAdd, &a[0], &a[1])
    });
    r.method(TS, "Subtract", vec![ts()], Type::TimeSpan, |_, a, _| {
        arith(Bin::TimeSub, &a[0], &a[1])
    });
    r.method(TS, "Negate", vec![], Type::TimeSpan, |_, a, _| {
        negate(ticks(&a[0]))
    });
    r.method(TS, "Duration", vec![], Type::TimeSpan, |_, a, _| {
        let t = ticks(&a[0]);
        if t < 0 { negate(t) } else { Ok(a[0].clone()) }
    });
    r.method(TS, "CompareTo", vec![ts()], Type::Int, |_, a, _| {
        Ok(Value::Int(ticks(&a[0]).cmp(&ticks(&a[1])) as i32))
    });

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
        |m, a, _| {
            let s = str_arg(&a[0])?;
            m.scan(s.len())?;
            parse_guid(&s)
                .map(Value::Guid)
                .map_or_else(|| fail(ErrorKind::Format, "unrecognized Guid format"), Ok)
        },
    );
    r.method(
        "static:Guid",
        "TryParse",
        vec![t(Type::String), super::P::Out(Type::Guid)],
        Type::Bool,
        |m, a, _| {
            let g = match &a[0] {
                Value::Str(s) => {
                    m.scan(s.len())?;
                    parse_guid(s)
                }
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
    fn timespans_print_as_dotnet() {
        assert_eq!(
            format_timespan(-(DAY + 5 * TICKS_PER_SECOND + 1)),
            "-1.00:00:05.0000001"
        );
        assert_eq!(format_timespan(i64::MIN), "-10675199.02:48:05.4775808");
    }
}
