//! What a `set-body template="liquid"` template sees: `body` (the message body, JSON or XML
//! made objects) and `context` (the call's `context`).

use std::collections::HashMap;

use serde_json::Value as Json;

use super::value::{Object, Value};
use crate::csharp::library::context::{query_string, url_string};
use crate::csharp::library::time::parse_datetime;
use crate::csharp::{self, Context, format_guid};
use crate::pipeline::xml_to_json_text;

/// How `body` is made from the message body.
#[derive(Debug, Clone, Copy, Default)]
pub struct BodyOptions {
    /// `xsi-nil="null"`: an XML element with `xsi:nil="true"` is `nil` (else the empty string).
    pub xsi_nil_null: bool,
    /// `parse-date`: strings in the form of dates are dates.
    pub parse_date: bool,
}

/// The variables of a rendering: `body` from the request's (`response` false) or the
/// response's body, bound as its `Content-Type` says (JSON or XML; other bodies are `nil`), and
/// `context`.
pub fn variables(
    ctx: &Context,
    response: bool,
    options: BodyOptions,
) -> Result<HashMap<String, Value>, String> {
    let (headers, body) = if response {
        match &ctx.response {
            Some(r) => (Some(&r.headers), r.body.as_deref()),
            None => (None, None),
        }
    } else {
        (Some(&ctx.request.headers), ctx.request.body.as_deref())
    };
    let content_type = headers
        .and_then(|h| h.get("Content-Type").into_iter().next())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    let body = match body.filter(|b| !b.trim().is_empty()) {
        None => Value::Nil,
        Some(text) if is_json(&media) => {
            let json: Json = serde_json::from_str(text)
                .map_err(|e| format!("the body is not valid JSON: {e}"))?;
            from_json(&json, options, false)
        }
        Some(text) if is_xml(&media) => {
            let json: Json = serde_json::from_str(&xml_to_json_text(text, false)?)
                .map_err(|e| format!("the XML body could not be read: {e}"))?;
            from_json(&json, options, true)
        }
        Some(_) => Value::Nil,
    };
    let mut vars = HashMap::new();
    vars.insert("body".to_owned(), body);
    vars.insert("context".to_owned(), context(ctx));
    Ok(vars)
}

fn is_json(media: &str) -> bool {
    matches!(media, "application/json" | "text/json") || media.ends_with("+json")
}

fn is_xml(media: &str) -> bool {
    matches!(media, "application/xml" | "text/xml") || media.ends_with("+xml")
}

/// A JSON value as a template value (`xml`: converted from XML, where `xsi:nil` applies).
pub fn from_json(json: &Json, options: BodyOptions, xml: bool) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
        Json::String(s) => match options.parse_date.then(|| date(s)).flatten() {
            Some(ticks) => Value::Date(ticks),
            None => Value::from(s.as_str()),
        },
        Json::Array(items) => items
            .iter()
            .map(|i| from_json(i, options, xml))
            .collect::<Vec<_>>()
            .into(),
        Json::Object(map) => {
            let nil = xml
                && map.keys().all(|k| k.starts_with('@'))
                && map.iter().any(|(k, v)| {
                    k.ends_with("$nil") && v.as_str() == Some("true") && k.starts_with("@")
                });
            if nil {
                return if options.xsi_nil_null {
                    Value::Nil
                } else {
                    Value::from("")
                };
            }
            let mut o = Object::default();
            for (k, v) in map {
                o.insert(k, from_json(v, options, xml));
            }
            o.into()
        }
    }
}

/// A date as Json.NET reads one (`DateParseHandling.DateTime`): ISO 8601 with a time
/// (`yyyy-MM-ddTHH:mm…`), or `/Date(milliseconds)/`.
fn date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if let Some(ms) = s.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        let digits = ms.split(['+', '-']).find(|p| !p.is_empty())?;
        let value: i64 = digits.parse().ok()?;
        let value = if ms.starts_with('-') { -value } else { value };
        const EPOCH: i64 = 621_355_968_000_000_000;
        return value.checked_mul(10_000)?.checked_add(EPOCH);
    }
    let iso = b.len() >= 16
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':';
    if iso { parse_datetime(s) } else { None }
}

fn text(s: &str) -> Value {
    Value::from(s)
}

fn url(u: &csharp::Url) -> Value {
    let mut o = Object::default();
    let whole = url_string(u);
    o.insert("Scheme", text(&u.scheme));
    o.insert("Host", text(&u.host));
    o.insert("Port", Value::Int(i64::from(u.port)));
    o.insert("Path", text(&u.path));
    o.insert("Query", multi(&u.query, false));
    o.insert("QueryString", text(&query_string(u)));
    o.insert("ToUri", text(&whole));
    o.insert("ToString", text(&whole));
    o.display(&whole);
    o.into()
}

fn multi(entries: &[(String, Vec<String>)], ignore_case: bool) -> Value {
    let mut o = if ignore_case {
        Object::ignoring_case()
    } else {
        Object::default()
    };
    for (k, vs) in entries {
        o.insert(k, vs.iter().map(|v| text(v)).collect::<Vec<_>>().into());
    }
    o.into()
}

fn headers(h: &csharp::Headers) -> Value {
    let entries: Vec<(String, Vec<String>)> = h.iter().map(|(k, v)| (k.to_owned(), v)).collect();
    multi(&entries, true)
}

