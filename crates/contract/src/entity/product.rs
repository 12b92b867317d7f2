//! Product: a bundle of APIs that users subscribe to (REFERENCE §5).

use super::Entity;
use crate::body::{decode, nullable};
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;

/// A stored product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// Display name, 1..300 characters.
    pub name: String,
    /// Description (may contain HTML), at most 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Terms of use shown when subscribing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
    /// Whether calls need a subscription key.
    pub subscription_required: bool,
    /// Whether new subscriptions wait for approval.
    #[serde(default)]
    pub approval_required: bool,
    /// Subscriptions one user may have at once (none: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscriptions_limit: Option<i64>,
    /// `published` or `notPublished`.
    pub state: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProductInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    name: Option<String>,
    description: Option<String>,
    terms: Option<String>,
    subscription_required: Option<bool>,
    approval_required: Option<bool>,
    /// A number, or `null` for unlimited.
    #[serde(default, deserialize_with = "nullable")]
    subscriptions_limit: Option<Option<i64>>,
    state: Option<String>,
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
        name: "terms",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "state",
        kind: FieldKind::String,
    },
];

impl Product {
    fn apply(&mut self, input: ProductInput) {
        if let Some(name) = input.name {
            self.name = name;
        }
        if input.description.is_some() {
            self.description = input.description;
        }
        if input.terms.is_some() {
            self.terms = input.terms;
        }
        if let Some(required) = input.subscription_required {
            self.subscription_required = required;
        }
        if let Some(approval) = input.approval_required {
            self.approval_required = approval;
        }
        if let Some(limit) = input.subscriptions_limit {
            self.subscriptions_limit = limit;
        }
        if let Some(state) = input.state {
            self.state = match state.to_ascii_lowercase().as_str() {
                "published" => "published".to_owned(),
                "notpublished" => "notPublished".to_owned(),
                _ => state,
            };
        }
    }

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Validator::new();
        v.length("name", &self.name, 1, 300);
        if let Some(d) = &self.description {
            v.length("description", d, 0, 1000);
        }
        if !matches!(self.state.as_str(), "published" | "notPublished") {
            v.fail(
                "state",
                "Enum",
                format!(
                    "state must be published or notPublished, got '{}'",
                    self.state
                ),
            );
        }
        if let Some(limit) = self
            .subscriptions_limit
            .filter(|l| !(0..=i64::from(i32::MAX)).contains(l))
        {
            v.fail(
                "subscriptionsLimit",
                "Range",
                format!("subscriptionsLimit must be 0 or more, got {limit}"),
            );
        }
        if !self.subscription_required {
            if self.approval_required {
                v.fail(
                    "approvalRequired",
                    "Conflict",
                    "approvalRequired needs subscriptionRequired: true",
                );
            }
            if self.subscriptions_limit.is_some() {
                v.fail(
                    "subscriptionsLimit",
                    "Conflict",
                    "subscriptionsLimit needs subscriptionRequired: true",
                );
            }
        }
        v.finish()
    }
}

impl Entity for Product {
    const KIND: &'static str = "product";
    const TYPE_NAME: &'static str = "Product";
    const COLLECTION: &'static str = "/products";
    const ID_PARAM: &'static str = "productId";

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        FILTER_FIELDS
    }

    fn field<'a>(&'a self, id: &'a str, name: &str) -> FieldValue<'a> {
        let text = |v: &'a Option<String>| FieldValue::String(v.as_deref().map(Cow::Borrowed));
        match name {
            "id" => FieldValue::String(Some(Cow::Borrowed(id))),
            "name" => FieldValue::String(Some(Cow::Borrowed(&self.name))),
            "description" => text(&self.description),
            "terms" => text(&self.terms),
            "state" => FieldValue::String(Some(Cow::Borrowed(&self.state))),
            _ => FieldValue::String(None),
        }
    }

    fn from_put(_: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: ProductInput = decode(body)?;
        let mut v = Validator::new();
        v.required("name", &input.name);
        v.finish()?;
        let mut product = Product {
            name: String::new(),
            description: None,
            terms: None,
            subscription_required: true,
            approval_required: false,
            subscriptions_limit: None,
            state: "notPublished".to_owned(),
        };
        product.apply(input);
        product.validate()?;
        Ok(product)
    }

    fn patched(mut self, _: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        self.apply(decode(body)?);
        self.validate()?;
        Ok(self)
    }

    fn render(&self, version: ApiVersion, wire_id: &str) -> Value {
        let legacy = version < ApiVersion::V2016_07_07;
        let mut out = json!({ "id": wire_id, "name": self.name });
        if self.description.is_some() || legacy {
            out["description"] = json!(self.description);
        }
        if self.terms.is_some() || legacy {
            out["terms"] = json!(self.terms.clone().unwrap_or_default());
        }
        out["subscriptionRequired"] = json!(self.subscription_required);
        if self.subscription_required || legacy {
            out["approvalRequired"] = json!(self.approval_required);
        }
        if self.subscriptions_limit.is_some() || legacy {
            out["subscriptionsLimit"] = json!(self.subscriptions_limit);
        }
        out["state"] = json!(self.state);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(body: Value) -> Result<Product, ApiError> {
        Product::from_put(ApiVersion::LATEST, body.to_string().as_bytes())
    }

    fn targets(err: ApiError) -> Vec<String> {
        err.details.into_iter().filter_map(|d| d.target).collect()
    }

    #[test]
    fn defaults_and_rendering() {
        let p = put(json!({"name": "Starter", "description": "d", "approvalRequired": false, "state": "notPublished"})).unwrap();
        assert_eq!(
            p.render(ApiVersion::LATEST, "/products/s"),
            json!({"id": "/products/s", "name": "Starter", "description": "d", "subscriptionRequired": true, "approvalRequired": false, "state": "notPublished"})
        );
        let legacy = p.render(ApiVersion::V2014_02_14, "/products/s");
        assert_eq!(
            (
                legacy["terms"].clone(),
                legacy["subscriptionsLimit"].clone()
            ),
            (json!(""), json!(null))
        );
    }

    #[test]
    fn subscription_rules() {
        let open = json!({"name": "Open", "subscriptionRequired": false, "approvalRequired": true, "subscriptionsLimit": 1});
        assert_eq!(
            targets(put(open).unwrap_err()),
            ["approvalRequired", "subscriptionsLimit"]
        );
        assert_eq!(
            targets(put(json!({"name": "x", "state": "live"})).unwrap_err()),
            ["state"]
        );
        assert_eq!(
            targets(put(json!({"name": "x", "subscriptionsLimit": -1})).unwrap_err()),
            ["subscriptionsLimit"]
        );
        let limited = put(json!({"name": "x", "subscriptionsLimit": 2})).unwrap();
        let unlimited = limited
            .patched(ApiVersion::LATEST, br#"{"subscriptionsLimit": null}"#)
            .unwrap();
        assert_eq!(unlimited.subscriptions_limit, None, "null clears the limit");
    }
}
