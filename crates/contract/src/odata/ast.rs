//! The typed abstract syntax tree of a checked `$filter` expression, and its
//! canonical OData rendering.
//!
//! Every tree produced by [`parse`](super::parse) has already been checked
//! against the list's permitted fields, so each comparison pairs a field (or a
//! lambda variable) with a literal of a compatible type.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};

use super::FieldKind;

/// A boolean `$filter` expression.
///
/// `and`/`or` are binary and left-associative, exactly as parsed: `a and b and
/// c` is `And(And(a, b), c)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `left or right`.
    Or(Box<Expr>, Box<Expr>),
    /// `left and right`.
    And(Box<Expr>, Box<Expr>),
    /// `not operand`.
    Not(Box<Expr>),
    /// `subject op literal`, e.g. `name eq 'echo'`. A literal written on the
    /// left (`'echo' eq name`) is normalised to the right with the operator
    /// mirrored; a bare boolean field is normalised to `field eq true`.
    Compare(Comparison),
    /// A boolean string function used as a condition, e.g. `startswith(name,
    /// 'a')`. `call eq true` / `call ne false` normalise to the call and
    /// `call eq false` / `call ne true` to `not call`.
    Call(Call),
    /// `field/any()` (no lambda: true when the collection is non-empty) or
    /// `field/any(v: body)`.
    Any {
        /// The string-collection field.
        field: FieldRef,
        /// The lambda, absent for the empty form `field/any()`.
        lambda: Option<Lambda>,
    },
    /// `field/all(v: body)`; true for an empty collection.
    All {
        /// The string-collection field.
        field: FieldRef,
        /// The lambda applied to every element.
        lambda: Lambda,
    },
}

/// A field reference, resolved to the list's canonical spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldRef {
    /// The canonical name ([`FieldSpec::name`](super::FieldSpec::name)).
    pub name: &'static str,
    /// The field's declared type.
    pub kind: FieldKind,
}

/// What a comparison or function reads: a field or a lambda variable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A permitted field.
    Field(FieldRef),
    /// A lambda variable (one element of a string collection), spelled as
    /// declared in its lambda.
    Variable(String),
}

/// `subject op value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The field or lambda variable being tested.
    pub subject: Subject,
    /// The comparison operator.
    pub op: CompareOp,
    /// The literal compared against; its type has been checked against the
    /// subject (`null` only with `eq`/`ne`).
    pub value: Literal,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl CompareOp {
    /// Every operator, in declaration order.
    pub const ALL: [CompareOp; 6] = [Self::Eq, Self::Ne, Self::Gt, Self::Ge, Self::Lt, Self::Le];

    /// The OData keyword (`eq`, `ne`, …).
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }

    /// Looks up an operator keyword, case-insensitively.
    pub fn from_keyword(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.keyword().eq_ignore_ascii_case(word))
    }

    /// The operator with its operands swapped (`a lt b` ⇔ `b gt a`).
    pub fn mirrored(self) -> Self {
        match self {
            Self::Eq => Self::Eq,
            Self::Ne => Self::Ne,
            Self::Gt => Self::Lt,
            Self::Ge => Self::Le,
            Self::Lt => Self::Gt,
            Self::Le => Self::Ge,
        }
    }

    /// Whether this is `eq` or `ne` (the only operators allowed with `null`
    /// and booleans).
    pub fn is_equality(self) -> bool {
        matches!(self, Self::Eq | Self::Ne)
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer or decimal; always finite.
    Number(f64),
    /// A single-quoted string, unescaped (`''` → `'`), case preserved.
    String(String),
    /// `datetime'…'`, a bare ISO-8601 datetime, or a string literal compared
    /// with a DateTime field; normalised to UTC.
    DateTime(DateTime<Utc>),
}

/// A boolean string function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `substringof('needle', subject)`: the needle comes first.
    SubstringOf,
    /// `startswith(subject, 'prefix')`
    StartsWith,
    /// `endswith(subject, 'suffix')`
    EndsWith,
    /// `contains(subject, 'needle')`
    Contains,
}

impl Function {
    /// Every function, in declaration order.
    pub const ALL: [Function; 4] = [
        Self::SubstringOf,
        Self::StartsWith,
        Self::EndsWith,
        Self::Contains,
    ];

