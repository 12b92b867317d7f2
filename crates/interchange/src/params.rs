//! Parameters: collecting them from path items and operations, and describing them as the
//! contract's `Parameter`.

use crate::ImportError;
use crate::doc::{Doc, Flavor, child, error, stringify, text};
use serde_json::Value;
use tollgate_contract::entity::operation::Parameter;

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    /// A URL template parameter.
    Path,
    /// A query parameter.
    Query,
    /// A request header.
    Header,
    /// Swagger 2.0: the request body.
    Body,
    /// Swagger 2.0: a form field.
    Form,
}

/// A parameter of the document, `$ref`s resolved.
#[derive(Debug)]
pub(crate) struct DocParameter<'a> {
    /// Where it goes.
    pub location: Location,
    /// Its name.
    pub name: String,
    /// The parameter object.
    pub value: &'a Value,
    /// The parameter object's pointer.
    pub pointer: String,
}

/// The parameters of an operation: those of its path item, then its own; an operation's
/// parameter replaces one of the same name and location.
pub(crate) fn collect<'a>(
    doc: &Doc<'a>,
    path_item: (&'a Value, &str),
    operation: (&'a Value, &str),
) -> Result<Vec<DocParameter<'a>>, ImportError> {
    let mut out: Vec<DocParameter<'a>> = Vec::new();
    for (container, pointer) in [path_item, operation] {
        for parameter in list(doc, container, pointer)? {
            let same = out
                .iter_mut()
                .find(|p| p.location == parameter.location && p.name == parameter.name);
            match same {
                Some(slot) => *slot = parameter,
                None => out.push(parameter),
            }
        }
    }
    Ok(out)
}

fn list<'a>(
    doc: &Doc<'a>,
    container: &'a Value,
    pointer: &str,
) -> Result<Vec<DocParameter<'a>>, ImportError> {
    let at = child(pointer, "parameters");
    let items = match container.get("parameters") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(error(&at, "parameters must be an array")),
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let (value, pointer) = doc.resolve(item, &child(&at, &i.to_string()))?;
        if !value.is_object() {
            return Err(error(&pointer, "a parameter must be an object"));
        }
        let name = match text(value, "name") {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ => {
                return Err(error(
                    &pointer,
                    "a parameter needs a non-empty string 'name'",
                ));
            }
        };
        let Some(location) = text(value, "in") else {
            return Err(error(
                &pointer,
                format!("parameter '{name}' needs a string 'in'"),
            ));
        };
        let location = match (location, doc.flavor) {
            ("path", _) => Location::Path,
            ("query", _) => Location::Query,
            ("header", _) => Location::Header,
            ("body", Flavor::Swagger2) => Location::Body,
            ("formData", Flavor::Swagger2) => Location::Form,
            // Tollgate's operations do not describe cookies.
            ("cookie", Flavor::OpenApi3) => continue,
            (other, _) => {
                return Err(error(
                    &child(&pointer, "in"),
                    format!("parameter '{name}' has an unknown location '{other}'"),
                ));
            }
        };
        out.push(DocParameter {
            location,
            name,
            value,
            pointer,
        });
    }
    Ok(out)
}

/// Describes a parameter or header object as the contract's `Parameter`: Swagger 2.0 puts
/// `type`, `default` and `enum` on the object itself, OpenAPI 3 on its `schema`.
pub(crate) fn describe(
    doc: &Doc<'_>,
    name: &str,
    value: &Value,
    pointer: &str,
    always_required: bool,
) -> Result<Parameter, ImportError> {
    let facets = match doc.flavor {
        Flavor::Swagger2 => value,
        Flavor::OpenApi3 => match value.get("schema") {
            Some(schema) => doc.resolve(schema, &child(pointer, "schema"))?.0,
            None => &Value::Null,
        },
    };
    let required = always_required
        || value
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    Ok(from_facets(
        name,
        text(value, "description"),
        facets,
        required,
    ))
}

/// A parameter whose `type`, `default` and `enum` are those of the schema-like `facets`.
pub(crate) fn from_facets(
    name: &str,
    description: Option<&str>,
    facets: &Value,
    required: bool,
) -> Parameter {
    let param_type = match facets.get("type") {
        Some(Value::String(t)) => Some(t.clone()),
        // OpenAPI 3.1: `type: ["string", "null"]`.
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .map(str::to_owned),
        _ => None,
    };
    let values = facets
        .get("enum")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(stringify).collect::<Vec<String>>());
    Parameter {
        name: Some(name.to_owned()),
        description: description.map(str::to_owned),
        param_type: Some(param_type.unwrap_or_else(|| "string".to_owned())),
        default_value: facets.get("default").and_then(stringify),
        required: Some(required),
        values: values.filter(|v| !v.is_empty()),
    }
}

/// The parameter added for a template parameter the document does not describe.
pub(crate) fn undescribed(name: &str) -> Parameter {
    Parameter {
        name: Some(name.to_owned()),
        description: None,
        param_type: Some("string".to_owned()),
        default_value: None,
        required: Some(true),
        values: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_levels_and_describes_both_flavours() {
        let root = json!({"parameters": {"limit": {"name": "limit", "in": "query", "type": "integer",
            "default": 10, "enum": [10, 20]}}});
        let doc = Doc {
            root: &root,
            flavor: Flavor::Swagger2,
            schemas: None,
        };
        let item =
            json!({"parameters": [{"name": "a", "in": "header"}, {"$ref": "#/parameters/limit"}]});
        let op = json!({"parameters": [{"name": "a", "in": "header", "description": "op level"},
            {"name": "f", "in": "formData", "type": "file"}]});
        let params = collect(&doc, (&item, "/p"), (&op, "/p/get")).unwrap();
        let names: Vec<_> = params
            .iter()
            .map(|p| (p.name.as_str(), p.location))
            .collect();
        assert_eq!(
            names,
            [
                ("a", Location::Header),
                ("limit", Location::Query),
                ("f", Location::Form)
            ]
        );
        assert_eq!(params[0].pointer, "/p/get/parameters/0");
        assert_eq!(params[1].pointer, "/parameters/limit");
        let limit = describe(&doc, "limit", params[1].value, "/x", false).unwrap();
        assert_eq!(limit.param_type.as_deref(), Some("integer"));
        assert_eq!(limit.default_value.as_deref(), Some("10"));
        assert_eq!(limit.values, Some(vec!["10".to_owned(), "20".to_owned()]));
        assert_eq!(limit.required, Some(false));

        let doc3 = Doc {
            root: &root,
            flavor: Flavor::OpenApi3,
            schemas: None,
        };
        let p = json!({"name": "s", "in": "query", "required": true,
            "schema": {"type": ["string", "null"], "enum": ["x", null]}});
        let s = describe(&doc3, "s", &p, "/x", false).unwrap();
        assert_eq!(s.param_type.as_deref(), Some("string"));
        assert_eq!(s.values, Some(vec!["x".to_owned()]));
        assert_eq!(s.required, Some(true));
        let bad = json!({"parameters": [{"name": "f", "in": "formData"}]});
        let err = collect(&doc3, (&bad, "/q"), (&json!({}), "/q/get")).unwrap_err();
        assert_eq!(err.pointer, "/q/parameters/0/in");
    }
}
