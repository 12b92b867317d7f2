//! `GET /policySnippets`: the catalogue of policy statements, with a starting snippet and the
//! scopes each may be used at.
//!
//! Names and scope masks follow the 2017-03-01 contract; the snippets and descriptions are
//! Tollgate's. The scope mask's bits are Tenant 1, Product 2, Api 4, Operation 8 (inferred: the
//! contract's masks are consistent with it); 268435471 marks "every scope".

use crate::error::Outcome;
use crate::extract::{ListQuery, Version};
use crate::respond;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tollgate_contract::{ApiError, ApiVersion, ErrorCode};

const EVERY_SCOPE: u32 = 268_435_471;

/// (name, scope mask, snippet, description).
const SNIPPETS: &[(&str, u32, &str, &str)] = &[
    (
        "Authenticate with Basic",
        EVERY_SCOPE,
        r#"<authentication-basic username="user" password="{{password}}" />"#,
        "Sends HTTP Basic credentials to the backend.",
    ),
    (
        "Authenticate with client certificate",
        EVERY_SCOPE,
        r#"<authentication-certificate thumbprint="thumbprint" />"#,
        "Presents a client certificate to the backend.",
    ),
    (
        "Check HTTP header",
        EVERY_SCOPE,
        r#"<check-header name="X-Header" failed-check-httpcode="401" failed-check-error-message="Missing header" ignore-case="true"><value>expected</value></check-header>"#,
        "Refuses the call unless a header has one of the listed values.",
    ),
    (
        "Control flow",
        EVERY_SCOPE,
        r#"<choose><when condition="@(true)"></when><otherwise></otherwise></choose>"#,
        "Runs statements only when a condition holds.",
    ),
    (
        "Convert JSON to XML",
        EVERY_SCOPE,
        r#"<json-to-xml apply="content-type-json" consider-accept-header="true" />"#,
        "Turns a JSON body into XML.",
    ),
    (
        "Convert XML to JSON",
        EVERY_SCOPE,
        r#"<xml-to-json kind="direct" apply="content-type-xml" consider-accept-header="true" />"#,
        "Turns an XML body into JSON.",
    ),
    (
        "CORS",
        13,
        r#"<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-methods><method>GET</method></allowed-methods></cors>"#,
        "Answers CORS preflight requests and adds CORS headers.",
    ),
    (
        "Find and replace string in body",
        EVERY_SCOPE,
        r#"<find-and-replace from="old" to="new" />"#,
        "Replaces text in the body.",
    ),
    (
        "Forward request to backend service",
        EVERY_SCOPE,
        r#"<forward-request timeout="60" />"#,
        "Sends the request to the backend.",
    ),
    (
        "Get from cache",
        EVERY_SCOPE,
        r#"<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />"#,
        "Answers from the response cache when it can.",
    ),
    (
        "Get value from cache",
        EVERY_SCOPE,
        r#"<cache-lookup-value key="key" variable-name="value" />"#,
        "Reads a cached value into a variable.",
    ),
    (
        "JSONP",
        EVERY_SCOPE,
        r#"<jsonp callback-parameter-name="callback" />"#,
        "Wraps the response for JSONP callers.",
    ),
    (
        "Limit call rate per key",
        EVERY_SCOPE,
        r#"<rate-limit-by-key calls="10" renewal-period="60" counter-key="@(context.Request.IpAddress)" />"#,
        "Limits the call rate per computed key.",
    ),
    (
        "Limit request processing concurrency level",
        EVERY_SCOPE,
        r#"<limit-concurrency key="@(context.Api.Id)" max-count="10"></limit-concurrency>"#,
        "Limits how many calls run at once.",
    ),
    (
        "Log to EventHub",
        EVERY_SCOPE,
        r#"<log-to-eventhub logger-id="logger">@(context.RequestId.ToString())</log-to-eventhub>"#,
        "Sends a message to a logger.",
    ),
    (
        "Mask URLs in content",
        EVERY_SCOPE,
        "<redirect-content-urls />",
        "Rewrites backend URLs in the body to gateway URLs.",
    ),
    (
        "Mock Response",
        EVERY_SCOPE,
        r#"<mock-response status-code="200" content-type="application/json" />"#,
        "Answers with a sample from the operation's responses.",
    ),
    (
        "Output trace information",
        EVERY_SCOPE,
        r#"<trace source="source">message</trace>"#,
        "Adds a message to the request trace.",
    ),
    (
        "Remove value from cache",
        EVERY_SCOPE,
        r#"<cache-remove-value key="key" />"#,
        "Removes a cached value.",
    ),
    (
        "Restrict caller IPs",
        EVERY_SCOPE,
        r#"<ip-filter action="allow"><address>127.0.0.1</address></ip-filter>"#,
        "Allows or forbids callers by IP address.",
    ),
    (
        "Retry",
        EVERY_SCOPE,
        r#"<retry condition="@(context.Response.StatusCode >= 500)" count="3" interval="1"></retry>"#,
        "Runs the enclosed statements again while a condition holds.",
    ),
    (
        "Return response",
        EVERY_SCOPE,
        r#"<return-response><set-status code="200" reason="OK" /></return-response>"#,
        "Stops the pipeline and answers.",
    ),
    (
        "Rewrite URL",
        14,
        r#"<rewrite-uri template="/backend/path" />"#,
        "Changes the URL sent to the backend.",
    ),
    (
        "Send one way request",
        EVERY_SCOPE,
        r#"<send-one-way-request mode="new"><set-url>https://example.com</set-url><set-method>POST</set-method></send-one-way-request>"#,
        "Sends a request without waiting for its answer.",
    ),
    (
        "Send request",
        EVERY_SCOPE,
        r#"<send-request mode="new" response-variable-name="response" timeout="20"><set-url>https://example.com</set-url><set-method>GET</set-method></send-request>"#,
        "Sends a request and keeps its response in a variable.",
    ),
    (
        "Set backend service",
        EVERY_SCOPE,
        r#"<set-backend-service base-url="https://backend.example.com" />"#,
        "Changes the backend the call goes to.",
    ),
    (
        "Set body",
        EVERY_SCOPE,
        r#"<set-body>new body</set-body>"#,
        "Replaces the body.",
    ),
    (
        "Set context variable",
        EVERY_SCOPE,
        r#"<set-variable name="name" value="@(true)" />"#,
        "Keeps a value for later statements.",
    ),
    (
        "Set HTTP header",
        EVERY_SCOPE,
        r#"<set-header name="X-Header" exists-action="override"><value>value</value></set-header>"#,
        "Adds, replaces or removes a header.",
    ),
    (
        "Set http proxy for backend request",
        EVERY_SCOPE,
        r#"<proxy url="http://proxy.example.com:8080" />"#,
        "Reaches the backend through an HTTP proxy.",
    ),
    (
        "Set query string parameter",
        EVERY_SCOPE,
        r#"<set-query-parameter name="name" exists-action="override"><value>value</value></set-query-parameter>"#,
        "Adds, replaces or removes a query parameter.",
    ),
    (
        "Set request method",
        EVERY_SCOPE,
        "<set-method>POST</set-method>",
        "Changes the HTTP method.",
    ),
    (
        "Set status code",
        EVERY_SCOPE,
        r#"<set-status code="200" reason="OK" />"#,
        "Changes the status code.",
    ),
    (
        "Set usage quota per key",
        EVERY_SCOPE,
        r#"<quota-by-key calls="1000" renewal-period="3600" counter-key="@(context.Request.IpAddress)" />"#,
        "Limits call volume per computed key.",
    ),
    (
        "Store to cache",
        EVERY_SCOPE,
        r#"<cache-store duration="60" />"#,
        "Keeps the response in the cache.",
    ),
    (
        "Store value in cache",
        EVERY_SCOPE,
        r#"<cache-store-value key="key" value="value" duration="60" />"#,
        "Keeps a value in the cache.",
    ),
    (
        "Transform XML using an XSLT",
        EVERY_SCOPE,
        r#"<xsl-transform><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" /></xsl-transform>"#,
        "Transforms an XML body with XSLT.",
    ),
    (
        "Validate JWT",
        EVERY_SCOPE,
        r#"<validate-jwt header-name="Authorization" failed-validation-httpcode="401"><issuer-signing-keys><key>{{signing-key}}</key></issuer-signing-keys></validate-jwt>"#,
        "Refuses calls without a valid JWT.",
    ),
    (
        "Wait for...",
        EVERY_SCOPE,
        r#"<wait for="all"></wait>"#,
        "Waits for the enclosed requests to finish.",
    ),
];

