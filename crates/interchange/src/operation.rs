//! One operation of a document: its name and id, parameters, request bodies and responses.

use crate::ImportError;
use crate::doc::{Doc, Flavor, child, error, is_form, stringify, text};
use crate::ids::{IdAllocator, truncate};
use crate::params::{DocParameter, Location, collect, describe, from_facets, undescribed};
use serde_json::Value;
use tollgate_contract::entity::operation::{
    Operation, Parameter, Representation, Request, Response,
};
use tollgate_contract::url_template::UrlTemplate;

/// The vendor extension on a Swagger 2.0 response listing its media types when they differ
/// from the operation's `produces` (Swagger 2.0 has no per-response `produces`).
pub(crate) const RESPONSE_TYPES_EXTENSION: &str = "x-tollgate-produces";

/// Where an operation sits in the document.
pub(crate) struct Site<'a, 'b> {
    /// The document.
    pub doc: &'b Doc<'a>,
    /// The path's parsed template.
    pub template: &'b UrlTemplate,
    /// The path item and its pointer.
    pub path_item: (&'a Value, &'b str),
    /// The method, upper case.
    pub method: &'b str,
    /// The operation object and its pointer.
    pub operation: (&'a Value, &'b str),
}

/// Builds the operation at `site`, with its id from `ids`.
pub(crate) fn build(
    site: &Site<'_, '_>,
    ids: &mut IdAllocator,
) -> Result<(String, Operation), ImportError> {
    let (op, pointer) = site.operation;
    if !op.is_object() {
        return Err(error(pointer, "an operation must be an object"));
    }
    let doc = site.doc;
    let params = collect(doc, site.path_item, site.operation)?;
    let mut template_parameters = Vec::new();
    for name in &site.template.parameters {
        let described = params
            .iter()
            .find(|p| p.location == Location::Path && p.name.eq_ignore_ascii_case(name));
        template_parameters.push(match described {
            Some(p) => describe(doc, name, p.value, &p.pointer, true)?,
            None => undescribed(name),
        });
    }
    let mut request = Request::default();
    for p in &params {
        let list = match p.location {
            Location::Query => &mut request.query_parameters,
            Location::Header => &mut request.headers,
            _ => continue,
        };
        list.push(describe(doc, &p.name, p.value, &p.pointer, false)?);
    }
    match doc.flavor {
        Flavor::Swagger2 => swagger_body(site, &params, &mut request)?,
        Flavor::OpenApi3 => openapi_body(site, &mut request)?,
    }
    let responses = responses(site)?;
    let present = |key| text(op, key).filter(|s| !s.trim().is_empty());
    let operation_id = present("operationId");
    let path = &site.template.text;
    let name = match present("summary").or(operation_id) {
        Some(name) => truncate(name, 300),
        None => truncate(&format!("{} {path}", site.method), 300),
    };
    let id = ids.allocate(operation_id, site.method, path);
    let operation = Operation {
        name,
        method: site.method.to_owned(),
        url_template: path.clone(),
        template_parameters,
        description: present("description").map(|d| truncate(d, 1000)),
        request,
        responses,
    };
    Ok((id, operation))
}

fn representation(content_type: &str, schema: (Option<String>, Option<String>)) -> Representation {
    Representation {
        content_type: Some(content_type.to_owned()),
        sample: None,
        schema_id: schema.0,
        type_name: schema.1,
        form_parameters: None,
    }
}

/// Swagger 2.0 `consumes` / `produces`: the operation's, else the document's, else JSON.
fn media_types(site: &Site<'_, '_>, key: &str) -> Result<Vec<String>, ImportError> {
    let (op, pointer) = site.operation;
    let (list, at) = match op.get(key) {
        Some(list) => (list, child(pointer, key)),
        None => (
            site.doc.root.get(key).unwrap_or(&Value::Null),
            child("", key),
        ),
    };
    let mut out: Vec<String> = Vec::new();
    match list {
        Value::Null => {}
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let Some(media_type) = item.as_str().filter(|m| !m.is_empty()) else {
                    return Err(error(
                        &child(&at, &i.to_string()),
                        format!("{key} must list media types as strings"),
                    ));
                };
                if !out.iter().any(|m| m == media_type) {
                    out.push(media_type.to_owned());
                }
            }
        }
        _ => return Err(error(&at, format!("{key} must be an array"))),
    }
    if out.is_empty() {
        out.push("application/json".to_owned());
    }
    Ok(out)
}

