//! The raw form (`policy.raw+xml`): escaping expressions, round trips,
//! error positions, and robustness against garbage input.

use tollgate_policy::{PolicyDocument, PolicyError, PolicyFormat};

/// A small escaped document used as a seed for mutations.
const XML_DOC: &str = "<?xml version=\"1.0\"?>\r\n<!-- c -->\r\n<policies>\r\n  <inbound>\r\n    <set-header name=\"X-{{Nv}}\" exists-action=\"override\"><value>@(context.Variables[&quot;a&quot;] &lt; 2)</value></set-header>\r\n  </inbound>\r\n  <backend><forward-request /></backend>\r\n</policies>";

fn xml(input: &str) -> Result<PolicyDocument, PolicyError> {
    PolicyDocument::parse(input, PolicyFormat::Xml)
}

fn raw(input: &str) -> Result<PolicyDocument, PolicyError> {
    PolicyDocument::parse(input, PolicyFormat::Raw)
}

const RAW_DOC: &str = r#"<policies>
  <inbound>
    <base />
    <choose>
      <when condition="@(context.Request.Headers.GetValueOrDefault("x","") != "" && 1 < 2)">
        <set-header name='X-Quote' exists-action="override"><value>@(context.Variables.GetValueOrDefault<string>('v', "it's"))</value></set-header>
      </when>
    </choose>
    <set-body>@{ var s = "<a>}</a>"; var t = @"c:\""x"""; if (s.Length > 0 && t != null) { return s + $"{t}"; } return '}'.ToString(); }</set-body>
    <set-variable name="v" value='@(context.Variables["a"] + 'x')' />
    <trace source="x">plain &amp; <![CDATA[@(1 < 2)]]> text</trace>
  </inbound>
</policies>"#;

#[test]
fn raw_documents_are_escaped_and_round_trip() {
    let doc = raw(RAW_DOC).unwrap();
    let stored = doc.xml();
    assert!(stored.contains(
        r#"condition="@(context.Request.Headers.GetValueOrDefault(&quot;x&quot;,&quot;&quot;) != &quot;&quot; &amp;&amp; 1 &lt; 2)""#
    ));
    assert!(stored.contains(
        r#"<value>@(context.Variables.GetValueOrDefault&lt;string&gt;('v', "it's"))</value>"#
    ));
    assert!(stored.contains(r#"<set-body>@{ var s = "&lt;a&gt;}&lt;/a&gt;"; var t = @"c:\""x"""; if (s.Length &gt; 0 &amp;&amp; t != null)"#));
    assert!(stored.contains(r#"value='@(context.Variables["a"] + &apos;x&apos;)'"#));
    assert!(stored.contains("plain &amp; <![CDATA[@(1 < 2)]]> text"));
    assert_eq!(doc.to_raw(), RAW_DOC);

    let reparsed = xml(stored).unwrap();
    assert_eq!(reparsed.xml(), stored);
    assert_eq!(reparsed.to_raw(), doc.to_raw());
    assert_eq!(reparsed.root(), doc.root());

    let when = doc
        .root()
        .element("inbound")
        .unwrap()
        .element("choose")
        .unwrap()
        .element("when")
        .unwrap();
    assert_eq!(
        when.attribute("condition"),
        Some(r#"@(context.Request.Headers.GetValueOrDefault("x","") != "" && 1 < 2)"#)
    );
    let body = doc
        .root()
        .element("inbound")
        .unwrap()
        .element("set-body")
        .unwrap();
    assert!(body.text().starts_with(r#"@{ var s = "<a>}</a>";"#));
}

#[test]
fn raw_text_outside_expressions_is_kept() {
    let input = "<policies><inbound><trace source=\"a &amp; b\">x &lt; y @(1 < 2)</trace></inbound></policies>";
    let err = raw(input).unwrap_err();
    assert_eq!(err.message, "expected an element name after '<'");
    assert_eq!(err.column, input.find("< 2").unwrap() + 2);

    let input = "<policies><inbound><trace source=\"a &amp; b\">x &lt; y<![CDATA[@(1 < 2)]]></trace></inbound></policies>";
    let doc = raw(input).unwrap();
    assert_eq!(doc.xml(), input);
    assert_eq!(doc.to_raw(), input);
}

#[test]
fn raw_errors_point_into_the_raw_input() {
    let err = raw("<policies>\n  <when condition=\"@(a < b\">\n</policies>").unwrap_err();
    assert_eq!(
        err.message,
        "unterminated policy expression: no ')' closes '@('"
    );
    assert_eq!((err.line, err.column), (2, 20));

    let err = raw("<policies>\n  <a x=\"@(1 < 2)\" y=\"&bad;\" />\n</policies>").unwrap_err();
    assert_eq!(err.message, "undefined entity '&bad;'");
    assert_eq!((err.line, err.column), (2, 22));

    let err = raw("<policies>\n <set-body>@{ return \"}\"; }</set-body>\n <b></c>\n</policies>")
        .unwrap_err();
    assert_eq!(err.message, "unexpected end tag </c>, expected </b>");
    assert_eq!((err.line, err.column), (3, 5));
}

#[test]
fn escaped_xml_converts_to_raw() {
    let stored = "<policies>\n  <when condition=\"@(&quot;a&quot; != &apos;b&apos; &amp;&amp; x &lt; 2)\" other=\"&lt;{{Nv}}&gt;\">@{ return &quot;&lt;x&gt;&quot;; } tail &amp; more</when>\n</policies>";
    let doc = xml(stored).unwrap();
    assert_eq!(doc.xml(), stored);
    assert_eq!(
        doc.to_raw(),
        "<policies>\n  <when condition=\"@(\"a\" != 'b' && x < 2)\" other=\"&lt;{{Nv}}&gt;\">@{ return \"<x>\"; } tail &amp; more</when>\n</policies>"
    );
    let again = raw(&doc.to_raw()).unwrap();
    assert_eq!(again.to_raw(), doc.to_raw());
    assert_eq!(again.root(), doc.root());
}

/// A small deterministic generator (xorshift) for garbage input.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn garbage_never_panics() {
    const PIECES: &[&str] = &[
        "<policies>",
        "</policies>",
        "<inbound>",
        "</inbound>",
        "<a b=\"",
        "\"",
        "'",
        "/>",
        ">",
        "<",
        "&",
        "&amp;",
        "&#",
        ";",
        "@(",
        "@{",
        ")",
        "}",
        "(",
        "{",
        "@\"",
        "$\"",
        "\\",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<?",
        "?>",
        "{{",
        "}}",
        "x",
        " ",
        "\r\n",
        "é",
        "☺",
        "//",
        "/*",
        "*/",
        "=",
        "<!DOCTYPE",
        "\u{feff}",
        "\0",
    ];
    const ROUNDS: usize = 600;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut parsed = 0;
    for round in 0..ROUNDS {
        let pieces: String = (0..rng.below(40))
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect();
        let input = match round % 4 {
            0 => {
                let bytes: Vec<u8> = (0..rng.below(80)).map(|_| rng.next() as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            1 => pieces,
            2 => format!("<policies><inbound>{pieces}</inbound></policies>"),
            _ => {
                // A valid document with a few characters deleted or inserted.
                let source = [XML_DOC, RAW_DOC][rng.below(2)];
                let mut chars: Vec<char> = source.chars().collect();
                for _ in 0..1 + rng.below(3) {
                    let at = rng.below(chars.len() + 1);
                    if rng.below(2) == 0 && at < chars.len() {
                        let to = (at + 1 + rng.below(4)).min(chars.len());
                        chars.drain(at..to);
                    } else {
                        let piece = PIECES[rng.below(PIECES.len())];
                        chars.splice(at..at, piece.chars());
                    }
                }
                chars.into_iter().collect()
            }
        };
        for format in [PolicyFormat::Xml, PolicyFormat::Raw] {
            match PolicyDocument::parse(&input, format) {
                Ok(doc) => {
                    parsed += 1;
                    let raw_form = doc.to_raw();
                    let _ = doc.named_values();
                    let reparsed = xml(doc.xml()).expect("stored form reparses");
                    assert_eq!(reparsed.to_raw(), raw_form);
                    let from_raw = raw(&raw_form).expect("raw form reparses");
                    assert_eq!(from_raw.to_raw(), raw_form);
                    assert_eq!(from_raw.root(), doc.root());
                }
                Err(e) => assert!(e.line >= 1 && e.column >= 1),
            }
        }
    }
    assert!(parsed >= 10, "only {parsed} inputs parsed");
}

/// Appends a balanced C# expression body with characters that need escaping.
fn expression_body(rng: &mut Rng, depth: usize, out: &mut String) {
    const ATOMS: &[&str] = &[
        "context.Request",
        " ",
        "&&",
        " < ",
        ">",
        " == ",
        "\"str <a> ) } ' &\"",
        "'\\''",
        "'<'",
        "'\"'",
        "@\"verb \"\" ) } \\\"",
        "$\"{x} )\"",
        "/* ) } \" */",
        "{{Nv}}",
        "é",
        "x.Get<string>(\"a\")",
    ];
    for _ in 0..rng.below(6) {
        match rng.below(10) {
            0 if depth < 4 => {
                out.push('(');
                expression_body(rng, depth + 1, out);
                out.push(')');
            }
            1 if depth < 4 => {
                out.push('{');
                expression_body(rng, depth + 1, out);
                out.push('}');
            }
            _ => out.push_str(ATOMS[rng.below(ATOMS.len())]),
        }
    }
}

#[test]
fn generated_raw_documents_round_trip() {
    const GENERATED: usize = 300;
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for _ in 0..GENERATED {
        let mut bodies = Vec::new();
        for _ in 0..4 {
            let mut body = String::new();
            expression_body(&mut rng, 0, &mut body);
            bodies.push(body);
        }
        let input = format!(
            "<policies>\r\n  <inbound>\r\n    <when condition=\"@({})\" other='@({})'>@{{{}}}</when>\n    <b> @({}) tail &amp; {{{{Nv}}}}</b>\n  </inbound>\n</policies>",
            bodies[0], bodies[1], bodies[2], bodies[3]
        );
        let doc = raw(&input).unwrap_or_else(|e| panic!("{e}: {input}"));
        assert_eq!(doc.to_raw(), input);
        let reparsed = xml(doc.xml()).unwrap();
        assert_eq!(reparsed.to_raw(), input);
        let when = doc
            .root()
            .element("inbound")
            .and_then(|i| i.element("when"))
            .unwrap();
        assert_eq!(
            when.attribute("condition"),
            Some(format!("@({})", bodies[0]).as_str())
        );
        assert_eq!(
            when.attribute("other"),
            Some(format!("@({})", bodies[1]).as_str())
        );
        assert_eq!(when.text(), format!("@{{{}}}", bodies[2]));
        assert!(doc.named_values().iter().any(|n| n == "Nv"));
    }
}
