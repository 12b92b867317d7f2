//! Swagger 2.0 export.

use crate::doc::{METHODS, escape, is_form, is_json};
use crate::operation::RESPONSE_TYPES_EXTENSION;
use crate::{OPENAPI_SCHEMA_ID, SWAGGER_SCHEMA_ID};
use serde_json::{Map, Value, json};
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::operation::{Operation, Parameter, Representation, Response};
use tollgate_contract::entity::schema::Schema;

/// Exports an API as a Swagger 2.0 document.
///
/// `host`, `basePath` and `schemes` come from the service URL; each operation is filed under
/// its URL template without the query part (query-part template parameters become required
/// query parameters). Operations whose method Swagger cannot express, or whose path and
/// method an earlier operation already took, are left out. `definitions` are those of the
/// [`SWAGGER_SCHEMA_ID`] schema or, failing that, the `components.schemas` of the
/// [`OPENAPI_SCHEMA_ID`] schema (with their `$ref`s rewritten to `#/definitions/…`).
pub fn export_swagger(
    api: &Api,
    operations: &[(String, Operation)],
    schemas: &[(String, Schema)],
) -> Value {
    let mut out = Map::new();
    out.insert("swagger".into(), json!("2.0"));
    let mut info = Map::new();
    info.insert("title".into(), json!(api.name));
    if let Some(description) = &api.description {
        info.insert("description".into(), json!(description));
    }
    info.insert("version".into(), json!("1.0"));
    out.insert("info".into(), Value::Object(info));
    if let Some((scheme, host, base)) = api.service_url.as_deref().and_then(split_url) {
        out.insert("host".into(), json!(host));
        if !base.is_empty() {
            out.insert("basePath".into(), json!(base));
        }
        out.insert("schemes".into(), json!([scheme]));
    }
    let definitions = Definitions::find(schemas);
    let mut paths = Map::new();
    for (id, op) in operations {
        let method = op.method.to_ascii_lowercase();
        if !METHODS.contains(&method.as_str()) {
            continue;
        }
        let (path, query) = op
            .url_template
            .split_once('?')
            .unwrap_or((op.url_template.as_str(), ""));
        let item = paths
            .entry(path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(item) = item.as_object_mut().filter(|i| !i.contains_key(&method)) {
            item.insert(method, operation(id, op, query, definitions.as_ref()));
        }
    }
    out.insert("paths".into(), Value::Object(paths));
    if let Some(definitions) = definitions.filter(|d| !d.map.is_empty()) {
        out.insert("definitions".into(), Value::Object(definitions.map));
    }
    Value::Object(out)
}

/// `(scheme, host, basePath)` of an absolute http(s) URL.
fn split_url(url: &str) -> Option<(&'static str, &str, &str)> {
    let lower = url.to_ascii_lowercase();
    let scheme = if lower.starts_with("https://") {
        "https"
    } else if lower.starts_with("http://") {
        "http"
    } else {
        return None;
    };
    let rest = url.get(scheme.len() + 3..)?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(end);
    let base = match tail.starts_with('/') {
        true => tail.split(['?', '#']).next().unwrap_or(""),
        false => "",
    };
    (!host.is_empty()).then_some((scheme, host, base))
}

/// The named schemas written as `definitions`, and the schema id they came from.
struct Definitions {
    id: &'static str,
    map: Map<String, Value>,
}

impl Definitions {
    fn find(schemas: &[(String, Schema)]) -> Option<Definitions> {
        let parsed = |id: &str| {
            schemas
                .iter()
                .find(|(sid, _)| sid.eq_ignore_ascii_case(id))
                .and_then(|(_, s)| serde_json::from_str::<Value>(&s.value).ok())
        };
        if let Some(value) = parsed(SWAGGER_SCHEMA_ID) {
            let map = value.get("definitions")?.as_object()?.clone();
            return Some(Definitions {
                id: SWAGGER_SCHEMA_ID,
                map,
            });
        }
        let mut value = parsed(OPENAPI_SCHEMA_ID)?;
        rewrite_refs(&mut value);
        let map = value
            .get("components")?
            .get("schemas")?
            .as_object()?
            .clone();
        Some(Definitions {
            id: OPENAPI_SCHEMA_ID,
            map,
        })
    }

    /// `{"$ref": "#/definitions/…"}` for a representation naming one of these definitions,
    /// else the empty schema.
    fn schema(definitions: Option<&Definitions>, r: &Representation) -> Value {
        let named = definitions
            .zip(r.schema_id.as_deref())
            .zip(r.type_name.as_deref());
        match named {
            Some(((d, id), name)) if d.id.eq_ignore_ascii_case(id) && d.map.contains_key(name) => {
                json!({ "$ref": format!("#/definitions/{}", escape(name)) })
            }
            _ => json!({}),
        }
    }
}

/// Points OpenAPI 3 `#/components/schemas/…` references at `#/definitions/…`.
fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let target = item
                    .as_str()
                    .filter(|_| key == "$ref")
                    .and_then(|r| r.strip_prefix("#/components/schemas/"));
                match target {
                    Some(name) => *item = json!(format!("#/definitions/{name}")),
                    None => rewrite_refs(item),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// The media types of `representations`, each once, in order.
fn media_types<'a>(representations: impl Iterator<Item = &'a Representation>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for media_type in representations.filter_map(|r| r.content_type.as_deref()) {
        if !out.contains(&media_type) {
            out.push(media_type);
        }
    }
    out
}

fn operation(id: &str, op: &Operation, query: &str, definitions: Option<&Definitions>) -> Value {
    let mut out = Map::new();
    out.insert("operationId".into(), json!(id));
    out.insert("summary".into(), json!(op.name));
    if let Some(description) = &op.description {
        out.insert("description".into(), json!(description));
    }
    let consumes = media_types(op.request.representations.iter());
    if !consumes.is_empty() {
        out.insert("consumes".into(), json!(consumes));
    }
    let produces = media_types(op.responses.iter().flat_map(|r| r.representations.iter()));
    if !produces.is_empty() {
        out.insert("produces".into(), json!(produces));
    }
    out.insert(
        "parameters".into(),
        Value::Array(parameters(op, query, definitions)),
    );
    let mut responses = Map::new();
    for r in &op.responses {
        let Some(code) = r.status_code.map(|c| c.to_string()) else {
            continue;
        };
        if !responses.contains_key(&code) {
            responses.insert(code, response(r, &produces, definitions));
        }
    }
    if responses.is_empty() {
        // Swagger 2.0 wants at least one response; `default` imports as none.
        responses.insert("default".into(), json!({ "description": "" }));
    }
    out.insert("responses".into(), Value::Object(responses));
    Value::Object(out)
}

fn parameters(op: &Operation, query: &str, definitions: Option<&Definitions>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut seen: Vec<(String, &str)> = Vec::new();
    let mut push = |p: &Parameter, name: &str, location: &'static str, required: bool| {
        let key = (name.to_owned(), location);
        if !seen.contains(&key) {
            seen.push(key);
            out.push(parameter(p, name, location, required));
        }
    };
    // `name={param}` pairs of the template's query part.
    let pairs: Vec<(&str, &str)> = query
        .split('&')
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            Some((name, value.strip_prefix('{')?.strip_suffix('}')?))
        })
        .collect();
    for p in &op.template_parameters {
        let Some(name) = p.name.as_deref() else {
            continue;
        };
        match pairs
            .iter()
            .find(|(_, param)| param.eq_ignore_ascii_case(name))
        {
            Some((literal, _)) => push(p, literal, "query", true),
            None => push(p, name, "path", true),
        }
    }
    let described = |list: &[Parameter]| -> Vec<(Parameter, String)> {
        list.iter()
            .filter_map(|p| Some((p.clone(), p.name.clone()?)))
            .collect()
    };
    for (p, name) in described(&op.request.query_parameters) {
        push(&p, &name, "query", p.required.unwrap_or(false));
    }
    for (p, name) in described(&op.request.headers) {
        push(&p, &name, "header", p.required.unwrap_or(false));
    }
    let representations = &op.request.representations;
    let has_fields = |r: &Representation| r.form_parameters.as_ref().is_some_and(|f| !f.is_empty());
    let form_type = |r: &Representation| r.content_type.as_deref().is_some_and(is_form);
    for r in representations.iter().filter(|r| form_type(r)) {
        for (p, name) in described(r.form_parameters.as_deref().unwrap_or(&[])) {
            push(&p, &name, "formData", p.required.unwrap_or(false));
        }
    }
    // A body parameter unless every representation is a form described by its fields.
    if representations
        .iter()
        .any(|r| !form_type(r) || !has_fields(r))
    {
        let json_type = |r: &&Representation| r.content_type.as_deref().is_some_and(is_json);
        let chosen = representations
            .iter()
            .find(json_type)
            .or_else(|| representations.iter().find(|r| !form_type(r)))
            .or(representations.first());
        if let Some(r) = chosen {
            let mut body = json!({ "name": "body", "in": "body", "schema": Definitions::schema(definitions, r) });
            if let Some(description) = &op.request.description {
                body["description"] = json!(description);
            }
            out.push(body);
        }
    }
    out
}

