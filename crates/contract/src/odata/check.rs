//! Type checking: turning parsed operands into conditions and comparisons.

use super::FieldKind;
use super::FilterError;
use super::ast::{CompareOp, Comparison, Expr, FieldRef, Literal, Subject};
use super::lexer::{DATETIME_HINT, parse_datetime};

/// A parsed operand before it is placed in a condition.
pub(super) enum Term {
    /// Already a boolean condition (parenthesised expression, `not`, call, lambda).
    Cond(Expr, usize),
    /// A field or lambda variable, with its type and position.
    Subject(Subject, FieldKind, usize),
    /// A literal and its position.
    Lit(Literal, usize),
}

pub(super) fn kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::String => "a string",
        FieldKind::StringCollection => "a string collection",
        FieldKind::Bool => "a boolean",
        FieldKind::Number => "a number",
        FieldKind::DateTime => "a datetime",
    }
}

pub(super) fn literal_name(lit: &Literal) -> &'static str {
    match lit {
        Literal::Null => "null",
        Literal::Bool(_) => "a boolean",
        Literal::Number(_) => "a number",
        Literal::String(_) => "a string",
        Literal::DateTime(_) => "a datetime",
    }
}

pub(super) fn subject_desc(subject: &Subject) -> String {
    match subject {
        Subject::Field(f) => format!("field '{}'", f.name),
        Subject::Variable(v) => format!("lambda variable '{v}'"),
    }
}

pub(super) fn subject_field(subject: &Subject) -> Option<String> {
    match subject {
        Subject::Field(f) => Some(f.name.to_owned()),
        Subject::Variable(_) => None,
    }
}

pub(super) fn term_pos(term: &Term) -> usize {
    match term {
        Term::Cond(_, p) | Term::Subject(_, _, p) | Term::Lit(_, p) => *p,
    }
}

/// Turns a term standing alone into a condition.
pub(super) fn to_condition(term: Term) -> Result<Expr, FilterError> {
    match term {
        Term::Cond(expr, _) => Ok(expr),
        Term::Subject(
            subject @ Subject::Field(FieldRef {
                kind: FieldKind::Bool,
                ..
            }),
            _,
            _,
        ) => Ok(Expr::Compare(Comparison {
            subject,
            op: CompareOp::Eq,
            value: Literal::Bool(true),
        })),
        Term::Subject(subject, kind, pos) => Err(FilterError::new(
            format!(
                "{} is {}, not a condition; compare it, e.g. with 'eq'",
                subject_desc(&subject),
                kind_name(kind)
            ),
            pos,
        )
        .with_field_opt(subject_field(&subject))),
        Term::Lit(lit, pos) => Err(FilterError::new(
            format!("expected a condition, found literal {lit}"),
            pos,
        )),
    }
}

pub(super) fn build_comparison(
    left: Term,
    op: CompareOp,
    op_pos: usize,
    right: Term,
) -> Result<Expr, FilterError> {
    let kw = op.keyword();
    match (left, right) {
        (Term::Subject(subject, kind, _), Term::Lit(value, lit_pos)) => {
            check_comparison(subject, kind, op, op_pos, value, lit_pos)
        }
        (Term::Lit(value, lit_pos), Term::Subject(subject, kind, _)) => {
            check_comparison(subject, kind, op.mirrored(), op_pos, value, lit_pos)
        }
        (Term::Cond(expr, _), Term::Lit(value, lit_pos))
        | (Term::Lit(value, lit_pos), Term::Cond(expr, _)) => match (op, value) {
            (CompareOp::Eq, Literal::Bool(true)) | (CompareOp::Ne, Literal::Bool(false)) => {
                Ok(expr)
            }
            (CompareOp::Eq, Literal::Bool(false)) | (CompareOp::Ne, Literal::Bool(true)) => {
                Ok(Expr::Not(Box::new(expr)))
            }
            (_, value) => Err(FilterError::new(
                format!(
                    "a condition can only be compared with 'eq'/'ne' and true or false, not '{kw}' and {value}"
                ),
                if op.is_equality() { lit_pos } else { op_pos },
            )),
        },
        (Term::Lit(..), Term::Lit(..)) => Err(FilterError::new(
            format!("'{kw}' compares two literals; one side must be a field"),
            op_pos,
        )),
        (Term::Subject(s, ..), Term::Subject(..)) => Err(FilterError::new(
            format!("'{kw}' compares two fields or variables; one side must be a literal"),
            op_pos,
        )
        .with_field_opt(subject_field(&s))),
        (Term::Cond(..), _) | (_, Term::Cond(..)) => Err(FilterError::new(
            format!(
                "'{kw}' cannot compare a condition with a field; compare the field with a literal"
            ),
            op_pos,
        )),
    }
}

/// Checks `subject op value` and builds the comparison.
fn check_comparison(
    subject: Subject,
    kind: FieldKind,
    op: CompareOp,
    op_pos: usize,
    value: Literal,
    lit_pos: usize,
) -> Result<Expr, FilterError> {
    let kw = op.keyword();
    let field = subject_field(&subject);
    let mismatch = |lit: &Literal| {
        FilterError::new(
            format!(
                "{} is {} and cannot be compared with {} ({lit})",
                subject_desc(&subject),
                kind_name(kind),
                literal_name(lit)
            ),
            lit_pos,
        )
        .with_field_opt(field.clone())
    };
    let value = match (kind, value) {
        (_, Literal::Null) if op.is_equality() => Literal::Null,
        (_, Literal::Null) => {
            return Err(FilterError::new(
                format!(
                    "'{kw}' cannot be used with null (only 'eq' and 'ne' can) on {}",
                    subject_desc(&subject)
                ),
                op_pos,
            )
            .with_field_opt(field));
        }
        (FieldKind::Bool, Literal::Bool(b)) if op.is_equality() => Literal::Bool(b),
        (FieldKind::Bool, Literal::Bool(_)) => {
            return Err(FilterError::new(
                format!(
                    "'{kw}' cannot be used on boolean {}; only 'eq' and 'ne' can",
                    subject_desc(&subject)
                ),
                op_pos,
            )
            .with_field_opt(field));
        }
        (FieldKind::String | FieldKind::StringCollection, Literal::String(s)) => Literal::String(s),
        (FieldKind::Number, Literal::Number(n)) => Literal::Number(n),
        (FieldKind::DateTime, Literal::DateTime(dt)) => Literal::DateTime(dt),
        (FieldKind::DateTime, Literal::String(s)) => match parse_datetime(&s) {
            Some(dt) => Literal::DateTime(dt),
            None => {
                return Err(FilterError::new(
                    format!(
                        "{} is a datetime and '{}' is not a valid datetime ({DATETIME_HINT})",
                        subject_desc(&subject),
                        s.replace('\'', "''")
                    ),
                    lit_pos,
                )
                .with_field_opt(field));
            }
        },
        (_, lit) => return Err(mismatch(&lit)),
    };
    Ok(Expr::Compare(Comparison { subject, op, value }))
}
