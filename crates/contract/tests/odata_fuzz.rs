//! Property tests for the OData `$filter` parser: it never panics, printing a
//! parsed filter and parsing it again yields the same tree, and evaluation
//! never panics whatever the entity returns.

use std::borrow::Cow;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::select;
use tollgate_contract::odata::{
    Call, CompareOp, Comparison, Expr, FieldKind, FieldRef, FieldSpec, FieldValue, Fields, Filter,
    Function, Lambda, Literal, MAX_FILTER_LEN, Subject, parse,
};

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("name", FieldKind::String),
    FieldSpec::new("props/state", FieldKind::String),
    FieldSpec::new("tags", FieldKind::StringCollection),
    FieldSpec::new("enabled", FieldKind::Bool),
    FieldSpec::new("size", FieldKind::Number),
    FieldSpec::new("created", FieldKind::DateTime),
];

const VARIABLES: [&str; 3] = ["t", "u", "elem"];

const VOCABULARY: &[&str] = &[
    "name",
    "NAME",
    "props/state",
    "tags",
    "enabled",
    "size",
    "created",
    "unknown",
    "t",
    "u",
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "and",
    "or",
    "not",
    "(",
    ")",
    "'",
    "''",
    "'x'",
    "'a''b'",
    "'é'",
    "/",
    "/any(",
    "/all(",
    "/any()",
    "any",
    "all",
    ":",
    "t:",
    ",",
    "substringof(",
    "startswith(",
    "endswith(",
    "contains(",
    "tolower(",
    "true",
    "false",
    "null",
    "0",
    "1",
    "-2.5",
    "1e400",
    "1e",
    "-",
    ".",
    "datetime'",
    "datetime'2014-10-07T00:00:00'",
    "2017-01-01T00:00:00Z",
    "2017-13-01",
    "2017-01-01",
    "@",
    "$",
    "\u{0}",
    "\t",
    "ß",
    "İ",
];

fn spec(name: &str) -> FieldRef {
    let spec = FIELDS.iter().find(|f| f.name == name).expect("fuzz field");
    FieldRef {
        name: spec.name,
        kind: spec.kind,
    }
}

fn field(name: &str) -> Subject {
    Subject::Field(spec(name))
}

/// Fixes `op` so `null` and booleans only meet `eq`/`ne`.
fn compare(subject: Subject, op: CompareOp, value: Literal) -> Expr {
    let op = match value {
        Literal::Null | Literal::Bool(_) if !op.is_equality() => CompareOp::Eq,
        _ => op,
    };
    Expr::Compare(Comparison { subject, op, value })
}

fn op() -> impl Strategy<Value = CompareOp> {
    select(CompareOp::ALL.to_vec())
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z' ]{0,6}",
        any::<String>().prop_map(|s| s.chars().take(6).collect()),
    ]
}

fn datetime() -> impl Strategy<Value = DateTime<Utc>> {
    // Years 1..=9999, nanosecond precision, no leap seconds.
    (-62_135_596_800i64..253_402_300_799, 0u32..1_000_000_000)
        .prop_map(|(secs, nanos)| Utc.timestamp_opt(secs, nanos).single().unwrap_or_default())
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1000i64..1000).prop_map(|n| n as f64),
        any::<f64>().prop_filter("finite", |n| n.is_finite()),
    ]
}

/// A string subject; variables out of scope are replaced later by `scope`.
fn string_subject() -> impl Strategy<Value = Subject> {
    prop_oneof![
        select(vec!["name", "props/state", "tags"]).prop_map(field),
        select(VARIABLES.to_vec()).prop_map(|v| Subject::Variable(v.to_owned())),
    ]
}