fn parameter(p: &Parameter, name: &str, location: &str, required: bool) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(name));
    out.insert("in".into(), json!(location));
    out.insert("required".into(), json!(required));
    if let Some(description) = &p.description {
        out.insert("description".into(), json!(description));
    }
    let param_type = p.param_type.as_deref().unwrap_or("string");
    out.insert("type".into(), json!(param_type));
    if param_type == "array" {
        out.insert("items".into(), json!({ "type": "string" }));
    }
    if let Some(default) = &p.default_value {
        out.insert("default".into(), json!(default));
    }
    if let Some(values) = p.values.as_ref().filter(|v| !v.is_empty()) {
        out.insert("enum".into(), json!(values));
    }
    Value::Object(out)
}

fn response(r: &Response, produces: &[&str], definitions: Option<&Definitions>) -> Value {
    let mut out = Map::new();
    out.insert(
        "description".into(),
        json!(r.description.as_deref().unwrap_or("")),
    );
    let typed = r.representations.iter().find(|x| x.type_name.is_some());
    if let Some(first) = typed.or(r.representations.first()) {
        out.insert("schema".into(), Definitions::schema(definitions, first));
    }
    let types = media_types(r.representations.iter());
    if !types.is_empty() && types != produces {
        out.insert(RESPONSE_TYPES_EXTENSION.into(), json!(types));
    }
    let mut examples = Map::new();
    for x in &r.representations {
        if let (Some(media_type), Some(sample)) = (&x.content_type, &x.sample) {
            let parsed = serde_json::from_str::<Value>(sample).ok();
            let value = parsed
                .filter(|_| is_json(media_type))
                .unwrap_or_else(|| json!(sample));
            examples.entry(media_type.clone()).or_insert(value);
        }
    }
    if !examples.is_empty() {
        out.insert("examples".into(), Value::Object(examples));
    }
    let mut headers = Map::new();
    for h in &r.headers {
        let Some(name) = &h.name else { continue };
        let mut header = json!({ "type": h.param_type.as_deref().unwrap_or("string") });
        if let Some(description) = &h.description {
            header["description"] = json!(description);
        }
        headers.entry(name.clone()).or_insert(header);
    }
    if !headers.is_empty() {
        out.insert("headers".into(), Value::Object(headers));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_service_urls() {
        assert_eq!(
            split_url("https://api.example:8443/v1/x?y"),
            Some(("https", "api.example:8443", "/v1/x"))
        );
        assert_eq!(split_url("HTTP://h"), Some(("http", "h", "")));
        assert_eq!(split_url("ftp://h/x"), None);
        assert_eq!(split_url("https:///x"), None);
    }

    #[test]
    fn rewrites_component_refs() {
        let mut v = json!({"a": {"$ref": "#/components/schemas/B"}, "c": [{"$ref": "#/x"}]});
        rewrite_refs(&mut v);
        assert_eq!(
            v,
            json!({"a": {"$ref": "#/definitions/B"}, "c": [{"$ref": "#/x"}]})
        );
    }
}
