//! LINQ on sequences (evaluated eagerly, every element counted as a step, and the comparisons
//! of long strings as the bytes they compare).

use super::budget::{self, equals};
use super::{Member, P, R, Registry, double_arg, int_arg};
use crate::csharp::eval::{Machine, truthy};
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, Value, fail};

type Res = Result<Value, EvalError>;

fn each(m: &mut Machine<'_>, a: &[Value]) -> Result<std::sync::Arc<[Value]>, EvalError> {
    let n = budget::count(m, &a[0])?;
    m.step(n as u64)?;
    budget::items(m, &a[0])
}

fn test(m: &mut Machine<'_>, f: &Value, x: &Value) -> Result<bool, EvalError> {
    Ok(truthy(&m.call(f, std::slice::from_ref(x))?))
}

fn empty<T>() -> Result<T, EvalError> {
    fail(ErrorKind::InvalidOperation, "sequence contains no elements")
}

/// The order of `OrderBy`, `Max` and `Min`, counting the bytes of strings compared.
fn cmp(m: &mut Machine<'_>, a: &Value, b: &Value) -> Result<std::cmp::Ordering, EvalError> {
    Ok(match (a, b) {
        (Value::Str(x), Value::Str(y)) => budget::cmp_str(m, x, y)?,
        (Value::Null, Value::Null) => std::cmp::Ordering::Equal,
        (Value::Null, _) => std::cmp::Ordering::Less,
        (_, Value::Null) => std::cmp::Ordering::Greater,
        (Value::DateTime(x), Value::DateTime(y))
        | (Value::TimeSpan(x), Value::TimeSpan(y))
        | (Value::DateTimeOffset { utc: x, .. }, Value::DateTimeOffset { utc: y, .. }) => x.cmp(y),
        _ => double_arg(a)
            .partial_cmp(&double_arg(b))
            .unwrap_or(std::cmp::Ordering::Equal),
    })
}

fn add(r: &mut Registry, name: &'static str, params: Vec<P>, ret: R, f: super::Native) {
    r.add(
        "seq",
        Member {
            name,
            property: false,
            params,
            ret,
            f,
            generic: false,
            mutates: false,
        },
    );
}

