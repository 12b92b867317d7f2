use std::collections::HashMap;

use super::*;

/// 2024-01-02T03:04:05Z in ticks.
const NOW: i64 = 638_397_938_450_000_000;

fn vars(body: &str) -> HashMap<String, Value> {
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    let options = BodyOptions {
        xsi_nil_null: false,
        parse_date: true,
    };
    HashMap::from([("body".to_owned(), from_json(&json, options, false))])
}

fn render(template: &str, body: &str) -> Result<String, String> {
    Template::parse(template)?.render(&vars(body), NOW)
}

const BODY: &str = r#"{"customer": {"name": "ada lovelace", "tier": 2},
    "items": [{"id": "b", "price": 2.5, "qty": 2}, {"id": "a", "price": 10, "qty": 1}],
    "tags": ["x", "y", "x", null], "flag": true, "when": "2012-03-21T05:40:00Z",
    "text": "  a <b>bold</b> line\nnext  "}"#;

#[test]
fn templates_render_as_liquid_does() {
    let cases = [
        ("{{body.customer.name}}", "ada lovelace"),
        ("{{ body.items[0].id }}-{{ body.items[-1].id }}", "b-a"),
        ("{{ body.customer['name'] | Upcase }}", "ADA LOVELACE"),
        ("{{ body.customer.name | Capitalize }}", "Ada lovelace"),
        (
            "{{ body.items.size }} {{ body.tags | Size }} {{ body.items.first.id }}",
            "2 4 b",
        ),
        ("{{ body.flag }} {{ body.missing }}|", "true |"),
        (
            "{{ body.items[0].price | Times: 2 }} {{ 7 | DividedBy: 2 }} {{ 7.0 | DividedBy: 2 }}",
            "5 3 3.5",
        ),
        (
            "{{ 5 | Plus: 3 | Minus: 1 | Modulo: 4 }} {{ -3 | Abs }} {{ 2.567 | Round: 2 }}",
            "3 3 2.57",
        ),
        (
            "{{ 1.2 | Ceil }} {{ 1.8 | Floor }} {{ 3 | AtLeast: 5 }} {{ 3 | AtMost: 1 }}",
            "2 1 5 1",
        ),
        ("{{ 'a,b,c' | Split: ',' | Reverse | Join: '-' }}", "c-b-a"),
        ("{{ body.tags | Compact | Uniq | Join }}", "x y"),
        ("{{ body.items | Map: 'id' | Sort | Join: ',' }}", "a,b"),
        ("{{ body.items | Sort: 'price' | Map: 'id' | First }}", "b"),
        (
            "{{ 'hello world' | Replace: 'o', '0' | ReplaceFirst: 'l', 'L' }}",
            "heLl0 w0rld",
        ),
        (
            "{{ 'banana' | Remove: 'an' }} {{ 'banana' | RemoveFirst: 'an' }}",
            "ba bana",
        ),
        ("{{ 'b' | Append: 'c' | Prepend: 'a' }}", "abc"),
        (
            "[{{ body.text | Strip }}][{{ ' x ' | Lstrip }}][{{ ' x ' | Rstrip }}]",
            "[a <b>bold</b> line\nnext][x ][ x]",
        ),
        (
            "{{ body.text | StripHtml | StripNewlines | Strip }}",
            "a bold linenext",
        ),
        ("{{ 'a\nb' | NewlineToBr }}", "a<br />\nb"),
        (
            "{{ '<a href=\"x\">' | Escape }}",
            "&lt;a href=&quot;x&quot;&gt;",
        ),
        (
            "{{ 'a b&c' | UrlEncode }} {{ 'a+b%26c' | UrlDecode }}",
            "a+b%26c a b&c",
        ),
        (
            "{{ 'abcdefghij' | Truncate: 5 }} {{ 'one two three' | TruncateWords: 2 }}",
            "ab... one two...",
        ),
        (
            "{{ 'liquid' | Slice: 1, 3 }} {{ 'liquid' | Slice: -2, 2 }}",
            "iqu id",
        ),
        (
            "{{ body.missing | Default: 'none' }} {{ '' | Default: 'e' }} {{ 0 | Default: 9 }}",
            "none e 0",
        ),
        ("{{ body.when }}", "03/21/2012 05:40:00"),
        (
            "{{ body.when | Date: 'yyyyMMddTHH:mm:ssZ' }}",
            "20120321T05:40:00Z",
        ),
        ("{{ 'now' | Date: 'yyyy-MM-dd' }}", "2024-01-02"),
        (
            "{% if body.customer.tier > 1 and body.flag %}gold{% elsif body.flag %}silver{% else %}none{% endif %}",
            "gold",
        ),
        (
            "{% unless body.flag %}no{% else %}yes{% endunless %}",
            "yes",
        ),
        (
            "{% if body.tags contains 'y' %}y{% endif %}{% if body.customer.name contains 'love' %}l{% endif %}",
            "yl",
        ),
        (
            "{% if false and false or true %}a{% else %}b{% endif %}",
            "b",
        ),
        (
            "{% if body.missing == nil and body.tags != empty and '' == empty %}ok{% endif %}",
            "ok",
        ),
        (
            "{% if 1 == '1' and 2.0 == 2 and 'b' > 'a' and 1 < 1.5 %}eq{% endif %}",
            "eq",
        ),
        (
            "{% case body.customer.tier %}{% when 1 %}one{% when 2, 3 %}two{% else %}x{% endcase %}",
            "two",
        ),
        (
            "{% case 'z' %}{% when 'a' or 'b' %}ab{% else %}other{% endcase %}",
            "other",
        ),
        (
            "{% for i in body.items %}{{ forloop.index }}/{{ forloop.length }}:{{ i.id }}{% unless forloop.last %},{% endunless %}{% endfor %}",
            "1/2:b,2/2:a",
        ),
        (
            "{% for i in (1..5) limit: 2 offset: 1 %}{{ i }}{% endfor %}",
            "23",
        ),
        ("{% for i in (1..3) reversed %}{{ i }}{% endfor %}", "321"),
        (
            "{% for i in (1..6) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}",
            "13",
        ),
        (
            "{% for i in body.nothing %}x{% else %}empty{% endfor %}",
            "empty",
        ),
        (
            "{% for i in (1..2) %}{{ forloop.Index0 }}{{ forloop.first }}{% endfor %}",
            "0true1false",
        ),
        (
            "{% for p in body.customer %}{{ p[0] }}={{ p[1] }};{% endfor %}",
            "name=ada lovelace;tier=2;",
        ),
        ("{% assign n = body.items | Size | Plus: 1 %}{{ n }}", "3"),
        (
            "{% capture c %}[{{ body.customer.tier }}]{% endcapture %}{{ c }}{{ c }}",
            "[2][2]",
        ),
        (
            "a{% comment %}{{ nothing }}{% endcomment %}b{% raw %}{{ x }}{% endraw %}",
            "ab{{ x }}",
        ),
        ("<a>\n  {{- body.customer.tier -}}\n</a>", "<a>2</a>"),
        ("x {%- if true -%} y {%- endif -%} z", "xyz"),
        (
            "{{ body.items }}",
            "[id, b][price, 2.5][qty, 2][id, a][price, 10][qty, 1]",
        ),
    ];
    for (template, expected) in cases {
        assert_eq!(
            render(template, BODY).as_deref(),
            Ok(expected),
            "{template}"
        );
    }
}

