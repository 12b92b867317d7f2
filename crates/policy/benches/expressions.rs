//! Policy expression evaluation cost: `cargo bench -p tollgate-policy --bench expressions`.
//!
//! Each expression is parsed and checked once, then evaluated N times against one context;
//! the figure is the mean time per evaluation.

use std::hint::black_box;
use std::time::Instant;

use tollgate_policy::csharp::{Context, Limits, Program, Value, parse_block, parse_expression};

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyLCJleHAiOjE3MDAwMDAwMDAsImF1ZCI6WyJhcGk6Ly9hIiwiYXBpOi8vYiJdLCJpc3MiOiJodHRwczovL2xvZ2luLmV4YW1wbGUuY29tLyIsImp0aSI6ImlkLTEiLCJyb2xlcyI6WyJhZG1pbiIsInVzZXIiXSwiYWRtaW4iOnRydWV9.sig";

fn context() -> Context {
    let mut c = Context::default();
    c.request.method = "GET".into();
    c.request.headers = vec![
        ("Host".into(), vec!["api.example.com".into()]),
        ("User-Agent".into(), vec!["curl/8".into()]),
        ("Accept".into(), vec!["*/*".into()]),
        ("Authorization".into(), vec![format!("Bearer {JWT}")]),
        ("X-Request-Id".into(), vec!["abc".into()]),
    ]
    .into();
    c.variables.insert("jwt".into(), Value::from(JWT));
    c
}

fn bench(name: &str, program: &Program, ctx: &Context, n: u32) {
    let limits = Limits::default();
    // Warm up and check the result once.
    let first = program.evaluate(ctx, &limits).map(|v| v.to_policy_string());
    assert!(first.is_ok(), "{name}: {first:?}");
    let started = Instant::now();
    for _ in 0..n {
        black_box(program.evaluate(black_box(ctx), &limits).ok());
    }
    let ns = started.elapsed().as_nanos() as f64 / f64::from(n);
    println!("{name:<28} {ns:>10.0} ns/evaluation  ({n} evaluations)");
}

fn main() {
    let ctx = context();
    let header =
        parse_expression(r#"context.Request.Headers.GetValueOrDefault("Authorization", "")"#)
            .expect("header lookup");
    let claim = parse_expression(
        r#"((string)context.Variables["jwt"]).AsJwt()?.Claims.GetValueOrDefault("name", "") == "John Doe" ? "known" : "unknown""#,
    )
    .expect("jwt claim");
    let build = parse_block(
        r#"var o = new JObject();
           o["method"] = context.Request.Method;
           o["agent"] = context.Request.Headers.GetValueOrDefault("User-Agent", "");
           o["tags"] = new JArray("a", "b", "c");
           o.Add("n", 42);
           return o.ToString(Formatting.None);"#,
    )
    .expect("build JObject");
    bench("header lookup", &header, &ctx, 1_000_000);
    bench("JWT claim with a ternary", &claim, &ctx, 100_000);
    bench("@{ } building a JObject", &build, &ctx, 200_000);
}
