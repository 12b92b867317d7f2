//! Subscription: a user's access to a product, with two keys (REFERENCE §6).
//!
//! States and the transitions Tollgate allows (the documentation gives none):
//!
//! | from \ to  | submitted | active | suspended | rejected | cancelled | expired |
//! |------------|-----------|--------|-----------|----------|-----------|---------|
//! | submitted  | =         | yes    | –         | yes      | yes       | –       |
//! | active     | –         | =      | yes       | –        | yes       | yes     |
//! | suspended  | –         | yes    | =         | –        | yes       | yes     |
//! | rejected   | –         | –      | –         | =        | –         | –       |
//! | cancelled  | –         | –      | –         | –        | =         | –       |
//! | expired    | –         | yes    | –         | –        | yes       | =       |

use super::Entity;
use crate::body::decode;
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;

/// The states a subscription can be in.
pub const STATES: [&str; 6] = [
    "submitted",
    "active",
    "suspended",
    "rejected",
    "cancelled",
    "expired",
];

/// Whether a subscription may go from one state to another (staying is always allowed).
pub fn transition_allowed(from: &str, to: &str) -> bool {
    from == to
        || matches!(
            (from, to),
            ("submitted", "active" | "rejected" | "cancelled")
                | ("active", "suspended" | "cancelled" | "expired")
                | ("suspended", "active" | "cancelled" | "expired")
                | ("expired", "active" | "cancelled")
        )
}

/// Whether a subscription in `state` counts against a product's per-user limit and may have its
/// keys regenerated (it is not over).
pub fn is_live(state: &str) -> bool {
    matches!(state, "submitted" | "active" | "suspended")
}

/// A stored subscription. `user_id` and `product_id` are bare ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// The subscriber.
    pub user_id: String,
    /// The product.
    pub product_id: String,
    /// Display name, up to 100 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// One of [`STATES`].
    pub state: String,
    /// When it was created (RFC 3339).
    pub created_date: String,
    /// When it became active (the day, at midnight UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// When it expires (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
    /// When it ended (cancelled, rejected or expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// When the subscriber is told it will expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_date: Option<String>,
    /// Primary key.
    pub primary_key: String,
    /// Secondary key.
    pub secondary_key: String,
    /// An administrator's comment on the state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_comment: Option<String>,
    /// Whether the state was given in the request (a new subscription without one may wait for
    /// approval); not stored.
    #[serde(skip)]
    pub state_given: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SubscriptionInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    user_id: Option<String>,
    product_id: Option<String>,
    name: Option<String>,
    state: Option<String>,
    primary_key: Option<String>,
    secondary_key: Option<String>,
    state_comment: Option<String>,
    expiration_date: Option<String>,
    // Read-only: accepted and ignored.
    #[serde(default, rename = "createdDate")]
    _created_date: Option<Value>,
    #[serde(default, rename = "startDate")]
    _start_date: Option<Value>,
    #[serde(default, rename = "endDate")]
    _end_date: Option<Value>,
    #[serde(default, rename = "notificationDate")]
    _notification_date: Option<Value>,
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
        name: "stateComment",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "userId",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "productId",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "state",
        kind: FieldKind::String,
    },
];

