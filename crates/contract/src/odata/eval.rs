//! Evaluates a checked [`Expr`] against an entity.
//!
//! Strings compare case-insensitively (on their Unicode lowercase forms,
//! ordinal), numbers as `f64`, datetimes as instants. A comparison or function
//! applied to a string collection is true when any element satisfies it. A
//! missing value equals `null` only; a value whose type does not match the
//! literal (an entity returning the wrong [`FieldValue`] variant) never
//! matches.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::ast::{Call, CompareOp, Comparison, Expr, FieldRef, Function, Lambda, Literal, Subject};
use super::{FieldValue, Fields};

/// A lambda variable binding; bindings form a stack through `parent`,
/// innermost first, so evaluation needs no allocation.
#[derive(Clone, Copy)]
struct Scope<'s> {
    name: &'s str,
    value: &'s str,
    parent: Option<&'s Scope<'s>>,
}

/// A subject's value, as read for one evaluation step.
enum Value<'a> {
    /// `None` of any kind.
    Missing,
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
    Bool(bool),
    Number(f64),
    DateTime(chrono::DateTime<chrono::Utc>),
}

impl<'a> From<FieldValue<'a>> for Value<'a> {
    fn from(v: FieldValue<'a>) -> Self {
        match v {
            FieldValue::String(Some(s)) => Value::One(s),
            FieldValue::Strings(v) => Value::Many(v),
            FieldValue::Bool(Some(b)) => Value::Bool(b),
            FieldValue::Number(Some(n)) => Value::Number(n),
            FieldValue::DateTime(Some(d)) => Value::DateTime(d),
            FieldValue::String(None)
            | FieldValue::Bool(None)
            | FieldValue::Number(None)
            | FieldValue::DateTime(None) => Value::Missing,
        }
    }
}

/// Evaluates `expr` against `item`.
pub(crate) fn evaluate(expr: &Expr, item: &dyn Fields) -> bool {
    eval(expr, item, None)
}

fn eval(expr: &Expr, item: &dyn Fields, env: Option<&Scope<'_>>) -> bool {
    match expr {
        Expr::Or(..) => eval_chain(expr, item, env, true),
        Expr::And(..) => eval_chain(expr, item, env, false),
        Expr::Not(inner) => !eval(inner, item, env),
        Expr::Compare(c) => eval_compare(c, item, env),
        Expr::Call(c) => eval_call(c, item, env),
        Expr::Any { field, lambda } => match (read_collection(field, item), lambda) {
            (Some(elems), None) => !elems.is_empty(),
            (Some(elems), Some(l)) => elems.iter().any(|e| eval_lambda(l, e, item, env)),
            (None, _) => false,
        },
        Expr::All { field, lambda } => match read_collection(field, item) {
            Some(elems) => elems.iter().all(|e| eval_lambda(lambda, e, item, env)),
            None => false,
        },
    }
}

/// Evaluates an `or` chain (`is_or`) or an `and` chain iteratively along its
/// left spine, short-circuiting left to right.
fn eval_chain(expr: &Expr, item: &dyn Fields, env: Option<&Scope<'_>>, is_or: bool) -> bool {
    let mut rights = Vec::new();
    let mut leftmost = expr;
    while let (Expr::Or(l, r), true) | (Expr::And(l, r), false) = (leftmost, is_or) {
        rights.push(r.as_ref());
        leftmost = l;
    }
    // `or` stops at the first true operand, `and` at the first false one.
    std::iter::once(leftmost)
        .chain(rights.into_iter().rev())
        .any(|operand| eval(operand, item, env) == is_or)
        == is_or
}

/// Reads a collection field; a missing value reads as empty, any other
/// type as `None` (no match).
fn read_collection<'a>(field: &FieldRef, item: &'a dyn Fields) -> Option<Vec<Cow<'a, str>>> {
    match Value::from(item.field(field.name)) {
        Value::Many(v) => Some(v),
        Value::Missing => Some(Vec::new()),
        _ => None,
    }
}

