//! The document as a whole: version, `info`, the backend location, named schemas and paths.

use crate::doc::{Doc, Flavor, METHODS, child, error, text};
use crate::ids::{IdAllocator, truncate};
use crate::operation::{Site, build};
use crate::{
    ImportError, ImportedApi, OPENAPI_SCHEMA_CONTENT_TYPE, OPENAPI_SCHEMA_ID,
    SWAGGER_SCHEMA_CONTENT_TYPE, SWAGGER_SCHEMA_ID,
};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::schema::Schema;
use tollgate_contract::url_template::UrlTemplate;
use tollgate_contract::validate::is_http_url;

/// Detects Swagger 2.0 (`"swagger": "2.0"`) or OpenAPI 3.0/3.1 (`"openapi": "3.x"`) JSON and
/// imports it: every path and method becomes an operation that passes Tollgate's operation
/// validation, and the named schemas become one schema the representations reference.
pub fn import_openapi(document: &str) -> Result<ImportedApi, ImportError> {
    let root: Value = crate::document::parse(document)?;
    if !root.is_object() {
        return Err(error("", "the document must be a JSON object"));
    }
    let (flavor, paths_optional) = detect(&root)?;
    let info = root
        .get("info")
        .filter(|i| i.is_object())
        .ok_or_else(|| error("/info", "info must be an object with a title"))?;
    let name = text(info, "title")
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| error("/info/title", "info.title must be a non-empty string"))?;
    let description = text(info, "description")
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let named = named_schemas(&root, flavor)?;
    let (service_url, protocols) = match flavor {
        Flavor::Swagger2 => swagger_location(&root)?,
        Flavor::OpenApi3 => openapi_location(&root),
    };
    let doc = Doc {
        root: &root,
        flavor,
        schemas: named,
    };
    let operations = operations(&doc, paths_optional)?;
    let schemas = named
        .map(|map| {
            let (id, content_type, value) = match flavor {
                Flavor::Swagger2 => (
                    SWAGGER_SCHEMA_ID,
                    SWAGGER_SCHEMA_CONTENT_TYPE,
                    json!({ "definitions": map }),
                ),
                Flavor::OpenApi3 => (
                    OPENAPI_SCHEMA_ID,
                    OPENAPI_SCHEMA_CONTENT_TYPE,
                    json!({ "components": { "schemas": map } }),
                ),
            };
            let schema = Schema {
                content_type: content_type.to_owned(),
                value: value.to_string(),
            };
            vec![(id.to_owned(), schema)]
        })
        .unwrap_or_default();
    Ok(ImportedApi {
        name: truncate(name, 300),
        description,
        service_url,
        protocols,
        operations,
        schemas,
        api_type: None,
    })
}

/// The flavour, and whether `paths` may be absent (OpenAPI 3.1).
fn detect(root: &Value) -> Result<(Flavor, bool), ImportError> {
    const SUPPORTED: &str = "Tollgate imports Swagger 2.0 and OpenAPI 3.0/3.1";
    if let Some(version) = root.get("swagger") {
        return match version.as_str() {
            Some("2.0") => Ok((Flavor::Swagger2, false)),
            _ => Err(error(
                "/swagger",
                format!("unsupported document version: found \"swagger\": {version}; {SUPPORTED}"),
            )),
        };
    }
    if let Some(version) = root.get("openapi") {
        let minor = |m: &str| {
            version
                .as_str()
                .and_then(|v| v.strip_prefix(m))
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        };
        return match (minor("3.0"), minor("3.1")) {
            (true, _) => Ok((Flavor::OpenApi3, false)),
            (_, true) => Ok((Flavor::OpenApi3, true)),
            _ => Err(error(
                "/openapi",
                format!("unsupported document version: found \"openapi\": {version}; {SUPPORTED}"),
            )),
        };
    }
    Err(error(
        "",
        format!("the document has neither a \"swagger\" nor an \"openapi\" field; {SUPPORTED}"),
    ))
}

/// Swagger 2.0 `definitions` or OpenAPI 3 `components.schemas`; `None` when there are none.
fn named_schemas(root: &Value, flavor: Flavor) -> Result<Option<&Map<String, Value>>, ImportError> {
    let (value, pointer) = match flavor {
        Flavor::Swagger2 => (root.get("definitions"), "/definitions"),
        Flavor::OpenApi3 => match root.get("components") {
            None | Some(Value::Null) => (None, ""),
            Some(Value::Object(components)) => (components.get("schemas"), "/components/schemas"),
            Some(_) => return Err(error("/components", "components must be an object")),
        },
    };
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok((!map.is_empty()).then_some(map)),
        Some(_) => Err(error(pointer, "the named schemas must be an object")),
    }
}

