//! The tree-walking evaluator over the checked program, bounded by [`Limits`].

use std::collections::HashMap;
use std::sync::Arc;

use super::context::Context;
use super::ir::{Bin, Conv, Ir, Num, Slot, St, Un};
use super::library::budget::{self, CharIndex};
use super::library::{convert, json, time};
use super::types::Type;
use super::value::{ErrorKind, EvalError, Value, fail};

/// Bounds of one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Evaluation steps: expression nodes, loop iterations and lambda calls; elements library
    /// calls visit or produce; and every 64 bytes of text or data they scan, compare, copy,
    /// hash or encode.
    pub max_steps: u64,
    /// Bytes of strings and collections the evaluation may create, in total.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_steps: 100_000,
            max_bytes: 1 << 20,
        }
    }
}

/// A checked lambda.
#[derive(Debug)]
pub struct Lambda {
    pub(crate) params: Vec<Slot>,
    pub(crate) body: LambdaBody,
}

/// A lambda's body.
#[derive(Debug)]
pub(crate) enum LambdaBody {
    Expr(Ir),
    Block(Vec<St>),
}

/// How a statement ended.
enum Flow {
    Next,
    Break,
    Continue,
    Return(Value),
}

/// Bytes of bulk work a step pays for (see [`Machine::scan`]): a pass over 64 bytes costs
/// about what evaluating one expression node does.
pub(crate) const SCAN_BYTES: usize = 64;

/// The deepest nesting of arrays an evaluation may build. Dropping a value recurses into
/// its items, so unbounded nesting (`a = new object[] { a }` in a loop) would overflow the
/// stack; JSON tokens have their own bound ([`json::MAX_DEPTH`]).
///
/// [`json::MAX_DEPTH`]: super::library::json::MAX_DEPTH
pub(crate) const MAX_ARRAY_DEPTH: u8 = 64;

/// The evaluation state: the context, the locals and the budgets.
pub(crate) struct Machine<'a> {
    pub ctx: &'a Context,
    locals: Vec<Value>,
    steps: u64,
    bytes: usize,
    limits: Limits,
    /// The nesting depth of the arrays this evaluation built (but the smallest), by address;
    /// each is kept alive here, so that an address is never reused while it is a key.
    arrays: HashMap<usize, (Arc<[Value]>, u8)>,
    /// Character positions of recently indexed strings.
    pub(crate) chars: CharIndex,
}

impl<'a> Machine<'a> {
    pub(crate) fn new(ctx: &'a Context, slots: usize, limits: Limits) -> Machine<'a> {
        Machine {
            ctx,
            locals: vec![Value::Null; slots],
            steps: 0,
            bytes: 0,
            limits,
            arrays: HashMap::new(),
            chars: CharIndex::default(),
        }
    }

    /// Counts `n` steps against the budget.
    ///
    /// The rule every native follows, charging BEFORE the work wherever its size is known
    /// (after it only for a single pass whose length depends on what it finds, such as a
    /// search that stops at the first match):
    /// - one step per expression node, statement, loop iteration and lambda call;
    /// - one step per element a library call visits, compares or produces;
    /// - one step per [`SCAN_BYTES`] bytes of text or data it scans, compares, copies,
    ///   hashes, encodes or parses ([`Machine::scan`]; a pass over fewer bytes is covered by
    ///   the call's own step);
    /// - and every string or collection it creates counts its bytes against the memory budget
    ///   ([`Machine::alloc`], [`Machine::string`], [`Machine::array`]), checked before the
    ///   value is built when its size is known ([`Machine::room`]).
    pub(crate) fn step(&mut self, n: u64) -> Result<(), EvalError> {
        self.steps += n;
        if self.steps > self.limits.max_steps {
            return fail(
                ErrorKind::StepLimit,
                format!(
                    "the expression took more than {} steps",
                    self.limits.max_steps
                ),
            );
        }
        Ok(())
    }

    /// Counts a pass over `bytes` bytes of text or data: one step per [`SCAN_BYTES`].
    pub(crate) fn scan(&mut self, bytes: usize) -> Result<(), EvalError> {
        self.step((bytes / SCAN_BYTES) as u64)
    }

    /// Fails as [`Machine::alloc`] would if `n` more bytes did not fit, without counting
    /// them: for checking a value's size before building it (its bytes are counted when it
    /// is made, by [`Machine::string`] or [`Machine::array`]).
    pub(crate) fn room(&self, n: usize) -> Result<(), EvalError> {
        if self.bytes.saturating_add(n) > self.limits.max_bytes {
            return self.memory_limit();
        }
        Ok(())
    }

    fn memory_limit<T>(&self) -> Result<T, EvalError> {
        fail(
            ErrorKind::MemoryLimit,
            format!(
                "the expression allocated more than {} bytes",
                self.limits.max_bytes
            ),
        )
    }

    /// Counts `n` bytes of new strings or collections against the budget.
    pub(crate) fn alloc(&mut self, n: usize) -> Result<(), EvalError> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > self.limits.max_bytes {
            return self.memory_limit();
        }
        Ok(())
    }

