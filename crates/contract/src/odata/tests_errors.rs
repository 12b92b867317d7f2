//! Error, type-checking and limit tests: each error names the offending
//! field, function or token and points at the right byte.

use super::tests_parse::{FIELDS, cmp, err, p, s};
use super::*;

#[test]
fn function_errors() {
    let e = err("name eq 'x' and tolower(name) eq 'x'");
    assert!(e.message.contains("unknown function 'tolower'"), "{e}");
    assert!(e.message.contains("startswith"), "{e}");
    assert_eq!((e.position, e.field.as_deref()), (16, None));

    let e = err("substringof(name, 'x')");
    assert!(e.message.contains("substringof('text', field)"), "{e}");
    let e = err("startswith('x', name)");
    assert!(e.message.contains("must be a field"), "{e}");
    assert_eq!(e.position, 11);
    let e = err("startswith(count, '1')");
    assert!(
        e.message.contains("field 'count'") && e.message.contains("number"),
        "{e}"
    );
    assert_eq!((e.position, e.field.as_deref()), (11, Some("count")));
    let e = err("startswith(name, 1)");
    assert!(e.message.contains("string literal"), "{e}");
    assert_eq!(e.position, 17);
    let e = err("startswith(name)");
    assert!(e.message.contains("takes 2 arguments"), "{e}");
    let e = err("contains(name, 'a', 'b')");
    assert!(e.message.contains("takes 2 arguments"), "{e}");
    let e = err("contains()");
    assert!(e.message.contains("takes 2 arguments"), "{e}");
    let e = err("startswith(name, 'a'");
    assert!(e.message.contains("missing ')'"), "{e}");
    assert_eq!(e.position, 0);
    let e = err("startswith(name 'a')");
    assert!(e.message.contains("expected ',' or ')'"), "{e}");
    assert_eq!(e.position, 16);
    let e = err("startswith(name, 'a') eq 'yes'");
    assert!(e.message.contains("true or false"), "{e}");
    assert_eq!(e.position, 25);
    let e = err("startswith(name, 'a') gt true");
    assert_eq!(e.position, 22);
}

#[test]
fn lambda_errors() {
    let e = err("tags/any(t: t eq 'x') and t eq 'y'");
    assert!(e.message.contains("unknown field 't'"), "{e}");
    assert_eq!((e.position, e.field.as_deref()), (26, Some("t")));
    let e = err("tags/all()");
    assert!(e.message.contains("'all' needs a lambda"), "{e}");
    assert_eq!(e.position, 5);
    let e = err("name/any(t: t eq 'x')");
    assert!(
        e.message.contains("field 'name'") && e.message.contains("collection"),
        "{e}"
    );
    assert_eq!((e.position, e.field.as_deref()), (0, Some("name")));
    let e = err("tags/any(t: t/any())");
    assert!(e.message.contains("lambda variable 't'"), "{e}");
    let e = err("tags/any(eq: eq eq 'x')");
    assert!(e.message.contains("lambda variable name"), "{e}");
    assert_eq!(e.position, 9);
    let e = err("tags/any(t t eq 'x')");
    assert!(e.message.contains("expected ':'"), "{e}");
    assert_eq!(e.position, 11);
    let e = err("tags/any(t: t eq 'x'");
    assert!(e.message.contains("expected ')'"), "{e}");
    assert_eq!(e.position, 20);
    let e = err("tags/any(t: t eq 1)");
    assert!(e.message.contains("lambda variable 't'"), "{e}");
}

#[test]
fn type_checking() {
    let cases: [(&str, &str, usize); 7] = [
        ("name eq 5", "name", 8),
        ("isCurrent eq 'yes'", "isCurrent", 13),
        ("count eq 'five'", "count", 9),
        ("count eq true", "count", 9),
        ("tags eq 1", "tags", 8),
        ("created eq 5", "created", 11),
        ("name eq 2017-01-01T00:00:00Z", "name", 8),
    ];
    for (text, name, pos) in cases {
        let e = err(text);
        assert!(
            e.message.contains(&format!("field '{name}'")),
            "{text}: {e}"
        );
        assert_eq!(
            (e.position, e.field.as_deref()),
            (pos, Some(name)),
            "{text}"
        );
    }
    let e = err("isCurrent gt true");
    assert!(
        e.message.contains("'gt'") && e.message.contains("field 'isCurrent'"),
        "{e}"
    );
    assert_eq!((e.position, e.field.as_deref()), (10, Some("isCurrent")));
    let e = err("name lt null");
    assert!(e.message.contains("null"), "{e}");
    assert_eq!((e.position, e.field.as_deref()), (5, Some("name")));
    for name in ["name", "tags", "isCurrent", "count", "created"] {
        assert_eq!(
            p(&format!("{name} eq null")),
            cmp(name, CompareOp::Eq, Literal::Null)
        );
        assert_eq!(
            p(&format!("null ne {name}")),
            cmp(name, CompareOp::Ne, Literal::Null)
        );
    }
    assert_eq!(
        p("properties/state eq 'ok'"),
        cmp("properties/state", CompareOp::Eq, s("ok"))
    );
}