/// Swagger 2.0: `scheme://host/basePath` (https preferred) and the http(s) schemes.
fn swagger_location(root: &Value) -> Result<(Option<String>, Vec<String>), ImportError> {
    let mut schemes: Vec<String> = Vec::new();
    match root.get("schemes") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for scheme in items.iter().filter_map(Value::as_str) {
                let scheme = scheme.to_ascii_lowercase();
                if (scheme == "http" || scheme == "https") && !schemes.contains(&scheme) {
                    schemes.push(scheme);
                }
            }
        }
        Some(_) => return Err(error("/schemes", "schemes must be an array")),
    }
    let service_url = text(root, "host")
        .filter(|h| !h.is_empty())
        .and_then(|host| {
            let scheme = match schemes.iter().any(|s| s == "https") || schemes.is_empty() {
                true => "https",
                false => "http",
            };
            let base = text(root, "basePath").unwrap_or("");
            let slash = if base.is_empty() || base.starts_with('/') {
                ""
            } else {
                "/"
            };
            let url = format!("{scheme}://{host}{slash}{base}");
            is_http_url(&url).then_some(url)
        });
    if schemes.is_empty() {
        schemes.push("https".to_owned());
    }
    Ok((service_url, schemes))
}

/// OpenAPI 3: the first server's URL, its `{variables}` replaced by their defaults, when it is
/// absolute; the protocol is its scheme.
fn openapi_location(root: &Value) -> (Option<String>, Vec<String>) {
    let server = root
        .get("servers")
        .and_then(Value::as_array)
        .and_then(|servers| servers.first());
    let service_url = server
        .and_then(|s| text(s, "url"))
        .map(|url| substitute(url, server.and_then(|s| s.get("variables"))))
        .filter(|url| is_http_url(url) && !url.contains(['{', '}']));
    let protocol = match &service_url {
        Some(url) if url.to_ascii_lowercase().starts_with("http://") => "http",
        _ => "https",
    };
    (service_url, vec![protocol.to_owned()])
}

/// `url` with each `{name}` replaced by `variables.name.default`, when there is one.
fn substitute(url: &str, variables: Option<&Value>) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        match variables
            .and_then(|v| v.get(name))
            .and_then(|v| text(v, "default"))
        {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[open..=close]),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Every path × method, in document order.
fn operations(
    doc: &Doc<'_>,
    paths_optional: bool,
) -> Result<Vec<(String, Operation)>, ImportError> {
    let paths = match doc.root.get("paths") {
        Some(Value::Object(paths)) => paths,
        None if paths_optional => return Ok(Vec::new()),
        _ => return Err(error("/paths", "paths must be an object")),
    };
    let mut ids = IdAllocator::default();
    let mut seen: HashMap<(String, String), &str> = HashMap::new();
    let mut out = Vec::new();
    for (path, item) in paths {
        if path.starts_with("x-") {
            continue;
        }
        let at = child("/paths", path);
        if path.contains('?') {
            return Err(error(
                &at,
                format!("the path '{path}' must not contain '?'"),
            ));
        }
        let template = UrlTemplate::parse(path).map_err(|message| {
            error(
                &at,
                format!("the path '{path}' is not a valid URL template: {message}"),
            )
        })?;
        let (item, item_at) = doc.resolve(item, &at)?;
        let Some(fields) = item.as_object() else {
            return Err(error(&item_at, "a path item must be an object"));
        };
        for (key, operation) in fields {
            if !METHODS.iter().any(|m| m.eq_ignore_ascii_case(key)) {
                continue;
            }
            let method = key.to_ascii_uppercase();
            let op_at = child(&item_at, key);
            let shape = (method.clone(), template.shape());
            if let Some(other) = seen.get(&shape) {
                return Err(error(
                    &op_at,
                    format!("{method} {path} matches the same requests as {method} {other}"),
                ));
            }
            seen.insert(shape, path);
            let site = Site {
                doc,
                template: &template,
                path_item: (item, &item_at),
                method: &method,
                operation: (operation, &op_at),
            };
            let (id, operation) = build(&site, &mut ids)?;
            out.push((id, check(operation, &op_at)?));
        }
    }
    Ok(out)
}

/// Runs Tollgate's own operation validation over an imported operation.
fn check(operation: Operation, pointer: &str) -> Result<Operation, ImportError> {
    crate::validate_operation(operation).map_err(|message| error(pointer, message))
}