fn null_or<T: std::fmt::Debug + Clone + 'static>(
    value: impl Strategy<Value = T> + 'static,
    wrap: fn(T) -> Literal,
) -> impl Strategy<Value = Literal> {
    prop_oneof![4 => value.prop_map(wrap), 1 => Just(Literal::Null)]
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        (string_subject(), op(), null_or(text(), Literal::String))
            .prop_map(|(s, op, v)| compare(s, op, v)),
        (op(), null_or(any::<bool>(), Literal::Bool)).prop_map(|(op, v)| compare(
            field("enabled"),
            op,
            v
        )),
        (op(), null_or(number(), Literal::Number)).prop_map(|(op, v)| compare(
            field("size"),
            op,
            v
        )),
        (op(), null_or(datetime(), Literal::DateTime)).prop_map(|(op, v)| compare(
            field("created"),
            op,
            v
        )),
        (select(Function::ALL.to_vec()), string_subject(), text()).prop_map(
            |(function, subject, needle)| Expr::Call(Call {
                function,
                subject,
                needle
            })
        ),
        Just(Expr::Any {
            field: spec("tags"),
            lambda: None
        }),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(5, 24, 2, |inner| {
        let var = || select(VARIABLES.to_vec()).prop_map(str::to_owned);
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Expr::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Expr::Or(Box::new(l), Box::new(r))),
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            (var(), inner.clone()).prop_map(|(variable, body)| Expr::Any {
                field: spec("tags"),
                lambda: Some(Lambda {
                    variable,
                    body: Box::new(body)
                }),
            }),
            (var(), inner).prop_map(|(variable, body)| Expr::All {
                field: spec("tags"),
                lambda: Lambda {
                    variable,
                    body: Box::new(body)
                },
            }),
        ]
    })
}

/// Replaces lambda variables used outside any lambda declaring them.
fn scope(expr: &mut Expr, vars: &mut Vec<String>) {
    let fix = |subject: &mut Subject, vars: &[String]| {
        if let Subject::Variable(v) = subject
            && !vars.contains(v)
        {
            *subject = field("name");
        }
    };
    match expr {
        Expr::Or(l, r) | Expr::And(l, r) => {
            scope(l, vars);
            scope(r, vars);
        }
        Expr::Not(e) => scope(e, vars),
        Expr::Compare(c) => fix(&mut c.subject, vars),
        Expr::Call(c) => fix(&mut c.subject, vars),
        Expr::Any { lambda: None, .. } => {}
        Expr::Any {
            lambda: Some(lambda),
            ..
        }
        | Expr::All { lambda, .. } => {
            vars.push(lambda.variable.clone());
            scope(&mut lambda.body, vars);
            vars.pop();
        }
    }
}

fn valid_expr() -> impl Strategy<Value = Expr> {
    expr().prop_map(|mut e| {
        scope(&mut e, &mut Vec::new());
        e
    })
}

/// An entity whose fields hold random values, usually of the declared type.
#[derive(Debug, Clone)]
struct Entity(Vec<FieldValue<'static>>);

impl Fields for Entity {
    fn field(&self, name: &str) -> FieldValue<'_> {
        let index = FIELDS
            .iter()
            .position(|f| f.name == name)
            .expect("canonical name");
        self.0
            .get(index)
            .cloned()
            .unwrap_or(FieldValue::String(None))
    }
}

fn value_of(kind: FieldKind) -> BoxedStrategy<FieldValue<'static>> {
    let s = || text().prop_map(Cow::Owned);
    match kind {
        FieldKind::String => proptest::option::of(s())
            .prop_map(FieldValue::String)
            .boxed(),
        FieldKind::StringCollection => proptest::collection::vec(s(), 0..4)
            .prop_map(FieldValue::Strings)
            .boxed(),
        FieldKind::Bool => proptest::option::of(any::<bool>())
            .prop_map(FieldValue::Bool)
            .boxed(),
        FieldKind::Number => proptest::option::of(any::<f64>())
            .prop_map(FieldValue::Number)
            .boxed(),
        FieldKind::DateTime => proptest::option::of(datetime())
            .prop_map(FieldValue::DateTime)
            .boxed(),
    }
}

fn any_value() -> BoxedStrategy<FieldValue<'static>> {
    let kinds = [
        FieldKind::String,
        FieldKind::StringCollection,
        FieldKind::Bool,
        FieldKind::Number,
        FieldKind::DateTime,
    ];
    select(kinds.to_vec()).prop_flat_map(value_of).boxed()
}

fn entity() -> impl Strategy<Value = Entity> {
    let fields: Vec<_> = FIELDS
        .iter()
        .map(|f| prop_oneof![4 => value_of(f.kind), 1 => any_value()])
        .collect();
    fields.prop_map(Entity)
}

