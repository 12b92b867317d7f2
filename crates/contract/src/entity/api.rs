//! API: a set of operations published at a path of the gateway (REFERENCE §4.1).
//!
//! One stored shape serves every version: legacy responses (before 2016-07-07) show
//! `authenticationSettings` with `oAuth2: null` and `description: null` as the legacy samples
//! do; 2016-07-07 adds `type`; 2017-03-01 adds the read-only revision fields `apiRevision` and
//! `isCurrent`. Import fields (`contentFormat`, `contentValue`, `wsdlSelector`) are handled by the
//! management API's import before this type sees the body; here they are refused.

use super::Entity;
use crate::body::decode;
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::borrow::Cow;

/// The default header that carries a subscription key.
pub const DEFAULT_KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";
/// The default query parameter that carries a subscription key.
pub const DEFAULT_KEY_QUERY: &str = "subscription-key";

/// A stored API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Api {
    /// Display name, 1..300 characters.
    pub name: String,
    /// Description (may contain HTML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Absolute URL of the backend service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_url: Option<String>,
    /// Path under the gateway's base URL, unique among APIs (0..400 characters).
    pub path: String,
    /// `http` and/or `https`.
    pub protocols: Vec<String>,
    /// OAuth 2.0 settings for the developer console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_settings: Option<AuthenticationSettings>,
    /// Where callers put their subscription key.
    pub subscription_key_parameter_names: KeyParameterNames,
    /// `http` or `soap`, when given.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub api_type: Option<String>,
}

/// `authenticationSettings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthenticationSettings {
    /// OAuth 2.0 settings, or none.
    #[serde(default, rename = "oAuth2")]
    pub o_auth2: Option<OAuth2Settings>,
}

/// `authenticationSettings.oAuth2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OAuth2Settings {
    /// The authorization server's id (required).
    pub authorization_server_id: Option<String>,
    /// A scope overriding the server's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// `subscriptionKeyParameterNames`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyParameterNames {
    /// Header name.
    pub header: String,
    /// Query parameter name.
    pub query: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyParameterNamesInput {
    header: Option<String>,
    query: Option<String>,
}

/// The body of `PUT` and `PATCH`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ApiInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    name: Option<String>,
    description: Option<String>,
    service_url: Option<String>,
    path: Option<String>,
    protocols: Option<Vec<String>>,
    authentication_settings: Option<AuthenticationSettings>,
    subscription_key_parameter_names: Option<KeyParameterNamesInput>,
    #[serde(rename = "type")]
    api_type: Option<String>,
    // Read-only revision fields: accepted (a GET result can be sent back) and ignored.
    #[serde(default, rename = "apiRevision")]
    _api_revision: Option<Value>,
    #[serde(default, rename = "isCurrent")]
    _is_current: Option<Value>,
    #[serde(default, rename = "isOnline")]
    _is_online: Option<Value>,
    // Import (not yet supported).
    content_format: Option<Value>,
    content_value: Option<Value>,
    wsdl_selector: Option<Value>,
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
        name: "serviceUrl",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "path",
        kind: FieldKind::String,
    },
];

impl Api {
    fn apply(&mut self, version: ApiVersion, input: ApiInput) -> Result<(), ApiError> {
        if input.content_format.is_some()
            || input.content_value.is_some()
            || input.wsdl_selector.is_some()
        {
            return Err(ApiError::invalid_field(
                "contentFormat",
                "NotSupported",
                "contentFormat/contentValue/wsdlSelector import an API with PUT (api-version 2017-03-01); they cannot be patched",
            ));
        }
        if input.api_type.is_some() && version < ApiVersion::V2016_07_07 {
            return Err(ApiError::invalid_field(
                "type",
                "UnknownField",
                "type is available from api-version 2016-07-07",
            ));
        }
        set(&mut self.name, input.name);
        set_opt(&mut self.description, input.description);
        set_opt(&mut self.service_url, input.service_url);
        set(&mut self.path, input.path);
        set(
            &mut self.protocols,
            input
                .protocols
                .map(|p| p.iter().map(|x| x.to_ascii_lowercase()).collect()),
        );
        set_opt(
            &mut self.authentication_settings,
            input.authentication_settings,
        );
        set_opt(
            &mut self.api_type,
            input.api_type.map(|t| t.to_ascii_lowercase()),
        );
        if let Some(names) = input.subscription_key_parameter_names {
            set(
                &mut self.subscription_key_parameter_names.header,
                names.header,
            );
            set(
                &mut self.subscription_key_parameter_names.query,
                names.query,
            );
        }
        Ok(())
    }