pub(crate) fn register(r: &mut Registry) {
    add(r, "Any", vec![], R::T(Type::Bool), |m, a, _| {
        Ok(Value::Bool(!each(m, a)?.is_empty()))
    });
    add(r, "Any", vec![P::Pred], R::T(Type::Bool), |m, a, _| {
        for x in each(m, a)?.iter() {
            if test(m, &a[1], x)? {
                return Ok(Value::Bool(true));
            }
        }
        Ok(Value::Bool(false))
    });
    add(r, "All", vec![P::Pred], R::T(Type::Bool), |m, a, _| {
        for x in each(m, a)?.iter() {
            if !test(m, &a[1], x)? {
                return Ok(Value::Bool(false));
            }
        }
        Ok(Value::Bool(true))
    });
    add(r, "Count", vec![], R::T(Type::Int), |m, a, _| {
        Ok(Value::Int(each(m, a)?.len() as i32))
    });
    add(r, "Count", vec![P::Pred], R::T(Type::Int), |m, a, _| {
        let mut n = 0;
        for x in each(m, a)?.iter() {
            n += i32::from(test(m, &a[1], x)?);
        }
        Ok(Value::Int(n))
    });
    add(r, "Contains", vec![P::Elem], R::T(Type::Bool), |m, a, _| {
        for x in each(m, a)?.iter() {
            if equals(m, x, &a[1])? {
                return Ok(Value::Bool(true));
            }
        }
        Ok(Value::Bool(false))
    });
    add(r, "Where", vec![P::Pred], R::SeqElem, |m, a, _| {
        let mut out = Vec::new();
        for x in each(m, a)?.iter() {
            if test(m, &a[1], x)? {
                out.push(x.clone());
            }
        }
        m.array(out)
    });
    add(r, "Select", vec![P::Sel], R::SeqU, |m, a, _| {
        let mut out = Vec::new();
        for x in each(m, a)?.iter() {
            out.push(m.call(&a[1], std::slice::from_ref(x))?);
        }
        m.array(out)
    });
    for (name, or_default, last) in [
        ("First", false, false),
        ("FirstOrDefault", true, false),
        ("Last", false, true),
        ("LastOrDefault", true, true),
    ] {
        let f0: super::Native = match (or_default, last) {
            (false, false) => |m, a, _| each(m, a)?.first().cloned().map_or_else(empty, Ok),
            (true, false) => |m, a, _| Ok(each(m, a)?.first().cloned().unwrap_or(Value::Null)),
            (false, true) => |m, a, _| each(m, a)?.last().cloned().map_or_else(empty, Ok),
            (true, true) => |m, a, _| Ok(each(m, a)?.last().cloned().unwrap_or(Value::Null)),
        };
        let f1: super::Native = match (or_default, last) {
            (false, false) => |m, a, _| find(m, a, false)?.map_or_else(empty, Ok),
            (true, false) => |m, a, _| Ok(find(m, a, false)?.unwrap_or(Value::Null)),
            (false, true) => |m, a, _| find(m, a, true)?.map_or_else(empty, Ok),
            (true, true) => |m, a, _| Ok(find(m, a, true)?.unwrap_or(Value::Null)),
        };
        add(r, name, vec![], R::Elem, f0);
        add(r, name, vec![P::Pred], R::Elem, f1);
    }
    for name in ["ToArray", "ToList", "AsEnumerable"] {
        let ret = match name {
            "ToArray" => R::ArrElem,
            "ToList" => R::ListElem,
            _ => R::SeqElem,
        };
        add(r, name, vec![], ret, |m, a, _| {
            let xs = each(m, a)?;
            m.array(xs.to_vec())
        });
    }
    add(r, "Sum", vec![], R::Elem, |m, a, _| sum(&each(m, a)?));
    add(r, "Sum", vec![P::Sel], R::U, |m, a, _| {
        let mut out = Vec::new();
        for x in each(m, a)?.iter() {
            out.push(m.call(&a[1], std::slice::from_ref(x))?);
        }
        sum(&out)
    });
    for (name, max) in [("Max", true), ("Min", false)] {
        let f0: super::Native = if max {
            |m, a, _| {
                let xs = each(m, a)?.to_vec();
                extreme(m, xs, true)
            }
        } else {
            |m, a, _| {
                let xs = each(m, a)?.to_vec();
                extreme(m, xs, false)
            }
        };
        let f1: super::Native = if max {
            |m, a, _| {
                let xs = mapped(m, a)?;
                extreme(m, xs, true)
            }
        } else {
            |m, a, _| {
                let xs = mapped(m, a)?;
                extreme(m, xs, false)
            }
        };
        add(r, name, vec![], R::Elem, f0);
        add(r, name, vec![P::Sel], R::U, f1);
    }
    add(r, "OrderBy", vec![P::Sel], R::SeqElem, |m, a, _| {
        order(m, a, false)
    });
    add(
        r,
        "OrderByDescending",
        vec![P::Sel],
        R::SeqElem,
        |m, a, _| order(m, a, true),
    );
    add(r, "Skip", vec![P::T(Type::Int)], R::SeqElem, |m, a, _| {
        let xs = each(m, a)?;
        let n = (int_arg(&a[1]).max(0) as usize).min(xs.len());
        m.array(xs[n..].to_vec())
    });
    add(r, "Take", vec![P::T(Type::Int)], R::SeqElem, |m, a, _| {
        let xs = each(m, a)?;
        let n = (int_arg(&a[1]).max(0) as usize).min(xs.len());
        m.array(xs[..n].to_vec())
    });
    add(r, "Distinct", vec![], R::SeqElem, |m, a, _| {
        let xs = each(m, a)?;
        let mut out: Vec<Value> = Vec::new();
        for x in xs.iter() {
            m.step(out.len() as u64)?;
            let mut seen = false;
            for y in &out {
                if equals(m, x, y)? {
                    seen = true;
                    break;
                }
            }
            if !seen {
                out.push(x.clone());
            }
        }
        m.array(out)
    });
    add(r, "Reverse", vec![], R::SeqElem, |m, a, _| {
        let mut xs = each(m, a)?.to_vec();
        xs.reverse();
        m.array(xs)
    });
    r.prop("array", "Length", Type::Int, |m, a, _| {
        Ok(Value::Int(budget::count(m, &a[0])? as i32))
    });
    r.prop("list", "Count", Type::Int, |m, a, _| {
        Ok(Value::Int(budget::count(m, &a[0])? as i32))
    });
    for k in ["array", "list"] {
        r.add(
            k,
            Member {
                name: "[]",
                property: false,
                params: vec![P::T(Type::Int)],
                ret: R::Elem,
                f: |m, a, _| {
                    let xs = budget::items(m, &a[0])?;
                    usize::try_from(int_arg(&a[1]))
                        .ok()
                        .and_then(|i| xs.get(i).cloned())
                        .map_or_else(
                            || {
                                fail(
                                    ErrorKind::IndexOutOfRange,
                                    "index was outside the bounds of the array",
                                )
                            },
                            Ok,
                        )
                },
                generic: false,
                mutates: false,
            },
        );
    }
}

