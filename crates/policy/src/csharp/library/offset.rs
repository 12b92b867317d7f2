//! `DateTimeOffset`: a UTC instant and an offset in minutes (as .NET stores it). The gateway's
//! zone is UTC, so `Now`, `LocalDateTime`, `ToLocalTime()` and a `DateTime` converted to a
//! `DateTimeOffset` have the offset zero. Comparisons, equality and subtraction use the UTC
//! instant; the parts (`Hour`, `Day`, …), `Add*` and formatting use the clock time.

use super::time::{add_fraction, add_months, add_ticks, format_arg, long_arg, register_parts};
use super::timefmt::{DAY, HOUR, MAX_TICKS, MINUTE, UNIX_EPOCH_TICKS, Zone, ticks_of};
use super::{P, Registry, double_arg, int_arg, str_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::ir::Bin;
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, TICKS_PER_SECOND, Value, fail};

type Res = Result<Value, EvalError>;

/// The UTC ticks and the offset (minutes) of a value; a `DateTime` has the offset zero.
fn parts(v: &Value) -> (i64, i16) {
    match v {
        Value::DateTimeOffset { utc, offset } => (*utc, *offset),
        Value::DateTime(t) => (*t, 0),
        _ => (0, 0),
    }
}

/// The clock ticks of a `DateTimeOffset` (UTC plus offset).
pub(crate) fn clock(v: &Value) -> i64 {
    let (utc, offset) = parts(v);
    utc + offset as i64 * MINUTE
}

/// A `DateTimeOffset` of a `DateTime` (`new DateTimeOffset(dt)`, the implicit conversion): the
/// offset of the gateway's zone, zero.
pub(crate) fn from_datetime(ticks: i64) -> Value {
    Value::DateTimeOffset {
        utc: ticks,
        offset: 0,
    }
}

/// How `ToString()` writes a value: `MM/dd/yyyy HH:mm:ss zzz` (invariant culture).
pub(crate) fn to_string(v: &Value) -> String {
    format(v, "").unwrap_or_default()
}

/// A value formatted with a .NET format string (`zzz` and `K` write the offset).
pub(crate) fn format(v: &Value, f: &str) -> Result<String, EvalError> {
    super::timefmt::format(clock(v), Zone::Offset(parts(v).1), f)
}

/// A `DateTimeOffset` of a clock time and an offset (ticks), checked as .NET's constructor
/// checks them: the offset first, then the clock and UTC times within 0001-01-01 and
/// 9999-12-31.
pub(crate) fn make(clock: i64, offset: i64) -> Res {
    check_offset(offset)?;
    if !(0..=MAX_TICKS).contains(&clock) {
        return fail(
            ErrorKind::ArgumentOutOfRange,
            "ticks must be between DateTime.MinValue.Ticks and DateTime.MaxValue.Ticks",
        );
    }
    let utc = clock - offset;
    if !(0..=MAX_TICKS).contains(&utc) {
        return fail(
            ErrorKind::ArgumentOutOfRange,
            "the UTC time represented when the offset is applied must be between year 0 and 10,000",
        );
    }
    Ok(Value::DateTimeOffset {
        utc,
        offset: (offset / MINUTE) as i16,
    })
}

/// An offset is whole minutes within ±14 hours.
fn check_offset(offset: i64) -> Result<(), EvalError> {
    if offset % MINUTE != 0 {
        return fail(
            ErrorKind::Argument,
            "offset must be specified in whole minutes",
        );
    }
    if offset.unsigned_abs() > (14 * HOUR) as u64 {
        return fail(
            ErrorKind::ArgumentOutOfRange,
            "offset must be within plus or minus 14 hours",
        );
    }
    Ok(())
}

/// A new clock time with the receiver's offset (`AddDays`, `+ TimeSpan`, …).
fn shifted(v: &Value, clock: Result<i64, EvalError>) -> Res {
    make(clock?, parts(v).1 as i64 * MINUTE)
}

