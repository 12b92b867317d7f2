//! Identity provider: an external sign-in for the developer portal, addressed by its type
//! (`/identityProviders/facebook`), since 2016-07-07 (REFERENCE §16.3).
//!
//! The path names the type, from a fixed set (`aadB2C` from 2017-03-01); the entity is stored
//! under the contract's spelling of it (`/identityProviders/Facebook`, as the examples show).
//! `allowedTenants` applies to `aad` and `aadB2C`, the policy names to `aadB2C` only.

use super::Entity;
use crate::body::{decode, nullable};
use crate::odata::{FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The provider types: (type as the contract spells it in bodies, id spelling).
const TYPES: &[(&str, &str)] = &[
    ("facebook", "Facebook"),
    ("google", "Google"),
    ("microsoft", "Microsoft"),
    ("twitter", "Twitter"),
    ("aad", "Aad"),
    ("aadB2C", "AadB2C"),
];

/// The type a path or body names (any case), with its id spelling, if it exists in `version`.
pub fn provider_type(name: &str, version: ApiVersion) -> Option<(&'static str, &'static str)> {
    TYPES
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(name))
        .filter(|(t, _)| *t != "aadB2C" || version >= ApiVersion::V2017_03_01)
        .copied()
}

/// A stored identity provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityProvider {
    /// The type (`facebook`, …); the same as the id.
    pub provider_type: String,
    /// The application's client id at the provider.
    pub client_id: String,
    /// The application's secret at the provider.
    pub client_secret: String,
    /// AAD tenants allowed to sign in (at most 32).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_tenants: Vec<String>,
    /// AAD B2C sign-up policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signup_policy_name: Option<String>,
    /// AAD B2C sign-in policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signin_policy_name: Option<String>,
    /// AAD B2C profile editing policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_editing_policy_name: Option<String>,
    /// AAD B2C password reset policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_reset_policy_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IdentityProviderInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    #[serde(rename = "type")]
    provider_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    allowed_tenants: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    signup_policy_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    signin_policy_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    profile_editing_policy_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    password_reset_policy_name: Option<Option<String>>,
}

impl IdentityProvider {
    fn apply(
        mut self,
        version: ApiVersion,
        input: IdentityProviderInput,
    ) -> Result<Self, ApiError> {
        let mut v = Validator::new();
        if let Some(given) = &input.provider_type {
            match provider_type(given, version) {
                Some((spelled, _)) => self.provider_type = spelled.to_owned(),
                None => {
                    let allowed: Vec<&str> = TYPES
                        .iter()
                        .map(|(t, _)| *t)
                        .filter(|t| provider_type(t, version).is_some())
                        .collect();
                    v.fail(
                        "type",
                        "Enum",
                        format!("type must be one of {}, got '{given}'", allowed.join(", ")),
                    );
                }
            }
        }
        if let Some(client_id) = input.client_id {
            self.client_id = client_id;
        }
        if let Some(client_secret) = input.client_secret {
            self.client_secret = client_secret;
        }
        if let Some(tenants) = input.allowed_tenants {
            self.allowed_tenants = tenants;
        }
        let b2c = [
            (
                "signupPolicyName",
                input.signup_policy_name,
                &mut self.signup_policy_name,
            ),
            (
                "signinPolicyName",
                input.signin_policy_name,
                &mut self.signin_policy_name,
            ),
            (
                "profileEditingPolicyName",
                input.profile_editing_policy_name,
                &mut self.profile_editing_policy_name,
            ),
            (
                "passwordResetPolicyName",
                input.password_reset_policy_name,
                &mut self.password_reset_policy_name,
            ),
        ];
        for (name, given, field) in b2c {
            if let Some(value) = given {
                *field = value;
            }
            if let Some(value) = field.as_deref() {
                v.length(name, value, 1, 4096);
            }
        }
        v.length("clientId", &self.client_id, 1, 4096);
        v.length("clientSecret", &self.client_secret, 1, 4096);
        v.max_items("allowedTenants", &self.allowed_tenants, 32);
        for (i, tenant) in self.allowed_tenants.iter().enumerate() {
            v.length(&format!("allowedTenants[{i}]"), tenant, 1, 256);
        }
        v.finish()?;
        Ok(self)
    }
}

impl IdentityProvider {
    /// Binds the provider to the type its path names (`name`, already checked against the
    /// request's version with [`provider_type`]): a `type` in the body must be the same, and
    /// the fields that apply to other types only are refused.
    pub fn bind_to(&mut self, name: &str) -> Result<(), ApiError> {
        let Some((spelled, _)) = provider_type(name, ApiVersion::LATEST) else {
            let message = format!("'{name}' is not an identity provider type");
            return Err(ApiError::invalid_field(
                "identityProviderName",
                "Enum",
                message,
            ));
        };
        if !self.provider_type.is_empty() && self.provider_type != spelled {
            let message = format!(
                "type '{}' differs from the path's '{spelled}'",
                self.provider_type
            );
            return Err(ApiError::invalid_field("type", "Mismatch", message));
        }
        self.provider_type = spelled.to_owned();
        let mut v = Validator::new();
        if !self.allowed_tenants.is_empty() && !spelled.starts_with("aad") {
            v.fail(
                "allowedTenants",
                "NotApplicable",
                format!("allowedTenants applies to aad and aadB2C providers, not {spelled}"),
            );
        }
        let b2c = [
            ("signupPolicyName", &self.signup_policy_name),
            ("signinPolicyName", &self.signin_policy_name),
            (
                "profileEditingPolicyName",
                &self.profile_editing_policy_name,
            ),
            ("passwordResetPolicyName", &self.password_reset_policy_name),
        ];
        if let Some((name, _)) = b2c
            .iter()
            .find(|(_, value)| value.is_some())
            .filter(|_| spelled != "aadB2C")
        {
            v.fail(
                name,
                "NotApplicable",
                format!("{name} applies to aadB2C providers only"),
            );
        }
        v.finish()
    }
}

