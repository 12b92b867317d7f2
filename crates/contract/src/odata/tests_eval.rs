//! Evaluation tests.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{TimeZone, Utc};

use super::tests_parse::FIELDS;
use super::*;

/// A test entity: canonical field name → value; absent names read as a
/// missing string.
#[derive(Default)]
struct Item(HashMap<&'static str, FieldValue<'static>>);

impl Item {
    fn with(mut self, name: &'static str, value: FieldValue<'static>) -> Self {
        self.0.insert(name, value);
        self
    }
    fn name(self, v: &'static str) -> Self {
        self.with("name", FieldValue::String(Some(Cow::Borrowed(v))))
    }
    fn tags(self, v: &[&'static str]) -> Self {
        self.with(
            "tags",
            FieldValue::Strings(v.iter().map(|t| Cow::Borrowed(*t)).collect()),
        )
    }
    fn count(self, v: f64) -> Self {
        self.with("count", FieldValue::Number(Some(v)))
    }
    fn current(self, v: bool) -> Self {
        self.with("isCurrent", FieldValue::Bool(Some(v)))
    }
    fn created(self, y: i32, m: u32, d: u32) -> Self {
        let dt = Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
        self.with("created", FieldValue::DateTime(Some(dt)))
    }
}

impl Fields for Item {
    fn field(&self, name: &str) -> FieldValue<'_> {
        self.0
            .get(name)
            .cloned()
            .unwrap_or(FieldValue::String(None))
    }
}

fn m(input: &str, item: &Item) -> bool {
    match parse(input, FIELDS) {
        Ok(f) => f.matches(item),
        Err(e) => panic!("{input:?} failed: {e}"),
    }
}

/// Asserts each `(filter, expected)` against `item`.
fn check(item: &Item, cases: &[(&str, bool)]) {
    for (filter, expected) in cases {
        assert_eq!(m(filter, item), *expected, "{filter}");
    }
}

#[test]
fn string_operators_ignore_case() {
    let item = Item::default().name("Echo-API");
    check(
        &item,
        &[
            ("name eq 'echo-api'", true),
            ("NAME EQ 'ECHO-API'", true),
            ("name eq 'echo'", false),
            ("name ne 'echo'", true),
            ("name ne 'ECHO-api'", false),
            ("name gt 'echo'", true),
            ("name gt 'EZ'", false),
            ("name ge 'echo-api'", true),
            ("name lt 'f'", true),
            ("name lt 'ECHO-API'", false),
            ("name le 'Echo-Api'", true),
            ("name le 'a'", false),
        ],
    );
    let item = Item::default().name("Ünïcode ÉCHO");
    check(
        &item,
        &[
            ("name eq 'ünïcode écho'", true),
            ("contains(name, 'ÏCODE é')", true),
        ],
    );
}

#[test]
fn number_bool_and_datetime_operators() {
    let item = Item::default().count(5.0).current(true).created(2017, 6, 1);
    check(
        &item,
        &[
            ("count eq 5", true),
            ("count eq 5.0", true),
            ("count ne 5", false),
            ("count gt 4.5", true),
            ("count gt 5", false),
            ("count ge 5", true),
            ("count lt -1", false),
            ("count le 5e0", true),
            ("isCurrent", true),
            ("isCurrent eq true", true),
            ("isCurrent eq false", false),
            ("isCurrent ne false", true),
            ("not isCurrent", false),
            ("created eq 2017-06-01T00:00:00Z", true),
            ("created eq datetime'2017-06-01T02:00:00+02:00'", true),
            ("created gt datetime'2017-01-01'", true),
            ("created ge '2017-06-01'", true),
            ("created lt 2017-06-01T00:00:01Z", true),
            ("created le 2017-05-31T23:59:59Z", false),
            ("created ne 2017-06-01T00:00:00Z", false),
        ],
    );
    // NaN from an entity compares unordered: only `ne` holds.
    let nan = Item::default().count(f64::NAN);
    check(
        &nan,
        &[
            ("count eq 1", false),
            ("count ne 1", true),
            ("count ge 1", false),
            ("count le 1", false),
        ],
    );
}

