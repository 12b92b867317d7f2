//! Whole-document tests in the escaped form: the Azure examples, malformed
//! documents, nesting, named values.

use tollgate_policy::{Node, PolicyDocument, PolicyError, PolicyFormat};

const AZURE_EXAMPLE: &str = "<policies>\r\n  <inbound>\r\n    <find-and-replace from=\"aaa\" to=\"BBB\" />\r\n    <set-header name=\"ETag\" exists-action=\"skip\">\r\n      <value>bbyby</value>\r\n      <!-- for multiple headers with the same name add additional value elements -->\r\n    </set-header>\r\n    <cross-domain />\r\n  </inbound>\r\n  <backend>\r\n    <forward-request />\r\n  </backend>\r\n  <outbound />\r\n</policies>";

const DEFAULT_GLOBAL: &str = "<!--\r\n    IMPORTANT:\r\n    - Policy elements can appear only within the <inbound>, <outbound>, <backend> section elements.\r\n    - Only the <forward-request> policy element can appear within the <backend> section element.\r\n    - To apply a policy to the incoming request (before it is forwarded to the backend service), place a corresponding policy element within the <inbound> section element.\r\n    - To apply a policy to the outgoing response (before it is sent back to the caller), place a corresponding policy element within the <outbound> section element.\r\n    - To add a policy position the cursor at the desired insertion point and click on the round button associated with the policy.\r\n    - To remove a policy, delete the corresponding policy statement from the policy document.\r\n    - Policies are applied in the order of their appearance, from the top down.\r\n-->\r\n<policies>\r\n  <inbound />\r\n  <backend>\r\n    <forward-request />\r\n  </backend>\r\n  <outbound />\r\n</policies>";

fn xml(input: &str) -> Result<PolicyDocument, PolicyError> {
    PolicyDocument::parse(input, PolicyFormat::Xml)
}

fn raw(input: &str) -> Result<PolicyDocument, PolicyError> {
    PolicyDocument::parse(input, PolicyFormat::Raw)
}

fn xml_err(input: &str) -> PolicyError {
    xml(input).expect_err(input)
}

#[test]
fn azure_example_round_trips_unchanged() {
    let doc = xml(AZURE_EXAMPLE).unwrap();
    assert_eq!(doc.xml(), AZURE_EXAMPLE);
    assert_eq!(doc.to_raw(), AZURE_EXAMPLE);
    let root = doc.root();
    assert_eq!(root.name, "policies");
    let names: Vec<_> = root.elements().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["inbound", "backend", "outbound"]);
    let inbound = root.element("inbound").unwrap();
    assert_eq!(inbound.line, 2);
    let set_header = inbound.element("set-header").unwrap();
    assert_eq!(set_header.line, 4);
    assert_eq!(set_header.attribute("exists-action"), Some("skip"));
    assert_eq!(set_header.element("value").unwrap().text(), "bbyby");
    assert!(set_header.children.iter().any(|n| matches!(
        n,
        Node::Comment(c) if c == " for multiple headers with the same name add additional value elements "
    )));
    assert_eq!(raw(AZURE_EXAMPLE).unwrap().xml(), AZURE_EXAMPLE);
}

#[test]
fn default_global_policy_parses() {
    let doc = xml(DEFAULT_GLOBAL).unwrap();
    assert_eq!(doc.xml(), DEFAULT_GLOBAL);
    assert_eq!(doc.root().line, 11);
    assert_eq!(doc.root().elements().count(), 3);
    let doc = raw(DEFAULT_GLOBAL).unwrap();
    assert_eq!(doc.xml(), DEFAULT_GLOBAL);
    assert_eq!(doc.to_raw(), DEFAULT_GLOBAL);
}

#[test]
fn prolog_and_epilog_are_allowed() {
    let input = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- c -->\n<?pi x?>\n<policies/>\n<!-- end -->\n  ";
    assert_eq!(xml(input).unwrap().xml(), input);
    assert!(xml("<!-- c --><?xml version=\"1.0\"?><policies/>").is_ok());
}

#[track_caller]
fn assert_error(input: &str, message: &str, line: usize, column: usize) {
    let err = xml_err(input);
    assert_eq!(
        (err.message.as_str(), err.line, err.column),
        (message, line, column),
        "{input:?}"
    );
}