/// `DateTimeOffset ± TimeSpan` (on the clock time) and `DateTimeOffset - DateTimeOffset` (the
/// difference of the UTC instants).
pub(crate) fn arith(op: Bin, a: &Value, b: &Value) -> Res {
    match (op, b) {
        (Bin::TimeAdd, Value::TimeSpan(s)) => shifted(a, add_ticks(clock(a), *s)),
        (Bin::TimeSub, Value::TimeSpan(s)) => {
            shifted(a, add_ticks(clock(a), s.checked_neg().unwrap_or(i64::MAX)))
        }
        (Bin::DateDiff, _) => Ok(Value::TimeSpan(parts(a).0 - parts(b).0)),
        _ => fail(ErrorKind::InvalidOperation, "unsupported date arithmetic"),
    }
}

fn span(v: &Value) -> i64 {
    match v {
        Value::TimeSpan(t) => *t,
        _ => 0,
    }
}

/// `DateTimeOffset.Parse` and `TryParse`: no offset in the text is the gateway's, zero.
fn parse(s: &str) -> Option<Value> {
    let p = super::timefmt::parse(s)?;
    if p.offset.is_some_and(|m| m.abs() > 14 * 60) {
        return None;
    }
    let utc = p.utc()?;
    Some(Value::DateTimeOffset {
        utc,
        offset: p.offset.unwrap_or(0) as i16,
    })
}

/// `new DateTimeOffset(y, m, d, h, mi, s[, ms], offset)`.
fn new_parts(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let (offset, fields) = a.split_last().map_or((0, &[][..]), |(o, f)| (span(o), f));
    let n: Vec<i64> = fields.iter().map(|v| int_arg(v) as i64).collect();
    let ms = n.get(6).copied().unwrap_or(0);
    // .NET checks the offset before the date.
    check_offset(offset)?;
    match ticks_of(n[0], n[1], n[2], n[3], n[4], n[5]) {
        Some(t) if (0..1000).contains(&ms) => make(t + ms * 10_000, offset),
        _ => fail(
            ErrorKind::ArgumentOutOfRange,
            "year, month, day, hour, minute, second and millisecond describe an un-representable DateTime",
        ),
    }
}

/// `FromUnixTimeSeconds`/`FromUnixTimeMilliseconds`: a count of units since 1970 (UTC).
fn from_unix(count: i64, unit: i64) -> Res {
    let min = -UNIX_EPOCH_TICKS / unit;
    let max = (MAX_TICKS - UNIX_EPOCH_TICKS) / unit;
    if !(min..=max).contains(&count) {
        return fail(
            ErrorKind::ArgumentOutOfRange,
            format!("valid values are between {min} and {max}, inclusive"),
        );
    }
    Ok(from_datetime(count * unit + UNIX_EPOCH_TICKS))
}