#[test]
fn functions_evaluate() {
    let item = Item::default().name("Echo-API");
    check(
        &item,
        &[
            ("substringof('HO-a', name)", true),
            ("substringof('xyz', name)", false),
            ("startswith(name, 'ECH')", true),
            ("startswith(name, 'API')", false),
            ("endswith(name, '-api')", true),
            ("endswith(name, 'echo')", false),
            ("contains(name, 'o-A')", true),
            ("contains(name, 'oa')", false),
            ("contains(name, '')", true),
            ("startswith(name, 'e') eq true", true),
            ("startswith(name, 'e') eq false", false),
            ("startswith(name, 'x') ne true", true),
            ("not startswith(name, 'x')", true),
        ],
    );
    // Functions on a missing value are false.
    let none = Item::default();
    for f in [
        "substringof('', name)",
        "startswith(name, '')",
        "endswith(name, '')",
        "contains(name, '')",
    ] {
        assert!(!m(f, &none), "{f}");
    }
}

#[test]
fn logic_and_precedence() {
    let item = Item::default().name("a").count(1.0);
    check(
        &item,
        &[
            ("name eq 'a' and count eq 1", true),
            ("name eq 'a' and count eq 2", false),
            ("name eq 'b' or count eq 1", true),
            ("name eq 'b' or count eq 2", false),
            // `or` binds looser than `and`.
            ("name eq 'a' or name eq 'b' and count eq 2", true),
            ("(name eq 'a' or name eq 'b') and count eq 2", false),
            ("not (name eq 'a') or count eq 1", true),
            ("not (name eq 'a' or count eq 2)", false),
            ("not not (name eq 'a')", true),
        ],
    );
    // A long flat chain evaluates without deep recursion.
    let fields = [FieldSpec::new("a", FieldKind::Bool)];
    let yes = Item::default().with("a", FieldValue::Bool(Some(true)));
    let no = Item::default().with("a", FieldValue::Bool(Some(false)));
    let ors = parse(&vec!["a"; 700].join(" or "), &fields).unwrap();
    let ands = parse(&vec!["a"; 600].join(" and "), &fields).unwrap();
    assert!(ors.matches(&yes) && !ors.matches(&no));
    assert!(ands.matches(&yes) && !ands.matches(&no));
}

#[test]
fn collections_match_any_element() {
    let item = Item::default().tags(&["Alpha", "beta"]);
    check(
        &item,
        &[
            ("tags eq 'ALPHA'", true),
            ("tags eq 'gamma'", false),
            ("tags ne 'alpha'", true),
            ("tags gt 'b'", true),
            ("tags lt 'a'", false),
            ("contains(tags, 'ET')", true),
            ("startswith(tags, 'g')", false),
            ("substringof('lph', tags)", true),
            ("tags eq null", false),
            ("tags ne null", true),
        ],
    );
    let single = Item::default().tags(&["x"]);
    check(&single, &[("tags ne 'x'", false)]);
    let empty = Item::default().tags(&[]);
    check(
        &empty,
        &[
            ("tags eq 'x'", false),
            ("tags ne 'x'", false),
            ("tags eq null", true),
            ("tags ne null", false),
        ],
    );
}