fn groups(groups: &[csharp::Group]) -> Value {
    let each = groups
        .iter()
        .map(|g| object([("Id", text(&g.id)), ("Name", text(&g.name))]));
    each.collect::<Vec<_>>().into()
}

fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    let mut o = Object::default();
    for (k, v) in members {
        o.insert(k, v);
    }
    o.into()
}

/// The `context` object: the members Tollgate's `context` fills (see COMPATIBILITY.md).
fn context(ctx: &Context) -> Value {
    let r = &ctx.request;
    let mut params = Object::default();
    for (k, v) in &r.matched_parameters {
        params.insert(k, text(v));
    }
    let request = object([
        ("Url", url(&r.url)),
        ("OriginalUrl", url(&r.original_url)),
        ("Method", text(&r.method)),
        ("Headers", headers(&r.headers)),
        ("IpAddress", text(&r.ip_address)),
        ("MatchedParameters", params.into()),
        (
            "HasBody",
            Value::Bool(r.body.as_deref().is_some_and(|b| !b.is_empty())),
        ),
    ]);
    let response = ctx.response.as_ref().map_or(Value::Nil, |s| {
        object([
            ("StatusCode", Value::Int(i64::from(s.status_code))),
            ("StatusReason", text(&s.status_reason)),
            ("Headers", headers(&s.headers)),
        ])
    });
    let api = &ctx.api;
    let op = &ctx.operation;
    let mut variables = Object::default();
    for (k, v) in &ctx.variables {
        variables.insert(k, from_csharp(v));
    }
    let mut c = Object::default();
    c.insert("Request", request);
    c.insert("Response", response);
    c.insert(
        "Api",
        object([
            ("Id", text(&api.id)),
            ("Name", text(&api.name)),
            ("Path", text(&api.path)),
            ("ServiceUrl", url(&api.service_url)),
            ("Revision", text(&api.revision)),
            ("Version", text(&api.version)),
        ]),
    );
    c.insert(
        "Operation",
        object([
            ("Id", text(&op.id)),
            ("Name", text(&op.name)),
            ("Method", text(&op.method)),
            ("UrlTemplate", text(&op.url_template)),
        ]),
    );
    if let Some(s) = &ctx.subscription {
        c.insert(
            "Subscription",
            object([("Id", text(&s.id)), ("Name", text(&s.name))]),
        );
    }
    if let Some(u) = &ctx.user {
        let identities = u
            .identities
            .iter()
            .map(|i| object([("Provider", text(&i.provider)), ("Id", text(&i.id))]));
        c.insert(
            "User",
            object([
                ("Id", text(&u.id)),
                ("Email", text(&u.email)),
                ("FirstName", text(&u.first_name)),
                ("LastName", text(&u.last_name)),
                ("Note", text(&u.note)),
                ("RegistrationDate", Value::Date(u.registration_date)),
                ("Groups", groups(&u.groups)),
                ("Identities", identities.collect::<Vec<_>>().into()),
            ]),
        );
    }
    if let Some(p) = &ctx.product {
        let apis = p.apis.iter().map(|a| {
            object([
                ("Id", text(&a.id)),
                ("Name", text(&a.name)),
                ("Path", text(&a.path)),
            ])
        });
        c.insert(
            "Product",
            object([
                ("Id", text(&p.id)),
                ("Name", text(&p.name)),
                ("State", text(&p.state)),
                ("ApprovalRequired", Value::Bool(p.approval_required)),
                ("SubscriptionRequired", Value::Bool(p.subscription_required)),
                (
                    "SubscriptionLimit",
                    p.subscription_limit
                        .map_or(Value::Nil, |l| Value::Int(i64::from(l))),
                ),
                ("Groups", groups(&p.groups)),
                ("Apis", apis.collect::<Vec<_>>().into()),
            ]),
        );
    }
    c.insert(
        "Deployment",
        object([
            ("Region", text(&ctx.deployment.region)),
            ("ServiceName", text(&ctx.deployment.service_name)),
        ]),
    );
    if let Some(e) = &ctx.last_error {
        c.insert(
            "LastError",
            object([
                ("Source", text(&e.source)),
                ("Reason", text(&e.reason)),
                ("Message", text(&e.message)),
                ("Section", text(&e.section)),
            ]),
        );
    }
    c.insert("Variables", variables.into());
    c.insert("RequestId", text(&format_guid(ctx.request_id)));
    c.insert("Timestamp", Value::Date(ctx.timestamp));
    c.into()
}

/// A variable's value (`set-variable`) as a template value.
fn from_csharp(v: &csharp::Value) -> Value {
    use csharp::Value as C;
    match v {
        C::Null => Value::Nil,
        C::Bool(b) => Value::Bool(*b),
        C::Int(i) => Value::Int(i64::from(*i)),
        C::Long(i) => Value::Int(*i),
        C::Double(d) => Value::Float(*d),
        C::Str(s) => Value::Str(s.clone()),
        C::DateTime(t) => Value::Date(*t),
        C::Array(items) => items.iter().map(from_csharp).collect::<Vec<_>>().into(),
        C::Dict(d) => {
            let mut o = Object::default();
            for (k, v) in &d.entries {
                o.insert(k, from_csharp(v));
            }
            o.into()
        }
        C::Json(j) => serde_json::from_str(&j.to_dotnet_string())
            .map(|json: Json| from_json(&json, BodyOptions::default(), false))
            .unwrap_or_else(|_| text(&j.to_dotnet_string())),
        other => text(&other.to_policy_string()),
    }
}