#[test]
fn bad_templates_are_refused_when_parsed() {
    let cases = [
        ("{{ body.name | upcase }}", "PascalCase ('Upcase')"),
        ("{{ x | divided_by: 2 }}", "'DividedBy'"),
        ("{{ x | Currency }}", "'Currency' is not supported"),
        ("{% if x %}a", "'{% endif %}' is missing"),
        ("{% endif %}", "without an opening tag"),
        ("{{ x ", "not closed"),
        ("{% include 'a' %}", "'include' is not supported"),
        ("{% for x of y %}{% endfor %}", "'for' needs"),
        ("{{ 'a }}", "not closed"),
        ("{% assign = 1 %}", "'assign' needs"),
        ("{% if a = b %}{% endif %}", "unexpected"),
        ("line\n{% cycle 'a' %}", "line 2"),
    ];
    for (template, message) in cases {
        let e = Template::parse(template).unwrap_err();
        assert!(e.contains(message), "{template}: {e}");
    }
    let deep = "{% if true %}".repeat(100) + &"{% endif %}".repeat(100);
    assert!(
        Template::parse(&deep)
            .unwrap_err()
            .contains("nested deeper")
    );
}

#[test]
fn run_time_errors_and_limits_fail_the_rendering() {
    let cases = [
        ("{{ 1 | DividedBy: 0 }}", "division by zero"),
        ("{{ 'a' | Plus: 1 }}", "not both numbers"),
        (
            "{% for i in (1..10000000) %}{% endfor %}",
            "range holds more",
        ),
        (
            "{% for i in (1..99999) %}{% for j in (1..99999) %}{% endfor %}{% endfor %}",
            "steps",
        ),
        (
            "{% assign s = 'xxxxxxxxxxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | Append: s %}{% endfor %}",
            "larger than",
        ),
        ("{% if 'a' < 1 %}{% endif %}", "cannot be compared"),
    ];
    for (template, message) in cases {
        let e = render(template, "{}").unwrap_err();
        assert!(e.contains(message), "{template}: {e}");
    }
    let big = "{% for i in (1..20000) %}".to_owned() + &"x".repeat(1000) + "{% endfor %}";
    assert!(render(&big, "{}").unwrap_err().contains("wrote more than"));
}

#[test]
fn xml_nil_elements_follow_xsi_nil() {
    let xml: serde_json::Value = serde_json::from_str(
        r#"{"a": {"b": {"@xsi$nil": "true"}, "c": "1", "@xmlns$xsi": "urn:x"}}"#,
    )
    .unwrap();
    for (null, expected) in [(false, "[][1]true"), (true, "[][1]false")] {
        let options = BodyOptions {
            xsi_nil_null: null,
            parse_date: false,
        };
        let vars = HashMap::from([("body".to_owned(), from_json(&xml, options, true))]);
        let t = Template::parse(
            "[{{body.a.b}}][{{body.a.c}}]{% if body.a.b == '' %}true{% else %}false{% endif %}",
        )
        .unwrap();
        assert_eq!(t.render(&vars, NOW).unwrap(), expected);
    }
    let dates = vars(r#"{"d": "2012-03-21T05:40:00Z"}"#);
    let no_dates = HashMap::from([(
        "body".to_owned(),
        from_json(
            &serde_json::json!({"d": "2012-03-21T05:40:00Z"}),
            BodyOptions::default(),
            false,
        ),
    )]);
    let t = Template::parse("{{ body.d }}").unwrap();
    assert_eq!(t.render(&dates, NOW).unwrap(), "03/21/2012 05:40:00");
    assert_eq!(t.render(&no_dates, NOW).unwrap(), "2012-03-21T05:40:00Z");
}
