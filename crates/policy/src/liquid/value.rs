//! The values a template works on: what `body` and `context` bind to, literals, and what
//! filters make.

use std::collections::HashMap;
use std::sync::Arc;

use crate::csharp::format_double;
use crate::csharp::library::time::format_datetime;

/// A template value.
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// `nil` (and any member that does not exist).
    #[default]
    Nil,
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Str(Arc<str>),
    /// A date (`parse-date="true"`), in .NET ticks, UTC.
    Date(i64),
    /// An array.
    Array(Arc<Vec<Value>>),
    /// An object (a JSON object, a `context` member).
    Object(Arc<Object>),
}

/// An object: members in their order, found by name (case-sensitive, as DotLiquid's C# naming
/// convention compares them).
#[derive(Debug, Default)]
pub struct Object {
    members: Vec<(Arc<str>, Value)>,
    index: HashMap<Arc<str>, usize>,
    /// What the object renders as (a URL's text), when not its members.
    display: Option<Arc<str>>,
    /// Whether names also match ignoring ASCII case (headers).
    ignore_case: bool,
}

impl Object {
    /// Adds (or replaces) a member.
    pub fn insert(&mut self, name: &str, value: Value) {
        match self.index.get(name) {
            Some(&i) => self.members[i].1 = value,
            None => {
                let name: Arc<str> = Arc::from(name);
                self.index.insert(name.clone(), self.members.len());
                self.members.push((name, value));
            }
        }
    }

    /// An object whose names also match ignoring ASCII case (headers).
    pub fn ignoring_case() -> Object {
        Object {
            ignore_case: true,
            ..Object::default()
        }
    }

    /// A member by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self.index.get(name) {
            Some(&i) => Some(&self.members[i].1),
            None if self.ignore_case => self
                .members
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v),
            None => None,
        }
    }

    /// The members in order.
    pub fn members(&self) -> &[(Arc<str>, Value)] {
        &self.members
    }

    /// Sets the text the object renders as.
    pub fn display(&mut self, text: &str) {
        self.display = Some(Arc::from(text));
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<Object> for Value {
    fn from(o: Object) -> Value {
        Value::Object(Arc::new(o))
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(items))
    }
}

/// How a date renders: the form `parse-date` documents (`MM/dd/yyyy HH:mm:ss`).
pub(super) fn date_text(ticks: i64) -> String {
    format_datetime(ticks, "MM/dd/yyyy HH:mm:ss")
}

impl Value {
    /// Liquid truth: everything but `nil` and `false` is true.
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    /// The value as output writes it (DotLiquid: booleans in lower case, numbers as .NET
    /// writes them, arrays as their items one after another, objects as `[name, value]` pairs).
    pub fn render(&self, out: &mut String) {
        match self {
            Value::Nil => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Float(f) => out.push_str(&format_double(*f)),
            Value::Str(s) => out.push_str(s),
            Value::Date(t) => out.push_str(&date_text(*t)),
            Value::Array(items) => items.iter().for_each(|v| v.render(out)),
            Value::Object(o) => match &o.display {
                Some(text) => out.push_str(text),
                None => {
                    for (name, value) in &o.members {
                        out.push('[');
                        out.push_str(name);
                        out.push_str(", ");
                        value.render(out);
                        out.push(']');
                    }
                }
            },
        }
    }

    /// The value as text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.render(&mut out);
        out
    }

    /// A number, if this is one or text that reads as one.
    pub(super) fn number(&self) -> Option<Value> {
        match self {
            Value::Int(_) | Value::Float(_) => Some(self.clone()),
            Value::Str(s) => {
                let s = s.trim();
                s.parse::<i64>()
                    .map(Value::Int)
                    .ok()
                    .or_else(|| s.parse::<f64>().ok().map(Value::Float))
            }
            _ => None,
        }
    }

    /// The number as a float.
    pub(super) fn float(&self) -> Option<f64> {
        match self.number()? {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }

    /// Items of an array (a string or an object is one item; `nil` none).
    pub(super) fn items(&self) -> Vec<Value> {
        match self {
            Value::Array(items) => items.as_ref().clone(),
            Value::Nil => Vec::new(),
            other => vec![other.clone()],
        }
    }

    /// Whether it is an empty string, array or object (Liquid's `empty`).
    pub(super) fn is_empty(&self) -> bool {
        match self {
            Value::Str(s) => s.is_empty(),
            Value::Array(items) => items.is_empty(),
            Value::Object(o) => o.members.is_empty(),
            _ => false,
        }
    }

    /// Equality as DotLiquid compares (`==`): numbers by value, text with a number converted
    /// to the left side's kind.
    pub fn equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                self.float() == other.float()
            }
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Str(a), Value::Int(_) | Value::Float(_) | Value::Bool(_)) => {
                **a == *other.text()
            }
            (Value::Int(_) | Value::Float(_), Value::Str(_)) => {
                other.number().is_some_and(|n| self.equals(&n))
            }
            (Value::Date(a), Value::Date(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.equals(y))
            }
            (Value::Object(a), Value::Object(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Ordering for `<`, `>`, `<=`, `>=` and `Sort`: numbers by value, text ordinally, dates
    /// by time; `None` when the two cannot be compared.
    pub fn compare(&self, other: &Value) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Int(_) | Value::Float(_), _) => self.float()?.partial_cmp(&other.float()?),
            (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
            (Value::Str(_), Value::Int(_) | Value::Float(_)) => {
                self.float()?.partial_cmp(&other.float()?)
            }
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}
