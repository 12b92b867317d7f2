//! Developer-portal settings: three singletons at `/portalsettings/{signin,signup,delegation}`,
//! on 2017-03-01 (REFERENCE §16.5). `PUT` replaces a setting (fields not given take their
//! default), `PATCH` changes the fields it gives.

use crate::ApiError;
use crate::body::decode;
use crate::validate::Validator;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One of the portal settings.
pub trait PortalSetting:
    Serialize + DeserializeOwned + Default + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// Its name in the path (`signin`).
    const NAME: &'static str;

    /// Applies the fields of a request body.
    fn patched(self, body: &[u8]) -> Result<Self, ApiError>;

    /// The wire representation.
    fn render(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// An `{ "enabled": bool }` switch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    /// Whether it is on.
    pub enabled: bool,
}

/// `/portalsettings/signin`: whether anonymous visitors are sent to the sign-in page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInSettings {
    /// Redirect anonymous users to the sign-in page.
    pub enabled: bool,
}

/// `/portalsettings/signup`: whether visitors may sign up, and the terms they accept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignUpSettings {
    /// Allow users to sign up.
    pub enabled: bool,
    /// The terms of service shown when signing up.
    pub terms_of_service: TermsOfService,
}

impl Default for SignUpSettings {
    fn default() -> Self {
        SignUpSettings {
            enabled: true,
            terms_of_service: TermsOfService::default(),
        }
    }
}

/// Terms of service of the sign-up page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TermsOfService {
    /// The text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Show the terms while signing up.
    #[serde(default)]
    pub enabled: bool,
    /// Require consent to the terms.
    #[serde(default)]
    pub consent_required: bool,
}

/// `/portalsettings/delegation`: sign-up and subscription delegated to another site.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DelegationSettings {
    /// The delegation endpoint (absolute URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Base64 key the delegation endpoint validates requests with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_key: Option<String>,
    /// Delegate subscribing.
    #[serde(default)]
    pub subscriptions: Switch,
    /// Delegate user registration.
    #[serde(default)]
    pub user_registration: Switch,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInInput {
    enabled: Option<bool>,
}

impl PortalSetting for SignInSettings {
    const NAME: &'static str = "signin";

    fn patched(mut self, body: &[u8]) -> Result<Self, ApiError> {
        let input: SignInInput = decode(body)?;
        if let Some(enabled) = input.enabled {
            self.enabled = enabled;
        }
        Ok(self)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SignUpInput {
    enabled: Option<bool>,
    terms_of_service: Option<TermsOfService>,
}

impl PortalSetting for SignUpSettings {
    const NAME: &'static str = "signup";

    fn patched(mut self, body: &[u8]) -> Result<Self, ApiError> {
        let input: SignUpInput = decode(body)?;
        if let Some(enabled) = input.enabled {
            self.enabled = enabled;
        }
        if let Some(terms) = input.terms_of_service {
            self.terms_of_service = terms;
        }
        let terms = &self.terms_of_service;
        let mut v = Validator::new();
        if terms.enabled && terms.text.as_deref().is_none_or(|t| t.trim().is_empty()) {
            v.fail(
                "termsOfService.text",
                "Required",
                "terms of service that are shown need a text",
            );
        }
        if terms.consent_required && !terms.enabled {
            v.fail(
                "termsOfService.consentRequired",
                "Conflict",
                "consent can be required only for terms of service that are shown (enabled)",
            );
        }
        v.finish()?;
        Ok(self)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DelegationInput {
    url: Option<String>,
    validation_key: Option<String>,
    subscriptions: Option<Switch>,
    user_registration: Option<Switch>,
}

impl PortalSetting for DelegationSettings {
    const NAME: &'static str = "delegation";

    fn patched(mut self, body: &[u8]) -> Result<Self, ApiError> {
        let input: DelegationInput = decode(body)?;
        if let Some(url) = input.url {
            self.url = Some(url);
        }
        if let Some(key) = input.validation_key {
            self.validation_key = Some(key);
        }
        if let Some(switch) = input.subscriptions {
            self.subscriptions = switch;
        }
        if let Some(switch) = input.user_registration {
            self.user_registration = switch;
        }
        let mut v = Validator::new();
        if let Some(url) = &self.url {
            v.http_url("url", url);
        }
        if let Some(key) = &self.validation_key
            && BASE64.decode(key).map_or(true, |bytes| bytes.is_empty())
        {
            v.fail(
                "validationKey",
                "Base64",
                "validationKey must be non-empty base64",
            );
        }
        if self.subscriptions.enabled || self.user_registration.enabled {
            v.required("url", &self.url);
            v.required("validationKey", &self.validation_key);
        }
        v.finish()?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target<T: PortalSetting>(body: &str) -> Option<String> {
        T::default()
            .patched(body.as_bytes())
            .unwrap_err()
            .target()
            .map(str::to_owned)
    }

    #[test]
    fn delegation_needs_an_endpoint_and_a_key() {
        let key = BASE64.encode([7u8; 64]);
        let on = format!(
            r#"{{"url": "https://contoso.com/delegate", "validationKey": "{key}", "subscriptions": {{"enabled": true}}}}"#
        );
        let settings = DelegationSettings::default()
            .patched(on.as_bytes())
            .unwrap();
        assert!(settings.subscriptions.enabled && !settings.user_registration.enabled);
        let missing = r#"{"userRegistration": {"enabled": true}}"#;
        assert_eq!(
            target::<DelegationSettings>(missing).as_deref(),
            Some("url")
        );
        let bad_key = r#"{"validationKey": "not base64!"}"#;
        assert_eq!(
            target::<DelegationSettings>(bad_key).as_deref(),
            Some("validationKey")
        );
        let relative = r#"{"url": "/delegate"}"#;
        assert_eq!(
            target::<DelegationSettings>(relative).as_deref(),
            Some("url")
        );
    }

    #[test]
    fn sign_up_terms_are_consistent() {
        let shown = r#"{"termsOfService": {"enabled": true}}"#;
        assert_eq!(
            target::<SignUpSettings>(shown).as_deref(),
            Some("termsOfService.text")
        );
        let consent = r#"{"termsOfService": {"text": "t", "consentRequired": true}}"#;
        assert_eq!(
            target::<SignUpSettings>(consent).as_deref(),
            Some("termsOfService.consentRequired")
        );
        assert_eq!(
            target::<SignInSettings>(r#"{"enabled": "yes"}"#).as_deref(),
            Some("enabled")
        );
        let defaults = SignUpSettings::default().render();
        assert_eq!(
            defaults,
            serde_json::json!({"enabled": true, "termsOfService": {"enabled": false, "consentRequired": false}})
        );
    }
}