fn eval_lambda(lambda: &Lambda, elem: &str, item: &dyn Fields, env: Option<&Scope<'_>>) -> bool {
    let scope = Scope {
        name: &lambda.variable,
        value: elem,
        parent: env,
    };
    eval(&lambda.body, item, Some(&scope))
}

fn read<'a>(subject: &Subject, item: &'a dyn Fields, env: Option<&'a Scope<'a>>) -> Value<'a> {
    match subject {
        Subject::Field(field) => Value::from(item.field(field.name)),
        Subject::Variable(name) => {
            let mut scope = env;
            while let Some(s) = scope {
                if s.name == name {
                    return Value::One(Cow::Borrowed(s.value));
                }
                scope = s.parent;
            }
            Value::Missing
        }
    }
}

/// Unicode lowercase, char by char, without allocating (this runs for every listed entity).
fn fold(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// Compares two strings by their lowercase forms.
fn cmp_folded(a: &str, b: &str) -> Ordering {
    fold(a).cmp(fold(b))
}

fn holds(op: CompareOp, ord: Option<Ordering>) -> bool {
    match (op, ord) {
        (CompareOp::Eq, Some(o)) => o == Ordering::Equal,
        (CompareOp::Ne, Some(o)) => o != Ordering::Equal,
        (CompareOp::Gt, Some(o)) => o == Ordering::Greater,
        (CompareOp::Ge, Some(o)) => o != Ordering::Less,
        (CompareOp::Lt, Some(o)) => o == Ordering::Less,
        (CompareOp::Le, Some(o)) => o != Ordering::Greater,
        // Unordered (NaN): only `ne` holds.
        (op, None) => op == CompareOp::Ne,
    }
}

fn eval_compare(c: &Comparison, item: &dyn Fields, env: Option<&Scope<'_>>) -> bool {
    let value = read(&c.subject, item, env);
    let op = c.op;
    match (&value, &c.value) {
        (Value::Missing, Literal::Null) => op == CompareOp::Eq,
        (Value::Missing, _) => op == CompareOp::Ne,
        // An empty collection counts as null.
        (Value::Many(v), Literal::Null) => (op == CompareOp::Eq) == v.is_empty(),
        (_, Literal::Null) => op == CompareOp::Ne,
        (Value::One(s), Literal::String(lit)) => holds(op, Some(cmp_folded(s, lit))),
        (Value::Many(v), Literal::String(lit)) => {
            v.iter().any(|s| holds(op, Some(cmp_folded(s, lit))))
        }
        (Value::Bool(b), Literal::Bool(lit)) => holds(op, Some(b.cmp(lit))),
        (Value::Number(n), Literal::Number(lit)) => holds(op, n.partial_cmp(lit)),
        (Value::DateTime(d), Literal::DateTime(lit)) => holds(op, Some(d.cmp(lit))),
        _ => false,
    }
}

/// `needle` is already folded.
fn apply(function: Function, haystack: &str, needle: &str) -> bool {
    match function {
        Function::StartsWith => {
            let mut folded = fold(haystack);
            needle.chars().all(|c| folded.next() == Some(c))
        }
        // Containment and suffixes need the folded haystack; ASCII text (ids, names, most
        // values) is matched without building it.
        _ if haystack.is_ascii() && needle.is_ascii() => {
            let (hay, pin) = (haystack.as_bytes(), needle.as_bytes());
            match function {
                Function::EndsWith => {
                    hay.len() >= pin.len() && hay[hay.len() - pin.len()..].eq_ignore_ascii_case(pin)
                }
                _ => pin.is_empty() || hay.windows(pin.len()).any(|w| w.eq_ignore_ascii_case(pin)),
            }
        }
        _ => {
            let haystack: String = fold(haystack).collect();
            match function {
                Function::EndsWith => haystack.ends_with(needle),
                _ => haystack.contains(needle),
            }
        }
    }
}

fn eval_call(c: &Call, item: &dyn Fields, env: Option<&Scope<'_>>) -> bool {
    let needle: String = fold(&c.needle).collect();
    match read(&c.subject, item, env) {
        Value::One(s) => apply(c.function, &s, &needle),
        Value::Many(v) => v.iter().any(|s| apply(c.function, s, &needle)),
        _ => false,
    }
}