    /// The OData function name.
    pub fn name(self) -> &'static str {
        match self {
            Self::SubstringOf => "substringof",
            Self::StartsWith => "startswith",
            Self::EndsWith => "endswith",
            Self::Contains => "contains",
        }
    }

    /// Looks up a function name, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

/// A call of a boolean string function.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Call {
    /// Which function.
    pub function: Function,
    /// The string field or lambda variable searched.
    pub subject: Subject,
    /// The literal searched for (case preserved; matching ignores case).
    pub needle: String,
}

/// The `v: body` part of `field/any(v: body)` / `field/all(v: body)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lambda {
    /// The variable name, as declared.
    pub variable: String,
    /// The condition evaluated for each element.
    pub body: Box<Expr>,
}

/// Binding strength used to decide where [`Expr`]'s `Display` needs
/// parentheses.
fn precedence(expr: &Expr) -> u8 {
    match expr {
        Expr::Or(..) => 1,
        Expr::And(..) => 2,
        Expr::Compare(_) => 3,
        Expr::Not(_) | Expr::Call(_) | Expr::Any { .. } | Expr::All { .. } => 4,
    }
}

/// Writes `expr`, parenthesised when it binds more loosely than `min`.
fn write_at(f: &mut fmt::Formatter<'_>, expr: &Expr, min: u8) -> fmt::Result {
    if precedence(expr) < min {
        write!(f, "({expr})")
    } else {
        write!(f, "{expr}")
    }
}

/// Writes a left-associative `and`/`or` chain iteratively, so long chains do
/// not recurse once per operator.
fn write_chain(f: &mut fmt::Formatter<'_>, expr: &Expr, level: u8) -> fmt::Result {
    fn split(e: &Expr, level: u8) -> Option<(&Expr, &Expr)> {
        match (e, level) {
            (Expr::Or(l, r), 1) | (Expr::And(l, r), 2) => Some((l.as_ref(), r.as_ref())),
            _ => None,
        }
    }
    let keyword = if level == 1 { "or" } else { "and" };
    let mut rights = Vec::new();
    let mut leftmost = expr;
    while let Some((l, r)) = split(leftmost, level) {
        rights.push(r);
        leftmost = l;
    }
    write_at(f, leftmost, level)?;
    for right in rights.iter().rev() {
        write!(f, " {keyword} ")?;
        // Left-associative: a right operand at the same level needs parentheses.
        write_at(f, right, level + 1)?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    /// Canonical OData text that parses back to an equal tree.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Or(..) => write_chain(f, self, 1),
            Expr::And(..) => write_chain(f, self, 2),
            Expr::Not(inner) => {
                f.write_str("not ")?;
                write_at(f, inner, 4)
            }
            Expr::Compare(c) => write!(f, "{c}"),
            Expr::Call(c) => write!(f, "{c}"),
            Expr::Any {
                field,
                lambda: None,
            } => write!(f, "{}/any()", field.name),
            Expr::Any {
                field,
                lambda: Some(lambda),
            } => write!(f, "{}/any({lambda})", field.name),
            Expr::All { field, lambda } => write!(f, "{}/all({lambda})", field.name),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Field(field) => f.write_str(field.name),
            Subject::Variable(name) => f.write_str(name),
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.subject, self.op.keyword(), self.value)
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let needle = Literal::String(self.needle.clone());
        match self.function {
            Function::SubstringOf => write!(f, "substringof({needle}, {})", self.subject),
            other => write!(f, "{}({}, {needle})", other.name(), self.subject),
        }
    }
}

impl fmt::Display for Lambda {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.body)
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Number(n) => write_number(f, *n),
            Literal::String(s) => {
                f.write_str("'")?;
                f.write_str(&s.replace('\'', "''"))?;
                f.write_str("'")
            }
            Literal::DateTime(dt) => {
                write!(
                    f,
                    "datetime'{}'",
                    dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)
                )
            }
        }
    }
}

/// Shortest text that parses back to the same `f64`: integers below 2^53
/// without a fraction, everything else in Rust's round-trip `Debug` form
/// (which uses an exponent for very large or small magnitudes).
fn write_number(f: &mut fmt::Formatter<'_>, n: f64) -> fmt::Result {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        write!(f, "{n}")
    } else {
        write!(f, "{n:?}")
    }
}