pub(crate) fn register(r: &mut Registry) {
    const O: &str = "DateTimeOffset";
    const SO: &str = "static:DateTimeOffset";
    let dto = || Type::DateTimeOffset;
    let i = || t(Type::Int);
    let ts = || t(Type::TimeSpan);
    r.prop(SO, "UtcNow", dto(), |m, _, _| Ok(from_datetime(m.ctx.now)));
    r.prop(SO, "Now", dto(), |m, _, _| Ok(from_datetime(m.ctx.now)));
    r.prop(SO, "MinValue", dto(), |_, _, _| Ok(from_datetime(0)));
    r.prop(SO, "MaxValue", dto(), |_, _, _| {
        Ok(from_datetime(MAX_TICKS))
    });
    r.method(SO, ".ctor", vec![t(Type::DateTime)], dto(), |_, a, _| {
        Ok(from_datetime(parts(&a[0]).0))
    });
    r.method(
        SO,
        ".ctor",
        vec![t(Type::DateTime), ts()],
        dto(),
        |_, a, _| {
            let offset = span(&a[1]);
            if offset != 0 {
                // .NET requires the offset of a UTC or local DateTime to be its zone's and
                // takes any offset for an unspecified one; Tollgate does not track the kind.
                return fail(
                    ErrorKind::Argument,
                    "new DateTimeOffset(DateTime, offset) with a non-zero offset depends on the DateTime's Kind, which is not tracked: use new DateTimeOffset(year, month, day, hour, minute, second, offset)",
                );
            }
            make(parts(&a[0]).0, offset)
        },
    );
    r.method(SO, ".ctor", vec![t(Type::Long), ts()], dto(), |_, a, _| {
        make(long_arg(&a[0]), span(&a[1]))
    });
    let mut fields = vec![i(); 6];
    fields.push(ts());
    r.method(SO, ".ctor", fields, dto(), new_parts);
    let mut fields = vec![i(); 7];
    fields.push(ts());
    r.method(SO, ".ctor", fields, dto(), new_parts);
    r.method(SO, "Parse", vec![t(Type::String)], dto(), |m, a, _| {
        if let Value::Null = a[0] {
            return fail(
                ErrorKind::Argument,
                "value cannot be null (parameter 'input')",
            );
        }
        let s = str_arg(&a[0])?;
        m.step(s.len() as u64)?;
        parse(&s).map_or_else(
            || {
                fail(
                    ErrorKind::Format,
                    format!("string '{s}' was not recognized as a valid DateTimeOffset"),
                )
            },
            Ok,
        )
    });
    r.method(
        SO,
        "TryParse",
        vec![t(Type::String), P::Out(dto())],
        Type::Bool,
        |m, a, _| {
            let v = match &a[0] {
                Value::Str(s) => {
                    m.step(s.len() as u64)?;
                    parse(s)
                }
                _ => None,
            };
            let ok = v.is_some();
            a[1] = v.unwrap_or_else(|| from_datetime(0));
            Ok(Value::Bool(ok))
        },
    );
    r.method(
        SO,
        "FromUnixTimeSeconds",
        vec![t(Type::Long)],
        dto(),
        |_, a, _| from_unix(long_arg(&a[0]), TICKS_PER_SECOND),
    );
    r.method(
        SO,
        "FromUnixTimeMilliseconds",
        vec![t(Type::Long)],
        dto(),
        |_, a, _| from_unix(long_arg(&a[0]), 10_000),
    );
    r.method(
        SO,
        "Compare",
        vec![t(dto()), t(dto())],
        Type::Int,
        |_, a, _| Ok(Value::Int(parts(&a[0]).0.cmp(&parts(&a[1]).0) as i32)),
    );

    register_parts(r, O);
    r.prop(O, "DateTime", Type::DateTime, |_, a, _| {
        Ok(Value::DateTime(clock(&a[0])))
    });
    r.prop(O, "UtcDateTime", Type::DateTime, |_, a, _| {
        Ok(Value::DateTime(parts(&a[0]).0))
    });
    r.prop(O, "LocalDateTime", Type::DateTime, |_, a, _| {
        Ok(Value::DateTime(parts(&a[0]).0))
    });
    r.prop(O, "UtcTicks", Type::Long, |_, a, _| {
        Ok(Value::Long(parts(&a[0]).0))
    });
    r.prop(O, "Offset", Type::TimeSpan, |_, a, _| {
        Ok(Value::TimeSpan(parts(&a[0]).1 as i64 * MINUTE))
    });
    r.method(O, "ToOffset", vec![ts()], dto(), |_, a, _| {
        let offset = span(&a[1]);
        make(add_ticks(parts(&a[0]).0, offset)?, offset)
    });
    r.method(O, "ToUniversalTime", vec![], dto(), |_, a, _| {
        Ok(from_datetime(parts(&a[0]).0))
    });
    r.method(O, "ToLocalTime", vec![], dto(), |_, a, _| {
        Ok(from_datetime(parts(&a[0]).0))
    });
    r.method(O, "ToUnixTimeSeconds", vec![], Type::Long, |_, a, _| {
        Ok(Value::Long(
            parts(&a[0]).0 / TICKS_PER_SECOND - UNIX_EPOCH_TICKS / TICKS_PER_SECOND,
        ))
    });
    r.method(
        O,
        "ToUnixTimeMilliseconds",
        vec![],
        Type::Long,
        |_, a, _| {
            Ok(Value::Long(
                parts(&a[0]).0 / 10_000 - UNIX_EPOCH_TICKS / 10_000,
            ))
        },
    );
    r.method(O, "ToString", vec![], Type::String, |m, a, _| {
        m.string(to_string(&a[0]))
    });
    r.method(
        O,
        "ToString",
        vec![t(Type::String)],
        Type::String,
        |m, a, _| {
            let f = format_arg(m, &a[1])?;
            let s = format(&a[0], &f)?;
            m.string(s)
        },
    );
    r.method(O, "CompareTo", vec![t(dto())], Type::Int, |_, a, _| {
        Ok(Value::Int(parts(&a[0]).0.cmp(&parts(&a[1]).0) as i32))
    });
    r.method(O, "Equals", vec![t(dto())], Type::Bool, |_, a, _| {
        Ok(Value::Bool(parts(&a[0]).0 == parts(&a[1]).0))
    });
    r.method(O, "EqualsExact", vec![t(dto())], Type::Bool, |_, a, _| {
        Ok(Value::Bool(parts(&a[0]) == parts(&a[1])))
    });
    r.method(O, "Add", vec![ts()], dto(), |_, a, _| {
        arith(Bin::TimeAdd, &a[0], &a[1])
    });
    r.method(O, "Subtract", vec![ts()], dto(), |_, a, _| {
        arith(Bin::TimeSub, &a[0], &a[1])
    });
    r.method(O, "Subtract", vec![t(dto())], Type::TimeSpan, |_, a, _| {
        arith(Bin::DateDiff, &a[0], &a[1])
    });
    let d = || t(Type::Double);
    r.method(O, "AddDays", vec![d()], dto(), |_, a, _| {
        shifted(&a[0], add_fraction(clock(&a[0]), double_arg(&a[1]), DAY))
    });
    r.method(O, "AddHours", vec![d()], dto(), |_, a, _| {
        shifted(&a[0], add_fraction(clock(&a[0]), double_arg(&a[1]), HOUR))
    });
    r.method(O, "AddMinutes", vec![d()], dto(), |_, a, _| {
        shifted(&a[0], add_fraction(clock(&a[0]), double_arg(&a[1]), MINUTE))
    });
    r.method(O, "AddSeconds", vec![d()], dto(), |_, a, _| {
        let s = double_arg(&a[1]);
        shifted(&a[0], add_fraction(clock(&a[0]), s, TICKS_PER_SECOND))
    });
    r.method(O, "AddMilliseconds", vec![d()], dto(), |_, a, _| {
        shifted(&a[0], add_fraction(clock(&a[0]), double_arg(&a[1]), 10_000))
    });
    r.method(O, "AddTicks", vec![t(Type::Long)], dto(), |_, a, _| {
        shifted(&a[0], add_ticks(clock(&a[0]), long_arg(&a[1])))
    });
    r.method(O, "AddMonths", vec![i()], dto(), |_, a, _| {
        shifted(&a[0], add_months(clock(&a[0]), int_arg(&a[1]) as i64))
    });
    r.method(O, "AddYears", vec![i()], dto(), |_, a, _| {
        shifted(&a[0], add_months(clock(&a[0]), int_arg(&a[1]) as i64 * 12))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_small() {
        // A DateTimeOffset fits beside the 16-byte Guid: it must not grow every value.
        assert!(std::mem::size_of::<Value>() <= 32);
        assert_eq!(clock(&make(10 * HOUR, -2 * HOUR).unwrap()), 10 * HOUR);
    }
}