fn find(m: &mut Machine<'_>, a: &[Value], last: bool) -> Result<Option<Value>, EvalError> {
    let xs = each(m, a)?;
    let mut found = None;
    for x in xs.iter() {
        if test(m, &a[1], x)? {
            found = Some(x.clone());
            if !last {
                break;
            }
        }
    }
    Ok(found)
}

fn mapped(m: &mut Machine<'_>, a: &[Value]) -> Result<Vec<Value>, EvalError> {
    let mut out = Vec::new();
    for x in each(m, a)?.iter() {
        out.push(m.call(&a[1], std::slice::from_ref(x))?);
    }
    Ok(out)
}

fn sum(xs: &[Value]) -> Res {
    match xs.first() {
        Some(Value::Double(_)) => Ok(Value::Double(xs.iter().map(double_arg).sum())),
        Some(Value::Long(_)) => Ok(Value::Long(
            xs.iter()
                .map(|x| double_arg(x) as i64)
                .fold(0i64, i64::wrapping_add),
        )),
        _ => {
            let total: i64 = xs.iter().map(|x| int_arg(x) as i64).sum();
            i32::try_from(total).map(Value::Int).or_else(|_| {
                fail(
                    ErrorKind::Overflow,
                    "arithmetic operation resulted in an overflow",
                )
            })
        }
    }
}

/// Library objects (`XElement`, `XName`, `Jwt`, …) do not implement `IComparable`: .NET
/// fails as soon as it compares two of them.
fn comparable(keys: &mut dyn Iterator<Item = &Value>) -> Result<(), EvalError> {
    let mut n = 0;
    let mut objects = false;
    for k in keys {
        n += 1;
        objects |= matches!(k, Value::Obj(_));
    }
    if n > 1 && objects {
        return fail(
            ErrorKind::InvalidOperation,
            "failed to compare two elements: at least one object must implement IComparable",
        );
    }
    Ok(())
}

fn extreme(m: &mut Machine<'_>, xs: Vec<Value>, max: bool) -> Res {
    comparable(&mut xs.iter())?;
    let mut best: Option<Value> = None;
    for b in xs {
        best = Some(match best {
            None => b,
            Some(a) => {
                let o = cmp(m, &b, &a)?;
                if (max && o.is_gt()) || (!max && o.is_lt()) {
                    b
                } else {
                    a
                }
            }
        });
    }
    best.map_or_else(empty, Ok)
}

fn order(m: &mut Machine<'_>, a: &[Value], desc: bool) -> Res {
    let xs = each(m, a)?;
    let mut keyed = Vec::with_capacity(xs.len());
    for x in xs.iter() {
        keyed.push((m.call(&a[1], std::slice::from_ref(x))?, x.clone()));
    }
    comparable(&mut keyed.iter().map(|(k, _)| k))?;
    let keyed = budget::sort_by(m, keyed, &mut |m, (ka, _), (kb, _)| {
        if desc { cmp(m, kb, ka) } else { cmp(m, ka, kb) }
    })?;
    m.array(keyed.into_iter().map(|(_, x)| x).collect())
}