    /// A new string, counted.
    pub(crate) fn string(&mut self, s: String) -> Result<Value, EvalError> {
        self.alloc(s.len())?;
        Ok(Value::Str(Arc::from(s)))
    }

    /// A new array, counted, and refused when it would nest arrays deeper than
    /// [`MAX_ARRAY_DEPTH`].
    pub(crate) fn array(&mut self, items: Vec<Value>) -> Result<Value, EvalError> {
        self.alloc(items.len() * std::mem::size_of::<Value>())?;
        let mut depth = 1;
        for x in &items {
            if let Value::Array(inner) = x {
                depth = depth.max(1 + self.depth(inner, MAX_ARRAY_DEPTH)?);
            }
        }
        let items: Arc<[Value]> = Arc::from(items);
        // Remembered when measuring it again would cost a step (or it holds arrays).
        if depth > 1 || items.len() * std::mem::size_of::<Value>() >= SCAN_BYTES {
            let key = Arc::as_ptr(&items) as *const Value as usize;
            self.arrays.insert(key, (items.clone(), depth));
        }
        Ok(Value::Array(items))
    }

    /// The nesting depth of an array (1 for an array without arrays in it), failing when it
    /// is `room` levels or more.
    fn depth(&mut self, a: &Arc<[Value]>, room: u8) -> Result<u8, EvalError> {
        let key = Arc::as_ptr(a) as *const Value as usize;
        let depth = match self.arrays.get(&key) {
            Some((_, d)) => *d,
            // Not built by this evaluation (or tiny): from the context or the library.
            None => {
                self.scan(std::mem::size_of_val(&a[..]))?;
                let mut depth = 1;
                for x in a.iter() {
                    if let Value::Array(inner) = x {
                        depth = depth.max(1 + self.depth(inner, room.saturating_sub(1))?);
                    }
                }
                depth
            }
        };
        if depth >= room {
            return fail(
                ErrorKind::NotSupported,
                format!(
                    "Tollgate does not support arrays nested more than {MAX_ARRAY_DEPTH} levels deep"
                ),
            );
        }
        Ok(depth)
    }

    /// Calls a lambda value with arguments.
    pub(crate) fn call(&mut self, f: &Value, args: &[Value]) -> Result<Value, EvalError> {
        let Value::Func(lambda) = f else {
            return fail(ErrorKind::NullReference, "the delegate is null");
        };
        self.step(1)?;
        for (slot, arg) in lambda.params.iter().zip(args) {
            self.set(*slot, arg.clone());
        }
        match &lambda.body {
            LambdaBody::Expr(e) => self.eval(e),
            LambdaBody::Block(b) => match self.block(b)? {
                Flow::Return(v) => Ok(v),
                _ => Ok(Value::Null),
            },
        }
    }

    fn set(&mut self, slot: Slot, v: Value) {
        if let Some(l) = self.locals.get_mut(slot as usize) {
            *l = v;
        }
    }

