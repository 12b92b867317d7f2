//! The parsed document: its flavour, JSON pointers, `$ref` resolution and schema references.

use crate::{ImportError, OPENAPI_SCHEMA_ID, SWAGGER_SCHEMA_ID};
use serde_json::{Map, Value};

/// The longest `$ref` chain followed before giving up.
pub(crate) const MAX_REF_DEPTH: usize = 32;

/// Which specification the document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// Swagger 2.0.
    Swagger2,
    /// OpenAPI 3.0 or 3.1.
    OpenApi3,
}

/// An error at `pointer`.
pub(crate) fn error(pointer: &str, message: impl Into<String>) -> ImportError {
    ImportError {
        message: message.into(),
        pointer: pointer.to_owned(),
    }
}

/// The HTTP methods a path item may describe, as its keys spell them.
pub(crate) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A JSON pointer reference token for `token` (RFC 6901: `~` as `~0`, `/` as `~1`).
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `pointer` extended by one reference token.
pub(crate) fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape(token))
}

/// The string at `key` of an object, if it is one.
pub(crate) fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// A value as the text the contract stores: strings as they are, `null` as nothing, anything
/// else as its JSON text.
pub(crate) fn stringify(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The media type without parameters, in lower case.
pub(crate) fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether a media type is JSON (`application/json`, `…+json`).
pub(crate) fn is_json(content_type: &str) -> bool {
    let essence = essence(content_type);
    essence == "application/json" || essence.ends_with("+json")
}

/// Whether a media type carries form fields.
pub(crate) fn is_form(content_type: &str) -> bool {
    matches!(
        essence(content_type).as_str(),
        "application/x-www-form-urlencoded" | "multipart/form-data"
    )
}

/// A document being imported.
pub(crate) struct Doc<'a> {
    /// The whole document.
    pub root: &'a Value,
    /// Its flavour.
    pub flavor: Flavor,
    /// The named schemas (`definitions` or `components.schemas`), if any.
    pub schemas: Option<&'a Map<String, Value>>,
}

impl<'a> Doc<'a> {
    /// Follows `$ref`s from `value` (found at `at`) to a value that is not a reference; returns
    /// it with its own pointer. Only local references (`#/…`) are followed; chains are bounded
    /// by [`MAX_REF_DEPTH`] and cycles are refused.
    pub fn resolve(&self, value: &'a Value, at: &str) -> Result<(&'a Value, String), ImportError> {
        let mut current = value;
        let mut pointer = at.to_owned();
        let mut chain: Vec<&'a str> = Vec::new();
        while let Some(reference) = current.get("$ref") {
            let Some(reference) = reference.as_str() else {
                return Err(error(&child(&pointer, "$ref"), "$ref must be a string"));
            };
            if chain.contains(&reference) {
                chain.push(reference);
                return Err(error(at, format!("cyclic $ref: {}", chain.join(" -> "))));
            }
            if chain.len() >= MAX_REF_DEPTH {
                return Err(error(
                    at,
                    format!("$ref chain longer than {MAX_REF_DEPTH} references"),
                ));
            }
            chain.push(reference);
            let Some(target) = reference.strip_prefix('#') else {
                return Err(error(
                    at,
                    format!(
                        "only local $ref (starting with '#') are supported, found '{reference}'"
                    ),
                ));
            };
            let Some(next) = self.root.pointer(target) else {
                return Err(error(
                    at,
                    format!("$ref '{reference}' points at nothing in the document"),
                ));
            };
            current = next;
            pointer = target.to_owned();
        }
        Ok((current, pointer))
    }

    /// `(schemaId, typeName)` for a schema that is a `$ref` to a named schema of the document.
    pub fn type_ref(&self, schema: Option<&Value>) -> (Option<String>, Option<String>) {
        let (prefix, id) = match self.flavor {
            Flavor::Swagger2 => ("#/definitions/", SWAGGER_SCHEMA_ID),
            Flavor::OpenApi3 => ("#/components/schemas/", OPENAPI_SCHEMA_ID),
        };
        let name = schema
            .and_then(|s| text(s, "$ref"))
            .and_then(|r| r.strip_prefix(prefix))
            .filter(|n| !n.contains('/'))
            .map(|n| n.replace("~1", "/").replace("~0", "~"))
            .filter(|n| self.schemas.is_some_and(|s| s.contains_key(n)));
        match name {
            Some(name) => (Some(id.to_owned()), Some(name)),
            None => (None, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn follows_chains_and_refuses_cycles() {
        let root = json!({
            "parameters": {"a": {"$ref": "#/parameters/b"}, "b": {"name": "x"},
                           "c": {"$ref": "#/parameters/d"}, "d": {"$ref": "#/parameters/c"},
                           "e/f": {"name": "slash"}},
        });
        let doc = Doc {
            root: &root,
            flavor: Flavor::Swagger2,
            schemas: None,
        };
        let start = json!({"$ref": "#/parameters/a"});
        let (value, pointer) = doc.resolve(&start, "/here").unwrap();
        assert_eq!(
            (value, pointer.as_str()),
            (&json!({"name": "x"}), "/parameters/b")
        );
        let slash = json!({"$ref": "#/parameters/e~1f"});
        assert_eq!(doc.resolve(&slash, "/s").unwrap().0["name"], "slash");
        let cyclic = json!({"$ref": "#/parameters/c"});
        let err = doc.resolve(&cyclic, "/here").unwrap_err();
        assert_eq!(err.pointer, "/here");
        assert!(err.message.starts_with("cyclic $ref"), "{}", err.message);
        let missing = json!({"$ref": "#/nowhere"});
        assert!(
            doc.resolve(&missing, "/m")
                .unwrap_err()
                .message
                .contains("nothing")
        );
        let external = json!({"$ref": "other.json#/a"});
        assert!(
            doc.resolve(&external, "/e")
                .unwrap_err()
                .message
                .contains("local")
        );
    }

    #[test]
    fn escapes_pointer_tokens() {
        assert_eq!(child("/paths", "/a~b/{c}"), "/paths/~1a~0b~1{c}");
        assert_eq!(stringify(&json!(5)), Some("5".to_owned()));
        assert_eq!(stringify(&json!("s")), Some("s".to_owned()));
        assert_eq!(stringify(&Value::Null), None);
    }
}