#[test]
fn lambdas_evaluate() {
    let item = Item::default()
        .name("n")
        .tags(&["apple", "Avocado", "banana"]);
    check(
        &item,
        &[
            ("tags/any()", true),
            ("tags/any(t: t eq 'BANANA')", true),
            ("tags/any(t: t eq 'cherry')", false),
            ("tags/all(t: t ne 'cherry')", true),
            ("tags/all(t: startswith(t, 'a'))", false),
            ("tags/all(t: startswith(t,'a') or t eq 'banana')", true),
            ("tags/all(t: startswith(t,'a') and t ne 'b')", false),
            ("tags/any(t: startswith(t,'a') and endswith(t, 'O'))", true),
            ("tags/any(t: not (t eq 'apple'))", true),
            ("tags/any(name: name eq 'n')", false),
            ("tags/any(t: name eq 'n')", true),
            // The outer variable is visible in a nested lambda.
            (
                "tags/any(t: tags/any(u: u eq 'banana' and t eq 'APPLE'))",
                true,
            ),
            ("tags/any(t: tags/all(u: t eq 'apple'))", true),
            ("tags/any(t: tags/all(u: t eq 'cherry'))", false),
            // An inner variable of the same name shadows the outer one.
            ("tags/all(t: tags/any(t: t eq 'banana'))", true),
            ("tags/any(t: t eq null)", false),
            ("tags/any(t: t ne null)", true),
        ],
    );
    let empty = Item::default().tags(&[]);
    check(
        &empty,
        &[
            ("tags/any()", false),
            ("tags/any(t: t ne 'x')", false),
            ("tags/all(t: t eq 'x')", true),
        ],
    );
    // A missing collection reads as empty.
    let missing = Item::default();
    check(
        &missing,
        &[("tags/any()", false), ("tags/all(t: t eq 'x')", true)],
    );
}

#[test]
fn null_semantics() {
    let none = Item::default()
        .with("count", FieldValue::Number(None))
        .with("isCurrent", FieldValue::Bool(None))
        .with("created", FieldValue::DateTime(None));
    for field in ["name", "count", "isCurrent", "created"] {
        check(
            &none,
            &[
                (&format!("{field} eq null"), true),
                (&format!("{field} ne null"), false),
            ],
        );
    }
    check(
        &none,
        &[
            ("name eq 'x'", false),
            ("name ne 'x'", true),
            ("name gt 'x'", false),
            ("name ge 'x'", false),
            ("name lt 'x'", false),
            ("name le 'x'", false),
            ("count eq 1", false),
            ("count ne 1", true),
            ("count lt 1", false),
            ("isCurrent", false),
            ("not isCurrent", true),
            ("isCurrent ne true", true),
            ("created gt 2000-01-01T00:00:00Z", false),
            ("created ne 2000-01-01T00:00:00Z", true),
        ],
    );
    let some = Item::default().name("x").count(1.0);
    check(
        &some,
        &[
            ("name eq null", false),
            ("name ne null", true),
            ("count eq null", false),
        ],
    );
}

#[test]
fn wrong_value_types_never_match() {
    // An entity returning a variant that does not match the field's kind.
    let odd = Item::default()
        .with("name", FieldValue::Number(Some(1.0)))
        .with("count", FieldValue::String(Some(Cow::Borrowed("1"))))
        .with("tags", FieldValue::String(Some(Cow::Borrowed("x"))));
    check(
        &odd,
        &[
            ("name eq '1'", false),
            ("name ne '1'", false),
            ("count eq 1", false),
            ("startswith(tags, 'x')", true),
            ("tags/any()", false),
            ("tags/all(t: t eq 'x')", false),
            ("name eq null", false),
            ("name ne null", true),
        ],
    );
}

#[test]
fn functions_fold_case_with_and_without_ascii() {
    let ascii = Item::default().name("Echo API v2");
    check(
        &ascii,
        &[
            ("startswith(name, 'ECHO')", true),
            ("endswith(name, 'API V2')", true),
            ("contains(name, 'o a')", true),
            ("contains(name, '')", true),
            ("endswith(name, 'Echo API v2 and more')", false),
            ("startswith(name, 'Echo API v2 and more')", false),
        ],
    );
    let unicode = Item::default().name("Ärger Über Straße");
    check(
        &unicode,
        &[
            ("startswith(name, 'ärger')", true),
            ("endswith(name, 'STRASSE')", false),
            ("endswith(name, 'STRAßE')", true),
            ("contains(name, 'über')", true),
            ("name eq 'ärger über straße'", true),
            ("name gt 'ärger'", true),
        ],
    );
}