    fn get(&self, slot: Slot) -> Value {
        self.locals
            .get(slot as usize)
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// A program's result, with the steps of writing its text counted when it holds a JSON
    /// token (whose shared containers can be far larger written out than held), so that the
    /// caller's [`Value::to_policy_string`] stays within them. Its size is not counted, as a
    /// result's is not: the token was counted when it was made.
    pub(crate) fn finish(&mut self, v: Value) -> Result<Value, EvalError> {
        let token = match &v {
            Value::Json(j) => Some(j),
            Value::Pair(p) => match &p.1 {
                Value::Json(j) => Some(j),
                _ => None,
            },
            _ => None,
        };
        if let Some(j) = token {
            json::count_text(self, j)?;
        }
        Ok(v)
    }

    /// Runs a statement list; a block program's result.
    pub(crate) fn run(&mut self, body: &[St]) -> Result<Value, EvalError> {
        match self.block(body)? {
            Flow::Return(v) => Ok(v),
            _ => Ok(Value::Null),
        }
    }

    fn block(&mut self, body: &[St]) -> Result<Flow, EvalError> {
        for s in body {
            match self.stmt(s)? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    fn stmt(&mut self, s: &St) -> Result<Flow, EvalError> {
        self.step(1)?;
        match s {
            St::Expr(e) => {
                self.eval(e)?;
            }
            St::If(c, a, b) => {
                return if truthy(&self.eval(c)?) {
                    self.block(a)
                } else {
                    self.block(b)
                };
            }
            St::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(e)?,
                    None => Value::Null,
                };
                return Ok(Flow::Return(v));
            }
            St::Foreach(slot, seq, body) => {
                let seq = self.eval(seq)?;
                // A string's characters are read as the loop goes (a loop that breaks early
                // pays only for what it read).
                if let Value::Str(s) = &seq {
                    for c in s.chars() {
                        self.step(1)?;
                        self.set(*slot, Value::Char(c));
                        match self.block(body)? {
                            Flow::Break => break,
                            Flow::Return(v) => return Ok(Flow::Return(v)),
                            _ => {}
                        }
                    }
                    return Ok(Flow::Next);
                }
                let items = budget::items(self, &seq)?;
                for item in items.iter() {
                    self.step(1)?;
                    self.set(*slot, item.clone());
                    match self.block(body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                }
            }
            St::Loop(cond, body, steps, body_first) => {
                let mut first = *body_first;
                loop {
                    self.step(1)?;
                    if !first
                        && let Some(c) = cond
                        && !truthy(&self.eval(c)?)
                    {
                        break;
                    }
                    first = false;
                    match self.block(body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                    for s in steps {
                        self.eval(s)?;
                    }
                }
            }
            St::Break => return Ok(Flow::Break),
            St::Continue => return Ok(Flow::Continue),
            St::Block(b) => return self.block(b),
        }
        Ok(Flow::Next)
    }

    /// Evaluates an expression.
    pub(crate) fn eval(&mut self, e: &Ir) -> Result<Value, EvalError> {
        self.step(1)?;
        Ok(match e {
            Ir::Const(v) => v.clone(),
            Ir::Local(s) => self.get(*s),
            Ir::Context => Value::Ctx(super::value::CtxRef::Context),
            Ir::Call(call) => {
                let mut args = Vec::with_capacity(call.args.len());
                for a in &call.args {
                    args.push(self.eval(a)?);
                }
                // A mutating member on a local (or on a chain of calls rooted at it, whose
                // receiver is the value just written back to it): the local lets go of its
                // value during the call (it is written back after), so that copy-on-write
                // updates in place unless another argument shares the value.
                if let Some((0, w)) = call.outs.first() {
                    self.set(*w, Value::Null);
                }
                if call.instance && matches!(args.first(), Some(Value::Null)) {
                    return fail(
                        ErrorKind::NullReference,
                        format!(
                            "object reference not set to an instance of an object (calling '{}')",
                            call.name
                        ),
                    );
                }
                let v = (call.f)(self, &mut args, call.generic.as_ref())?;
                for (i, slot) in &call.outs {
                    if let Some(v) = args.get(*i) {
                        self.set(*slot, v.clone());
                    }
                }
                v
            }
            Ir::Conv(c, e) => {
                let v = self.eval(e)?;
                self.conv(c, v)?
            }
            Ir::Unary(op, e) => {
                let v = self.eval(e)?;
                unary(*op, v)?
            }
            Ir::Binary(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                self.binary(*op, a, b)?
            }
            Ir::AndAlso(a, b) => Value::Bool(truthy(&self.eval(a)?) && truthy(&self.eval(b)?)),
            Ir::OrElse(a, b) => Value::Bool(truthy(&self.eval(a)?) || truthy(&self.eval(b)?)),
            Ir::Coalesce(a, b) => match self.eval(a)? {
                Value::Null => self.eval(b)?,
                v => v,
            },
            Ir::Cond(c, a, b) => {
                if truthy(&self.eval(c)?) {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            Ir::Assign(s, e) => {
                let v = self.eval(e)?;
                self.set(*s, v.clone());
                v
            }
            Ir::Step(s, delta, num, postfix) => {
                let old = self.get(*s);
                let one = match num {
                    Num::Long => Value::Long(1),
                    Num::Double => Value::Double(1.0),
                    _ => Value::Int(1),
                };
                let op = if *delta > 0 {
                    Bin::Add(*num)
                } else {
                    Bin::Sub(*num)
                };
                let new = self.binary(op, old.clone(), one)?;
                self.set(*s, new.clone());
                if *postfix { old } else { new }
            }
            Ir::NullCond(t, s, rest) => match self.eval(t)? {
                Value::Null => Value::Null,
                v => {
                    self.set(*s, v);
                    self.eval(rest)?
                }
            },
            Ir::Is(t, e, bind) => {
                let v = self.eval(e)?;
                let yes = budget::is_type(self, &v, t)?;
                if let (true, Some(s)) = (yes, bind) {
                    self.set(*s, v);
                }
                Value::Bool(yes)
            }
            Ir::As(t, e) => {
                let v = self.eval(e)?;
                if budget::is_type(self, &v, t)? {
                    v
                } else {
                    Value::Null
                }
            }
            Ir::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i)?);
                }
                self.array(out)?
            }
            Ir::NewArray(n, fill) => {
                let n = match self.eval(n)? {
                    Value::Int(n) if n >= 0 => n as usize,
                    _ => {
                        return fail(
                            ErrorKind::Overflow,
                            "arithmetic operation resulted in an overflow",
                        );
                    }
                };
                self.room(n.saturating_mul(std::mem::size_of::<Value>()))?;
                self.step(n as u64)?;
                self.array(vec![fill.clone(); n])?
            }
            Ir::Lambda(l) => Value::Func(l.clone()),
            Ir::Interp(parts) => {
                let mut s = String::new();
                for p in parts {
                    let v = self.eval(p)?;
                    let part = budget::text(self, &v)?;
                    self.room(s.len() + part.len())?;
                    self.scan(part.len())?;
                    s.push_str(&part);
                }
                self.string(s)?
            }
        })
    }

    fn binary(&mut self, op: Bin, a: Value, b: Value) -> Result<Value, EvalError> {
        match op {
            Bin::Eq => return Ok(Value::Bool(budget::equals(self, &a, &b)?)),
            Bin::Ne => return Ok(Value::Bool(!budget::equals(self, &a, &b)?)),
            Bin::Concat => {
                let (a, b) = (budget::text(self, &a)?, budget::text(self, &b)?);
                self.room(a.len() + b.len())?;
                self.scan(a.len() + b.len())?;
                let mut s = String::with_capacity(a.len() + b.len());
                s.push_str(&a);
                s.push_str(&b);
                return self.string(s);
            }
            _ => {}
        }
        if matches!(a, Value::Null) || matches!(b, Value::Null) {
            // Lifted operators: null in, null out (false for comparisons).
            return Ok(match op {
                Bin::Lt(_) | Bin::Le(_) | Bin::Gt(_) | Bin::Ge(_) => Value::Bool(false),
                _ => Value::Null,
            });
        }
        match op {
            Bin::TimeAdd | Bin::TimeSub | Bin::DateDiff => time::arith(op, &a, &b),
            _ => arith(op, &a, &b),
        }
    }
}

/// A bool value's truth (null is false).
pub(crate) fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

fn int_of(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i as i64,
        Value::Long(i)
        | Value::DateTime(i)
        | Value::TimeSpan(i)
        | Value::DateTimeOffset { utc: i, .. } => *i,
        Value::Char(c) => *c as i64,
        Value::Double(d) => *d as i64,
        Value::Bool(b) => *b as i64,
        _ => 0,
    }
}

