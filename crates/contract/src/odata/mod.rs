//! OData v4 `$filter` support for management list endpoints, following the
//! URL conventions Azure API Management accepts.
//!
//! A list declares the fields it permits ([`FieldSpec`]); [`parse`] turns
//! `$filter` text into a type-checked [`Filter`], and [`Filter::matches`]
//! evaluates it against any entity implementing [`Fields`].
//!
//! ```
//! use tollgate_contract::odata::{parse, FieldKind, FieldSpec, FieldValue, Fields};
//! use std::borrow::Cow;
//!
//! const FIELDS: &[FieldSpec] = &[
//!     FieldSpec::new("name", FieldKind::String),
//!     FieldSpec::new("tags", FieldKind::StringCollection),
//! ];
//!
//! struct Api { name: String, tags: Vec<String> }
//! impl Fields for Api {
//!     fn field(&self, name: &str) -> FieldValue<'_> {
//!         match name {
//!             "name" => FieldValue::String(Some(Cow::Borrowed(&self.name))),
//!             "tags" => FieldValue::Strings(self.tags.iter().map(|t| t.as_str().into()).collect()),
//!             _ => FieldValue::String(None),
//!         }
//!     }
//! }
//!
//! let filter = parse("startswith(Name, 'echo') and tags/any(t: t eq 'v2')", FIELDS).unwrap();
//! let api = Api { name: "Echo-API".into(), tags: vec!["V2".into()] };
//! assert!(filter.matches(&api));
//! assert_eq!(filter.to_string(), "startswith(name, 'echo') and tags/any(t: t eq 'v2')");
//! ```
//!
//! Parsing never panics: input longer than [`MAX_FILTER_LEN`] bytes or nested
//! deeper than [`MAX_DEPTH`] levels is rejected with a [`FilterError`].

mod ast;
mod calls;
mod check;
mod eval;
mod lexer;
mod parser;

#[cfg(test)]
mod tests_errors;
#[cfg(test)]
mod tests_eval;
#[cfg(test)]
mod tests_parse;

use std::borrow::Cow;
use std::fmt;

pub use ast::{Call, CompareOp, Comparison, Expr, FieldRef, Function, Lambda, Literal, Subject};

/// The longest `$filter` text accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;

/// The deepest nesting accepted: each parenthesis, `not`, function call and
/// lambda adds one level.
pub const MAX_DEPTH: usize = 32;

/// The type of a filterable field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// A single string; compared case-insensitively.
    String,
    /// A collection of strings (e.g. tags), tested with `any`/`all` lambdas
    /// or directly (true when any element matches).
    StringCollection,
    /// A boolean; `eq`/`ne` only.
    Bool,
    /// A number, compared as `f64`.
    Number,
    /// An instant, compared in UTC.
    DateTime,
}

/// A field a list permits in `$filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldSpec {
    /// The canonical name; users may spell it in any case, and
    /// [`Fields::field`] is always called with this spelling. It must be an
    /// identifier (letters, digits, `_`), or several joined by `/` for a
    /// nested property (`properties/state`), and not an OData keyword.
    pub name: &'static str,
    /// The field's type, used to check comparisons at parse time.
    pub kind: FieldKind,
}

impl FieldSpec {
    /// A field spec (usable in `const` tables).
    #[must_use]
    pub const fn new(name: &'static str, kind: FieldKind) -> Self {
        FieldSpec { name, kind }
    }
}

/// A parse or check error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at position {position})")]
pub struct FilterError {
    /// What went wrong, naming the offending field, function or token.
    pub message: String,
    /// Byte offset into the `$filter` text where the problem was found.
    pub position: usize,
    /// The offending field, when the error concerns one: the user's spelling
    /// for an unknown field, the canonical name otherwise.
    pub field: Option<String>,
}

impl FilterError {
    pub(crate) fn new(message: impl Into<String>, position: usize) -> Self {
        FilterError {
            message: message.into(),
            position,
            field: None,
        }
    }

    pub(crate) fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    pub(crate) fn with_field_opt(mut self, field: Option<String>) -> Self {
        self.field = field;
        self
    }
}

/// A parsed, type-checked filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The expression tree.
    pub expr: Expr,
}

impl Filter {
    /// Whether `item` satisfies the filter.
    pub fn matches(&self, item: &dyn Fields) -> bool {
        eval::evaluate(&self.expr, item)
    }
}

impl fmt::Display for Filter {
    /// Canonical OData text that [`parse`] turns back into an equal filter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

/// What the evaluator reads from an entity.
pub trait Fields {
    /// The value of the field with canonical name `name` (a
    /// [`FieldSpec::name`]). Return the variant matching the field's
    /// [`FieldKind`]; `None` means the value is absent (it equals `null`).
    fn field(&self, name: &str) -> FieldValue<'_>;
}

/// A field's value as read by the evaluator.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// A [`FieldKind::String`] value.
    String(Option<Cow<'a, str>>),
    /// A [`FieldKind::StringCollection`] value; an empty collection equals
    /// `null`.
    Strings(Vec<Cow<'a, str>>),
    /// A [`FieldKind::Bool`] value.
    Bool(Option<bool>),
    /// A [`FieldKind::Number`] value.
    Number(Option<f64>),
    /// A [`FieldKind::DateTime`] value.
    DateTime(Option<chrono::DateTime<chrono::Utc>>),
}

/// Parses `$filter` text and checks it against the permitted `fields`.
///
/// # Errors
///
/// A [`FilterError`] when the text is empty, longer than [`MAX_FILTER_LEN`]
/// bytes, nested deeper than [`MAX_DEPTH`], not valid syntax, names a field
/// not in `fields` or a function not supported, or compares a field with a
/// literal of the wrong type.
pub fn parse(input: &str, fields: &[FieldSpec]) -> Result<Filter, FilterError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(FilterError::new(
            format!(
                "filter is {} bytes long; the limit is {MAX_FILTER_LEN}",
                input.len()
            ),
            MAX_FILTER_LEN,
        ));
    }
    if input.trim().is_empty() {
        return Err(FilterError::new("filter is empty", 0));
    }
    let tokens = lexer::tokenize(input)?;
    let expr = parser::Parser::new(&tokens, fields).parse_filter()?;
    Ok(Filter { expr })
}
