//! Fuzzing the C# expression interpreter: arbitrary text and C#-ish token soups are parsed,
//! checked and (when accepted) evaluated within small limits; nothing may panic.

use std::sync::Arc;

use proptest::prelude::*;
use tollgate_policy::csharp::{Context, Limits, Url, Value, parse_block, parse_expression};

fn context() -> Context {
    let mut c = Context::default();
    c.request.method = "POST".into();
    c.request.headers = vec![
        ("Authorization".into(), vec!["Basic dXNlcjpwYXNz".into()]),
        ("Accept".into(), vec!["a".into(), "b".into()]),
    ]
    .into();
    c.request.url = Url {
        scheme: "https".into(),
        host: "h".into(),
        port: 443,
        path: "/p".into(),
        query: vec![("q".into(), vec!["1".into()])],
    };
    c.request.body = Some(Arc::from(r#"{"a":[1,{"b":"c"}],"d":null,"e":1.5}"#));
    c.variables.insert("s".into(), Value::from("x,y"));
    c.variables.insert("n".into(), Value::Int(2));
    c
}

const LIMITS: Limits = Limits {
    max_steps: 5_000,
    max_bytes: 64 * 1024,
};

fn run(code: &str, ctx: &Context) {
    for program in [parse_expression(code), parse_block(code)]
        .into_iter()
        .flatten()
    {
        let _ = program.evaluate(ctx, &LIMITS).map(|v| v.to_policy_string());
    }
}

/// Tokens policy expressions are made of, including the library's names.
const TOKENS: &[&str] = &[
    "context",
    ".",
    "Request",
    "Headers",
    "Body",
    "As",
    "<",
    ">",
    "JObject",
    "JArray",
    "JToken",
    "string",
    "int",
    "var",
    "x",
    "y",
    "=",
    "==",
    "!=",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ";",
    ",",
    "?",
    ":",
    "??",
    "?.",
    "=>",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&&",
    "||",
    "!",
    "return",
    "if",
    "else",
    "foreach",
    "in",
    "for",
    "while",
    "break",
    "new",
    "out",
    "is",
    "null",
    "true",
    "0",
    "1",
    "-1",
    "2147483647",
    "1e308",
    "\"a\"",
    "\"\"",
    "'c'",
    "$\"{x}\"",
    "@\"v\"",
    "GetValueOrDefault",
    "\"Authorization\"",
    "Parse",
    "ToString",
    "Formatting",
    "None",
    "Value",
    "Add",
    "Remove",
    "SelectToken",
    "Count",
    "Select",
    "Where",
    "Any",
    "First",
    "AsJwt",
    "AsBasic",
    "TryParseJwt",
    "Claims",
    "Subject",
    "Split",
    "Substring",
    "Length",
    "Encoding",
    "UTF8",
    "GetBytes",
    "Convert",
    "ToBase64String",
    "FromBase64String",
    "SHA256",
    "Create",
    "ComputeHash",
    "HMACSHA256",
    "BitConverter",
    "Math",
    "Max",
    "DateTime",
    "UtcNow",
    "TimeSpan",
    "FromSeconds",
    "Variables",
    "preserveContent",
    "Properties",
    "Name",
    "\"{\\\"a\\\":1}\"",
    "\"a.b[0]\"",
    "StringBuilder",
    "Append",
    "Insert",
    "Uri",
    "\"http://h/p?q\"",
    "Segments",
    "Random",
    "Next",
    "Enumerable",
    "Repeat",
    "Range",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.join(" "))
}

/// Small well-formed-ish statements, to reach the evaluator more often.
fn statements() -> impl Strategy<Value = String> {
    let expr = prop::sample::select(
        &[
            "context.Request.Body.As<JObject>()",
            "JObject.Parse(\"{\\\"a\\\":[1,2]}\")",
            "new JObject()",
            "new JArray(1, \"x\")",
            "context.Request.Headers.GetValueOrDefault(\"Accept\", \"\")",
            "\"a,b\".Split(',')",
            "((string)context.Variables[\"s\"]).AsJwt()",
            "Encoding.UTF8.GetBytes(\"k\")",
            "SHA256.Create()",
            "DateTime.UtcNow",
            "int.MaxValue",
            "\"x\"",
            "1.5",
            "null",
            "new StringBuilder(\"s\")",
            "new Uri(\"http://h/a?b\")",
            "new Random(1)",
        ][..],
    );
    let op = prop::sample::select(
        &[
            "var v = {e};",
            "var w = {e}; v = w;",
            "v[\"k\"] = {e};",
            "v.Add({e});",
            "v.Add(\"k\", {e});",
            "v.Append({e}).Append(v);",
            "v = v.Next();",
            "if ({e} == null) {{ return 0; }}",
            "foreach (var i in {e}) {{ v = i; }}",
            "return {e}.ToString();",
            "return v.ToString();",
            "return (string)v[\"a\"];",
            "return v?.Count;",
        ][..],
    );
    prop::collection::vec((op, expr), 1..6).prop_map(|parts| {
        let mut code = String::new();
        for (op, e) in parts {
            code.push_str(&op.replace("{e}", e).replace("{{", "{").replace("}}", "}"));
            code.push(' ');
        }
        code.push_str("return 1;");
        code
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(code in ".{0,120}") {
        run(&code, &context());
    }

    #[test]
    fn token_soup_never_panics(code in soup()) {
        run(&code, &context());
    }

    #[test]
    fn statement_sequences_never_panic(code in statements()) {
        run(&code, &context());
    }
}