fn scope_bit(scope: &str) -> Option<u32> {
    match scope.to_ascii_lowercase().as_str() {
        "tenant" => Some(1),
        "product" => Some(2),
        "api" => Some(4),
        "operation" => Some(8),
        "all" => Some(EVERY_SCOPE),
        _ => None,
    }
}

/// `GET /policySnippets?scope=…`: the snippets usable at a scope (all without `scope`).
pub async fn list_snippets(Version(version): Version, query: ListQuery) -> Outcome {
    if version < ApiVersion::V2016_07_07 {
        let message = "GET /policySnippets is available from api-version 2016-07-07.";
        return Err(ApiError::new(ErrorCode::ResourceNotFound, message).into());
    }
    let scope = query.other("scope").unwrap_or("All");
    let bit = scope_bit(scope).ok_or_else(|| {
        ApiError::invalid_field(
            "scope",
            "Enum",
            format!("scope must be one of Tenant, Product, Api, Operation, All; got '{scope}'"),
        )
    })?;
    let items: Vec<Value> = SNIPPETS
        .iter()
        .filter(|(_, mask, _, _)| mask & bit != 0)
        .map(|(name, mask, content, tip)| json!({ "name": name, "content": content, "toolTip": tip, "scope": mask }))
        .collect();
    // The service answers with a bare array (the contract's recording), not a collection.
    Ok(respond::json(StatusCode::OK, None, &Value::Array(items)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate_policy::{PolicyDocument, PolicyFormat, statement_names};

    #[test]
    fn every_snippet_is_a_known_statement_in_well_formed_xml() {
        let known: Vec<&str> = statement_names().collect();
        for (name, _, content, _) in SNIPPETS {
            let doc = format!("<policies>{content}</policies>");
            let parsed = PolicyDocument::parse(&doc, PolicyFormat::Xml)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let element = parsed
                .root()
                .elements()
                .next()
                .unwrap_or_else(|| panic!("{name}: no element"));
            assert!(
                known.contains(&element.name.as_str()),
                "{name}: <{}> is not in the statement catalogue",
                element.name
            );
        }
    }
}