impl Entity for IdentityProvider {
    const KIND: &'static str = "identityProvider";
    const TYPE_NAME: &'static str = "IdentityProvider";
    const COLLECTION: &'static str = "/identityProviders";
    const ID_PARAM: &'static str = "identityProviderName";
    const SINCE: ApiVersion = ApiVersion::V2016_07_07;

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        &[]
    }

    fn field<'a>(&'a self, _id: &'a str, _name: &str) -> FieldValue<'a> {
        FieldValue::String(None)
    }

    fn from_put(version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: IdentityProviderInput = decode(body)?;
        let mut v = Validator::new();
        v.required("clientId", &input.client_id);
        v.required("clientSecret", &input.client_secret);
        v.finish()?;
        let empty = IdentityProvider {
            provider_type: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            allowed_tenants: Vec::new(),
            signup_policy_name: None,
            signin_policy_name: None,
            profile_editing_policy_name: None,
            password_reset_policy_name: None,
        };
        empty.apply(version, input)
    }

    fn patched(self, version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: IdentityProviderInput = decode(body)?;
        if input
            .provider_type
            .as_ref()
            .is_some_and(|t| !t.eq_ignore_ascii_case(&self.provider_type))
        {
            let message = "the type of an identity provider is its id and cannot change";
            return Err(ApiError::invalid_field("type", "ReadOnly", message));
        }
        self.apply(version, input)
    }

    fn render(&self, _: ApiVersion, wire_id: &str) -> Value {
        let mut out = serde_json::Map::new();
        out.insert("id".into(), json!(wire_id));
        out.insert("clientId".into(), json!(self.client_id));
        out.insert("clientSecret".into(), json!(self.client_secret));
        out.insert("type".into(), json!(self.provider_type));
        if !self.allowed_tenants.is_empty() {
            out.insert("allowedTenants".into(), json!(self.allowed_tenants));
        }
        for (name, value) in [
            ("signupPolicyName", &self.signup_policy_name),
            ("signinPolicyName", &self.signin_policy_name),
            (
                "profileEditingPolicyName",
                &self.profile_editing_policy_name,
            ),
            ("passwordResetPolicyName", &self.password_reset_policy_name),
        ] {
            if let Some(value) = value {
                out.insert(name.into(), json!(value));
            }
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V17: ApiVersion = ApiVersion::V2017_03_01;

    fn put(version: ApiVersion, body: Value) -> Result<IdentityProvider, ApiError> {
        IdentityProvider::from_put(version, body.to_string().as_bytes())
    }

    #[test]
    fn types_follow_the_version() {
        assert_eq!(
            provider_type("FACEBOOK", V17),
            Some(("facebook", "Facebook"))
        );
        assert_eq!(provider_type("aadb2c", V17), Some(("aadB2C", "AadB2C")));
        assert_eq!(provider_type("aadB2C", ApiVersion::V2016_10_10), None);
        assert_eq!(provider_type("github", V17), None);
    }

    #[test]
    fn fields_apply_to_their_providers() {
        let bound =
            |name: &str, body: Value| put(V17, body).and_then(|mut p| p.bind_to(name).map(|_| p));
        let aad = bound(
            "aad",
            json!({"clientId": "c", "clientSecret": "s", "allowedTenants": ["t"]}),
        );
        assert_eq!(aad.unwrap().provider_type, "aad");
        let google = bound(
            "google",
            json!({"clientId": "c", "clientSecret": "s", "allowedTenants": ["t"]}),
        );
        assert_eq!(google.unwrap_err().target(), Some("allowedTenants"));
        let b2c = json!({"type": "aad", "clientId": "c", "clientSecret": "s", "signinPolicyName": "B2C_1_in"});
        assert_eq!(
            bound("aad", b2c).unwrap_err().target(),
            Some("signinPolicyName")
        );
        let mismatch = json!({"type": "google", "clientId": "c", "clientSecret": "s"});
        assert_eq!(
            bound("facebook", mismatch).unwrap_err().target(),
            Some("type")
        );
        let unknown = json!({"clientId": "c", "clientSecret": "s"});
        assert_eq!(
            bound("github", unknown).unwrap_err().target(),
            Some("identityProviderName")
        );
        let missing = put(V17, json!({"type": "google", "clientId": "c"}));
        assert_eq!(missing.unwrap_err().target(), Some("clientSecret"));
        let wrong = put(
            V17,
            json!({"type": "github", "clientId": "c", "clientSecret": "s"}),
        );
        assert_eq!(wrong.unwrap_err().target(), Some("type"));
        let shown = bound("TWITTER", json!({"clientId": "c", "clientSecret": "s"})).unwrap();
        assert_eq!(
            shown.render(V17, "/identityProviders/Twitter"),
            json!({"id": "/identityProviders/Twitter", "clientId": "c", "clientSecret": "s", "type": "twitter"})
        );
    }
}
