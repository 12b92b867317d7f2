//! The calendar, .NET date and time format strings (invariant culture) and date parsing,
//! shared by `DateTime` and `DateTimeOffset`.

use crate::csharp::value::{ErrorKind, EvalError, TICKS_PER_SECOND, fail};

/// Ticks per minute.
pub(crate) const MINUTE: i64 = 60 * TICKS_PER_SECOND;
/// Ticks per hour.
pub(crate) const HOUR: i64 = 60 * MINUTE;
/// Ticks per day.
pub(crate) const DAY: i64 = 24 * HOUR;
/// The largest valid tick count (9999-12-31T23:59:59.9999999).
pub(crate) const MAX_TICKS: i64 = 3_155_378_975_999_999_999;
/// Ticks at 1970-01-01.
pub(crate) const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;

/// The invariant culture's day names, Sunday first as `DayOfWeek` numbers them.
pub(crate) const DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTH_NAMES: [&str; 12] = [
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

/// Days since 0001-01-01 of a civil date.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 306
}

/// The civil date of a day count since 0001-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
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

/// The number of days in a month.
pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The day of the week of a tick count (0 = Sunday; 0001-01-01 was a Monday).
pub(crate) fn day_of_week(ticks: i64) -> usize {
    (ticks.div_euclid(DAY) + 1).rem_euclid(7) as usize
}

/// The ticks of a date and time, if they are a valid date and time of day.
pub(crate) fn ticks_of(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    let ok = (1..=9999).contains(&y)
        && (1..=12).contains(&mo)
        && (1..=days_in_month(y, mo)).contains(&d)
        && (0..24).contains(&h)
        && (0..60).contains(&mi)
        && (0..60).contains(&s);
    ok.then(|| days_from_civil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + s * TICKS_PER_SECOND)
}

/// What the time zone specifiers of a format (`z`, `K`) describe.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Zone {
    /// A `DateTime`: UTC, as every `DateTime` is here (`K` writes `Z`; `z` the gateway's zone,
    /// which is UTC).
    Utc,
    /// A `DateTimeOffset`, with its offset in minutes.
    Offset(i16),
}

fn bad_format<T>() -> Result<T, EvalError> {
    fail(
        ErrorKind::Format,
        "input string was not in a correct format",
    )
}

/// Formats a clock time (ticks) as .NET does in the invariant culture: the empty format is
/// `ToString()`'s, one character is a standard format (`d D f F g G m o r s t T u U y`), and
/// anything else a custom pattern. `r` and `u` show a `DateTimeOffset` in UTC.
pub(crate) fn format(clock: i64, zone: Zone, f: &str) -> Result<String, EvalError> {
    let utc = match zone {
        Zone::Offset(m) => clock - m as i64 * MINUTE,
        Zone::Utc => clock,
    };
    let mut ticks = clock;
    let mut chars = f.chars();
    let pattern = match (chars.next(), chars.next()) {
        (None, _) => match zone {
            Zone::Utc => "MM/dd/yyyy HH:mm:ss",
            Zone::Offset(_) => "MM/dd/yyyy HH:mm:ss zzz",
        },
        (Some(c), None) => match c {
            'd' => "MM/dd/yyyy",
            'D' => "dddd, dd MMMM yyyy",
            'f' => "dddd, dd MMMM yyyy HH:mm",
            'F' => "dddd, dd MMMM yyyy HH:mm:ss",
            'g' => "MM/dd/yyyy HH:mm",
            'G' => "MM/dd/yyyy HH:mm:ss",
            'm' | 'M' => "MMMM dd",
            'o' | 'O' => "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
            'r' | 'R' => {
                ticks = utc;
                "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'"
            }
            's' => "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
            't' => "HH:mm",
            'T' => "HH:mm:ss",
            'u' => {
                ticks = utc;
                "yyyy'-'MM'-'dd HH':'mm':'ss'Z'"
            }
            // `U` is refused for a DateTimeOffset, as in .NET.
            'U' if matches!(zone, Zone::Utc) => "dddd, dd MMMM yyyy HH:mm:ss",
            'y' | 'Y' => "yyyy MMMM",
            _ => return bad_format(),
        },
        _ => f,
    };
    let mut out = String::new();
    custom(ticks, zone, pattern, &mut out)?;
    Ok(out)
}

