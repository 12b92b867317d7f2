//! Decoding JSON request bodies into typed inputs, with errors that name the field.

use crate::{ApiError, ErrorCode, ErrorDetail};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// For `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>` field of a
/// PATCH input: absent → `None`, `null` → `Some(None)` (clear it), a value → `Some(Some(v))`.
pub fn nullable<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// Decodes a JSON body; malformed JSON, a wrong type or an unknown field is a `ValidationError`
/// whose detail targets the field by its JSON path.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_field(
            "body",
            "Required",
            "the request body is empty; a JSON object is required",
        ));
    }
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::invalid_field(
            "body",
            "InvalidJson",
            "the request body must be a JSON object",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        let (code, target) = if inner.is_syntax() || inner.is_eof() {
            ("InvalidJson", "body".to_owned())
        } else if let Some(field) = unknown_field(&message) {
            // The path already ends with the unknown field's name.
            let target = if path == "." { field } else { path };
            ("UnknownField", target)
        } else {
            (
                "InvalidType",
                if path == "." { "body".to_owned() } else { path },
            )
        };
        ApiError {
            code: ErrorCode::ValidationError,
            message: format!("The request body is not valid: {target}: {message}"),
            details: vec![ErrorDetail {
                code: code.to_owned(),
                target: Some(target),
                message,
            }],
        }
    })
}

/// Extracts `x` from serde's "unknown field `x`, expected …".
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: Option<String>,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        flag: Option<bool>,
    }

    fn target(bytes: &str) -> String {
        decode::<Outer>(bytes.as_bytes()).unwrap_err().details[0]
            .target
            .clone()
            .unwrap()
    }

    #[test]
    fn names_the_failing_field() {
        assert_eq!(target(r#"{"name": 5}"#), "name");
        assert_eq!(target(r#"{"inner": {"flag": "yes"}}"#), "inner.flag");
        assert_eq!(target(r#"{"nmae": "x"}"#), "nmae");
        assert_eq!(target(r#"{"inner": {"flg": true}}"#), "inner.flg");
        assert_eq!(target(r#"{"name": "#), "body");
        assert_eq!(target("[1]"), "body");
        assert_eq!(target(""), "body");
    }
}
