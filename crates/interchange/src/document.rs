//! Reading a description document: JSON, or YAML converted to the same JSON value.

use crate::ImportError;
use serde_json::{Map, Number, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// The deepest nesting converted from YAML.
const MAX_DEPTH: usize = 128;

/// Parses the document as JSON when it starts with `{`, else as YAML.
pub(crate) fn parse(document: &str) -> Result<Value, ImportError> {
    let error = |message: String| ImportError {
        message,
        pointer: String::new(),
    };
    if document.trim_start().starts_with('{') {
        return serde_json::from_str(document)
            .map_err(|e| error(format!("the document is not valid JSON: {e}")));
    }
    let docs = YamlLoader::load_from_str(document)
        .map_err(|e| error(format!("the document is neither JSON nor valid YAML: {e}")))?;
    let first = docs
        .into_iter()
        .next()
        .ok_or_else(|| error("the document is empty".to_owned()))?;
    let mut value = convert(&first, 0).map_err(error)?;
    // An unquoted `openapi: 3.1` or `swagger: 2.0` is a YAML number; the version is text.
    if let Value::Object(root) = &mut value {
        for key in ["openapi", "swagger"] {
            if let Some(Value::Number(n)) = root.get(key) {
                let text = n.to_string();
                root.insert(key.to_owned(), Value::String(text));
            }
        }
    }
    Ok(value)
}

fn convert(yaml: &Yaml, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("the document nests deeper than {MAX_DEPTH} levels"));
    }
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(i) => Value::Number(Number::from(*i)),
        Yaml::Real(text) => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(text.clone()), Value::Number),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| convert(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Hash(hash) => {
            let mut object = Map::new();
            for (key, value) in hash {
                object.insert(key_text(key)?, convert(value, depth + 1)?);
            }
            Value::Object(object)
        }
        Yaml::Alias(_) | Yaml::BadValue => {
            return Err("the YAML document has an unresolved alias or a bad value".to_owned());
        }
    })
}

/// Mapping keys become text: `200:` is the response code "200".
fn key_text(key: &Yaml) -> Result<String, String> {
    match key {
        Yaml::String(s) | Yaml::Real(s) => Ok(s.clone()),
        Yaml::Integer(i) => Ok(i.to_string()),
        Yaml::Boolean(b) => Ok(b.to_string()),
        Yaml::Null => Ok("null".to_owned()),
        _ => Err("the YAML document has a mapping key that is not a scalar".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_becomes_the_same_json() {
        let yaml = "openapi: 3.1\ninfo:\n  title: T\n  version: 1.0.0\npaths:\n  /a:\n    get:\n      responses:\n        200:\n          description: ok\n";
        let value = parse(yaml).unwrap();
        assert_eq!(value["openapi"], "3.1");
        assert_eq!(value["info"]["version"], "1.0.0");
        assert!(value["paths"]["/a"]["get"]["responses"]["200"].is_object());
        assert!(parse("a: [1, 2").is_err());
        assert!(parse("").is_err());
        assert!(parse(&"[".repeat(500)).is_err());
    }
}
