//! The table of expressions and their expected values or errors.

use super::*;

/// A context with a request, subscription, user and variables, at a fixed time.
fn ctx() -> Context {
    let mut c = Context::default();
    c.request.method = "POST".into();
    c.request.ip_address = "10.0.0.1".into();
    c.request.headers = vec![
        ("User-Agent".into(), vec!["curl/8".into()]),
        (
            "Accept".into(),
            vec!["text/html".into(), "application/json".into()],
        ),
        ("Authorization".into(), vec!["Basic dXNlcjpwYXNz".into()]),
    ]
    .into();
    c.request.url = Url {
        scheme: "https".into(),
        host: "api.example.com".into(),
        port: 443,
        path: "/shop/orders/42".into(),
        query: vec![
            ("q".into(), vec!["x".into()]),
            ("page".into(), vec!["2".into()]),
        ],
    };
    c.request.matched_parameters = vec![("id".into(), "42".into())];
    c.request.body = Some("{\"a\":1}".into());
    c.subscription = Some(Subscription {
        id: "sub1".into(),
        key: "k".into(),
        ..Default::default()
    });
    c.user = Some(User {
        id: "u1".into(),
        email: "a@b.c".into(),
        groups: vec![Group {
            id: "developers".into(),
            name: "Developers".into(),
        }],
        ..Default::default()
    });
    c.operation.name = "GetOrder".into();
    c.deployment.service_name = "contoso".into();
    c.variables.insert("maxAge".into(), Value::from("120"));
    c.variables.insert("count".into(), Value::Int(3));
    c.variables.insert("jwt".into(), Value::from(JWT));
    c.variables.insert(
        "json".into(),
        Value::from(r#"{"name":"Ann","age":41,"tags":["a","b","c"],"address":{"city":"Oslo","zip":"0150"},"score":1.5,"ok":true,"none":null}"#),
    );
    c.request_id = 0x0123_4567_89ab_cdef_0123_4567_89ab_cdef;
    // 2024-01-02T03:04:05Z
    c.now = 638_397_614_450_000_000;
    c.timestamp = c.now;
    c
}

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyLCJleHAiOjE3MDAwMDAwMDAsImF1ZCI6WyJhcGk6Ly9hIiwiYXBpOi8vYiJdLCJpc3MiOiJodHRwczovL2xvZ2luLmV4YW1wbGUuY29tLyIsImp0aSI6ImlkLTEiLCJyb2xlcyI6WyJhZG1pbiIsInVzZXIiXSwiYWRtaW4iOnRydWV9.sig";

enum Want {
    Val(&'static str),
    Check(&'static str),
    Run(ErrorKind),
}
use Want::*;

const CASES: &[(&str, Want)] = &[
    // the examples of learn.microsoft.com "API Management policy expressions" and the 2015 blog post
    ("\"Hi There\".Length", Val("8")),
    (
        "Regex.Match(context.Response.Headers.GetValueOrDefault(\"Cache-Control\",\"\"), @\"max-age=(?<maxAge>\\d+)\").Groups[\"maxAge\"]?.Value",
        Check("Regex"),
    ),
    (
        "context.Request.Headers[\"User-Agent\"].Contains(\"iPad\") || context.Request.Headers[\"User-Agent\"].Contains(\"iPhone\")",
        Val("False"),
    ),
    // literals and arithmetic
    ("true", Val("True")),
    ("(1+1).ToString()", Val("2")),
    ("1 + 2 * 3", Val("7")),
    ("(1 + 2) * 3", Val("9")),
    ("7 / 2", Val("3")),
    ("7 % 3", Val("1")),
    ("-7 / 2", Val("-3")),
    ("7 / 2.0", Val("3.5")),
    ("1 + 2L", Val("3")),
    ("int.MaxValue + 1", Val("-2147483648")),
    ("int.MaxValue + 1L", Val("2147483648")),
    ("0.1 + 0.2", Val("0.30000000000000004")),
    ("1e20", Val("1E+20")),
    ("1.0 / 0", Val("Infinity")),
    ("1 / 0", Run(ErrorKind::DivideByZero)),
    ("'a' + 1", Val("98")),
    ("\"a\" + 1 + 2", Val("a12")),
    ("1 + 2 + \"a\"", Val("3a")),
    ("\"x\" + true", Val("xTrue")),
    ("\"x\" + null", Val("x")),
    ("1 << 4 | 1", Val("17")),
    ("~0", Val("-1")),
    ("5 ^ 3", Val("6")),
    ("-2147483648", Val("-2147483648")),
    // comparison and logic
    ("1 < 2 && 2 <= 2", Val("True")),
    ("1 == 1.0", Val("True")),
    ("\"a\" == \"a\"", Val("True")),
    ("\"a\" != \"b\" || false", Val("True")),
    ("!true", Val("False")),
    ("true ? 1 : 2", Val("1")),
    ("false ? 1 : 2.5", Val("2.5")),
    ("null ?? \"d\"", Check("")),
    ("(string)null ?? \"d\"", Val("d")),
    ("1 < 2 ? \"y\" : \"n\"", Val("y")),
    ("true & false | true", Val("True")),
    // strings
    ("\"Hello\".Length", Val("5")),
    ("\"Hello\".Substring(1, 3)", Val("ell")),
    ("\"Hello\".Substring(3)", Val("lo")),
    ("\"Hello\".Substring(9)", Run(ErrorKind::ArgumentOutOfRange)),
    ("\"Hello\".IndexOf(\"l\")", Val("2")),
    ("\"Hello\".LastIndexOf('l')", Val("3")),
    ("\"Hello\".Contains(\"ell\")", Val("True")),
    ("\"Hello\".StartsWith(\"He\")", Val("True")),
    (
        "\"Hello\".EndsWith(\"LO\", StringComparison.OrdinalIgnoreCase)",
        Val("True"),
    ),
    ("\"Hello\".ToUpper()", Val("HELLO")),
    ("\"Hello\".ToLowerInvariant()", Val("hello")),
    ("\"  x  \".Trim()", Val("x")),
    ("\"--x--\".TrimStart('-')", Val("x--")),
    ("\"--x--\".TrimEnd('-')", Val("--x")),
    ("\"a,b,,c\".Split(',').Length", Val("4")),
    (
        "\"a,b,,c\".Split(new[] {','}, StringSplitOptions.RemoveEmptyEntries).Length",
        Val("3"),
    ),
    ("\"a-b\".Replace(\"-\", \"+\")", Val("a+b")),
    ("\"7\".PadLeft(3, '0')", Val("007")),
    ("\"7\".PadRight(3)", Val("7  ")),
    ("string.IsNullOrEmpty(\"\")", Val("True")),
    ("string.IsNullOrWhiteSpace(\" \")", Val("True")),
    ("String.Join(\"/\", new[] {\"a\", \"b\"})", Val("a/b")),
    ("string.Join(\",\", 1, true, \"x\")", Val("1,True,x")),
    ("string.Format(\"{0}-{1}\", \"a\", 2)", Val("a-2")),
    ("string.Format(\"{0:D3}\", 7)", Val("007")),
    ("string.Concat(\"a\", 1)", Val("a1")),
    ("\"abc\"[1]", Val("b")),
    ("\"abc\"[5]", Run(ErrorKind::IndexOutOfRange)),
    (
        "\"a\".Equals(\"A\", StringComparison.OrdinalIgnoreCase)",
        Val("True"),
    ),
    ("new string('x', 3)", Val("xxx")),
    (
        "\"x\".Foo()",
        Check("'string' does not contain a definition for 'Foo'"),
    ),
    ("\"x\".Length()", Check("property")),
    (
        "\"x\".Substring(\"a\")",
        Check("no overload of 'string.Substring'"),
    ),
    // interpolation, verbatim
    ("$\"{1 + 1} items\"", Val("2 items")),
    ("$\"{{x}} {\"y\"}\"", Val("{x} y")),
    ("$\"{3.14159:F2}\"", Val("3.14")),
    ("@\"c:\\x\"", Val("c:\\x")),
    ("$@\"{1}\\n\"", Val("1\\n")),
    // parsing and conversion
    ("int.Parse(\"42\") + 1", Val("43")),
    ("int.Parse(\"x\")", Run(ErrorKind::Format)),
    ("int.Parse(\"99999999999\")", Run(ErrorKind::Overflow)),
    ("long.Parse(\"99999999999\")", Val("99999999999")),
    ("double.Parse(\"1.5\") * 2", Val("3")),
    ("bool.Parse(\"true\")", Val("True")),
    ("int.TryParse(\"12\", out var n) ? n : -1", Val("12")),
    ("int.TryParse(\"x\", out var n) ? n : -1", Val("-1")),
    ("(int)3.9", Val("3")),
    ("(long)3", Val("3")),
    ("(double)1 / 4", Val("0.25")),
    ("(char)65", Val("A")),
    ("(int)'A'", Val("65")),
    ("Convert.ToInt32(\"12\")", Val("12")),
    ("Convert.ToInt32(2.5)", Val("2")),
    ("Convert.ToString(12)", Val("12")),
    (
        "Convert.ToBase64String(Encoding.UTF8.GetBytes(\"user:pass\"))",
        Val("dXNlcjpwYXNz"),
    ),
    (
        "Encoding.UTF8.GetString(Convert.FromBase64String(\"dXNlcjpwYXNz\"))",
        Val("user:pass"),
    ),
    ("Convert.FromBase64String(\"***\")", Run(ErrorKind::Format)),
    (
        "(string)context.Variables[\"count\"]",
        Run(ErrorKind::InvalidCast),
    ),
    ("(int)context.Variables[\"count\"] + 1", Val("4")),
    ("context.Variables[\"count\"] is int", Val("True")),
    ("context.Variables[\"maxAge\"] as string", Val("120")),
    (
        "context.Variables[\"count\"] as string ?? \"none\"",
        Val("none"),
    ),
    ("context.Variables[\"nope\"]", Run(ErrorKind::KeyNotFound)),
    ("(string)1", Check("cannot convert type 'int' to 'string'")),
    // Math
    ("Math.Abs(-3)", Val("3")),
    ("Math.Max(2, 7)", Val("7")),
    ("Math.Min(2, 1.5)", Val("1.5")),
    ("Math.Floor(2.7)", Val("2")),
    ("Math.Ceiling(2.1)", Val("3")),
    ("Math.Round(2.5)", Val("2")),
    ("Math.Round(2.345, 2)", Val("2.35")),
    ("Math.Pow(2, 10)", Val("1024")),
    ("Math.Sqrt(16)", Val("4")),
    ("Math.Abs(int.MinValue)", Run(ErrorKind::Overflow)),
    // dates and times
    (
        "DateTime.UtcNow.ToString(\"yyyy-MM-ddTHH:mm:ss\")",
        Val("2024-01-02T03:04:05"),
    ),
    (
        "DateTime.UtcNow.ToString(\"o\")",
        Val("2024-01-02T03:04:05.0000000Z"),
    ),
    ("DateTime.UtcNow.Year", Val("2024")),
    ("DateTime.UtcNow.AddDays(30).Month", Val("2")),
    (
        "DateTime.UtcNow.AddMonths(1).ToString(\"yyyy-MM-dd\")",
        Val("2024-02-02"),
    ),
    ("(DateTime.UtcNow + TimeSpan.FromHours(1)).Hour", Val("4")),
    (
        "(DateTime.UtcNow - DateTime.UtcNow.AddMinutes(-90)).TotalHours",
        Val("1.5"),
    ),
    ("TimeSpan.FromSeconds(90).ToString()", Val("00:01:30")),
    ("TimeSpan.FromMinutes(1.5).TotalSeconds", Val("90")),
    (
        "new DateTime(2020, 2, 29).AddYears(1).ToString(\"yyyy-MM-dd\")",
        Val("2021-02-28"),
    ),
    (
        "new DateTime(2020, 2, 30)",
        Run(ErrorKind::ArgumentOutOfRange),
    ),
    ("DateTime.Parse(\"2024-05-06T07:08:09Z\").Minute", Val("8")),
    (
        "DateTime.UtcNow > DateTime.UtcNow.AddSeconds(-1)",
        Val("True"),
    ),
    (
        "context.Timestamp.ToString(\"r\")",
        Val("Tue, 02 Jan 2024 03:04:05 GMT"),
    ),
    ("context.Elapsed.TotalMilliseconds", Val("0")),
    ("Guid.NewGuid().ToString().Length", Val("36")),
    (
        "Guid.Parse(\"0123456789abcdef0123456789abcdef\").ToString()",
        Val("01234567-89ab-cdef-0123-456789abcdef"),
    ),
    (
        "context.RequestId.ToString(\"N\")",
        Val("0123456789abcdef0123456789abcdef"),
    ),
    // LINQ and lambdas
    ("new[] {1, 2, 3}.Where(x => x > 1).Count()", Val("2")),
    ("new[] {1, 2, 3}.Select(x => x * 2).Sum()", Val("12")),
    ("new[] {1, 2, 3}.Any(x => x == 2)", Val("True")),
    ("new[] {1, 2, 3}.All(x => x > 0)", Val("True")),
    ("new[] {1, 2, 3}.First(x => x > 1)", Val("2")),
    (
        "new[] {1, 2, 3}.First(x => x > 5)",
        Run(ErrorKind::InvalidOperation),
    ),
    (
        "new[] {\"a\"}.FirstOrDefault(x => x == \"b\") ?? \"none\"",
        Val("none"),
    ),
    ("new[] {3, 1, 2}.OrderBy(x => x).First()", Val("1")),
    ("new[] {3, 1, 2}.OrderByDescending(x => x).Last()", Val("1")),
    ("new[] {3, 1, 2}.Max()", Val("3")),
    ("new[] {3, 1, 2}.Min(x => x * 10)", Val("10")),
    ("new[] {1, 1, 2}.Distinct().Count()", Val("2")),
    ("new[] {1, 2, 3, 4}.Skip(1).Take(2).Sum()", Val("5")),
    ("new[] {1, 2, 3}.Contains(2)", Val("True")),
    ("new[] {1, 2}.ToList().Count", Val("2")),
    ("new[] {1, 2}.ToArray().Length", Val("2")),
    (
        "new string[] {\"b\", \"a\"}.OrderBy(s => s).First()",
        Val("a"),
    ),
    (
        "string.Join(\",\", new[] {1, 2, 3}.Select(i => i.ToString()))",
        Val("1,2,3"),
    ),
    ("new[] {1, 2}.Where(x => \"s\")", Check("no overload")),
    ("new[] {1, 2}.Select((x) => x + 0.5).Sum()", Val("4")),
    ("new List<string> {\"a\", \"b\"}.Count", Val("2")),
    // context
    ("context.Request.Method", Val("POST")),
    ("context.Request.Method == \"POST\" ? 1:2", Val("1")),
    ("context.Request.IpAddress", Val("10.0.0.1")),
    ("context.Request.Url.Host", Val("api.example.com")),
    ("context.Request.Url.Path", Val("/shop/orders/42")),
    ("context.Request.Url.Port", Val("443")),
    ("context.Request.Url.Scheme", Val("https")),
    ("context.Request.Url.QueryString", Val("?q=x&page=2")),
    (
        "context.Request.Url.Query.GetValueOrDefault(\"page\", \"1\")",
        Val("2"),
    ),
    (
        "context.Request.Url.Query.GetValueOrDefault(\"size\", \"10\")",
        Val("10"),
    ),
    (
        "context.Request.Url.ToString()",
        Val("https://api.example.com/shop/orders/42?q=x&page=2"),
    ),
    (
        "context.Request.Headers.GetValueOrDefault(\"User-Agent\",\"non-specified\")",
        Val("curl/8"),
    ),
    (
        "context.Request.Headers.GetValueOrDefault(\"user-agent\")",
        Val("curl/8"),
    ),
    (
        "context.Request.Headers.GetValueOrDefault(\"Accept\", \"\")",
        Val("text/html,application/json"),
    ),
    (
        "context.Request.Headers.GetValueOrDefault(\"X-Missing\", \"none\")",
        Val("none"),
    ),
    (
        "context.Request.Headers.GetValueOrDefault(\"X-Missing\")?.Length ?? -1",
        Val("-1"),
    ),
    (
        "context.Request.Headers.GetValueOrDefault(\"a\",\"\") != \"\" && 1 < 2 ? \"y\" : \"n\"",
        Val("n"),
    ),
    (
        "context.Request.Headers.ContainsKey(\"accept\")",
        Val("True"),
    ),
    ("context.Request.Headers[\"Accept\"].Length", Val("2")),
    ("context.Request.Headers.Count", Val("3")),
    (
        "context.Request.Headers.Any(h => h.Key == \"Accept\")",
        Val("True"),
    ),
    (
        "context.Request.Headers.FirstOrDefault(h => h.Key == \"Via\").Key",
        Run(ErrorKind::NullReference),
    ),
    (
        "context.Request.Headers.FirstOrDefault(h => h.Ke == \"Via\")",
        Check("does not contain a definition for 'Ke'"),
    ),
    ("context.Request.MatchedParameters[\"id\"]", Val("42")),
    (
        "context.Request.MatchedParameters.GetValueOrDefault(\"id\", \"\")",
        Val("42"),
    ),
    ("context.Request.Body.As<string>()", Val("{\"a\":1}")),
    (
        "context.Request.Body.As<string>(preserveContent: true)",
        Val("{\"a\":1}"),
    ),
    (
        "context.Request.Body.As<string>(keep: true)",
        Check("named arguments are not supported"),
    ),
    ("context.Request.Body.As<string>(true).Length", Val("7")),
    ("context.Request.Body.As<JObject>()[\"a\"]", Val("1")),
    ("context.Request.Body.As<XElement>()", Run(ErrorKind::Xml)),
    ("context.Request.Body.As<Uri>()", Check("not supported")),
    // JSON (Newtonsoft.Json.Linq)
    ("JObject.Parse(\"{\\\"a\\\":1}\")[\"a\"]", Val("1")),
    (
        "JObject.Parse(\"{\\\"a\\\":1,\\\"b\\\":[1,2]}\").ToString()",
        Val("{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ]\n}"),
    ),
    (
        "JObject.Parse(\"{\\\"a\\\":1,\\\"b\\\":[1,2]}\").ToString(Formatting.None)",
        Val("{\"a\":1,\"b\":[1,2]}"),
    ),
    ("JObject.Parse(\"{}\").ToString()", Val("{}")),
    ("JArray.Parse(\"[]\").ToString()", Val("[]")),
    (
        "JObject.Parse(\"{\\\"a\\\":{}}\").ToString()",
        Val("{\n  \"a\": {}\n}"),
    ),
    ("JObject.Parse(\"[1]\")", Run(ErrorKind::JsonReader)),
    ("JObject.Parse(\"{oops\")", Run(ErrorKind::JsonReader)),
    ("JArray.Parse(\"{}\")", Run(ErrorKind::JsonReader)),
    ("JArray.Parse(\"[1,2,3]\").Count", Val("3")),
    ("JArray.Parse(\"[1,2,3]\")[1]", Val("2")),
    (
        "JArray.Parse(\"[1,2,3]\")[5]",
        Run(ErrorKind::ArgumentOutOfRange),
    ),
    ("JToken.Parse(\"42\").Type", Val("Integer")),
    ("JToken.Parse(\"\\\"x\\\"\").ToString()", Val("x")),
    (
        "JToken.Parse(\"\\\"x\\\"\").ToString(Formatting.None)",
        Val("\"x\""),
    ),
    (
        "JToken.Parse(\"1.0\").ToString(Formatting.None)",
        Val("1.0"),
    ),
    ("JToken.Parse(\"true\").ToString()", Val("True")),
    (
        "JToken.Parse(\"null\").Type == JTokenType.Null",
        Val("True"),
    ),
    (
        "JObject.Parse(\"{}\").Type == JTokenType.Object",
        Val("True"),
    ),
    (
        "(string)JObject.Parse((string)context.Variables[\"json\"])[\"name\"]",
        Val("Ann"),
    ),
    (
        "(int)JObject.Parse((string)context.Variables[\"json\"])[\"age\"] + 1",
        Val("42"),
    ),
    (
        "(long)JObject.Parse((string)context.Variables[\"json\"])[\"age\"]",
        Val("41"),
    ),
    (
        "(double)JObject.Parse((string)context.Variables[\"json\"])[\"score\"] * 2",
        Val("3"),
    ),
    (
        "(bool)JObject.Parse((string)context.Variables[\"json\"])[\"ok\"]",
        Val("True"),
    ),
    (
        "(string)JObject.Parse((string)context.Variables[\"json\"])[\"age\"]",
        Val("41"),
    ),
    (
        "(string)JObject.Parse((string)context.Variables[\"json\"])[\"missing\"] ?? \"default\"",
        Val("default"),
    ),
    (
        "(string)JObject.Parse((string)context.Variables[\"json\"])[\"none\"] == null",
        Val("True"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"none\"] == null",
        Val("False"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"missing\"] == null",
        Val("True"),
    ),
    (
        "(int?)JObject.Parse((string)context.Variables[\"json\"])[\"none\"] ?? -1",
        Val("-1"),
    ),
    (
        "(int)JObject.Parse((string)context.Variables[\"json\"])[\"name\"]",
        Run(ErrorKind::Format),
    ),
    (
        "(string)JObject.Parse((string)context.Variables[\"json\"])[\"tags\"]",
        Run(ErrorKind::Argument),
    ),
    (
        "(int)JObject.Parse((string)context.Variables[\"json\"])[\"missing\"]",
        Run(ErrorKind::NullReference),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"address\"][\"city\"].ToString()",
        Val("Oslo"),
    ),
    (
        "(string)JObject.Parse((string)context.Variables[\"json\"])[\"address\"][\"zip\"]",
        Val("0150"),
    ),
    (
        "(string)JObject.Parse((string)context.Variables[\"json\"])[\"tags\"][2]",
        Val("c"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"tags\"][\"x\"]",
        Run(ErrorKind::Argument),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"name\"][\"x\"]",
        Run(ErrorKind::InvalidOperation),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).Value<string>(\"name\")",
        Val("Ann"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).Value<int>(\"age\")",
        Val("41"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).Value<string>(\"missing\") ?? \"-\"",
        Val("-"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).Value<int>(\"missing\")",
        Run(ErrorKind::NullReference),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"age\"].Value<int>()",
        Val("41"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"age\"].ToObject<string>()",
        Val("41"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"address\"].Value<string>(\"city\")",
        Val("Oslo"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).ContainsKey(\"age\")",
        Val("True"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).ContainsKey(\"Age\")",
        Val("False"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).Count",
        Val("7"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).Property(\"age\").Name",
        Val("age"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).Property(\"age\").Value.ToString()",
        Val("41"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).Property(\"nope\") == null",
        Val("True"),
    ),
    (
        "string.Join(\",\", JObject.Parse((string)context.Variables[\"json\"]).Properties().Select(p => p.Name))",
        Val("name,age,tags,address,score,ok,none"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).Properties().Count()",
        Val("7"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).SelectToken(\"address.city\").ToString()",
        Val("Oslo"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).SelectToken(\"$.tags[1]\").ToString()",
        Val("b"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).SelectToken(\"['address']['zip']\").ToString()",
        Val("0150"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).SelectToken(\"nope.deeper\") == null",
        Val("True"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"]).SelectToken(\"tags[\")",
        Run(ErrorKind::Argument),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"tags\"].Type.ToString()",
        Val("Array"),
    ),
    (
        "((JArray)JObject.Parse((string)context.Variables[\"json\"])[\"tags\"]).Count",
        Val("3"),
    ),
    (
        "(JObject.Parse((string)context.Variables[\"json\"])[\"tags\"] as JArray).Count",
        Val("3"),
    ),
    (
        "(JObject.Parse((string)context.Variables[\"json\"])[\"name\"] as JArray) == null",
        Val("True"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"tags\"] is JArray",
        Val("True"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"address\"] is JObject",
        Val("True"),
    ),
    (
        "(JObject)JObject.Parse((string)context.Variables[\"json\"])[\"tags\"]",
        Run(ErrorKind::InvalidCast),
    ),
    (
        "string.Join(\"|\", ((JArray)JObject.Parse((string)context.Variables[\"json\"])[\"tags\"]).Select(t => (string)t))",
        Val("a|b|c"),
    ),
    (
        "((JArray)JObject.Parse((string)context.Variables[\"json\"])[\"tags\"]).Any(t => (string)t == \"b\")",
        Val("True"),
    ),
    (
        "((JArray)JObject.Parse((string)context.Variables[\"json\"])[\"tags\"]).Where(t => (string)t != \"b\").Count()",
        Val("2"),
    ),
    (
        "((JArray)JObject.Parse((string)context.Variables[\"json\"])[\"tags\"]).First().ToString()",
        Val("a"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"address\"].HasValues",
        Val("True"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"address\"].ToString(Formatting.None)",
        Val("{\"city\":\"Oslo\",\"zip\":\"0150\"}"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"score\"].Type.ToString()",
        Val("Float"),
    ),
    (
        "JObject.Parse((string)context.Variables[\"json\"])[\"ok\"].ToString(Formatting.None)",
        Val("true"),
    ),
    (
        "JToken.Parse(\"\\\"a\\\\\\\"b\\\\nc\\\\u0001\\\"\").ToString(Formatting.None)",
        Val("\"a\\\"b\\nc\\u0001\""),
    ),
    (
        "JToken.Parse(\"\\\"é/\\\"\").ToString(Formatting.None)",
        Val("\"é/\""),
    ),
    (
        "JToken.Parse(\"1e20\").ToString(Formatting.None)",
        Val("1E+20"),
    ),
    ("new JObject().ToString()", Val("{}")),
    (
        "new JObject(new JProperty(\"a\", 1), new JProperty(\"b\", \"x\")).ToString(Formatting.None)",
        Val("{\"a\":1,\"b\":\"x\"}"),
    ),
    (
        "new JObject(new JProperty(\"a\", 1), new JProperty(\"a\", 2))",
        Run(ErrorKind::Argument),
    ),
    (
        "new JObject(new JProperty(\"n\", new JArray(1, 2))).ToString(Formatting.None)",
        Val("{\"n\":[1,2]}"),
    ),
    (
        "new JArray(new[] { \"x\", \"y\" }).ToString(Formatting.None)",
        Val("[\"x\",\"y\"]"),
    ),
    (
        "new JArray(\"a\".Split(',').Select(x => x.ToUpper())).ToString(Formatting.None)",
        Val("[\"A\"]"),
    ),
    ("new JProperty(\"k\", true).ToString()", Val("\"k\": true")),
    (
        "JToken.FromObject(new[] { 1, 2 }).ToString(Formatting.None)",
        Val("[1,2]"),
    ),
    ("JObject.FromObject(1)", Run(ErrorKind::Argument)),
    (
        "context.Request.Body.As<JObject>(preserveContent: true).ToString(Formatting.None)",
        Val("{\"a\":1}"),
    ),
    (
        "context.Request.Body.As<JToken>()[\"a\"].Type.ToString()",
        Val("Integer"),
    ),
    (
        "context.Request.Body.As<JArray>()",
        Run(ErrorKind::JsonReader),
    ),
    (
        "context.Request.Body.As<JObject>().Value<int>(\"a\")",
        Val("1"),
    ),
    ("context.Response?.Body?.As<JObject>() == null", Val("True")),
    ("JObject.Parse(null)", Run(ErrorKind::NullReference)),
    (
        "\"x\" + JObject.Parse(\"{\\\"a\\\":1}\")",
        Val("x{\n  \"a\": 1\n}"),
    ),
    ("$\"{JToken.Parse(\"2\")}\"", Val("2")),
    ("JObject.Parse(\"{}\")[1]", Run(ErrorKind::Argument)),
    (
        "JObject.Parse(\"{\\\"a\\\":1}\").Foo",
        Check("does not contain a definition"),
    ),
    (
        "(DateTime)JToken.Parse(\"\\\"2024-01-02T03:04:05Z\\\"\")",
        Val("01/02/2024 03:04:05"),
    ),
    // JWT
    (
        "context.Variables.GetValueOrDefault<string>(\"jwt\").AsJwt().Subject",
        Val("1234567890"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().Issuer",
        Val("https://login.example.com/"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().Id",
        Val("id-1"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().Type",
        Val("JWT"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().Algorithm",
        Val("HS256"),
    ),
    (
        "string.Join(\" \", ((string)context.Variables[\"jwt\"]).AsJwt().Audiences)",
        Val("api://a api://b"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().ExpirationTime.Value.ToString(\"o\")",
        Val("2023-11-14T22:13:20.0000000Z"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().IssuedAt.Value.Year",
        Val("2018"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().NotBefore.HasValue",
        Val("False"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().Claims.GetValueOrDefault(\"name\", \"?\")",
        Val("John Doe"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().Claims.GetValueOrDefault(\"roles\", \"\")",
        Val("admin,user"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().Claims.GetValueOrDefault(\"nope\", \"none\")",
        Val("none"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().Claims[\"roles\"].Contains(\"admin\")",
        Val("True"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().Claims[\"admin\"][0]",
        Val("true"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt().Claims.ContainsKey(\"sub\")",
        Val("True"),
    ),
    (
        "((string)context.Variables[\"jwt\"]).AsJwt()?.Claims.GetValueOrDefault(\"name\", \"\") == \"John Doe\" ? \"yes\" : \"no\"",
        Val("yes"),
    ),
    ("\"not a jwt\".AsJwt() == null", Val("True")),
    ("\"a.b.c\".AsJwt() == null", Val("True")),
    ("\"x\".AsJwt().Subject", Run(ErrorKind::NullReference)),
    (
        "context.Request.Headers.GetValueOrDefault(\"Authorization\", \"\").AsJwt()?.Subject ?? \"anonymous\"",
        Val("anonymous"),
    ),
    // Basic
    (
        "context.Request.Headers.GetValueOrDefault(\"Authorization\", \"\").AsBasic().UserId",
        Val("user"),
    ),
    (
        "context.Request.Headers.GetValueOrDefault(\"Authorization\", \"\").AsBasic().Password",
        Val("pass"),
    ),
    ("\"dXNlcjpwYXNz\".AsBasic().UserId", Val("user")),
    ("\"Bearer dXNlcjpwYXNz\".AsBasic() == null", Val("True")),
    ("\"Basic !!!\".AsBasic() == null", Val("True")),
    ("\"Basic dXNlcg==\".AsBasic() == null", Val("True")),
    // bytes, hashes and HMACs
    (
        "Convert.ToBase64String(Encoding.UTF8.GetBytes(\"hi\"))",
        Val("aGk="),
    ),
    (
        "BitConverter.ToString(Encoding.UTF8.GetBytes(\"AB\"))",
        Val("41-42"),
    ),
    (
        "BitConverter.ToString(SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes(\"abc\"))).Replace(\"-\", \"\").Substring(0, 16)",
        Val("BA7816BF8F01CFEA"),
    ),
    (
        "BitConverter.ToString(MD5.Create().ComputeHash(Encoding.UTF8.GetBytes(\"abc\"))).Replace(\"-\", \"\")",
        Val("900150983CD24FB0D6963F7D28E17F72"),
    ),
    (
        "BitConverter.ToString(SHA1.Create().ComputeHash(Encoding.UTF8.GetBytes(\"abc\"))).Substring(0, 11)",
        Val("A9-99-3E-36"),
    ),
    (
        "BitConverter.ToString(SHA512.Create().ComputeHash(Encoding.UTF8.GetBytes(\"abc\"))).Substring(0, 11)",
        Val("DD-AF-35-A1"),
    ),
    (
        "SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes(\"\")).Length",
        Val("32"),
    ),
    (
        "Convert.ToBase64String(new HMACSHA256(Encoding.UTF8.GetBytes(\"key\")).ComputeHash(Encoding.UTF8.GetBytes(\"data\")))",
        Val("UDH+PZicbRU3oBP6bnOdojRj/a7DtwE32Cjjas4iG9A="),
    ),
    (
        "Convert.ToBase64String(new HMACSHA1(Encoding.UTF8.GetBytes(\"key\")).ComputeHash(Encoding.UTF8.GetBytes(\"data\")))",
        Val("EEFSxb/coHvGM+69RhmfAlXJ9J0="),
    ),
    (
        "Convert.ToBase64String(new HMACMD5(Encoding.UTF8.GetBytes(\"key\")).ComputeHash(Encoding.UTF8.GetBytes(\"data\")))",
        Val("nVxz74VZTTTsRDi3yX5R2A=="),
    ),
    (
        "Convert.ToBase64String(new HMACSHA512(Encoding.UTF8.GetBytes(new string('k', 200))).ComputeHash(Encoding.UTF8.GetBytes(\"data\"))).Substring(0, 20)",
        Val("hU4kLFTOXzFiGh+AmIGz"),
    ),
    ("new HMACSHA256(null)", Run(ErrorKind::NullReference)),
    ("BitConverter.ToString(new byte[0])", Val("")),
    (
        "JToken.Parse(\"1\") == \"1\"",
        Check("convert the token first"),
    ),
    ("JToken.Parse(\"1\") != 1", Check("convert the token first")),
    ("JToken.Parse(\"1\") != null", Val("True")),
    ("context.Response", Val("")),
    ("context.Response?.StatusCode ?? 0", Val("0")),
    ("context.Response.StatusCode", Run(ErrorKind::NullReference)),
    ("context.Subscription.Id", Val("sub1")),
    ("context.Subscription.Key", Val("k")),
    ("context.Subscription.EndDate.HasValue", Val("False")),
    ("context.User.Email", Val("a@b.c")),
    (
        "context.User.Groups.Any(g => g.Id == \"developers\")",
        Val("True"),
    ),
    (
        "context.User.Groups.Select(g => g.Name).First()",
        Val("Developers"),
    ),
    ("context.Product == null", Val("True")),
    ("context.Product?.Name ?? \"none\"", Val("none")),
    ("context.Operation.Name", Val("GetOrder")),
    ("context.Deployment.ServiceName", Val("contoso")),
    ("context.Api.Name", Val("")),
    ("context.LastError?.Message ?? \"ok\"", Val("ok")),
    (
        "context.Variables.ContainsKey(\"maxAge\") ? int.Parse((string)context.Variables[\"maxAge\"]) : 3600",
        Val("120"),
    ),
    (
        "context.Variables.GetValueOrDefault<string>(\"maxAge\")",
        Val("120"),
    ),
    (
        "context.Variables.GetValueOrDefault<int>(\"count\", 0) * 2",
        Val("6"),
    ),
    (
        "context.Variables.GetValueOrDefault<int>(\"nope\", 7)",
        Val("7"),
    ),
    (
        "context.Variables.GetValueOrDefault<int>(\"maxAge\")",
        Run(ErrorKind::InvalidCast),
    ),
    (
        "context.Variables.GetValueOrDefault(\"nope\", \"d\")",
        Val("d"),
    ),
    (
        "context.Variables.TryGetValue(\"count\", out var v) ? v.ToString() : \"\"",
        Val("3"),
    ),
    ("context.Tracing", Val("False")),
    (
        "string.Join(\",\", DateTime.UtcNow, context.Deployment.ServiceName, context.RequestId, context.Request.IpAddress, context.Operation.Name)",
        Val("01/02/2024 03:04:05,contoso,01234567-89ab-cdef-0123-456789abcdef,10.0.0.1,GetOrder"),
    ),
    (
        "context.Request.Foo",
        Check("'IRequest' does not contain a definition for 'Foo'"),
    ),
    (
        "context.Subscription.Id.Bar()",
        Check("'string' does not contain a definition for 'Bar'"),
    ),
    ("ctx.Request", Check("the name 'ctx' does not exist")),
    // syntax errors
    ("1 +", Check("expected an expression")),
    ("(1", Check("expected ')'")),
    ("\"abc", Check("unterminated")),
    ("a b", Check("")),
    ("1 = 2", Check("only local variables")),
    // LINQ to XML: printing (indented by two spaces, `<a />`, no indentation inside mixed content)
    (
        r#"XElement.Parse("<a><b>x</b><c/></a>").ToString()"#,
        Val("<a>\n  <b>x</b>\n  <c />\n</a>"),
    ),
    (
        r#"XElement.Parse("<a>x<b>y</b></a>").ToString()"#,
        Val("<a>x<b>y</b></a>"),
    ),
    (
        r#"XElement.Parse("<a><b/>x</a>").ToString()"#,
        Val("<a>\n  <b />x</a>"),
    ),
    (
        r#"XElement.Parse("<a>  <b>  </b>  </a>").ToString()"#,
        Val("<a>\n  <b></b>\n</a>"),
    ),
    (
        r#"XElement.Parse("<a>\n  <b>\n    <c>1</c>\n  </b>\n</a>").ToString(SaveOptions.DisableFormatting)"#,
        Val("<a><b><c>1</c></b></a>"),
    ),
    (r#"XElement.Parse("<a/>")"#, Val("<a />")),
    (r#"XElement.Parse("<a></a>").ToString()"#, Val("<a></a>")),
    (
        r#"XElement.Parse("<a xmlns='urn:x'><b/></a>").ToString()"#,
        Val("<a xmlns=\"urn:x\">\n  <b />\n</a>"),
    ),
    (
        r#"XElement.Parse("<a xmlns='urn:x'><b/></a>").Elements().First().ToString()"#,
        Val("<b xmlns=\"urn:x\" />"),
    ),
    (
        r#"XElement.Parse("<p:a xmlns:p='urn:x'><p:b c='1' p:d='2'/></p:a>").Elements().First().ToString()"#,
        Val("<p:b c=\"1\" p:d=\"2\" xmlns:p=\"urn:x\" />"),
    ),
    (
        r#"XElement.Parse("<a b='1 &amp; &lt; &quot; &apos;'>t &amp; &lt; &gt; \"</a>").ToString()"#,
        Val("<a b=\"1 &amp; &lt; &quot; '\">t &amp; &lt; &gt; \"</a>"),
    ),
    (
        r#"XElement.Parse("<a><!--c--><?pi data?><![CDATA[x<y]]></a>").ToString()"#,
        Val("<a>\n  <!--c-->\n  <?pi data?><![CDATA[x<y]]></a>"),
    ),
    (
        r#"XElement.Parse("<a xml:space='preserve'> <b/> </a>").ToString()"#,
        Val("<a xml:space=\"preserve\"> <b /> </a>"),
    ),
    (
        r#"XElement.Parse("<a b='x&#9;y&#10;z' c='x\ty\r\nz'/>").ToString()"#,
        Val("<a b=\"x&#x9;y&#xA;z\" c=\"x y z\" />"),
    ),
    (
        r#"XElement.Parse("<a>x\r\ny\rz</a>").ToString()"#,
        Val("<a>x\ny\nz</a>"),
    ),
    (
        r#"XDocument.Parse("<?xml version='1.0'?><!--top--><r><x/></r>").ToString()"#,
        Val("<!--top-->\n<r>\n  <x />\n</r>"),
    ),
    (
        r#"XDocument.Parse("<?xml version=\"1.0\" encoding=\"utf-8\"?><r/>").Declaration.ToString()"#,
        Val("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
    ),
    (
        r#"XDocument.Parse("<?xml version='1.0' standalone='yes'?><r/>").Declaration.Encoding == null"#,
        Val("True"),
    ),
    (
        r#""x" + XElement.Parse("<a><b/></a>")"#,
        Val("x<a>\n  <b />\n</a>"),
    ),
    // reading
    (
        r#"XElement.Parse("<a>x<b>y<!--c--></b><![CDATA[z]]></a>").Value"#,
        Val("xyz"),
    ),
    (r#"XElement.Parse("<a/>").Value.Length"#, Val("0")),
    (r#"XElement.Parse("<a/>").IsEmpty"#, Val("True")),
    (r#"XElement.Parse("<a> </a>").IsEmpty"#, Val("False")),
    (
        r#"XElement.Parse("<a><b/></a>").Element("c") == null"#,
        Val("True"),
    ),
    (
        r#"XElement.Parse("<a><b/></a>").Element(null) == null"#,
        Val("True"),
    ),
    (
        r#"(string)XElement.Parse("<a/>").Element("b") ?? "none""#,
        Val("none"),
    ),
    (
        r#"(int)XElement.Parse("<a><n> 42 </n></a>").Element("n") + 1"#,
        Val("43"),
    ),
    (
        r#"(int)XElement.Parse("<a/>").Element("n")"#,
        Run(ErrorKind::ArgumentNull),
    ),
    (
        r#"(int?)XElement.Parse("<a/>").Element("n") ?? -1"#,
        Val("-1"),
    ),
    (r#"(bool)XElement.Parse("<a> TRUE </a>")"#, Val("True")),
    (r#"(bool)XElement.Parse("<a>1</a>")"#, Val("True")),
    (
        r#"(bool)XElement.Parse("<a>yes</a>")"#,
        Run(ErrorKind::Format),
    ),
    (r#"(double)XElement.Parse("<a>1.5E3</a>")"#, Val("1500")),
    (r#"(double)XElement.Parse("<a>-INF</a>")"#, Val("-Infinity")),
    (
        r#"(long)XElement.Parse("<a>9999999999</a>")"#,
        Val("9999999999"),
    ),
    (
        r#"(int)XElement.Parse("<a>9999999999</a>")"#,
        Run(ErrorKind::Overflow),
    ),
    (
        r#"(int)XElement.Parse("<a>1.5</a>")"#,
        Run(ErrorKind::Format),
    ),
    (
        r#"(uint)XElement.Parse("<a>1</a>")"#,
        Check("cannot convert"),
    ),
    (
        r#"(DateTime)XElement.Parse("<a>2024-01-01</a>")"#,
        Check("cannot convert"),
    ),
    (
        r#"(string)XDocument.Parse("<a/>")"#,
        Check("cannot convert"),
    ),
    (
        r#"(string)XElement.Parse("<a x='1'/>").Attribute("x")"#,
        Val("1"),
    ),
    (
        r#"(int)XElement.Parse("<a x='7'/>").Attribute("x") * 2"#,
        Val("14"),
    ),
    (
        r#"(string)XElement.Parse("<a/>").Attribute("x") == null"#,
        Val("True"),
    ),
    (
        r#"XElement.Parse("<a x='1' y='2'/>").Attributes().Count()"#,
        Val("2"),
    ),
    (
        r#"XElement.Parse("<a x='1' y='2'/>").LastAttribute.Name"#,
        Val("y"),
    ),
    (
        r#"XElement.Parse("<a x='1'/>").Attribute("x").ToString()"#,
        Val("x=\"1\""),
    ),
    (
        r#"XElement.Parse("<a xmlns:p='u' p:x='1'/>").Attribute("{u}x").ToString()"#,
        Val("p:x=\"1\""),
    ),
    (r#"XElement.Parse("<a x='1'/>").HasAttributes"#, Val("True")),
    (
        r#"XElement.Parse("<a x='1'>t</a>").HasElements"#,
        Val("False"),
    ),
    (
        r#"XElement.Parse("<p:a xmlns:p='urn:x'/>").Name"#,
        Val("{urn:x}a"),
    ),
    (
        r#"XElement.Parse("<p:a xmlns:p='urn:x'/>").Name.LocalName"#,
        Val("a"),
    ),
    (
        r#"XElement.Parse("<p:a xmlns:p='urn:x'/>").Name.NamespaceName"#,
        Val("urn:x"),
    ),
    (r#"XElement.Parse("<a/>").Name == "a""#, Val("True")),
    (
        r#"XElement.Parse("<a xmlns='u'/>").Name == "a""#,
        Val("False"),
    ),
    (
        r#"XElement.Parse("<a xmlns='u'/>").Name.Namespace == "u""#,
        Val("True"),
    ),
    (
        r#"XElement.Parse("<a/>").Name == "a b""#,
        Run(ErrorKind::Xml),
    ),
    (
        r#"XElement.Parse("<a xmlns='u'><b/></a>").Element("b") == null"#,
        Val("True"),
    ),
    (
        r#"XElement.Parse("<a xmlns='u'><b/></a>").Element("{u}b") != null"#,
        Val("True"),
    ),
    (
        r#"XElement.Parse("<a xmlns='u'><b>v</b></a>").Element(XNamespace.Get("u") + "b").Value"#,
        Val("v"),
    ),
    (
        r#"XElement.Parse("<a><b/><c/><b/></a>").Elements("b").Count()"#,
        Val("2"),
    ),
    (
        r#"XElement.Parse("<a><b><c/></b><c/></a>").Descendants("c").Count()"#,
        Val("2"),
    ),
    (
        r#"XElement.Parse("<a><b><c/></b></a>").Descendants().Select(e => e.Name.LocalName).Last()"#,
        Val("c"),
    ),
    (
        r#"XElement.Parse("<a><b><c/></b></a>").DescendantsAndSelf().Count()"#,
        Val("3"),
    ),
    (
        r#"XElement.Parse("<a><b><c/></b></a>").Descendants("c").First().Parent.Name"#,
        Val("b"),
    ),
    (
        r#"XElement.Parse("<a><b><c/></b></a>").Descendants("c").First().Ancestors().Count()"#,
        Val("2"),
    ),
    (
        r#"XElement.Parse("<a><b/><c/><d/></a>").Element("c").ElementsAfterSelf().First().Name"#,
        Val("d"),
    ),
    (
        r#"XElement.Parse("<a><b/><c/><d/></a>").Element("c").ElementsBeforeSelf().Count()"#,
        Val("1"),
    ),
    (r#"XElement.Parse("<a/>").Parent == null"#, Val("True")),
    (
        r#"XElement.Parse("<a><b/></a>").Element("b").Document == null"#,
        Val("True"),
    ),
    (
        r#"XDocument.Parse("<a><b/></a>").Root.Element("b").Document != null"#,
        Val("True"),
    ),
    (
        r#"XElement.Parse("<a><b i='1'/><b i='2'/><b i='3'/></a>").Elements("b").Where(e => (int)e.Attribute("i") > 1).Count()"#,
        Val("2"),
    ),
    (
        r#"XElement.Parse("<a><b>1</b><b>2</b></a>").Elements("b").Select(b => b.Value).Last()"#,
        Val("2"),
    ),
    (
        r#"XElement.Parse("<a/>").Elements().First()"#,
        Run(ErrorKind::InvalidOperation),
    ),
    (
        r#"XElement.Parse("<a><b/><c/></a>").Elements().OrderBy(e => e.Name).Count()"#,
        Run(ErrorKind::InvalidOperation),
    ),
    (
        r#"XElement.Parse("<a><c/><b/></a>").Elements().OrderBy(e => e.Name.LocalName).First().Name"#,
        Val("b"),
    ),
    (
        r#"XElement.Parse("<a><b>2</b><b>10</b></a>").Elements().Max(e => (int)e)"#,
        Val("10"),
    ),
    (
        r#"XElement.Parse("<a/>").Elements().FirstOrDefault() == null"#,
        Val("True"),
    ),
    (
        r#"XDocument.Parse("<r a='1'/>").Root.Attribute("a").Value"#,
        Val("1"),
    ),
    (
        r#"XElement.Parse("<r><a><n>1</n></a><a><n>2</n><n>3</n></a></r>").Elements("a").Elements("n").Count()"#,
        Val("3"),
    ),
    (
        r#"XElement.Parse("<r><a><b><n/></b></a><a><n/></a></r>").Elements().Descendants("n").Count()"#,
        Val("2"),
    ),
    (
        r#"XElement.Parse("<r><a x='1'/><a x='2' y='3'/></r>").Elements().Attributes().Count()"#,
        Val("3"),
    ),
    (
        r#"XElement.Parse("<r><a x='1'/><a x='2' y='3'/></r>").Elements().ToList().Attributes("x").Last().Value"#,
        Val("2"),
    ),
    (
        r#"XElement.Parse("<r><a><b/></a></r>").Descendants("b").Ancestors().Count()"#,
        Val("2"),
    ),
    (
        r#"new[] {1, 2}.Elements()"#,
        Check("does not contain a definition for 'Elements'"),
    ),
    (
        r#"XDocument.Parse("<r><a/></r>").Elements().Count()"#,
        Val("1"),
    ),
    (
        r#"XDocument.Parse("<r><a/></r>").Descendants().Count()"#,
        Val("2"),
    ),
    (
        r#"XDocument.Parse("<r/>").Declaration == null"#,
        Val("True"),
    ),
    (r#"XElement.Parse("<a/>") is XElement"#, Val("True")),
    (
        r#"(object)XDocument.Parse("<a/>") is XElement"#,
        Val("False"),
    ),
    (
        r#"XElement.Parse("<a/>") == XElement.Parse("<a/>")"#,
        Val("False"),
    ),
    (r#"XElement.Parse("<a/>").Value.Length"#, Val("0")),
    (
        r#"XElement.Parse("<a xmlns='u' xmlns:p='v'/>").GetDefaultNamespace()"#,
        Val("u"),
    ),
    (
        r#"XElement.Parse("<a xmlns:p='v'><b/></a>").Element("b").GetNamespaceOfPrefix("p")"#,
        Val("v"),
    ),
    (
        r#"XElement.Parse("<a/>").GetNamespaceOfPrefix("p") == null"#,
        Val("True"),
    ),
    (
        r#"XElement.Parse("<a xmlns:p='v'/>").GetPrefixOfNamespace(XNamespace.Get("v"))"#,
        Val("p"),
    ),
    (
        r#"XElement.Parse("<a xmlns:p='u'/>").Attributes().First().IsNamespaceDeclaration"#,
        Val("True"),
    ),
    (
        r#"XElement.Parse("<a xmlns:p='u'/>").FirstAttribute.Name"#,
        Val("{http://www.w3.org/2000/xmlns/}p"),
    ),
    (r#"XName.Get("{urn:x}a").LocalName"#, Val("a")),
    (r#"System.Xml.Linq.XElement.Parse("<a/>").Name"#, Val("a")),
    (
        r#"System.Xml.Linq.XNamespace.None.NamespaceName.Length"#,
        Val("0"),
    ),
    (
        r#"(System.Xml.Linq.XElement)(object)XElement.Parse("<a/>") != null"#,
        Val("True"),
    ),
    (r#"XName.Get("a", "urn").ToString()"#, Val("{urn}a")),
    (r#"XName.Get("{urn}")"#, Run(ErrorKind::Argument)),
    (r#"XNamespace.Get("urn") + "a""#, Val("{urn}a")),
    (r#"XNamespace.Get("urn") + "a:b""#, Run(ErrorKind::Xml)),
    (r#"XNamespace.None.NamespaceName == """#, Val("True")),
    (
        r#"XNamespace.Xml.GetName("lang")"#,
        Val("{http://www.w3.org/XML/1998/namespace}lang"),
    ),
    (
        r#"XElement.Parse("<a/>").Element("a b")"#,
        Run(ErrorKind::Xml),
    ),
    (
        r#"XElement.Parse("<a/>").Element("")"#,
        Run(ErrorKind::Argument),
    ),
    (
        r#"XElement.Parse("<a/>").Nodes()"#,
        Check("does not contain a definition for 'Nodes'"),
    ),
    (r#"new XElement("a")"#, Check("'.ctor'")),
    // malformed XML → XmlException
    (r#"XElement.Parse("")"#, Run(ErrorKind::Xml)),
    (r#"XElement.Parse(null)"#, Run(ErrorKind::ArgumentNull)),
    (r#"XElement.Parse("<a>")"#, Run(ErrorKind::Xml)),
    (r#"XElement.Parse("<a></b>")"#, Run(ErrorKind::Xml)),
    (r#"XElement.Parse("<a/><b/>")"#, Run(ErrorKind::Xml)),
    (r#"XElement.Parse("x<a/>")"#, Run(ErrorKind::Xml)),
    (r#"XElement.Parse("<a b=1/>")"#, Run(ErrorKind::Xml)),
    (r#"XElement.Parse("<a b='1' b='2'/>")"#, Run(ErrorKind::Xml)),
    (
        r#"XElement.Parse("<a xmlns:p='u' xmlns:q='u' p:b='1' q:b='2'/>")"#,
        Run(ErrorKind::Xml),
    ),
    (r#"XElement.Parse("<a>&nbsp;</a>")"#, Run(ErrorKind::Xml)),
    (r#"XElement.Parse("<a>&#1;</a>")"#, Run(ErrorKind::Xml)),
    (r#"XElement.Parse("<p:a/>")"#, Run(ErrorKind::Xml)),
    (
        r#"XElement.Parse("<a><!-- x -- y --></a>")"#,
        Run(ErrorKind::Xml),
    ),
    (r#"XElement.Parse("<a>]]></a>")"#, Run(ErrorKind::Xml)),
    (r#"XElement.Parse("<a b='<'/>")"#, Run(ErrorKind::Xml)),
    (r#"XElement.Parse("<1a/>")"#, Run(ErrorKind::Xml)),
    (
        r#"XElement.Parse(" <?xml version='1.0'?><a/>")"#,
        Run(ErrorKind::Xml),
    ),
    (
        r#"XElement.Parse("<?xml version='1.1'?><a/>")"#,
        Run(ErrorKind::Xml),
    ),
    (
        r#"XElement.Parse("<a xml:space='keep'/>")"#,
        Run(ErrorKind::Xml),
    ),
    (
        r#"XElement.Parse("<!DOCTYPE a><a/>")"#,
        Run(ErrorKind::InvalidOperation),
    ),
    (
        r#"XElement.Parse("<?xml version='1.0'?><!--c--><a/><!--d-->").Name"#,
        Val("a"),
    ),
    // hostile documents end with an error
    (
        r#"XElement.Parse(new string('x', 1000).Replace("x", "<a>") + new string('x', 1000).Replace("x", "</a>")).Descendants().Count()"#,
        Val("999"),
    ),
    (
        r#"XElement.Parse(new string('x', 1000).Replace("x", "<a>") + new string('x', 1000).Replace("x", "</a>")).ToString()"#,
        Run(ErrorKind::MemoryLimit),
    ),
    (
        r#"XElement.Parse(new string('x', 3000).Replace("x", "<a>") + new string('x', 3000).Replace("x", "</a>")).Name"#,
        Run(ErrorKind::MemoryLimit),
    ),
    (
        r#"XElement.Parse("<r xmlns:q='" + new string('u', 10000) + "'><s>" + new string('x', 2000).Replace("x", "<q:a/>") + "</s></r>").Name"#,
        Run(ErrorKind::MemoryLimit),
    ),
    (
        r#"XElement.Parse("<r xmlns:q='urn:q'><s><q:a/><q:a/></s></r>").Element("s").ToString()"#,
        Val("<s>\n  <q:a xmlns:q=\"urn:q\" />\n  <q:a xmlns:q=\"urn:q\" />\n</s>"),
    ),
    (
        r#"XElement.Parse("<r>" + new string('x', 60000).Replace("x", "<a/>") + "</r>").Elements().Count()"#,
        Run(ErrorKind::MemoryLimit),
    ),
    (
        r#"XElement.Parse(new string('x', 200).Replace("x", "<a>") + new string('x', 200).Replace("x", "</a>")).Descendants().Count()"#,
        Val("199"),
    ),
];

const BLOCKS: &[(&str, Want)] = &[
    // learn.microsoft.com's block example: the context's Authorization header is `Basic …`, which
    // is not base64 as a whole.
    (
        "string[] value; if (context.Request.Headers.TryGetValue(\"Authorization\", out value)) { if(value != null && value.Length > 0) { return Encoding.UTF8.GetString(Convert.FromBase64String(value[0])); } } return null;",
        Run(ErrorKind::Format),
    ),
    (
        "string[] value; if (context.Request.Headers.TryGetValue(\"Authorization\", out value)) { if(value != null && value.Length > 0) { return Encoding.UTF8.GetString(Convert.FromBase64String(value[0].Substring(6))); } } return null;",
        Val("user:pass"),
    ),
    (
        "var o = JObject.Parse(\"{\\\"a\\\":{\\\"x\\\":1}}\"); var res = new JObject(); res[\"a\"] = o[\"a\"]; o[\"a\"][\"x\"] = 2; return res.ToString(Formatting.None) + o.ToString(Formatting.None);",
        Val("{\"a\":{\"x\":1}}{\"a\":{\"x\":2}}"),
    ),
    (
        "var inner = new JObject(); var o = new JObject(new JProperty(\"i\", inner)); inner[\"x\"] = 1; return o;",
        Check("was stored elsewhere above"),
    ),
    (
        "var inner = new JObject(); var o = new JObject(); o.Add(\"i\", inner); inner[\"x\"] = 1; return o;",
        Check("was stored elsewhere above"),
    ),
    (
        "var a = new JArray(); a.Add(a); a.Add(1); return a.ToString(Formatting.None);",
        Val("[[],1]"),
    ),
    (
        "var o = JObject.Parse(\"{\\\"a\\\":1}\"); o[\"b\"] = o[\"a\"]; o[\"n\"] = o.Count; o[\"self\"] = o; return o.ToString(Formatting.None);",
        Val("{\"a\":1,\"b\":1,\"n\":2,\"self\":{\"a\":1,\"b\":1,\"n\":2}}"),
    ),
    // JSON blocks: building and modifying bodies
    (
        "var o = new JObject(); o[\"a\"] = 1; o[\"b\"] = \"x\"; o.Add(\"c\", true); return o.ToString(Formatting.None);",
        Val("{\"a\":1,\"b\":\"x\",\"c\":true}"),
    ),
    (
        "var body = context.Request.Body.As<JObject>(preserveContent: true); body[\"a\"] = 2; body[\"added\"] = new JArray(1, 2); return body.ToString();",
        Val("{\n  \"a\": 2,\n  \"added\": [\n    1,\n    2\n  ]\n}"),
    ),
    (
        "var o = JObject.Parse(\"{\\\"a\\\":{\\\"b\\\":[1,2]}}\"); o[\"a\"][\"b\"][1] = 5; o[\"a\"][\"c\"] = null; return o.ToString(Formatting.None);",
        Val("{\"a\":{\"b\":[1,5],\"c\":null}}"),
    ),
    (
        "var o = JObject.Parse(\"{\\\"a\\\":1,\\\"b\\\":2}\"); var removed = o.Remove(\"a\"); return removed + o.ToString(Formatting.None);",
        Val("True{\"b\":2}"),
    ),
    (
        "var o = new JObject(); o.Add(\"a\", 1); o.Add(\"a\", 2); return o;",
        Run(ErrorKind::Argument),
    ),
    (
        "var arr = new JArray(); foreach (var t in new[] { \"x\", \"y\" }) { var item = new JObject(); item[\"v\"] = t; arr.Add(item); } return arr.ToString(Formatting.None);",
        Val("[{\"v\":\"x\"},{\"v\":\"y\"}]"),
    ),
    (
        "var arr = JArray.Parse(\"[1,2,3]\"); arr.RemoveAt(0); arr.Add(4); return arr.ToString(Formatting.None);",
        Val("[2,3,4]"),
    ),
    (
        "var o = new JObject(); var inner = new JObject(); inner[\"x\"] = 1; o[\"inner\"] = inner; return o.ToString(Formatting.None);",
        Val("{\"inner\":{\"x\":1}}"),
    ),
    (
        "var o = new JObject(); var inner = new JObject(); o[\"inner\"] = inner; inner[\"x\"] = 1; return o;",
        Check("was stored elsewhere above"),
    ),
    (
        "var o = new JObject(); var b = o; b[\"x\"] = 1; return o;",
        Check("taken from another value"),
    ),
    (
        "var o = JObject.Parse(\"{\\\"a\\\":{}}\"); var a = (JObject)o[\"a\"]; a[\"x\"] = 1; return o;",
        Check("taken from another value"),
    ),
    (
        "var o = JObject.Parse(\"{\\\"a\\\":[{}]}\"); foreach (JObject i in (JArray)o[\"a\"]) { i[\"x\"] = 1; } return o;",
        Check("taken from another value"),
    ),
    (
        "var o = JObject.Parse(\"{\\\"a\\\":[{}]}\"); foreach (var i in (JArray)o[\"a\"]) { o[\"b\"] = 1; } return o;",
        Check("was stored elsewhere above"),
    ),
    (
        "var o = new JObject(); var arr = new JArray(); for (var i = 0; i < 2; i++) { o[\"i\"] = i; arr.Add(o); } return arr;",
        Check("modified in a loop"),
    ),
    (
        "var o = new JObject(); return new[] { 1 }.Select(x => { o[\"a\"] = x; return x; }).Count();",
        Check("inside a lambda"),
    ),
    (
        "var o = new JObject(); o[\"a\"] += 1; return o;",
        Check("cannot be applied to an indexer"),
    ),
    (
        "var o = JObject.Parse(\"{}\"); o[\"a\"] = new JObject(); o[\"a\"][\"b\"] = 1; return (int)o[\"a\"][\"b\"];",
        Val("1"),
    ),
    (
        "var o = JObject.Parse(\"{}\"); o[\"a\"][\"b\"] = 1; return o;",
        Run(ErrorKind::NullReference),
    ),
    (
        "var o = JObject.Parse(\"[1]\"); return o;",
        Run(ErrorKind::JsonReader),
    ),
    (
        "var body = context.Request.Body.As<JObject>(); var copy = new JObject(); foreach (var p in body.Properties()) { copy[p.Name.ToUpper()] = p.Value; } return copy.ToString(Formatting.None);",
        Val("{\"A\":1}"),
    ),
    (
        "var o = context.Request.Body.As<JObject>(); JToken v; if (o.TryGetValue(\"a\", out v)) { return (int)v * 10; } return 0;",
        Val("10"),
    ),
    (
        "var o = new JObject(); var n = o; for (var i = 0; i < 100; i++) { var w = new JObject(); w[\"c\"] = n; n = w; } return n.ToString(Formatting.None).Length;",
        Run(ErrorKind::Argument),
    ),
    (
        "var s = \"\"; foreach (var kv in JObject.Parse(\"{\\\"a\\\":1,\\\"b\\\":2}\")) { s += kv.Key + \"=\" + kv.Value + \";\"; } return s;",
        Val("a=1;b=2;"),
    ),
    (
        "var jwt = ((string)context.Variables[\"jwt\"]).AsJwt(); if (jwt == null) { return \"none\"; } return jwt.Claims.GetValueOrDefault(\"roles\", \"\").Split(',').Contains(\"admin\") ? \"admin\" : \"user\";",
        Val("admin"),
    ),
    (
        "Jwt jwt; if (((string)context.Variables[\"jwt\"]).TryParseJwt(out jwt)) { return jwt.Subject; } return \"?\";",
        Val("1234567890"),
    ),
    (
        "if (\"nope\".TryParseJwt(out var jwt)) { return jwt.Subject; } return \"invalid\";",
        Val("invalid"),
    ),
    (
        "if (context.Request.Headers.GetValueOrDefault(\"Authorization\", \"\").TryParseBasic(out var b)) { return b.UserId + \"/\" + b.Password; } return \"\";",
        Val("user/pass"),
    ),
    (
        "var key = Encoding.UTF8.GetBytes(\"key\"); var h = new HMACSHA256(key); var sig = h.ComputeHash(Encoding.UTF8.GetBytes(\"data\")); return BitConverter.ToString(sig).Replace(\"-\", \"\");",
        Val("5031FE3D989C6D1537A013FA6E739DA23463FDAEC3B70137D828E36ACE221BD0"),
    ),
    ("return 1;", Val("1")),
    ("var x = 2; x = x * 3; return x;", Val("6")),
    ("int x = 1, y = 2; return x + y;", Val("3")),
    (
        "var s = \"\"; foreach (var c in \"abc\") { s = c + s; } return s;",
        Val("cba"),
    ),
    (
        "var n = 0; for (var i = 0; i < 10; i++) { if (i % 2 == 0) continue; n += i; } return n;",
        Val("25"),
    ),
    (
        "var i = 0; while (true) { i++; if (i == 5) break; } return i;",
        Val("5"),
    ),
    (
        "var i = 0; do { i += 2; } while (i < 7); return i;",
        Val("8"),
    ),
    (
        "if (context.Request.Method == \"GET\") { return \"r\"; } else { return \"w\"; }",
        Val("w"),
    ),
    (
        "if (true) return 1;",
        Check("not all code paths return a value"),
    ),
    ("var x = 1;", Check("not all code paths return a value")),
    (
        "string[] parts = \"a/b/c\".Split('/'); return parts[parts.Length - 1];",
        Val("c"),
    ),
    (
        "var total = 0L; foreach (var x in new[] {1, 2, 3}) total += x; return total;",
        Val("6"),
    ),
    (
        "var l = new List<int> {1, 2}; return l.Sum(x => x * x);",
        Val("5"),
    ),
    (
        "var r = new[] {1, 2, 3}.Where(x => { var y = x * 2; return y > 2; }).Count(); return r;",
        Val("2"),
    ),
    (
        "var h = context.Request.Headers.GetValueOrDefault(\"Authorization\", \"\"); if (h.StartsWith(\"Basic \")) { return Encoding.UTF8.GetString(Convert.FromBase64String(h.Substring(6))).Split(':')[0]; } return null;",
        Val("user"),
    ),
    ("while (true) {}", Run(ErrorKind::StepLimit)),
    (
        "var s = \"x\"; while (true) { s = s + s; }",
        Run(ErrorKind::MemoryLimit),
    ),
    ("var x = 1; var x = 2; return x;", Check("already defined")),
    ("break;", Check("no enclosing loop")),
    ("return y;", Check("the name 'y' does not exist")),
    ("var x = null; return x;", Check("implicitly-typed")),
    ("1 + 1; return 1;", Check("only assignment")),
    ("var a = 1 return a;", Check("expected ';'")),
    (
        "const string Chars = \"ab\"; return Chars.Length;",
        Val("2"),
    ),
    ("context.Trace(\"x\"); return true;", Val("True")),
    ("int? n = null; return n ?? 5;", Val("5")),
    (
        "var d = context.Subscription.EndDate; return d.HasValue ? d.Value.Year : -1;",
        Val("-1"),
    ),
    (
        "object o = \"s\"; if (o is string str) { return str + \"!\"; } return \"\";",
        Val("s!"),
    ),
    (
        "var doc = XDocument.Parse(\"<r><i>1</i><i>2</i><i>3</i></r>\"); var sum = 0; foreach (var i in doc.Descendants(\"i\")) { sum += (int)i; } return sum;",
        Val("6"),
    ),
    (
        "XNamespace ns = \"urn:x\"; var e = XElement.Parse(\"<a xmlns='urn:x'><b>v</b></a>\"); return e.Element(ns + \"b\").Value;",
        Val("v"),
    ),
    (
        "XName n = \"b\"; return XElement.Parse(\"<a><b>1</b></a>\").Element(n).Value;",
        Val("1"),
    ),
    (
        "var e = XElement.Parse(\"<r>\" + new string('x', 2000).Replace(\"x\", \"<a/>\") + \"</r>\"); var n = 0; for (var i = 0; i < 100; i++) { if (e.Element(\"b\") == null) n++; } return n;",
        Run(ErrorKind::StepLimit),
    ),
    (
        "var d = XDocument.Parse(\"<a/>\"); return d.Root == d.Root;",
        Val("True"),
    ),
    (
        "var e = XElement.Parse(\"<a><b k='x'>1</b><b k='y'>2</b></a>\"); return string.Join(\",\", e.Elements(\"b\").Select(b => (string)b.Attribute(\"k\") + \"=\" + b.Value));",
        Val("x=1,y=2"),
    ),
];

fn run(program: Result<Program, Error>, src: &str, want: &Want) {
    run_in(&ctx(), program, src, want);
}

fn run_in(c: &Context, program: Result<Program, Error>, src: &str, want: &Want) {
    match want {
        Val(v) => {
            let p = program.unwrap_or_else(|e| panic!("{src}: {e}"));
            let got = p
                .evaluate(c, &Limits::default())
                .unwrap_or_else(|e| panic!("{src}: {e}"));
            assert_eq!(got.to_policy_string(), *v, "{src}");
        }
        Check(msg) => match program {
            Err(e) => assert!(e.message.contains(msg), "{src}: {e}"),
            Ok(_) => panic!("{src}: accepted, expected a check error containing {msg:?}"),
        },
        Run(kind) => {
            let p = program.unwrap_or_else(|e| panic!("{src}: {e}"));
            let e = p.evaluate(c, &Limits::default()).expect_err(src);
            assert_eq!(e.kind, *kind, "{src}: {e}");
        }
    }
}

fn all(cases: &[(&str, Want)], parse: fn(&str) -> Result<Program, Error>) {
    let mut failed = Vec::new();
    for (src, want) in cases {
        let r = std::panic::catch_unwind(|| run(parse(src), src, want));
        if let Err(e) = r {
            let msg = e.downcast_ref::<String>().cloned().unwrap_or_default();
            failed.push(msg);
        }
    }
    assert!(
        failed.is_empty(),
        "{} failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn expressions() {
    all(CASES, parse_expression);
}

#[test]
fn blocks() {
    all(BLOCKS, parse_block);
}

#[test]
fn count() {
    assert!(
        CASES.len() + BLOCKS.len() >= 350,
        "{}",
        CASES.len() + BLOCKS.len()
    );
}

#[test]
fn nested_overloaded_calls_are_checked_in_bounded_time() {
    let mut source = "1".to_owned();
    // Within the parser's nesting limit, but 3^18 overload checks without the checker's budget.
    for _ in 0..18 {
        source = format!("Math.Max({source}, 2.5)");
    }
    let started = std::time::Instant::now();
    let checked = parse_expression(&source);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    if let Err(e) = checked {
        assert!(e.message.contains("too complex"), "{e}");
    }
}

const SOAP: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\r\n  <soap:Body>\r\n    <GetHotel xmlns=\"http://tempuri.org/\">\r\n      <ID>2022</ID>\r\n      <Name>Junyi &amp; Co</Name>\r\n    </GetHotel>\r\n  </soap:Body>\r\n</soap:Envelope>";

/// A context whose request body is a SOAP envelope and whose response body is XML.
fn xml_ctx() -> Context {
    let mut c = ctx();
    c.request.body = Some(SOAP.into());
    c.response = Some(Response {
        status_code: 200,
        body: Some("<result status=\"ok\"><item id=\"1\"/><item id=\"2\"/></result>".into()),
        ..Default::default()
    });
    c
}

/// Expressions over XML bodies (`xml_ctx`).
const XML_BODIES: &[(&str, Want)] = &[
    (
        "context.Request.Body.As<XElement>(preserveContent: true).Name.LocalName",
        Val("Envelope"),
    ),
    (
        "context.Request.Body.As<XDocument>().Root.Name",
        Val("{http://schemas.xmlsoap.org/soap/envelope/}Envelope"),
    ),
    (
        "context.Request.Body.As<XElement>().Descendants().FirstOrDefault(x => x.Name.LocalName == \"ID\")?.Value",
        Val("2022"),
    ),
    (
        "(int)context.Request.Body.As<XElement>().Descendants(XNamespace.Get(\"http://tempuri.org/\") + \"ID\").First()",
        Val("2022"),
    ),
    (
        "context.Request.Body.As<XElement>().Descendants(\"ID\").Count()",
        Val("0"),
    ),
    (
        "context.Request.Body.As<XElement>().Descendants().First(x => x.Name.LocalName == \"Name\").Value",
        Val("Junyi & Co"),
    ),
    (
        "context.Request.Body.As<XElement>().Descendants().First(x => x.Name.LocalName == \"GetHotel\").ToString()",
        Val(
            "<GetHotel xmlns=\"http://tempuri.org/\">\n  <ID>2022</ID>\n  <Name>Junyi &amp; Co</Name>\n</GetHotel>",
        ),
    ),
    (
        "context.Request.Body.As<XElement>().Elements().First().ToString(SaveOptions.DisableFormatting)",
        Val(
            "<soap:Body xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><GetHotel xmlns=\"http://tempuri.org/\"><ID>2022</ID><Name>Junyi &amp; Co</Name></GetHotel></soap:Body>",
        ),
    ),
    (
        "context.Request.Body.As<XDocument>(preserveContent: true).ToString()",
        Val(
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n  <soap:Body>\n    <GetHotel xmlns=\"http://tempuri.org/\">\n      <ID>2022</ID>\n      <Name>Junyi &amp; Co</Name>\n    </GetHotel>\n  </soap:Body>\n</soap:Envelope>",
        ),
    ),
    (
        "context.Request.Body.As<XDocument>().Declaration.Encoding",
        Val("utf-8"),
    ),
    (
        "context.Response.Body.As<XElement>(preserveContent: true).Attribute(\"status\").Value",
        Val("ok"),
    ),
    (
        "context.Response.Body.As<XElement>().Elements(\"item\").Select(i => (int)i.Attribute(\"id\")).Sum()",
        Val("3"),
    ),
    (
        "context.Request.Body.As<string>().StartsWith(\"<?xml\")",
        Val("True"),
    ),
];

#[test]
fn xml_bodies() {
    let c = xml_ctx();
    for (src, want) in XML_BODIES {
        run_in(&c, parse_expression(src), src, want);
    }
}

#[test]
fn hostile_xml_bodies_end_in_errors() {
    let mut c = ctx();
    let huge = format!("<a>{}</a>", "x".repeat(2 << 20));
    c.request.body = Some(huge.into());
    let p = parse_expression("context.Request.Body.As<XElement>().Value.Length").unwrap();
    let e = p.evaluate(&c, &Limits::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MemoryLimit, "{e}");
    let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    c.request.body = Some(deep.into());
    let e = p.evaluate(&c, &Limits::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MemoryLimit, "{e}");
    let wide = format!("<r>{}</r>", "<a/>".repeat(100_000));
    c.request.body = Some(wide.into());
    let limits = Limits {
        max_bytes: 1 << 30,
        ..Limits::default()
    };
    let e = p.evaluate(&c, &limits).unwrap_err();
    assert_eq!(e.kind, ErrorKind::StepLimit, "{e}");
}
