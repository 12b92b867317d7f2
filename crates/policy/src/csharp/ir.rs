//! The checked program: names resolved to slots and members to functions, operators to their
//! typed forms, so that evaluation does no lookups by name.

use super::library::Native;
use super::types::Type;
use super::value::Value;

/// A local variable's slot.
pub(crate) type Slot = u16;

/// Numeric kinds of typed operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Num {
    Int,
    Long,
    Double,
    /// `DateTime`, `TimeSpan` or `DateTimeOffset` (compared by (UTC) ticks).
    Ticks,
    Bool,
}

/// A checked binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bin {
    Add(Num),
    Sub(Num),
    Mul(Num),
    Div(Num),
    Rem(Num),
    And(Num),
    Or(Num),
    Xor(Num),
    Shl(Num),
    Shr(Num),
    Lt(Num),
    Le(Num),
    Gt(Num),
    Ge(Num),
    Eq,
    Ne,
    Concat,
    /// DateTime + TimeSpan, DateTime - TimeSpan, DateTime - DateTime, TimeSpan ± TimeSpan, and
    /// the same with DateTimeOffset.
    TimeAdd,
    TimeSub,
    DateDiff,
}

/// A checked unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Un {
    Not,
    Neg(Num),
    Compl(Num),
}

/// A conversion inserted by the checker.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Conv {
    /// To `int` (from any number or char; truncating, wrapping).
    Int,
    Long,
    Double,
    Char,
    Byte,
    /// A checked cast from `object` (or another reference type) to a type.
    Cast(Type),
    /// A value as a JSON token (Newtonsoft's implicit conversions to `JToken`).
    ToJson,
    /// A JSON token to a type (Newtonsoft's explicit conversions: `(string)token`).
    FromJson(Type),
    /// A `DateTime` as a `DateTimeOffset` (C#'s implicit conversion; offset zero, UTC).
    Offset,
}

/// A checked expression.
#[derive(Debug, Clone)]
pub(crate) enum Ir {
    Const(Value),
    Local(Slot),
    Context,
    Call(Box<Call>),
    Conv(Conv, Box<Ir>),
    Unary(Un, Box<Ir>),
    Binary(Bin, Box<Ir>, Box<Ir>),
    AndAlso(Box<Ir>, Box<Ir>),
    OrElse(Box<Ir>, Box<Ir>),
    Coalesce(Box<Ir>, Box<Ir>),
    Cond(Box<Ir>, Box<Ir>, Box<Ir>),
    /// Store a value in a slot; the value is the result.
    Assign(Slot, Box<Ir>),
    /// `x++`/`x--` (postfix: the old value is the result): slot, delta, numeric kind, postfix.
    Step(Slot, i8, Num, bool),
    /// `target?.rest`: evaluate target; null → null; else put it in the slot and evaluate rest.
    NullCond(Box<Ir>, Slot, Box<Ir>),
    /// `x is T` (with an optional binding slot).
    Is(Type, Box<Ir>, Option<Slot>),
    /// `x as T`.
    As(Type, Box<Ir>),
    /// An array from items.
    Array(Vec<Ir>),
    /// An array of a size, filled with a default value.
    NewArray(Box<Ir>, Value),
    /// A lambda.
    Lambda(std::sync::Arc<super::eval::Lambda>),
    /// An interpolated string: parts converted to strings and joined.
    Interp(Vec<Ir>),
}

/// A call of a library member.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The implementation.
    pub f: Native,
    /// The member's name (for error messages).
    pub name: &'static str,
    /// Receiver (for instance members) and arguments.
    pub args: Vec<Ir>,
    /// Whether `args[0]` is a receiver (null → `NullReferenceException`).
    pub instance: bool,
    /// The generic type argument, if any.
    pub generic: Option<Type>,
    /// `out` arguments: argument index and the slot to store it in.
    pub outs: Vec<(usize, Slot)>,
}

/// A checked statement.
#[derive(Debug, Clone)]
pub(crate) enum St {
    Expr(Ir),
    If(Ir, Vec<St>, Vec<St>),
    Return(Option<Ir>),
    Foreach(Slot, Ir, Vec<St>),
    /// `for`/`while`/`do`: condition (none = true), body, steps, whether the body runs first.
    Loop(Option<Ir>, Vec<St>, Vec<Ir>, bool),
    Break,
    Continue,
    Block(Vec<St>),
}