fn double_of(v: &Value) -> f64 {
    match v {
        Value::Double(d) => *d,
        other => int_of(other) as f64,
    }
}

fn div_zero<T>() -> Result<T, EvalError> {
    fail(ErrorKind::DivideByZero, "attempted to divide by zero")
}

fn arith(op: Bin, a: &Value, b: &Value) -> Result<Value, EvalError> {
    let num = match op {
        Bin::Add(n)
        | Bin::Sub(n)
        | Bin::Mul(n)
        | Bin::Div(n)
        | Bin::Rem(n)
        | Bin::And(n)
        | Bin::Or(n)
        | Bin::Xor(n)
        | Bin::Shl(n)
        | Bin::Shr(n)
        | Bin::Lt(n)
        | Bin::Le(n)
        | Bin::Gt(n)
        | Bin::Ge(n) => n,
        _ => return fail(ErrorKind::InvalidOperation, "unsupported operator"),
    };
    Ok(match num {
        Num::Double => {
            let (x, y) = (double_of(a), double_of(b));
            match op {
                Bin::Add(_) => Value::Double(x + y),
                Bin::Sub(_) => Value::Double(x - y),
                Bin::Mul(_) => Value::Double(x * y),
                Bin::Div(_) => Value::Double(x / y),
                Bin::Rem(_) => Value::Double(x % y),
                Bin::Lt(_) => Value::Bool(x < y),
                Bin::Le(_) => Value::Bool(x <= y),
                Bin::Gt(_) => Value::Bool(x > y),
                _ => Value::Bool(x >= y),
            }
        }
        Num::Bool => {
            let (x, y) = (truthy(a), truthy(b));
            Value::Bool(match op {
                Bin::And(_) => x & y,
                Bin::Or(_) => x | y,
                _ => x ^ y,
            })
        }
        Num::Int | Num::Long | Num::Ticks => {
            let (x, y) = (int_of(a), int_of(b));
            let r: i64 = match op {
                Bin::Lt(_) => return Ok(Value::Bool(x < y)),
                Bin::Le(_) => return Ok(Value::Bool(x <= y)),
                Bin::Gt(_) => return Ok(Value::Bool(x > y)),
                Bin::Ge(_) => return Ok(Value::Bool(x >= y)),
                Bin::Add(_) => x.wrapping_add(y),
                Bin::Sub(_) => x.wrapping_sub(y),
                Bin::Mul(_) => x.wrapping_mul(y),
                Bin::Div(_) | Bin::Rem(_) => {
                    if y == 0 {
                        return div_zero();
                    }
                    let min = if num == Num::Int {
                        i32::MIN as i64
                    } else {
                        i64::MIN
                    };
                    if x == min && y == -1 {
                        if matches!(op, Bin::Rem(_)) {
                            0
                        } else {
                            return fail(
                                ErrorKind::Overflow,
                                "arithmetic operation resulted in an overflow",
                            );
                        }
                    } else if matches!(op, Bin::Div(_)) {
                        x / y
                    } else {
                        x % y
                    }
                }
                Bin::And(_) => x & y,
                Bin::Or(_) => x | y,
                Bin::Xor(_) => x ^ y,
                Bin::Shl(_) if num == Num::Int => ((x as i32).wrapping_shl(y as u32 & 31)) as i64,
                Bin::Shl(_) => x.wrapping_shl(y as u32 & 63),
                Bin::Shr(_) if num == Num::Int => ((x as i32).wrapping_shr(y as u32 & 31)) as i64,
                _ => x.wrapping_shr(y as u32 & 63),
            };
            if num == Num::Int {
                Value::Int(r as i32)
            } else {
                Value::Long(r)
            }
        }
    })
}