/// The offset `+hh:mm` (`z` writes `+h`, `zz` `+hh`).
fn offset_text(minutes: i16, n: usize, out: &mut String) {
    out.push(if minutes < 0 { '-' } else { '+' });
    let m = minutes.unsigned_abs();
    match n {
        1 => out.push_str(&format!("{}", m / 60)),
        2 => out.push_str(&format!("{:02}", m / 60)),
        _ => out.push_str(&format!("{:02}:{:02}", m / 60, m % 60)),
    }
}

/// A custom pattern, as .NET's `DateTimeFormat.FormatCustomized` reads it.
fn custom(ticks: i64, zone: Zone, p: &str, out: &mut String) -> Result<(), EvalError> {
    let (y, mo, d) = civil_from_days(ticks.div_euclid(DAY));
    let tod = ticks.rem_euclid(DAY);
    let (h, mi, s, frac) = (
        tod / HOUR,
        tod / MINUTE % 60,
        tod / TICKS_PER_SECOND % 60,
        tod % TICKS_PER_SECOND,
    );
    let weekday = DAY_NAMES[day_of_week(ticks)];
    let minutes = match zone {
        Zone::Utc => 0,
        Zone::Offset(m) => m,
    };
    let cs: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        // The run of a repeatable specifier (`yyyy`); anything else is read one at a time, so
        // that a long run of literals stays linear.
        let mut n = 1;
        if "ghHmsfFtdMyz".contains(c) {
            while i + n < cs.len() && cs[i + n] == c {
                n += 1;
            }
        }
        // Numbers of at most two digits (`hhh` is `hh`).
        let two = |v: i64| format!("{v:0w$}", w = n.min(2));
        match c {
            'g' => out.push_str("A.D."),
            'h' => out.push_str(&two(if h % 12 == 0 { 12 } else { h % 12 })),
            'H' => out.push_str(&two(h)),
            'm' => out.push_str(&two(mi)),
            's' => out.push_str(&two(s)),
            'f' | 'F' if n > 7 => return bad_format(),
            'f' => out.push_str(&format!("{frac:07}")[..n]),
            'F' => {
                let digits = format!("{frac:07}");
                let kept = digits[..n].trim_end_matches('0');
                if kept.is_empty() {
                    if out.ends_with('.') {
                        out.pop();
                    }
                } else {
                    out.push_str(kept);
                }
            }
            't' => out.push_str(&(if h < 12 { "AM" } else { "PM" })[..n.min(2)]),
            'd' if n <= 2 => out.push_str(&two(d)),
            'd' if n == 3 => out.push_str(&weekday[..3]),
            'd' => out.push_str(weekday),
            'M' if n <= 2 => out.push_str(&two(mo)),
            'M' if n == 3 => out.push_str(&MONTH_NAMES[(mo - 1) as usize][..3]),
            'M' => out.push_str(MONTH_NAMES[(mo - 1) as usize]),
            'y' if n <= 2 => out.push_str(&two(y % 100)),
            // (Rust's `{:0n$}` takes widths up to 65535 only.)
            'y' => {
                let digits = y.to_string();
                out.extend(std::iter::repeat_n('0', n.saturating_sub(digits.len())));
                out.push_str(&digits);
            }
            'z' => offset_text(minutes, n, out),
            'K' => match zone {
                Zone::Utc => out.push('Z'),
                Zone::Offset(m) => offset_text(m, 3, out),
            },
            '\'' | '"' => {
                // A quoted literal, in which `\` escapes a character.
                let mut j = i + 1;
                loop {
                    match cs.get(j) {
                        None => return bad_format(),
                        Some(&q) if q == c => break,
                        Some(&'\\') => match cs.get(j + 1) {
                            Some(&x) => {
                                out.push(x);
                                j += 2;
                            }
                            None => return bad_format(),
                        },
                        Some(&x) => {
                            out.push(x);
                            j += 1;
                        }
                    }
                }
                n = j + 1 - i;
            }
            '%' => match cs.get(i + 1) {
                Some(&x) if x != '%' => {
                    custom(ticks, zone, &x.to_string(), out)?;
                    n = 2;
                }
                _ => return bad_format(),
            },
            '\\' => match cs.get(i + 1) {
                Some(&x) => {
                    out.push(x);
                    n = 2;
                }
                None => return bad_format(),
            },
            _ => out.push(c),
        }
        i += n;
    }
    Ok(())
}

