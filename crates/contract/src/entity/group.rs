//! Group: who sees which products (REFERENCE §8). Three built-in groups exist in every
//! instance (`administrators`, `developers`, `guests`); they cannot be changed or deleted.

use super::Entity;
use crate::body::decode;
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;

/// A stored group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Display name, 1..300 characters.
    pub name: String,
    /// Description (may contain HTML), at most 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it is one of the three system groups.
    #[serde(default)]
    pub built_in: bool,
    /// `custom`, `system` or `external`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// The group's id in an external identity provider (external groups only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// The built-in groups: (id, name, description), as every new instance has them.
pub const BUILT_IN: [(&str, &str, &str); 3] = [
    (
        "administrators",
        "Administrators",
        "Administrators is a built-in group. Its membership is managed by the system. Microsoft Azure subscription administrators fall into this group.",
    ),
    (
        "developers",
        "Developers",
        "Developers is a built-in group. Its membership is managed by the system. Signed-in users fall into this group.",
    ),
    (
        "guests",
        "Guests",
        "Guests is a built-in group. Its membership is managed by the system. Unauthenticated users visiting the developer portal fall into this group.",
    ),
];

impl Group {
    /// The built-in group of a [`BUILT_IN`] row.
    pub fn built_in(name: &str, description: &str) -> Group {
        Group {
            name: name.to_owned(),
            description: Some(description.to_owned()),
            built_in: true,
            group_type: "system".to_owned(),
            external_id: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GroupInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    #[serde(default, rename = "builtIn")]
    _built_in: Option<Value>,
    name: Option<String>,
    description: Option<String>,
    #[serde(rename = "type")]
    group_type: Option<String>,
    external_id: Option<String>,
}

const FILTER_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "id",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "name",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "description",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "type",
        kind: FieldKind::String,
    },
];

impl Group {
    fn apply(&mut self, version: ApiVersion, input: GroupInput) -> Result<(), ApiError> {
        if (input.group_type.is_some() || input.external_id.is_some())
            && version < ApiVersion::V2016_07_07
        {
            let target = if input.group_type.is_some() {
                "type"
            } else {
                "externalId"
            };
            return Err(ApiError::invalid_field(
                target,
                "UnknownField",
                format!("{target} can be set from api-version 2016-07-07"),
            ));
        }
        if let Some(name) = input.name {
            self.name = name;
        }
        if input.description.is_some() {
            self.description = input.description;
        }
        if let Some(t) = input.group_type {
            self.group_type = t.to_ascii_lowercase();
        }
        if input.external_id.is_some() {
            self.external_id = input.external_id;
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Validator::new();
        v.length("name", &self.name, 1, 300);
        if let Some(d) = &self.description {
            v.length("description", d, 0, 1000);
        }
        match self.group_type.as_str() {
            "custom" | "external" => {}
            "system" if self.built_in => {}
            "system" => v.fail(
                "type",
                "Enum",
                "only the three built-in groups are of type system",
            ),
            other => v.fail(
                "type",
                "Enum",
                format!("type must be custom or external, got '{other}'"),
            ),
        }
        if self.external_id.is_some() && self.group_type != "external" {
            v.fail(
                "externalId",
                "Unexpected",
                "externalId belongs to groups of type external",
            );
        }
        v.finish()
    }
}

impl Entity for Group {
    const KIND: &'static str = "group";
    const TYPE_NAME: &'static str = "Group";
    const COLLECTION: &'static str = "/groups";
    const ID_PARAM: &'static str = "groupId";

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        FILTER_FIELDS
    }

    fn field<'a>(&'a self, id: &'a str, name: &str) -> FieldValue<'a> {
        match name {
            "id" => FieldValue::String(Some(Cow::Borrowed(id))),
            "name" => FieldValue::String(Some(Cow::Borrowed(&self.name))),
            "description" => FieldValue::String(self.description.as_deref().map(Cow::Borrowed)),
            "type" => FieldValue::String(Some(Cow::Borrowed(&self.group_type))),
            _ => FieldValue::String(None),
        }
    }

    fn from_put(version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: GroupInput = decode(body)?;
        let mut v = Validator::new();
        v.required("name", &input.name);
        v.finish()?;
        let mut group = Group {
            name: String::new(),
            description: None,
            built_in: false,
            group_type: "custom".to_owned(),
            external_id: None,
        };
        group.apply(version, input)?;
        group.validate()?;
        Ok(group)
    }

    fn patched(mut self, version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        self.apply(version, decode(body)?)?;
        self.validate()?;
        Ok(self)
    }

    fn render(&self, version: ApiVersion, wire_id: &str) -> Value {
        let mut out = json!({ "id": wire_id, "name": self.name });
        if self.description.is_some() || version < ApiVersion::V2016_07_07 {
            out["description"] = json!(self.description);
        }
        out["builtIn"] = json!(self.built_in);
        out["type"] = json!(self.group_type);
        if self.external_id.is_some() || version < ApiVersion::V2016_07_07 {
            out["externalId"] = json!(self.external_id);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(err: ApiError) -> Vec<String> {
        err.details.into_iter().filter_map(|d| d.target).collect()
    }

    #[test]
    fn creates_custom_and_external_groups() {
        let g = Group::from_put(
            ApiVersion::LATEST,
            br#"{"name":"Partners","type":"custom"}"#,
        )
        .unwrap();
        assert_eq!(
            g.render(ApiVersion::LATEST, "/groups/p"),
            json!({"id":"/groups/p","name":"Partners","builtIn":false,"type":"custom"})
        );
        let ext = br#"{"name":"AAD","type":"external","externalId":"aad://contoso.onmicrosoft.com/groups/1"}"#;
        assert!(Group::from_put(ApiVersion::LATEST, ext).is_ok());
    }

    #[test]
    fn validates() {
        assert_eq!(
            targets(Group::from_put(ApiVersion::LATEST, br#"{}"#).unwrap_err()),
            ["name"]
        );
        assert_eq!(
            targets(
                Group::from_put(ApiVersion::LATEST, br#"{"name":"x","type":"system"}"#)
                    .unwrap_err()
            ),
            ["type"]
        );
        assert_eq!(
            targets(
                Group::from_put(ApiVersion::LATEST, br#"{"name":"x","externalId":"e"}"#)
                    .unwrap_err()
            ),
            ["externalId"]
        );
        assert_eq!(
            targets(
                Group::from_put(ApiVersion::V2014_02_14, br#"{"name":"x","type":"custom"}"#)
                    .unwrap_err()
            ),
            ["type"]
        );
    }
}