fn unary(op: Un, v: Value) -> Result<Value, EvalError> {
    Ok(match (op, v) {
        (_, Value::Null) => Value::Null,
        (Un::Not, v) => Value::Bool(!truthy(&v)),
        (Un::Neg(Num::Double), v) => Value::Double(-double_of(&v)),
        (Un::Neg(Num::Long), v) => Value::Long(int_of(&v).wrapping_neg()),
        (Un::Neg(Num::Ticks), Value::TimeSpan(t)) => time::negate(t)?,
        (Un::Neg(_), v) => Value::Int((int_of(&v) as i32).wrapping_neg()),
        (Un::Compl(Num::Long), v) => Value::Long(!int_of(&v)),
        (Un::Compl(_), v) => Value::Int(!(int_of(&v) as i32)),
    })
}

impl Machine<'_> {
    /// Applies a conversion, with the steps of the walks it does (a cast to an array type
    /// checks every item; a conversion to JSON converts every item).
    fn conv(&mut self, c: &Conv, v: Value) -> Result<Value, EvalError> {
        match c {
            Conv::ToJson => Ok(match v {
                Value::Null => Value::Null,
                v => Value::Json(json::to_json(self, &v)?),
            }),
            Conv::FromJson(t) => match &v {
                Value::Json(j) => json::from_json(self, Some(j), t),
                Value::Null => json::from_json(self, None, t),
                _ if budget::is_type(self, &v, t)? => Ok(v),
                _ => convert::cast(v, t),
            },
            Conv::Cast(t) if budget::is_type(self, &v, t)? => Ok(v),
            c => conv(c, v),
        }
    }
}