/// A date read from text: its clock time and the offset the text gave (minutes), if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// Ticks of the date and time as written.
    pub clock: i64,
    /// `Z`, `GMT` or `±hh:mm`, in minutes.
    pub offset: Option<i64>,
}

impl Parsed {
    /// The UTC ticks: the clock time less the offset (none: the gateway's zone, UTC).
    pub(crate) fn utc(&self) -> Option<i64> {
        let t = self.clock - self.offset.unwrap_or(0) * MINUTE;
        (0..=MAX_TICKS).contains(&t).then_some(t)
    }
}

/// A cursor over ASCII text.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.i += usize::from(hit);
        hit
    }

    fn spaces(&mut self) -> bool {
        let start = self.i;
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
        self.i > start
    }

    /// A number of `min..=max` digits.
    fn num(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        let digits = &self.b[start..self.i];
        if !(min..=max).contains(&digits.len()) {
            return None;
        }
        Some(digits.iter().fold(0, |n, d| n * 10 + (d - b'0') as i64))
    }

    /// A word of letters (possibly empty).
    fn word(&mut self) -> &str {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        std::str::from_utf8(&self.b[start..self.i]).unwrap_or("")
    }
}

/// The index of a day or month name (full or its first three letters, any case).
fn name_index(names: &[&str], w: &str) -> Option<usize> {
    names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(w) || w.len() == 3 && n[..3].eq_ignore_ascii_case(w))
}