#[test]
fn malformed_documents_are_rejected_with_positions() {
    assert_error("", "document is empty", 1, 1);
    assert_error("  \r\n ", "document is empty", 2, 2);
    assert_error("<!-- only -->", "document has no root element", 1, 14);
    assert_error(
        "<policies>\n  <inbound>\n</policies>",
        "unexpected end tag </policies>, expected </inbound>",
        3,
        1,
    );
    assert_error(
        "<policies>\n  <inbound>\n  <outbound>",
        "unexpected end of document: element <outbound> (line 3) is not closed",
        3,
        13,
    );
    assert_error(
        "<policies>\n  <inbound></outbound>\n</policies>",
        "unexpected end tag </outbound>, expected </inbound>",
        2,
        12,
    );
    assert_error(
        "<policies>\n  <inbound",
        "unclosed tag: '>' not found before the end of the document",
        2,
        3,
    );
    assert_error(
        "<policy>\n</policy>",
        "expected root element <policies>, found <policy>",
        1,
        1,
    );
    assert_error(
        "<policies />\n<policies />",
        "unexpected element <policies> after the root element",
        2,
        1,
    );
    assert_error(
        "<policies />\n  garbage",
        "unexpected content after the root element",
        2,
        3,
    );
    assert_error(
        "<policies />\n</policies>",
        "unexpected end tag </policies>",
        2,
        1,
    );
    assert_error(
        "x<policies />",
        "text is not allowed before the root element",
        1,
        1,
    );
    assert_error(
        "<policies>\n  <set-header name=x />\n</policies>",
        "the value of attribute 'name' must be quoted",
        2,
        20,
    );
    assert_error(
        "<policies>\n  <base a />\n</policies>",
        "attribute 'a' has no value",
        2,
        9,
    );
    assert_error(
        "<policies>\n  <base a=\"1\"b=\"2\" />\n</policies>",
        "unexpected character 'b' in start tag <base>",
        2,
        14,
    );
    assert_error(
        "<policies>\n  <set-header name=\"a\" name=\"b\" />\n</policies>",
        "duplicate attribute 'name'",
        2,
        24,
    );
    assert_error(
        "<policies>\n  <value>a &nbsp; b</value>\n</policies>",
        "undefined entity '&nbsp;'",
        2,
        12,
    );
    assert_error(
        "<policies>\n  <value x=\"&foo;\" />\n</policies>",
        "undefined entity '&foo;'",
        2,
        13,
    );
    assert_error(
        "<policies>\n  <value>a & b</value>\n</policies>",
        "'&' must start an entity or character reference ending with ';'",
        2,
        12,
    );
    assert_error(
        "<policies>\n  <value x=\"a<b\" />\n</policies>",
        "'<' is not allowed in an attribute value",
        2,
        14,
    );
    assert_error(
        "<policies>\n  <value>1 < 2</value>\n</policies>",
        "expected an element name after '<'",
        2,
        13,
    );
    assert_error(
        "<policies><!-- a -- b --></policies>",
        "'--' is not allowed inside a comment",
        1,
        18,
    );
    assert_error(
        "<!DOCTYPE policies><policies/>",
        "DOCTYPE declarations are not allowed",
        1,
        1,
    );
    assert_error(
        "<policies>\n<![CDATA[x",
        "unclosed CDATA section: ']]>' not found before the end of the document",
        2,
        1,
    );
    assert_error(
        "<policies>\n  <?xml version=\"1.0\"?></policies>",
        "an XML declaration is only allowed at the start of the document",
        2,
        3,
    );
    assert_error(
        "<policies>]]></policies>",
        "']]>' is not allowed in text",
        1,
        11,
    );
}

#[test]
fn error_display_has_position() {
    let err = xml_err("<policy />");
    assert_eq!(
        err.to_string(),
        "line 1, column 1: expected root element <policies>, found <policy>"
    );
    let _: &dyn std::error::Error = &err;
}

#[test]
fn nesting_is_limited() {
    let deep = |n: usize| {
        format!(
            "<policies>{}{}</policies>",
            "<a>".repeat(n),
            "</a>".repeat(n)
        )
    };
    assert!(xml(&deep(63)).is_ok());
    let err = xml_err(&deep(64));
    assert_eq!(err.message, "elements are nested more than 64 levels deep");
    assert_eq!(err.column, 1 + "<policies>".len() + 63 * 3);
    assert!(raw(&deep(10_000)).is_err());
}

#[test]
fn unterminated_expressions_are_rejected_in_xml_too() {
    let err = xml_err("<policies>\n  <when condition=\"@(a &lt; b\" />\n</policies>");
    assert_eq!(
        err.message,
        "unterminated policy expression: no ')' closes '@('"
    );
    assert_eq!((err.line, err.column), (2, 20));
    // Not an expression: the value does not start with `@(`.
    assert!(xml("<policies>\n  <when condition=\"x @(a\" />\n</policies>").is_ok());
}

#[test]
fn named_values_are_found_in_order_and_deduplicated() {
    let input = r#"<policies>
  <inbound>
    <check-header name="{{Header-Name}}" failed-check-httpcode="401" failed-check-error-message="{{error.text}}" />
    <set-header name="x"><value>@("{{header-name}}" + "{{ not a name }}")</value><value>{{Other_1}} {{}} {{x y}}</value></set-header>
    <!-- {{InComment}} -->
    <set-body><![CDATA[{{InCData}}]]></set-body>
    <set-query-parameter name="{{Error.Text}}" />
  </inbound>
</policies>"#;
    let doc = raw(input).unwrap();
    assert_eq!(
        doc.named_values(),
        ["Header-Name", "error.text", "Other_1", "InCData"]
    );
    let doc = xml("<policies a=\"&#123;&#123;Escaped}}\" />").unwrap();
    assert_eq!(doc.named_values(), ["Escaped"]);
}
