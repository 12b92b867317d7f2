//! Property (named value): a name/value pair that policies reference as `{{name}}` (REFERENCE §9).

use super::Entity;
use crate::body::decode;
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;

/// A stored property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    /// Unique name, referenced from policies as `{{name}}`.
    pub name: String,
    /// The value; may contain a policy expression.
    pub value: String,
    /// Tags for filtering.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Whether the value is a secret.
    #[serde(default)]
    pub secret: bool,
}

/// The body of `PUT` and `PATCH` (the same fields, all optional on the wire).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PropertyInput {
    /// Read-only; accepted and ignored so that a GET result can be sent back.
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    name: Option<String>,
    value: Option<String>,
    tags: Option<Vec<String>>,
    secret: Option<bool>,
}

const FILTER_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "name",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "tags",
        kind: FieldKind::StringCollection,
    },
];

impl Property {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Validator::new();
        v.length("name", &self.name, 1, 256);
        if !self
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            v.fail(
                "name",
                "Pattern",
                "name may contain only letters, digits, period, dash and underscore",
            );
        }
        v.length("value", &self.value, 1, 4096);
        v.not_blank("value", &self.value);
        v.max_items("tags", &self.tags, 32);
        for (i, tag) in self.tags.iter().enumerate() {
            v.length(&format!("tags[{i}]"), tag, 1, 256);
        }
        v.finish()
    }
}

impl Entity for Property {
    const KIND: &'static str = "property";
    const TYPE_NAME: &'static str = "Property";
    const COLLECTION: &'static str = "/properties";
    const ID_PARAM: &'static str = "propId";

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        FILTER_FIELDS
    }

    fn field<'a>(&'a self, _id: &'a str, name: &str) -> FieldValue<'a> {
        match name {
            "name" => FieldValue::String(Some(Cow::Borrowed(&self.name))),
            "tags" => FieldValue::Strings(
                self.tags
                    .iter()
                    .map(|t| Cow::Borrowed(t.as_str()))
                    .collect(),
            ),
            _ => FieldValue::String(None),
        }
    }

    fn from_put(_: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: PropertyInput = decode(body)?;
        let mut v = Validator::new();
        v.required("name", &input.name);
        v.required("value", &input.value);
        v.finish()?;
        let property = Property {
            name: input.name.unwrap_or_default(),
            value: input.value.unwrap_or_default(),
            tags: input.tags.unwrap_or_default(),
            secret: input.secret.unwrap_or(false),
        };
        property.validate()?;
        Ok(property)
    }

    fn patched(mut self, _: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: PropertyInput = decode(body)?;
        if let Some(name) = input.name {
            self.name = name;
        }
        if let Some(value) = input.value {
            self.value = value;
        }
        if let Some(tags) = input.tags {
            self.tags = tags;
        }
        if let Some(secret) = input.secret {
            self.secret = secret;
        }
        self.validate()?;
        Ok(self)
    }

    fn render(&self, version: ApiVersion, wire_id: &str) -> Value {
        let mut out = json!({ "id": wire_id, "name": self.name, "value": self.value });
        // Legacy samples always show `tags`; 2016+ examples omit it when there are none.
        if !self.tags.is_empty() || version < ApiVersion::V2016_07_07 {
            out["tags"] = json!(self.tags);
        }
        out["secret"] = json!(self.secret);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(body: &str) -> Result<Property, ApiError> {
        Property::from_put(ApiVersion::LATEST, body.as_bytes())
    }

    fn targets(err: ApiError) -> Vec<String> {
        err.details.into_iter().filter_map(|d| d.target).collect()
    }

    #[test]
    fn creates_and_renders() {
        let p = put(r#"{"name":"cacheDuration","value":"10","secret":true}"#).unwrap();
        let wire = p.render(ApiVersion::LATEST, "/properties/p1");
        assert_eq!(
            wire,
            json!({"id":"/properties/p1","name":"cacheDuration","value":"10","secret":true})
        );
        let legacy = p.render(ApiVersion::V2014_02_14, "/properties/p1");
        assert_eq!(legacy["tags"], json!([]));
    }

    #[test]
    fn validates_every_rule() {
        assert_eq!(targets(put(r#"{}"#).unwrap_err()), ["name", "value"]);
        assert_eq!(
            targets(put(r#"{"name":"a b","value":"x"}"#).unwrap_err()),
            ["name"]
        );
        assert_eq!(
            targets(put(r#"{"name":"a","value":"   "}"#).unwrap_err()),
            ["value"]
        );
        let long = "x".repeat(4097);
        assert_eq!(
            targets(put(&format!(r#"{{"name":"a","value":"{long}"}}"#)).unwrap_err()),
            ["value"]
        );
        let tags: Vec<String> = (0..33).map(|i| format!("t{i}")).collect();
        let body = json!({"name":"a","value":"v","tags":tags}).to_string();
        assert_eq!(targets(put(&body).unwrap_err()), ["tags"]);
        assert_eq!(
            targets(put(r#"{"name":"a","value":"v","secret":"yes"}"#).unwrap_err()),
            ["secret"]
        );
    }

    #[test]
    fn patch_changes_only_given_fields_and_revalidates() {
        let p = put(r#"{"name":"a","value":"v","tags":["x"]}"#).unwrap();
        let p2 = p
            .clone()
            .patched(ApiVersion::LATEST, br#"{"tags":["y","z"]}"#)
            .unwrap();
        assert_eq!(p2.tags, ["y", "z"]);
        assert_eq!(p2.value, "v");
        assert!(p.patched(ApiVersion::LATEST, br#"{"value":""}"#).is_err());
    }
}
