//! API schema (2017-03-01): a JSON or XML schema document that operation representations
//! reference by `schemaId` (REFERENCE §4.5).

use super::api::Api;
use super::{Entity, Parent};
use crate::body::decode;
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;

/// A stored schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    /// The media type of the document (a JSON or XML type).
    pub content_type: String,
    /// The document text.
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SchemaInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    content_type: Option<String>,
    document: Option<DocumentInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentInput {
    value: Option<String>,
}

const FILTER_FIELDS: &[FieldSpec] = &[FieldSpec {
    name: "contentType",
    kind: FieldKind::String,
}];

impl Schema {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Validator::new();
        v.length("contentType", &self.content_type, 1, 256);
        let essence = self
            .content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence.ends_with("json") {
            if let Err(err) = serde_json::from_str::<Value>(&self.value) {
                v.fail(
                    "document.value",
                    "InvalidJson",
                    format!("the document is not JSON: {err}"),
                );
            }
        } else if essence.ends_with("xml") {
            if let Err(err) = crate::xml::check_well_formed(&self.value) {
                v.fail(
                    "document.value",
                    "InvalidXml",
                    format!("the document is not well-formed XML: {err}"),
                );
            }
        } else if !self.content_type.is_empty() {
            v.fail(
                "contentType",
                "Unsupported",
                "contentType must be a JSON or XML media type (ending in json or xml)",
            );
        }
        v.finish()
    }
}

impl Entity for Schema {
    const KIND: &'static str = "schema";
    const TYPE_NAME: &'static str = "Schema";
    const COLLECTION: &'static str = "/schemas";
    const ID_PARAM: &'static str = "schemaId";
    const SINCE: ApiVersion = ApiVersion::V2017_03_01;
    const PARENT: Option<Parent> = Some(Parent::of::<Api>());

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        FILTER_FIELDS
    }

    fn field<'a>(&'a self, _id: &'a str, name: &str) -> FieldValue<'a> {
        match name {
            "contentType" => FieldValue::String(Some(Cow::Borrowed(&self.content_type))),
            _ => FieldValue::String(None),
        }
    }

    fn from_put(_: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: SchemaInput = decode(body)?;
        let value = input.document.and_then(|d| d.value);
        let mut v = Validator::new();
        v.required("contentType", &input.content_type);
        v.required("document.value", &value);
        v.finish()?;
        let schema = Schema {
            content_type: input.content_type.unwrap_or_default(),
            value: value.unwrap_or_default(),
        };
        schema.validate()?;
        Ok(schema)
    }

    fn patched(self, version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        // The contract has no PATCH for schemas (the route does not exist); a full replacement.
        Self::from_put(version, body)
    }

    fn render(&self, _: ApiVersion, wire_id: &str) -> Value {
        json!({ "id": wire_id, "contentType": self.content_type, "document": { "value": self.value } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(body: Value) -> Result<Schema, ApiError> {
        Schema::from_put(ApiVersion::LATEST, body.to_string().as_bytes())
    }

    fn targets(err: ApiError) -> Vec<String> {
        err.details.into_iter().filter_map(|d| d.target).collect()
    }

    #[test]
    fn documents_must_parse_as_their_type() {
        let json_type = "application/vnd.ms-azure-apim.swagger.definitions+json";
        assert!(
            put(json!({"contentType": json_type, "document": {"value": "{\"a\": {}}"}})).is_ok()
        );
        assert!(put(json!({"contentType": "application/vnd.ms-azure-apim.xsd+xml", "document": {"value": "<s:schema xmlns:s=\"x\"/>"}})).is_ok());
        assert_eq!(
            targets(
                put(json!({"contentType": json_type, "document": {"value": "{oops"}})).unwrap_err()
            ),
            ["document.value"]
        );
        assert_eq!(
            targets(
                put(json!({"contentType": "application/xml", "document": {"value": "<a>"}}))
                    .unwrap_err()
            ),
            ["document.value"]
        );
        assert_eq!(
            targets(
                put(json!({"contentType": "text/plain", "document": {"value": "x"}})).unwrap_err()
            ),
            ["contentType"]
        );
        assert_eq!(
            targets(put(json!({"document": {}})).unwrap_err()),
            ["contentType", "document.value"]
        );
    }
}
