//! Parser, checker and `Display` tests.

use chrono::{TimeZone, Utc};

use super::*;

/// The field set shared by the unit tests.
pub(super) const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("name", FieldKind::String),
    FieldSpec::new("displayName", FieldKind::String),
    FieldSpec::new("description", FieldKind::String),
    FieldSpec::new("tags", FieldKind::StringCollection),
    FieldSpec::new("isCurrent", FieldKind::Bool),
    FieldSpec::new("count", FieldKind::Number),
    FieldSpec::new("created", FieldKind::DateTime),
    FieldSpec::new("properties/state", FieldKind::String),
];

pub(super) fn p(input: &str) -> Expr {
    match parse(input, FIELDS) {
        Ok(f) => f.expr,
        Err(e) => panic!("{input:?} failed: {e}"),
    }
}

pub(super) fn err(input: &str) -> FilterError {
    match parse(input, FIELDS) {
        Ok(f) => panic!("{input:?} unexpectedly parsed as {f}"),
        Err(e) => e,
    }
}

pub(super) fn field(name: &'static str) -> FieldRef {
    let spec = FIELDS.iter().find(|f| f.name == name).expect("test field");
    FieldRef {
        name: spec.name,
        kind: spec.kind,
    }
}

pub(super) fn cmp(name: &'static str, op: CompareOp, value: Literal) -> Expr {
    Expr::Compare(Comparison {
        subject: Subject::Field(field(name)),
        op,
        value,
    })
}

pub(super) fn s(text: &str) -> Literal {
    Literal::String(text.to_owned())
}

pub(super) fn and(l: Expr, r: Expr) -> Expr {
    Expr::And(Box::new(l), Box::new(r))
}

pub(super) fn or(l: Expr, r: Expr) -> Expr {
    Expr::Or(Box::new(l), Box::new(r))
}

pub(super) fn not(e: Expr) -> Expr {
    Expr::Not(Box::new(e))
}

/// Display, parse again, and compare.
pub(super) fn round_trip(input: &str) -> String {
    let expr = p(input);
    let text = expr.to_string();
    assert_eq!(p(&text), expr, "{input:?} printed as {text:?}");
    text
}

#[test]
fn every_comparison_operator() {
    for op in CompareOp::ALL {
        assert_eq!(p(&format!("name {op} 'x'")), cmp("name", op, s("x")));
        assert_eq!(
            p(&format!("count {op} 3")),
            cmp("count", op, Literal::Number(3.0))
        );
    }
}

#[test]
fn keywords_and_fields_are_case_insensitive_literals_are_not() {
    let e = p("NAME EQ 'Echo' AnD IsCurrent Eq TRUE oR DisplayName nE NULL");
    let expected = or(
        and(
            cmp("name", CompareOp::Eq, s("Echo")),
            cmp("isCurrent", CompareOp::Eq, Literal::Bool(true)),
        ),
        cmp("displayName", CompareOp::Ne, Literal::Null),
    );
    assert_eq!(e, expected);
    assert_eq!(
        e.to_string(),
        "name eq 'Echo' and isCurrent eq true or displayName ne null"
    );
}

#[test]
fn precedence_and_associativity() {
    let (a, b, c) = ("name eq 'a'", "name eq 'b'", "name eq 'c'");
    let ea = || cmp("name", CompareOp::Eq, s("a"));
    let eb = || cmp("name", CompareOp::Eq, s("b"));
    let ec = || cmp("name", CompareOp::Eq, s("c"));
    assert_eq!(p(&format!("{a} or {b} and {c}")), or(ea(), and(eb(), ec())));
    assert_eq!(p(&format!("{a} and {b} or {c}")), or(and(ea(), eb()), ec()));
    assert_eq!(
        p(&format!("{a} and {b} and {c}")),
        and(and(ea(), eb()), ec())
    );
    assert_eq!(p(&format!("{a} or {b} or {c}")), or(or(ea(), eb()), ec()));
    assert_eq!(
        p(&format!("({a} or {b}) and {c}")),
        and(or(ea(), eb()), ec())
    );
    assert_eq!(
        p(&format!("{a} and ({b} and {c})")),
        and(ea(), and(eb(), ec()))
    );
    assert_eq!(p(&format!("((({a})))")), ea());
}