/// Applies a conversion that does not walk its value (see [`Machine::conv`]).
fn conv(c: &Conv, v: Value) -> Result<Value, EvalError> {
    if matches!(v, Value::Null) {
        return match c {
            Conv::Cast(t) if !t.is_reference() => fail(
                ErrorKind::NullReference,
                "a null value cannot be converted to a value type",
            ),
            _ => Ok(v),
        };
    }
    Ok(match c {
        Conv::Int => match v {
            Value::Double(d) => Value::Int(double_to_int(d) as i32),
            v => Value::Int(int_of(&v) as i32),
        },
        Conv::Long => match v {
            Value::Double(d) => Value::Long(double_to_int(d)),
            v => Value::Long(int_of(&v)),
        },
        Conv::Double => Value::Double(double_of(&v)),
        Conv::Char => Value::Char(char::from_u32(int_of(&v) as u32 & 0xffff).unwrap_or('\u{fffd}')),
        Conv::Byte => Value::Int(int_of(&v) as u8 as i32),
        Conv::Cast(t) => convert::cast(v, t)?,
        Conv::Offset => match v {
            Value::DateTime(t) => super::library::offset::from_datetime(t),
            v => v,
        },
        Conv::ToJson | Conv::FromJson(_) => v,
    })
}

/// .NET's unchecked double → integer conversion (truncation; out of range is unspecified,
/// here saturating).
fn double_to_int(d: f64) -> i64 {
    if d.is_nan() { 0 } else { d as i64 }
}

/// The kind of a typed numeric operand.
pub(crate) fn num_of(t: &Type) -> Option<Num> {
    match t.strip_nullable() {
        Type::Int | Type::Char | Type::Byte => Some(Num::Int),
        Type::Long => Some(Num::Long),
        Type::Double => Some(Num::Double),
        _ => None,
    }
}