/// The bare id of a reference written `/users/{id}` (or already bare).
fn bare(reference: &str, collection: &str) -> String {
    reference
        .strip_prefix(collection)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(reference)
        .to_owned()
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn today() -> String {
    format!("{}T00:00:00Z", chrono::Utc::now().format("%Y-%m-%d"))
}

impl Subscription {
    /// Moves to `to` when allowed (400 naming `state` otherwise), stamping the dates.
    pub fn set_state(&mut self, to: &str) -> Result<(), ApiError> {
        if !STATES.contains(&to) {
            return Err(ApiError::invalid_field(
                "state",
                "Enum",
                format!("state must be one of {}; got '{to}'", STATES.join(", ")),
            ));
        }
        if !transition_allowed(&self.state, to) {
            let message = format!("a subscription cannot go from {} to {to}", self.state);
            return Err(ApiError::invalid_field("state", "Transition", message));
        }
        if to != self.state {
            match to {
                "active" if self.start_date.is_none() => self.start_date = Some(today()),
                "cancelled" | "rejected" | "expired" => self.end_date = Some(now()),
                _ => {}
            }
            self.state = to.to_owned();
        }
        Ok(())
    }

    fn apply(&mut self, input: SubscriptionInput) -> Result<(), ApiError> {
        if let Some(user) = input.user_id {
            self.user_id = bare(&user, "/users");
        }
        if let Some(product) = input.product_id {
            self.product_id = bare(&product, "/products");
        }
        if input.name.is_some() {
            self.name = input.name;
        }
        for (target, given, slot) in [
            ("primaryKey", input.primary_key, &mut self.primary_key),
            ("secondaryKey", input.secondary_key, &mut self.secondary_key),
        ] {
            if let Some(key) = given {
                if key.is_empty() || key.chars().count() > 256 {
                    return Err(ApiError::invalid_field(
                        target,
                        "Length",
                        format!("{target} must have between 1 and 256 characters"),
                    ));
                }
                *slot = key;
            }
        }
        if input.state_comment.is_some() {
            self.state_comment = input.state_comment;
        }
        if let Some(date) = input.expiration_date {
            if chrono::DateTime::parse_from_rfc3339(&date).is_err() {
                return Err(ApiError::invalid_field(
                    "expirationDate",
                    "DateTime",
                    format!("'{date}' is not a date-time like 2030-01-01T00:00:00Z"),
                ));
            }
            self.expiration_date = Some(date);
        }
        if let Some(state) = input.state {
            self.state_given = true;
            self.set_state(&state.to_ascii_lowercase())?;
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Validator::new();
        v.length("userId", &self.user_id, 1, 256);
        v.length("productId", &self.product_id, 1, 256);
        if let Some(name) = &self.name {
            v.length("name", name, 0, 100);
        }
        // Keys not given are empty until the management API generates them.
        if !self.primary_key.is_empty() && self.primary_key == self.secondary_key {
            v.fail("secondaryKey", "Unique", "the two keys must differ");
        }
        v.finish()
    }

    /// A new subscription from a `PUT` body; keys not given are left empty, for the caller to
    /// generate.
    pub fn create(version: ApiVersion, body: &[u8]) -> Result<Subscription, ApiError> {
        let input: SubscriptionInput = decode(body)?;
        let mut v = Validator::new();
        v.required("userId", &input.user_id);
        v.required("productId", &input.product_id);
        v.finish()?;
        // 2017-03-01 creates in `submitted` unless told otherwise; earlier versions in `active`.
        let initial = if version >= ApiVersion::V2017_03_01 {
            "submitted"
        } else {
            "active"
        };
        let mut subscription = Subscription {
            user_id: String::new(),
            product_id: String::new(),
            name: None,
            state: "submitted".to_owned(),
            created_date: now(),
            start_date: None,
            expiration_date: None,
            end_date: None,
            notification_date: None,
            primary_key: String::new(),
            secondary_key: String::new(),
            state_comment: None,
            state_given: false,
        };
        if initial == "active" {
            subscription.set_state("active")?;
        }
        subscription.apply(input)?;
        subscription.validate()?;
        Ok(subscription)
    }

    /// The refusal for regenerating a key in a state that is over (409).
    pub fn regenerate_refused(&self, id: &str) -> Option<ApiError> {
        (!is_live(&self.state)).then(|| {
            ApiError::new(
                ErrorCode::StateConflict,
                format!(
                    "Subscription '{id}' is {}: its keys cannot be regenerated.",
                    self.state
                ),
            )
        })
    }
}

impl Entity for Subscription {
    const KIND: &'static str = "subscription";
    const TYPE_NAME: &'static str = "Subscription";
    const COLLECTION: &'static str = "/subscriptions";
    const ID_PARAM: &'static str = "sid";

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        FILTER_FIELDS
    }

    fn field<'a>(&'a self, id: &'a str, name: &str) -> FieldValue<'a> {
        match name {
            "id" => FieldValue::String(Some(Cow::Borrowed(id))),
            "name" => FieldValue::String(self.name.as_deref().map(Cow::Borrowed)),
            "stateComment" => FieldValue::String(self.state_comment.as_deref().map(Cow::Borrowed)),
            "userId" => FieldValue::String(Some(Cow::Owned(format!("/users/{}", self.user_id)))),
            "productId" => {
                FieldValue::String(Some(Cow::Owned(format!("/products/{}", self.product_id))))
            }
            "state" => FieldValue::String(Some(Cow::Borrowed(&self.state))),
            _ => FieldValue::String(None),
        }
    }

    fn from_put(version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        Subscription::create(version, body)
    }

    fn patched(mut self, _: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        self.apply(decode(body)?)?;
        self.validate()?;
        Ok(self)
    }

    fn render(&self, version: ApiVersion, wire_id: &str) -> Value {
        let mut out = json!({
            "id": wire_id,
            "userId": format!("/users/{}", self.user_id),
            "productId": format!("/products/{}", self.product_id),
        });
        if self.name.is_some() || version < ApiVersion::V2017_03_01 {
            out["name"] = json!(self.name);
        }
        out["state"] = json!(self.state);
        out["createdDate"] = json!(self.created_date);
        for (field, value) in [
            ("startDate", &self.start_date),
            ("expirationDate", &self.expiration_date),
            ("endDate", &self.end_date),
            ("notificationDate", &self.notification_date),
        ] {
            if value.is_some() {
                out[field] = json!(value);
            }
        }
        out["primaryKey"] = json!(self.primary_key);
        out["secondaryKey"] = json!(self.secondary_key);
        if let Some(comment) = &self.state_comment {
            out["stateComment"] = json!(comment);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_table() {
        assert!(transition_allowed("submitted", "active"));
        assert!(transition_allowed("active", "suspended"));
        assert!(transition_allowed("expired", "active"));
        assert!(!transition_allowed("cancelled", "active"));
        assert!(!transition_allowed("rejected", "submitted"));
        assert!(!transition_allowed("active", "submitted"));
        assert!(transition_allowed("cancelled", "cancelled"));
    }

    #[test]
    fn creation_defaults_per_version() {
        let body = br#"{"userId":"/users/u","productId":"/products/p"}"#;
        let s = Subscription::create(ApiVersion::LATEST, body).unwrap();
        assert_eq!(
            (s.state.as_str(), s.user_id.as_str(), s.product_id.as_str()),
            ("submitted", "u", "p")
        );
        assert!(
            s.primary_key.is_empty(),
            "keys not given are generated by the caller"
        );
        assert_eq!(
            Subscription::create(ApiVersion::V2014_02_14, body)
                .unwrap()
                .state,
            "active"
        );
        let same = br#"{"userId":"u","productId":"p","primaryKey":"a","secondaryKey":"a"}"#;
        assert_eq!(
            Subscription::create(ApiVersion::LATEST, same)
                .unwrap_err()
                .details[0]
                .target
                .as_deref(),
            Some("secondaryKey")
        );
        let empty = br#"{"userId":"u","productId":"p","primaryKey":""}"#;
        assert_eq!(
            Subscription::create(ApiVersion::LATEST, empty)
                .unwrap_err()
                .details[0]
                .target
                .as_deref(),
            Some("primaryKey")
        );
        let mut s = s;
        assert!(s.set_state("active").is_ok());
        assert!(s.start_date.as_deref().unwrap().ends_with("T00:00:00Z"));
        assert!(s.set_state("cancelled").is_ok() && s.end_date.is_some());
        assert_eq!(
            s.set_state("active").unwrap_err().details[0].code,
            "Transition"
        );
        assert!(s.regenerate_refused("x").is_some());
    }
}
