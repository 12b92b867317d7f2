//! Fuzzing LINQ to XML in expressions: token soups of XML are read as request bodies
//! (`Body.As<XElement>()`, `Body.As<XDocument>()`) and printed; nothing may panic, and printing
//! what was printed gives the same text again.

use std::sync::Arc;

use proptest::prelude::*;
use tollgate_policy::csharp::{Context, Limits, Program, parse_expression};

const LIMITS: Limits = Limits {
    max_steps: 20_000,
    max_bytes: 256 * 1024,
};

const EXPRESSIONS: &[&str] = &[
    "context.Request.Body.As<XElement>().ToString()",
    "context.Request.Body.As<XDocument>().ToString()",
    "context.Request.Body.As<XElement>().Value",
    "context.Request.Body.As<XElement>().DescendantsAndSelf().Count()",
    "context.Request.Body.As<XElement>().Attributes().Select(a => a.ToString()).LastOrDefault()",
    "context.Request.Body.As<XElement>().Descendants().Select(e => e.Attributes().Count()).Sum()",
    "context.Request.Body.As<XElement>().Descendants().Select(e => e.ToString()).LastOrDefault()",
];

const COMPACT: &str = "context.Request.Body.As<XElement>().ToString(SaveOptions.DisableFormatting)";

fn eval(program: &Program, body: &str) -> Option<String> {
    let mut c = Context::default();
    c.request.body = Some(Arc::from(body));
    program
        .evaluate(&c, &LIMITS)
        .ok()
        .map(|v| v.to_policy_string())
}

fn xml_soup() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "<",
        ">",
        "/",
        "/>",
        "</",
        "a",
        "b",
        "p:",
        "q:",
        "=",
        "'",
        "\"",
        " ",
        "\n",
        "\r\n",
        "\t",
        "&",
        "&amp;",
        "&lt;",
        "&#x41;",
        "&#32;",
        "&#10;",
        ";",
        "<!--",
        "-->",
        "-",
        "<![CDATA[",
        "]]>",
        "<?",
        "?>",
        "xml",
        "pi",
        "xmlns",
        "xmlns:p",
        "xml:space",
        "preserve",
        "urn:u",
        "é",
        "😀",
        "<a>",
        "</a>",
        "<b/>",
        "<p:c xmlns:p='u'>",
        "</p:c>",
        "x='1'",
        " y=\"2\"",
    ]);
    prop::collection::vec(tokens, 0..40).prop_map(|v| v.concat())
}

#[test]
fn the_expressions_check() {
    for src in EXPRESSIONS.iter().chain([&COMPACT]) {
        parse_expression(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn xml_bodies_never_panic(body in xml_soup()) {
        for src in EXPRESSIONS {
            let _ = eval(&parse_expression(src).unwrap(), &body);
        }
    }

    #[test]
    fn printing_is_stable(body in xml_soup()) {
        let compact = parse_expression(COMPACT).unwrap();
        if let Some(once) = eval(&compact, &body) {
            let twice = eval(&compact, &once);
            prop_assert_eq!(Some(once), twice);
        }
    }

    #[test]
    fn well_formed_bodies_print_stably(
        names in prop::collection::vec(prop::sample::select(vec!["a", "b", "p:c", "d"]), 1..12),
        texts in prop::collection::vec(prop::sample::select(vec!["", "x", " ", "&amp;", "<!--c-->", "<![CDATA[]]>"]), 12),
    ) {
        let mut body = String::from("<r xmlns:p='urn:p'>");
        for (n, t) in names.iter().zip(&texts) {
            body.push_str(&format!("<{n} k='{t}'>{t}"));
        }
        for n in names.iter().rev() {
            body.push_str(&format!("</{n}>"));
        }
        body.push_str("</r>");
        let body = body.replace("k='<!--c-->'", "k='c'").replace("k='<![CDATA[]]>'", "k=''");
        let compact = parse_expression(COMPACT).unwrap();
        let once = eval(&compact, &body);
        prop_assert!(once.is_some(), "{}", body);
        let once = once.unwrap();
        prop_assert_eq!(Some(once.clone()), eval(&compact, &once));
    }
}