#[test]
fn structural_errors() {
    let e = err("nmae eq 'x'");
    assert!(e.message.contains("unknown field 'nmae'"), "{e}");
    assert!(
        e.message.contains("name, displayName, description, tags"),
        "{e}"
    );
    assert_eq!((e.position, e.field.as_deref()), (0, Some("nmae")));
    let e = parse("name eq 'x'", &[]).unwrap_err();
    assert!(e.message.contains("unknown field 'name'"), "{e}");

    let checks: [(&str, &str, usize); 16] = [
        ("name eq 'x' foo", "unexpected 'foo'", 12),
        ("name eq 'x')", "unbalanced ')'", 11),
        ("(name eq 'x'", "unbalanced '('", 0),
        ("((name eq 'x')", "unbalanced '('", 0),
        ("(name eq 'x' name", "expected ')'", 13),
        ("name eq 'abc", "unterminated string", 8),
        ("name eq 'it''s", "unterminated string", 8),
        ("name eq @", "unexpected character '@'", 8),
        ("name eq", "end of input", 7),
        ("name", "field 'name' is a string, not a condition", 0),
        ("", "empty", 0),
        ("   ", "empty", 0),
        ("name eq displayName", "one side must be a literal", 5),
        ("1 eq 1", "one side must be a field", 2),
        ("'x'", "expected a condition, found literal 'x'", 0),
        ("name eq 'a' and or name eq 'b'", "keyword 'or'", 16),
    ];
    for (text, needle, pos) in checks {
        let e = err(text);
        assert!(e.message.contains(needle), "{text}: {e}");
        assert_eq!(e.position, pos, "{text}: {e}");
    }
    let e = err("name eq 'x' foo");
    assert_eq!(e.to_string(), format!("{} (at position 12)", e.message));
}

#[test]
fn depth_limit() {
    let nest = |n: usize| format!("{}name eq 'x'{}", "(".repeat(n), ")".repeat(n));
    assert!(parse(&nest(MAX_DEPTH), FIELDS).is_ok());
    let e = err(&nest(MAX_DEPTH + 1));
    assert!(e.message.contains("nested more than 32"), "{e}");
    assert_eq!(e.position, MAX_DEPTH);
    assert!(parse(&format!("{}isCurrent", "not ".repeat(MAX_DEPTH)), FIELDS).is_ok());
    let e = err(&format!("{}isCurrent", "not ".repeat(MAX_DEPTH + 1)));
    assert_eq!(e.position, 4 * MAX_DEPTH);
    let lambdas = |n: usize| format!("{}t eq 'x'{}", "tags/any(t: ".repeat(n), ")".repeat(n));
    assert!(parse(&lambdas(MAX_DEPTH), FIELDS).is_ok());
    assert!(err(&lambdas(MAX_DEPTH + 1)).message.contains("nested"));
    // Deep nesting far beyond the limit fails cleanly rather than overflowing.
    assert!(err(&"(".repeat(4000)).message.contains("nested"));
    assert!(err(&"startswith(".repeat(300)).message.contains("nested"));
}

#[test]
fn length_limit() {
    let base = "name eq ''";
    let fill = |len: usize| format!("name eq '{}'", "a".repeat(len - base.len()));
    assert!(parse(&fill(MAX_FILTER_LEN), FIELDS).is_ok());
    let e = err(&fill(MAX_FILTER_LEN + 1));
    assert!(
        e.message.contains("4097 bytes") && e.message.contains("4096"),
        "{e}"
    );
    assert_eq!(e.position, MAX_FILTER_LEN);
}

#[test]
fn long_flat_chains_do_not_recurse_per_operator() {
    let fields = [FieldSpec::new("a", FieldKind::Bool)];
    for op in ["or", "and"] {
        let chain = vec!["a"; 600].join(&format!(" {op} "));
        assert!(chain.len() <= MAX_FILTER_LEN);
        let filter = parse(&chain, &fields).expect("long chain");
        let text = filter.to_string();
        assert!(text.starts_with("a eq true ") && text.ends_with(&format!(" {op} a eq true")));
        assert_eq!(text.matches(&format!(" {op} ")).count(), 599);
    }
}