fn vocabulary_input() -> impl Strategy<Value = String> {
    proptest::collection::vec((select(VOCABULARY.to_vec()), select(vec!["", " "])), 0..24)
        .prop_map(|parts| parts.into_iter().flat_map(|(t, sep)| [t, sep]).collect())
}

/// One edit of a text: delete a char, insert a vocabulary token, or cut the
/// text short, at a position given as a fraction of its length.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(f64),
    Insert(f64, &'static str),
    Truncate(f64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0.0..1.0f64).prop_map(Mutation::Delete),
        (0.0..1.0f64, select(VOCABULARY.to_vec())).prop_map(|(at, t)| Mutation::Insert(at, t)),
        (0.0..1.0f64).prop_map(Mutation::Truncate),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for m in mutations {
        let at = |f: f64| ((chars.len() as f64) * f) as usize;
        match *m {
            Mutation::Delete(f) => {
                let i = at(f);
                if i < chars.len() {
                    chars.remove(i);
                }
            }
            Mutation::Insert(f, token) => {
                let i = at(f).min(chars.len());
                chars.splice(i..i, token.chars());
            }
            Mutation::Truncate(f) => chars.truncate(at(f)),
        }
    }
    chars.into_iter().collect()
}

/// Valid filter text with a few random edits: mostly almost-valid input.
fn mutated_input() -> impl Strategy<Value = String> {
    (valid_expr(), proptest::collection::vec(mutation(), 0..4))
        .prop_map(|(expr, mutations)| mutate(&expr.to_string(), &mutations))
}

/// Parsing never panics; errors point inside the input; whatever parses
/// prints back to text that parses to the same tree.
fn check_input(input: &str) -> Result<(), TestCaseError> {
    match parse(input, FIELDS) {
        Err(e) => {
            prop_assert!(e.position <= input.len().max(MAX_FILTER_LEN), "{e}");
            prop_assert!(!e.message.is_empty());
        }
        Ok(filter) => {
            let text = filter.to_string();
            if text.len() <= MAX_FILTER_LEN {
                let again = parse(&text, FIELDS);
                prop_assert_eq!(again.as_ref().ok(), Some(&filter), "{} -> {}", input, text);
            }
        }
    }
    Ok(())
}

/// `cases` runs without failure persistence (integration tests have no
/// `lib.rs` next to them for proptest's regression files).
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

proptest! {
    #![proptest_config(config(5000))]

    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>()) {
        check_input(&input)?;
    }

    #[test]
    fn token_soup_never_panics(input in vocabulary_input()) {
        check_input(&input)?;
    }

    #[test]
    fn mutated_filters_never_panic(input in mutated_input()) {
        check_input(&input)?;
    }
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn display_round_trips(expr in valid_expr()) {
        let text = expr.to_string();
        prop_assume!(text.len() <= MAX_FILTER_LEN);
        let parsed = parse(&text, FIELDS);
        prop_assert_eq!(parsed.map(|f| f.expr), Ok(expr), "{}", text);
    }

    #[test]
    fn evaluation_never_panics(expr in valid_expr(), item in entity(), soup in mutated_input()) {
        let original = Filter { expr };
        let text = original.to_string();
        prop_assume!(text.len() <= MAX_FILTER_LEN);
        let parsed = parse(&text, FIELDS).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(parsed.matches(&item), original.matches(&item));
        // `not` and the logical operators agree with Rust's.
        let negated = Filter { expr: Expr::Not(Box::new(original.expr.clone())) };
        prop_assert_eq!(negated.matches(&item), !original.matches(&item));
        if let Ok(other) = parse(&soup, FIELDS) {
            let (a, b) = (other.matches(&item), parsed.matches(&item));
            let both = Expr::And(Box::new(other.expr.clone()), Box::new(parsed.expr.clone()));
            let either = Expr::Or(Box::new(other.expr), Box::new(parsed.expr));
            prop_assert_eq!(Filter { expr: both }.matches(&item), a && b);
            prop_assert_eq!(Filter { expr: either }.matches(&item), a || b);
        }
    }
}