#[test]
fn not_binds_tighter_than_comparison() {
    let e = err("not name eq 'x'");
    assert!(e.message.contains("'not' needs a condition"), "{e}");
    assert!(e.message.contains("'name'"), "{e}");
    assert_eq!((e.position, e.field.as_deref()), (4, Some("name")));
    assert_eq!(
        p("not (name eq 'x')"),
        not(cmp("name", CompareOp::Eq, s("x")))
    );
    let current = || cmp("isCurrent", CompareOp::Eq, Literal::Bool(true));
    assert_eq!(p("not isCurrent"), not(current()));
    // `(not isCurrent) eq false`
    assert_eq!(p("not isCurrent eq false"), not(not(current())));
    assert_eq!(p("NOT not isCurrent"), not(not(current())));
    assert_eq!(p("isCurrent"), current());
}

#[test]
fn literal_on_the_left_is_mirrored() {
    assert_eq!(p("'x' eq name"), cmp("name", CompareOp::Eq, s("x")));
    assert_eq!(
        p("5 lt count"),
        cmp("count", CompareOp::Gt, Literal::Number(5.0))
    );
    assert_eq!(
        p("5 ge count"),
        cmp("count", CompareOp::Le, Literal::Number(5.0))
    );
}

#[test]
fn string_escapes() {
    assert_eq!(
        p("name eq 'O''Brien'"),
        cmp("name", CompareOp::Eq, s("O'Brien"))
    );
    assert_eq!(p("name eq ''''"), cmp("name", CompareOp::Eq, s("'")));
    assert_eq!(p("name eq ''"), cmp("name", CompareOp::Eq, s("")));
    assert_eq!(
        round_trip("name eq 'it''s ''quoted'''"),
        "name eq 'it''s ''quoted'''"
    );
    assert_eq!(
        p("name eq 'naïve ünïcödé'"),
        cmp("name", CompareOp::Eq, s("naïve ünïcödé"))
    );
}

#[test]
fn numbers() {
    for (text, n) in [
        ("42", 42.0),
        ("-7", -7.0),
        ("3.25", 3.25),
        ("-0.5", -0.5),
        ("1e3", 1000.0),
        ("2.5E-2", 0.025),
    ] {
        assert_eq!(
            p(&format!("count eq {text}")),
            cmp("count", CompareOp::Eq, Literal::Number(n))
        );
    }
    for bad in [
        "count eq 5abc",
        "count eq 1.",
        "count eq --1",
        "count eq 1.2.3",
        "count eq -x",
    ] {
        let e = err(bad);
        assert!(e.message.contains("invalid number"), "{bad}: {e}");
        assert_eq!(e.position, 9, "{bad}");
    }
    let e = err("count eq 1e999");
    assert!(e.message.contains("out of range"), "{e}");
    assert_eq!(round_trip("count eq 123456789"), "count eq 123456789");
    round_trip("count eq 0.1");
    round_trip("count eq 1e300");
    round_trip("count eq -2.5e-300");
}

#[test]
fn datetime_literals() {
    let midnight = Utc.with_ymd_and_hms(2014, 10, 7, 0, 0, 0).unwrap();
    let at = |v| cmp("created", CompareOp::Ge, Literal::DateTime(v));
    for text in [
        "datetime'2014-10-07T00:00:00'",
        "datetime'2014-10-07T00:00:00Z'",
        "DateTime'2014-10-07T00:00'",
        "datetime'2014-10-07'",
        "datetime'2014-10-07T02:00:00+02:00'",
        "datetimeoffset'2014-10-06T19:00:00-05:00'",
        "datetime'2014-10-07 00:00:00'",
        "2014-10-07T00:00:00Z",
        "2014-10-07T00:00:00",
        "2014-10-07t00:00:00z",
        "2014-10-07",
        "'2014-10-07T00:00:00Z'",
    ] {
        assert_eq!(p(&format!("created ge {text}")), at(midnight), "{text}");
    }
    let frac =
        Utc.with_ymd_and_hms(2017, 1, 1, 12, 30, 5).unwrap() + chrono::Duration::milliseconds(250);
    assert_eq!(
        p("created lt 2017-01-01T12:30:05.25Z"),
        cmp("created", CompareOp::Lt, Literal::DateTime(frac))
    );
    assert_eq!(
        round_trip("created lt datetime'2017-01-01T12:30:05.25'"),
        "created lt datetime'2017-01-01T12:30:05.250Z'"
    );
    assert_eq!(
        round_trip("(created gt 2017-01-01T00:00:00Z)"),
        "created gt datetime'2017-01-01T00:00:00Z'"
    );

    let e = err("created gt datetime'yesterday'");
    assert!(
        e.message.contains("invalid datetime literal 'yesterday'"),
        "{e}"
    );
    assert_eq!(e.position, 11);
    let e = err("created gt 2017-13-01T00:00:00Z");
    assert!(e.message.contains("invalid datetime"), "{e}");
    assert_eq!(e.position, 11);
    let e = err("created gt 'soon'");
    assert!(
        e.message.contains("field 'created'") && e.message.contains("'soon'"),
        "{e}"
    );
    assert_eq!((e.position, e.field.as_deref()), (11, Some("created")));
    let e = err("created gt datetime'2017-01-01");
    assert!(e.message.contains("unterminated"), "{e}");
    assert_eq!(e.position, 19);
}