/// Parses the date forms `DateTime.Parse` and `DateTimeOffset.Parse` accept here: ISO 8601
/// (`yyyy-MM-dd`, then `T` or a space and `HH:mm[:ss[.fffffff]]`), the invariant culture's
/// `MM/dd/yyyy[ HH:mm[:ss[.fffffff]]][ AM|PM]` and RFC 1123 (`Tue, 02 Jan 2024 03:04:05`),
/// each followed by `Z`, `GMT` or an offset (`±hh[:mm]`, `±hhmm`). Other forms .NET may
/// accept (time alone, names of zones, two-digit years, other orders) are `None`.
pub(crate) fn parse(s: &str) -> Option<Parsed> {
    let mut c = Cursor {
        b: s.trim().as_bytes(),
        i: 0,
    };
    let mut weekday = None;
    let (y, mo, d) = if c.peek()?.is_ascii_alphabetic() {
        weekday = Some(name_index(&DAY_NAMES, c.word())?);
        if !c.eat(b',') || !c.spaces() {
            return None;
        }
        let d = c.num(1, 2)?;
        c.spaces().then_some(())?;
        let mo = name_index(&MONTH_NAMES, c.word())? as i64 + 1;
        c.spaces().then_some(())?;
        (c.num(4, 4)?, mo, d)
    } else {
        let first = c.num(1, 4)?;
        if c.i == 4 && c.eat(b'-') {
            let mo = c.num(1, 2)?;
            c.eat(b'-').then_some(())?;
            (first, mo, c.num(1, 2)?)
        } else if c.i <= 2 && c.eat(b'/') {
            let d = c.num(1, 2)?;
            c.eat(b'/').then_some(())?;
            (c.num(4, 4)?, first, d)
        } else {
            return None;
        }
    };
    let mut clock = ticks_of(y, mo, d, 0, 0, 0)?;
    if weekday.is_some_and(|w| w != day_of_week(clock)) {
        return None;
    }
    let mut offset = None;
    let t = c.eat(b'T');
    if t || c.spaces() && c.peek().is_some_and(|b| b.is_ascii_digit()) {
        let h = c.num(1, 2)?;
        c.eat(b':').then_some(())?;
        let mi = c.num(2, 2)?;
        let (mut sec, mut frac) = (0, 0);
        if c.eat(b':') {
            sec = c.num(2, 2)?;
            if c.eat(b'.') {
                let start = c.i;
                let f = c.num(1, 7)?;
                frac = f * 10_i64.pow(7 - (c.i - start) as u32);
            }
        }
        let mark = c.i;
        c.spaces();
        let w = c.word();
        let (am, pm) = (w.eq_ignore_ascii_case("AM"), w.eq_ignore_ascii_case("PM"));
        let h = if !am && !pm {
            c.i = mark;
            h
        } else if !(1..=12).contains(&h) {
            return None;
        } else {
            h % 12 + if pm { 12 } else { 0 }
        };
        clock += ticks_of(1, 1, 1, h, mi, sec)? + frac;
        let mark = c.i;
        c.spaces();
        match c.peek() {
            Some(b'Z') => {
                c.i += 1;
                offset = Some(0);
            }
            Some(b'G') => {
                (c.word() == "GMT").then_some(())?;
                offset = Some(0);
            }
            Some(sign @ (b'+' | b'-')) => {
                // As .NET's `ParseTimeZone`: `+8`, `+08`, `+8:00`, `+08:00`, `+800`, `+0800`.
                c.i += 1;
                let start = c.i;
                let n = c.num(1, 4)?;
                let (oh, om) = if c.i - start <= 2 {
                    (n, if c.eat(b':') { c.num(1, 2)? } else { 0 })
                } else {
                    (n / 100, n % 100)
                };
                if om >= 60 {
                    return None;
                }
                let total = oh * 60 + om;
                offset = Some(if sign == b'-' { -total } else { total });
            }
            _ => c.i = mark,
        }
    }
    (c.i == c.b.len()).then_some(Parsed { clock, offset })
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
        assert_eq!(day_of_week(0), 1);
        assert_eq!(day_of_week(UNIX_EPOCH_TICKS), 4);
    }

    #[test]
    fn parses_the_supported_forms() {
        let at = |y, mo, d, h, mi, s| ticks_of(y, mo, d, h, mi, s).unwrap();
        let p = |s: &str| parse(s).map(|p| (p.clock, p.offset));
        let t = at(2024, 1, 2, 3, 4, 5);
        assert_eq!(p("2024-01-02T03:04:05Z"), Some((t, Some(0))));
        assert_eq!(p(" 2024-01-02 03:04:05+0530 "), Some((t, Some(330))));
        assert_eq!(p("2024-01-02T03:04:05-05"), Some((t, Some(-300))));
        assert_eq!(p("2024-01-02T03:04:05+8:5"), Some((t, Some(485))));
        assert_eq!(p("2024-01-02T03:04:05+800"), Some((t, Some(480))));
        assert_eq!(p("2024-01-02T03:04:05.5"), Some((t + 5_000_000, None)));
        assert_eq!(p("01/02/2024 03:04:05 +00:00"), Some((t, Some(0))));
        assert_eq!(p("1/2/2024 3:04:05 PM"), Some((t + 12 * HOUR, None)));
        assert_eq!(p("1/2/2024 12:04:05 AM"), Some((t - 3 * HOUR, None)));
        assert_eq!(p("Tue, 02 Jan 2024 03:04:05 GMT"), Some((t, Some(0))));
        assert_eq!(p("2024-01-02"), Some((at(2024, 1, 2, 0, 0, 0), None)));
        for bad in [
            "",
            "x",
            "2024-13-01",
            "2024-02-30",
            "24-01-02",
            "2024-01-02T25:00",
            "2024-01-02T03:04:05+5:60",
            "2024-01-02T03:04:05+12345",
            "2024-01-02T03:04:05.12345678",
            "Wed, 02 Jan 2024 03:04:05 GMT",
            "1/2/2024 13:00 PM",
            "2024-01-02T03:04:05 UTC",
            "2024-01-02 junk",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