    fn validate(&self, version: ApiVersion) -> Result<(), ApiError> {
        let mut v = Validator::new();
        v.length("name", &self.name, 1, 300);
        v.length("path", &self.path, 0, 400);
        if self
            .path
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "?#".contains(c))
        {
            v.fail(
                "path",
                "Pattern",
                "path must not contain whitespace, '?' or '#'",
            );
        }
        match &self.service_url {
            Some(url) => {
                v.length("serviceUrl", url, 1, 2000);
                v.http_url("serviceUrl", url);
            }
            None if version < ApiVersion::V2017_03_01 => {
                v.fail("serviceUrl", "Required", "serviceUrl is required")
            }
            None => {}
        }
        if self.protocols.is_empty() {
            v.fail(
                "protocols",
                "Required",
                "protocols must list http, https or both",
            );
        }
        for (i, protocol) in self.protocols.iter().enumerate() {
            if protocol != "http" && protocol != "https" {
                v.fail(
                    &format!("protocols[{i}]"),
                    "Enum",
                    format!("protocols may only be http or https, got '{protocol}'"),
                );
            }
        }
        if let Some(t) = self
            .api_type
            .as_ref()
            .filter(|t| *t != "http" && *t != "soap")
        {
            v.fail(
                "type",
                "Enum",
                format!("type must be 'http' or 'soap', got '{t}'"),
            );
        }
        if let Some(oauth) = self
            .authentication_settings
            .as_ref()
            .and_then(|a| a.o_auth2.as_ref())
        {
            v.required(
                "authenticationSettings.oAuth2.authorizationServerId",
                &oauth.authorization_server_id,
            );
        }
        let names = &self.subscription_key_parameter_names;
        v.length(
            "subscriptionKeyParameterNames.header",
            &names.header,
            1,
            256,
        );
        if !names
            .header
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        {
            v.fail(
                "subscriptionKeyParameterNames.header",
                "Pattern",
                "the header name must be an HTTP token",
            );
        }
        v.length("subscriptionKeyParameterNames.query", &names.query, 1, 256);
        v.finish()
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

fn set_opt<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

impl Entity for Api {
    const KIND: &'static str = "api";
    const TYPE_NAME: &'static str = "Api";
    const COLLECTION: &'static str = "/apis";
    const ID_PARAM: &'static str = "apiId";

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        FILTER_FIELDS
    }

    fn field<'a>(&'a self, id: &'a str, name: &str) -> FieldValue<'a> {
        let text = |v: &'a Option<String>| FieldValue::String(v.as_deref().map(Cow::Borrowed));
        match name {
            "id" => FieldValue::String(Some(Cow::Borrowed(id))),
            "name" => FieldValue::String(Some(Cow::Borrowed(&self.name))),
            "description" => text(&self.description),
            "serviceUrl" => text(&self.service_url),
            "path" => FieldValue::String(Some(Cow::Borrowed(&self.path))),
            _ => FieldValue::String(None),
        }
    }

    fn from_put(version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: ApiInput = decode(body)?;
        let mut v = Validator::new();
        v.required("name", &input.name);
        v.required("path", &input.path);
        v.finish()?;
        let mut api = Api {
            name: String::new(),
            description: None,
            service_url: None,
            path: String::new(),
            protocols: vec!["https".to_owned()],
            authentication_settings: None,
            subscription_key_parameter_names: KeyParameterNames {
                header: DEFAULT_KEY_HEADER.to_owned(),
                query: DEFAULT_KEY_QUERY.to_owned(),
            },
            api_type: None,
        };
        api.apply(version, input)?;
        api.validate(version)?;
        Ok(api)
    }

    fn patched(mut self, version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        self.apply(version, decode(body)?)?;
        self.validate(version)?;
        Ok(self)
    }