#[test]
fn functions() {
    let call = |function, needle: &str| {
        Expr::Call(Call {
            function,
            subject: Subject::Field(field("name")),
            needle: needle.to_owned(),
        })
    };
    assert_eq!(
        p("substringof('ech', name)"),
        call(Function::SubstringOf, "ech")
    );
    assert_eq!(p("startswith(name, 'e')"), call(Function::StartsWith, "e"));
    assert_eq!(p("EndsWith(Name,'o')"), call(Function::EndsWith, "o"));
    assert_eq!(p("contains(name, 'ch')"), call(Function::Contains, "ch"));
    assert_eq!(
        p("startswith(name,'a') eq true"),
        call(Function::StartsWith, "a")
    );
    assert_eq!(
        p("startswith(name,'a') ne false"),
        call(Function::StartsWith, "a")
    );
    assert_eq!(
        p("startswith(name,'a') eq false"),
        not(call(Function::StartsWith, "a"))
    );
    assert_eq!(
        p("true ne startswith(name,'a')"),
        not(call(Function::StartsWith, "a"))
    );
    assert!(
        matches!(p("contains(tags, 'x')"), Expr::Call(Call { subject: Subject::Field(f), .. }) if f.name == "tags")
    );
    for text in [
        "substringof('a''b', name)",
        "startswith(name, 'a')",
        "not endswith(name, 'z')",
        "contains(tags, 'x')",
    ] {
        assert_eq!(round_trip(text), text);
    }
}

#[test]
fn lambdas() {
    let tags = field("tags");
    let var_eq = |v: &str, x: &str| {
        Expr::Compare(Comparison {
            subject: Subject::Variable(v.to_owned()),
            op: CompareOp::Eq,
            value: s(x),
        })
    };
    assert_eq!(
        p("tags/any(t: t eq 'x')"),
        Expr::Any {
            field: tags,
            lambda: Some(Lambda {
                variable: "t".into(),
                body: Box::new(var_eq("t", "x"))
            })
        }
    );
    assert_eq!(
        p("Tags/Any()"),
        Expr::Any {
            field: tags,
            lambda: None
        }
    );
    assert_eq!(
        p("tags / any ( )"),
        Expr::Any {
            field: tags,
            lambda: None
        }
    );
    // Variable names match case-insensitively and are stored as declared.
    assert_eq!(
        p("tags/ALL(Tag: TAG eq 'x')"),
        Expr::All {
            field: tags,
            lambda: Lambda {
                variable: "Tag".into(),
                body: Box::new(var_eq("Tag", "x"))
            }
        }
    );
    // A variable may shadow a field name.
    assert_eq!(
        p("tags/any(name: name eq 'x')"),
        Expr::Any {
            field: tags,
            lambda: Some(Lambda {
                variable: "name".into(),
                body: Box::new(var_eq("name", "x"))
            })
        }
    );
    for text in [
        "tags/any(t: t eq 'x')",
        "tags/all(t: startswith(t, 'a') and t ne 'b')",
        "tags/any()",
        "not tags/any()",
        "tags/any(t: tags/all(u: u ne 'z') or t eq null)",
        "tags/any(t: name eq 'x' and substringof('y', t))",
    ] {
        assert_eq!(round_trip(text), text);
    }
}

#[test]
fn display_parenthesises_only_where_needed() {
    for text in [
        "name eq 'a' or name eq 'b' and name eq 'c'",
        "(name eq 'a' or name eq 'b') and name eq 'c'",
        "name eq 'a' and (name eq 'b' and name eq 'c')",
        "name eq 'a' or (name eq 'b' or name eq 'c')",
        "not (name eq 'a' or isCurrent eq false)",
        "not not tags/any()",
        "count ge -1.5 and created lt datetime'2020-02-29T23:59:59.999999999Z'",
        "properties/state ne null",
    ] {
        assert_eq!(round_trip(text), text);
    }
    assert_eq!(
        round_trip("((name eq 'a') or ((name eq 'b')))"),
        "name eq 'a' or name eq 'b'"
    );
}