/// Swagger 2.0: a `body` parameter is one representation per consumed type; `formData`
/// parameters are the form fields of the form types consumed (or of a default form type).
fn swagger_body(
    site: &Site<'_, '_>,
    params: &[DocParameter<'_>],
    request: &mut Request,
) -> Result<(), ImportError> {
    let consumes = media_types(site, "consumes")?;
    if let Some(body) = params.iter().find(|p| p.location == Location::Body) {
        request.description = text(body.value, "description").map(str::to_owned);
        let schema = site.doc.type_ref(body.value.get("schema"));
        for media_type in &consumes {
            request
                .representations
                .push(representation(media_type, schema.clone()));
        }
    }
    let mut form: Vec<Parameter> = Vec::new();
    for p in params.iter().filter(|p| p.location == Location::Form) {
        form.push(describe(site.doc, &p.name, p.value, &p.pointer, false)?);
    }
    if form.is_empty() {
        return Ok(());
    }
    let mut types: Vec<&str> = consumes
        .iter()
        .map(String::as_str)
        .filter(|m| is_form(m))
        .collect();
    if types.is_empty() {
        let file = form.iter().any(|p| p.param_type.as_deref() == Some("file"));
        types.push(if file {
            "multipart/form-data"
        } else {
            "application/x-www-form-urlencoded"
        });
    }
    for media_type in types {
        let existing = request
            .representations
            .iter_mut()
            .find(|r| r.content_type.as_deref() == Some(media_type));
        match existing {
            Some(r) => r.form_parameters = Some(form.clone()),
            None => {
                let mut r = representation(media_type, (None, None));
                r.form_parameters = Some(form.clone());
                request.representations.push(r);
            }
        }
    }
    Ok(())
}

/// OpenAPI 3: the `requestBody`'s content types.
fn openapi_body(site: &Site<'_, '_>, request: &mut Request) -> Result<(), ImportError> {
    let (op, pointer) = site.operation;
    let Some(body) = op.get("requestBody") else {
        return Ok(());
    };
    let (body, at) = site.doc.resolve(body, &child(pointer, "requestBody"))?;
    if !body.is_object() {
        return Err(error(&at, "requestBody must be an object"));
    }
    request.description = text(body, "description").map(str::to_owned);
    request.representations = content(site.doc, body, &at)?;
    Ok(())
}

/// OpenAPI 3 `content`: one representation per media type, form types with their fields.
fn content(
    doc: &Doc<'_>,
    container: &Value,
    pointer: &str,
) -> Result<Vec<Representation>, ImportError> {
    let at = child(pointer, "content");
    let media = match container.get("content") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(media)) => media,
        Some(_) => return Err(error(&at, "content must be an object")),
    };
    let mut out = Vec::new();
    for (media_type, object) in media {
        let schema = object.get("schema");
        let mut r = representation(media_type, doc.type_ref(schema));
        r.sample = object.get("example").and_then(stringify);
        if let (true, Some(schema)) = (is_form(media_type), schema) {
            let at = child(&child(&at, media_type), "schema");
            r.form_parameters = form_fields(doc, schema, &at)?;
        }
        out.push(r);
    }
    Ok(out)
}

/// The properties of an object schema, as form fields.
fn form_fields(
    doc: &Doc<'_>,
    schema: &Value,
    pointer: &str,
) -> Result<Option<Vec<Parameter>>, ImportError> {
    let (schema, at) = doc.resolve(schema, pointer)?;
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Ok(None);
    };
    let required: Vec<&str> = match schema.get("required") {
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for (name, property) in properties {
        let at = child(&child(&at, "properties"), name);
        let (property, _) = doc.resolve(property, &at)?;
        let description = text(property, "description");
        out.push(from_facets(
            name,
            description,
            property,
            required.contains(&name.as_str()),
        ));
    }
    Ok((!out.is_empty()).then_some(out))
}

/// A response key that is a status code (`default` and `2XX` ranges are not).
fn status_code(key: &str) -> Option<i64> {
    if key.len() != 3 || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse::<i64>().ok().filter(|c| (100..=599).contains(c))
}

fn responses(site: &Site<'_, '_>) -> Result<Vec<Response>, ImportError> {
    let (op, pointer) = site.operation;
    let doc = site.doc;
    let at = child(pointer, "responses");
    let map = match op.get("responses") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(error(&at, "responses must be an object")),
    };
    let produces = match doc.flavor {
        Flavor::Swagger2 => media_types(site, "produces")?,
        Flavor::OpenApi3 => Vec::new(),
    };
    let mut out = Vec::new();
    for (key, response) in map {
        let Some(status) = status_code(key) else {
            continue;
        };
        let (response, at) = doc.resolve(response, &child(&at, key))?;
        if !response.is_object() {
            return Err(error(&at, "a response must be an object"));
        }
        let representations = match doc.flavor {
            Flavor::Swagger2 => swagger_representations(doc, response, &produces),
            Flavor::OpenApi3 => content(doc, response, &at)?,
        };
        let mut headers = Vec::new();
        match response.get("headers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (name, header) in map {
                    let (header, hat) =
                        doc.resolve(header, &child(&child(&at, "headers"), name))?;
                    headers.push(describe(doc, name, header, &hat, false)?);
                }
            }
            Some(_) => return Err(error(&child(&at, "headers"), "headers must be an object")),
        }
        out.push(Response {
            status_code: Some(status),
            description: text(response, "description")
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            representations,
            headers,
        });
    }
    Ok(out)
}

/// Swagger 2.0: a response with a `schema` (or `examples`) has one representation per produced
/// media type (or per type of the [`RESPONSE_TYPES_EXTENSION`]).
fn swagger_representations(
    doc: &Doc<'_>,
    response: &Value,
    produces: &[String],
) -> Vec<Representation> {
    let schema = response.get("schema");
    let examples = response.get("examples");
    if schema.is_none() && examples.is_none() {
        return Vec::new();
    }
    let own: Option<Vec<&str>> = response
        .get(RESPONSE_TYPES_EXTENSION)
        .and_then(Value::as_array)
        .map(|types| types.iter().filter_map(Value::as_str).collect());
    let types = own.unwrap_or_else(|| produces.iter().map(String::as_str).collect());
    let schema = doc.type_ref(schema);
    types
        .into_iter()
        .map(|media_type| {
            let mut r = representation(media_type, schema.clone());
            r.sample = examples.and_then(|e| e.get(media_type)).and_then(stringify);
            r
        })
        .collect()
}
