//! `System.Random`: .NET Framework's generator (Knuth's subtractive method, as
//! `System.Random` implements it), so that a seeded `Random` gives .NET's sequence. The
//! generator is a copy-on-write value: `Next` and `NextDouble` change the local variable they
//! are called through (see `check.rs`, `Own`). `new Random()` takes its seed from the clock
//! and the process's hasher keys.

use std::sync::Arc;

use super::crypto::Obj;
use super::{Registry, int_arg, null_ref, t};
use crate::csharp::eval::Machine;
use crate::csharp::types::Type;
use crate::csharp::value::{ErrorKind, EvalError, Value, fail};

type Res = Result<Value, EvalError>;

const MBIG: i32 = i32::MAX;
const MSEED: i32 = 161_803_398;

/// The generator's state (`SeedArray`, `inext`, `inextp`).
#[derive(Debug, Clone)]
pub struct Knuth {
    seeds: [i32; 56],
    next: usize,
    nextp: usize,
}

impl Knuth {
    /// `new Random(seed)`; C#'s unchecked arithmetic is `wrapping_*` here.
    pub(crate) fn new(seed: i32) -> Knuth {
        let mut seeds = [0i32; 56];
        let sub = if seed == i32::MIN {
            i32::MAX
        } else {
            seed.abs()
        };
        let mut mj = MSEED.wrapping_sub(sub);
        seeds[55] = mj;
        let mut mk = 1i32;
        for i in 1..55 {
            let ii = (21 * i) % 55;
            seeds[ii] = mk;
            mk = mj.wrapping_sub(mk);
            if mk < 0 {
                mk = mk.wrapping_add(MBIG);
            }
            mj = seeds[ii];
        }
        for _ in 1..5 {
            for i in 1..56 {
                seeds[i] = seeds[i].wrapping_sub(seeds[1 + (i + 30) % 55]);
                if seeds[i] < 0 {
                    seeds[i] = seeds[i].wrapping_add(MBIG);
                }
            }
        }
        Knuth {
            seeds,
            next: 0,
            nextp: 21,
        }
    }

    /// `InternalSample`: an int in [0, int.MaxValue).
    fn sample_int(&mut self) -> i32 {
        self.next = if self.next + 1 >= 56 {
            1
        } else {
            self.next + 1
        };
        self.nextp = if self.nextp + 1 >= 56 {
            1
        } else {
            self.nextp + 1
        };
        let mut r = self.seeds[self.next].wrapping_sub(self.seeds[self.nextp]);
        if r == MBIG {
            r -= 1;
        }
        if r < 0 {
            r = r.wrapping_add(MBIG);
        }
        self.seeds[self.next] = r;
        r
    }

    /// `Sample`: a double in [0, 1).
    fn sample(&mut self) -> f64 {
        self.sample_int() as f64 * (1.0 / MBIG as f64)
    }

    /// `GetSampleForLargeRange`.
    fn sample_large(&mut self) -> f64 {
        let mut r = self.sample_int();
        if self.sample_int() % 2 == 0 {
            r = -r;
        }
        (r as f64 + (i32::MAX - 1) as f64) / (2.0 * i32::MAX as u32 as f64 - 1.0)
    }

    /// `Next(min, max)` (min ≤ max).
    fn range(&mut self, min: i32, max: i32) -> i32 {
        let range = max as i64 - min as i64;
        if range <= i32::MAX as i64 {
            (self.sample() * range as f64) as i32 + min
        } else {
            ((self.sample_large() * range as f64) as i64 + min as i64) as i32
        }
    }
}

/// The generator of the receiver `a[0]`, for changing: in place unless shared.
fn state(v: &mut Value) -> Result<&mut Knuth, EvalError> {
    let Value::Obj(o) = v else {
        return null_ref();
    };
    if Arc::get_mut(o).is_none() {
        let Obj::Random(k) = &**o else {
            return null_ref();
        };
        *o = Arc::new(Obj::Random(k.clone()));
    }
    match Arc::get_mut(o) {
        Some(Obj::Random(k)) => Ok(k),
        _ => null_ref(),
    }
}

/// A seed for `new Random()`.
fn clock_seed() -> i32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.finish() as i32
}

fn new_random(m: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let seed = match a.first() {
        Some(v) => int_arg(v),
        None => clock_seed(),
    };
    m.step(56 * 5)?;
    m.alloc(256)?;
    Ok(Value::Obj(Arc::new(Obj::Random(Box::new(Knuth::new(
        seed,
    ))))))
}

fn next(_: &mut Machine<'_>, a: &mut [Value], _: Option<&Type>) -> Res {
    let (min, max) = match a.len() {
        1 => return Ok(Value::Int(state(&mut a[0])?.sample_int())),
        2 => (0, int_arg(&a[1])),
        _ => (int_arg(&a[1]), int_arg(&a[2])),
    };
    if a.len() == 2 && max < 0 {
        return fail(
            ErrorKind::ArgumentOutOfRange,
            "'maxValue' must be greater than zero",
        );
    }
    if min > max {
        return fail(
            ErrorKind::ArgumentOutOfRange,
            "'minValue' cannot be greater than maxValue",
        );
    }
    let one = a.len() == 2;
    let k = state(&mut a[0])?;
    Ok(Value::Int(if one {
        (k.sample() * max as f64) as i32
    } else {
        k.range(min, max)
    }))
}

pub(crate) fn register(r: &mut Registry) {
    let rnd = || Type::Named("Random");
    let i = || t(Type::Int);
    r.method("static:Random", ".ctor", vec![], rnd(), new_random);
    r.method("static:Random", ".ctor", vec![i()], rnd(), new_random);
    r.mutator("Random", "Next", vec![], Type::Int, next);
    r.mutator("Random", "Next", vec![i()], Type::Int, next);
    r.mutator("Random", "Next", vec![i(), i()], Type::Int, next);
    r.mutator("Random", "NextDouble", vec![], Type::Double, |_, a, _| {
        Ok(Value::Double(state(&mut a[0])?.sample()))
    });
}
