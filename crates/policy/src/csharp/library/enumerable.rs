//! The static sequence makers of `System.Linq.Enumerable`: `Range`, `Repeat`, `Empty`. Every
//! sequence is charged against the budgets before it is built.

use super::{Member, P, R, Registry, int_arg, t};
use crate::csharp::eval::Machine;
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, Value, fail};

type Res = Result<Value, EvalError>;

/// The number of items, its steps counted and its memory checked before anything is
/// allocated (and counted when the array is made).
fn charge(m: &mut Machine<'_>, count: i32) -> Result<usize, EvalError> {
    let Ok(n) = usize::try_from(count) else {
        return fail(
            ErrorKind::ArgumentOutOfRange,
            "count cannot be less than zero",
        );
    };
    m.room(n.saturating_mul(std::mem::size_of::<Value>()))?;
    m.step(n as u64)?;
    Ok(n)
}

fn range(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let (start, count) = (int_arg(&a[0]), int_arg(&a[1]));
    if count < 0 || start as i64 + count as i64 - 1 > i32::MAX as i64 {
        return fail(
            ErrorKind::ArgumentOutOfRange,
            "count is less than zero, or start + count - 1 is larger than int.MaxValue",
        );
    }
    let n = charge(m, count)?;
    m.array((0..n as i32).map(|i| Value::Int(start + i)).collect())
}

fn repeat(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let n = charge(m, int_arg(&a[1]))?;
    m.array(vec![a[0].clone(); n])
}

fn generic(r: &mut Registry, name: &'static str, params: Vec<P>, f: super::Native) {
    r.add(
        "static:Enumerable",
        Member {
            name,
            property: false,
            params,
            ret: R::SeqGen,
            f,
            generic: true,
            mutates: false,
        },
    );
}

pub(crate) fn register(r: &mut Registry) {
    r.method(
        "static:Enumerable",
        "Range",
        vec![t(Type::Int), t(Type::Int)],
        Type::Seq(Box::new(Type::Int)),
        range,
    );
    generic(r, "Repeat", vec![P::Gen, t(Type::Int)], repeat);
    generic(r, "Empty", vec![], |m, _, _| m.array(Vec::new()));
}