    fn render(&self, version: ApiVersion, wire_id: &str) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(wire_id));
        out.insert("name".into(), json!(self.name));
        if version >= ApiVersion::V2017_03_01 {
            out.insert("apiRevision".into(), json!("1"));
        }
        let legacy = version < ApiVersion::V2017_03_01;
        if self.description.is_some() || legacy {
            out.insert("description".into(), json!(self.description));
        }
        if let Some(url) = &self.service_url {
            out.insert("serviceUrl".into(), json!(url));
        }
        out.insert("path".into(), json!(self.path));
        out.insert("protocols".into(), json!(self.protocols));
        match &self.authentication_settings {
            Some(settings) => {
                out.insert(
                    "authenticationSettings".into(),
                    json!({ "oAuth2": settings.o_auth2 }),
                );
            }
            None if legacy => {
                out.insert("authenticationSettings".into(), json!({ "oAuth2": null }));
            }
            None => {}
        }
        out.insert(
            "subscriptionKeyParameterNames".into(),
            json!(self.subscription_key_parameter_names),
        );
        if let Some(t) = self
            .api_type
            .as_ref()
            .filter(|_| version >= ApiVersion::V2016_07_07)
        {
            out.insert("type".into(), json!(t));
        }
        if version >= ApiVersion::V2017_03_01 {
            out.insert("isCurrent".into(), json!(true));
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2017: ApiVersion = ApiVersion::V2017_03_01;

    fn put(version: ApiVersion, body: Value) -> Result<Api, ApiError> {
        Api::from_put(version, body.to_string().as_bytes())
    }

    fn targets(err: ApiError) -> Vec<String> {
        err.details.into_iter().filter_map(|d| d.target).collect()
    }

    #[test]
    fn renders_the_2017_example() {
        let body = json!({"name": "api_1", "description": "d", "serviceUrl": "http://contoso/x", "path": "suffix", "protocols": ["https"]});
        let api = put(V2017, body).unwrap();
        assert_eq!(
            api.render(V2017, "/apis/a1"),
            json!({"id": "/apis/a1", "name": "api_1", "apiRevision": "1", "description": "d",
                   "serviceUrl": "http://contoso/x", "path": "suffix", "protocols": ["https"],
                   "subscriptionKeyParameterNames": {"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"},
                   "isCurrent": true})
        );
        let legacy = api.render(ApiVersion::V2014_02_14, "/apis/a1");
        assert_eq!(legacy["authenticationSettings"], json!({"oAuth2": null}));
        assert!(legacy.get("apiRevision").is_none());
    }

    #[test]
    fn validates() {
        assert_eq!(
            targets(put(V2017, json!({})).unwrap_err()),
            ["name", "path"]
        );
        let bad = json!({"name": "n", "path": "p q", "serviceUrl": "ftp://x", "protocols": ["ws"], "type": "grpc"});
        assert_eq!(
            targets(put(V2017, bad).unwrap_err()),
            ["path", "serviceUrl", "protocols[0]", "type"]
        );
        assert_eq!(
            targets(put(ApiVersion::V2014_02_14, json!({"name": "n", "path": "p"})).unwrap_err()),
            ["serviceUrl"]
        );
        let oauth =
            json!({"name": "n", "path": "p", "authenticationSettings": {"oAuth2": {"scope": "s"}}});
        assert_eq!(
            targets(put(V2017, oauth).unwrap_err()),
            ["authenticationSettings.oAuth2.authorizationServerId"]
        );
        let import = json!({"name": "n", "path": "p", "contentFormat": "swagger-json", "contentValue": "{}"});
        assert_eq!(targets(put(V2017, import).unwrap_err()), ["contentFormat"]);
        let keys = json!({"name": "n", "path": "p", "subscriptionKeyParameterNames": {"header": "bad header"}});
        assert_eq!(
            targets(put(V2017, keys).unwrap_err()),
            ["subscriptionKeyParameterNames.header"]
        );
    }

    #[test]
    fn defaults_and_read_only_fields() {
        let api = put(
            V2017,
            json!({"name": "n", "path": "", "apiRevision": "7", "isCurrent": false}),
        )
        .unwrap();
        assert_eq!(api.protocols, ["https"]);
        assert_eq!(
            api.subscription_key_parameter_names.query,
            "subscription-key"
        );
        let api = api
            .patched(
                V2017,
                br#"{"subscriptionKeyParameterNames": {"query": "key"}}"#,
            )
            .unwrap();
        assert_eq!(
            api.subscription_key_parameter_names.header,
            "Ocp-Apim-Subscription-Key"
        );
        assert_eq!(api.subscription_key_parameter_names.query, "key");
    }
}
