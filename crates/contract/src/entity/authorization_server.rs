//! Authorization server: an external OAuth 2.0 server that the developer console obtains tokens
//! from, and that APIs name in `authenticationSettings.oAuth2` (REFERENCE §13).
//!
//! The same fields and rules in every version, except `name`: at most 100 characters before
//! 2017-03-01, 50 on it. Enumerated values are accepted in any case and stored in the contract's
//! spelling. Lists never show `clientSecret` or `resourceOwnerPassword`; a single GET does.

use super::{Entity, with_id};
use crate::body::{decode, nullable};
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;

const METHODS: &[&str] = &[
    "HEAD", "OPTIONS", "TRACE", "GET", "POST", "PUT", "PATCH", "DELETE",
];
const CLIENT_AUTHENTICATION: &[&str] = &["Basic", "Body"];
const GRANT_TYPES: &[&str] = &[
    "authorizationCode",
    "implicit",
    "resourceOwnerPassword",
    "clientCredentials",
];
const BEARER_TOKEN_SENDING: &[&str] = &["authorizationHeader", "query"];

/// An extra parameter of token requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBodyParameter {
    /// Parameter name (required).
    pub name: Option<String>,
    /// Parameter value (required).
    pub value: Option<String>,
}

/// A stored authorization server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationServer {
    /// Display name.
    pub name: String,
    /// Description (may contain HTML).
    pub description: Option<String>,
    /// Where clients register (absolute URL).
    pub client_registration_endpoint: String,
    /// The authorization endpoint (absolute URL).
    pub authorization_endpoint: String,
    /// HTTP methods the authorization endpoint accepts; `GET` always among them.
    pub authorization_methods: Option<Vec<String>>,
    /// How clients authenticate to the token endpoint: `Basic`, `Body`.
    pub client_authentication_method: Option<Vec<String>>,
    /// Extra token request parameters.
    pub token_body_parameters: Option<Vec<TokenBodyParameter>>,
    /// The token endpoint (absolute URL).
    pub token_endpoint: Option<String>,
    /// Whether the server echoes `state`.
    pub support_state: Option<bool>,
    /// Space-separated default scopes.
    pub default_scope: Option<String>,
    /// Grant types (at least one).
    pub grant_types: Vec<String>,
    /// How access tokens are sent to APIs: `authorizationHeader`, `query`.
    pub bearer_token_sending_methods: Option<Vec<String>>,
    /// Client id.
    pub client_id: String,
    /// Client secret (not shown in lists).
    pub client_secret: Option<String>,
    /// Default resource owner user name.
    pub resource_owner_username: Option<String>,
    /// Default resource owner password (not shown in lists).
    pub resource_owner_password: Option<String>,
}

/// The body of `PUT` and `PATCH`; every field optional on the wire.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuthorizationServerInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    client_registration_endpoint: Option<String>,
    authorization_endpoint: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    authorization_methods: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    client_authentication_method: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    token_body_parameters: Option<Option<Vec<TokenBodyParameter>>>,
    #[serde(default, deserialize_with = "nullable")]
    token_endpoint: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    support_state: Option<Option<bool>>,
    #[serde(default, deserialize_with = "nullable")]
    default_scope: Option<Option<String>>,
    grant_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    bearer_token_sending_methods: Option<Option<Vec<String>>>,
    client_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    client_secret: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    resource_owner_username: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    resource_owner_password: Option<Option<String>>,
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
];

/// Replaces each item by its allowed spelling; a failure for each one not allowed.
fn normalize(
    v: &mut Validator,
    target: &str,
    items: &mut Option<Vec<String>>,
    allowed: &[&'static str],
) {
    for (i, item) in items.iter_mut().flatten().enumerate() {
        if let Some(spelled) = v.one_of(&format!("{target}[{i}]"), item, allowed) {
            *item = spelled.to_owned();
        }
    }
}

impl AuthorizationServer {
    fn empty() -> AuthorizationServer {
        AuthorizationServer {
            name: String::new(),
            description: None,
            client_registration_endpoint: String::new(),
            authorization_endpoint: String::new(),
            authorization_methods: None,
            client_authentication_method: None,
            token_body_parameters: None,
            token_endpoint: None,
            support_state: None,
            default_scope: None,
            grant_types: Vec::new(),
            bearer_token_sending_methods: None,
            client_id: String::new(),
            client_secret: None,
            resource_owner_username: None,
            resource_owner_password: None,
        }
    }

    /// Applies the given fields, then checks and normalizes the result.
    fn apply(
        mut self,
        version: ApiVersion,
        input: AuthorizationServerInput,
    ) -> Result<Self, ApiError> {
        macro_rules! set {
            ($($field:ident),*) => {$(
                if let Some(value) = input.$field {
                    self.$field = value;
                }
            )*};
        }
        set!(
            name,
            description,
            client_registration_endpoint,
            authorization_endpoint,
            authorization_methods,
            client_authentication_method,
            token_body_parameters,
            token_endpoint,
            support_state,
            default_scope,
            grant_types,
            bearer_token_sending_methods,
            client_id,
            client_secret,
            resource_owner_username,
            resource_owner_password
        );
        self.checked(version)
    }

    fn checked(mut self, version: ApiVersion) -> Result<Self, ApiError> {
        let mut v = Validator::new();
        let longest_name = if version >= ApiVersion::V2017_03_01 {
            50
        } else {
            100
        };
        v.length("name", &self.name, 1, longest_name);
        v.not_blank("name", &self.name);
        v.http_url(
            "clientRegistrationEndpoint",
            &self.client_registration_endpoint,
        );
        v.http_url("authorizationEndpoint", &self.authorization_endpoint);
        if let Some(token_endpoint) = &self.token_endpoint {
            v.http_url("tokenEndpoint", token_endpoint);
        }
        v.length("clientId", &self.client_id, 1, 4096);
        v.not_blank("clientId", &self.client_id);
        normalize(
            &mut v,
            "authorizationMethods",
            &mut self.authorization_methods,
            METHODS,
        );
        if self
            .authorization_methods
            .as_ref()
            .is_some_and(|methods| v.is_ok() && !methods.iter().any(|m| m == "GET"))
        {
            v.fail(
                "authorizationMethods",
                "Required",
                "authorizationMethods must include GET",
            );
        }
        normalize(
            &mut v,
            "clientAuthenticationMethod",
            &mut self.client_authentication_method,
            CLIENT_AUTHENTICATION,
        );
        normalize(
            &mut v,
            "bearerTokenSendingMethods",
            &mut self.bearer_token_sending_methods,
            BEARER_TOKEN_SENDING,
        );
        let mut grant_types = Some(std::mem::take(&mut self.grant_types));
        normalize(&mut v, "grantTypes", &mut grant_types, GRANT_TYPES);
        self.grant_types = grant_types.unwrap_or_default();
        if self.grant_types.is_empty() {
            v.fail(
                "grantTypes",
                "Required",
                "grantTypes needs at least one grant type",
            );
        }
        for (i, parameter) in self.token_body_parameters.iter().flatten().enumerate() {
            v.required(&format!("tokenBodyParameters[{i}].name"), &parameter.name);
            v.required(&format!("tokenBodyParameters[{i}].value"), &parameter.value);
        }
        v.finish()?;
        Ok(self)
    }
}

impl Entity for AuthorizationServer {
    const KIND: &'static str = "authorizationServer";
    const TYPE_NAME: &'static str = "AuthorizationServer";
    const COLLECTION: &'static str = "/authorizationServers";
    const ID_PARAM: &'static str = "authsid";

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        FILTER_FIELDS
    }

    fn field<'a>(&'a self, id: &'a str, name: &str) -> FieldValue<'a> {
        match name {
            "id" => FieldValue::String(Some(Cow::Borrowed(id))),
            "name" => FieldValue::String(Some(Cow::Borrowed(&self.name))),
            _ => FieldValue::String(None),
        }
    }

    fn from_put(version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: AuthorizationServerInput = decode(body)?;
        let mut v = Validator::new();
        v.required("name", &input.name);
        v.required(
            "clientRegistrationEndpoint",
            &input.client_registration_endpoint,
        );
        v.required("authorizationEndpoint", &input.authorization_endpoint);
        v.required("grantTypes", &input.grant_types);
        v.required("clientId", &input.client_id);
        v.finish()?;
        AuthorizationServer::empty().apply(version, input)
    }

    fn patched(self, version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: AuthorizationServerInput = decode(body)?;
        self.apply(version, input)
    }

    fn render(&self, _: ApiVersion, wire_id: &str) -> Value {
        // Unset fields as `null`, as the GET example shows them.
        with_id(wire_id, self)
    }

    fn render_in_list(&self, version: ApiVersion, wire_id: &str) -> Value {
        let mut out = self.render(version, wire_id);
        if let Value::Object(fields) = &mut out {
            fields.shift_remove("clientSecret");
            fields.shift_remove("resourceOwnerPassword");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V17: ApiVersion = ApiVersion::V2017_03_01;

    fn minimal() -> Value {
        json!({
            "name": "contoso", "clientRegistrationEndpoint": "https://contoso.com/apps",
            "authorizationEndpoint": "https://contoso.com/auth", "grantTypes": ["AuthorizationCode"],
            "clientId": "c1", "clientSecret": "s1", "resourceOwnerPassword": "p"
        })
    }

    fn put(body: &Value) -> Result<AuthorizationServer, ApiError> {
        AuthorizationServer::from_put(V17, body.to_string().as_bytes())
    }

    #[test]
    fn enums_are_checked_and_spelled_as_the_contract() {
        let mut body = minimal();
        body["authorizationMethods"] = json!(["get", "post"]);
        body["bearerTokenSendingMethods"] = json!(["QUERY"]);
        let server = put(&body).unwrap();
        assert_eq!(server.grant_types, ["authorizationCode"]);
        assert_eq!(
            server.authorization_methods,
            Some(vec!["GET".into(), "POST".into()])
        );
        assert_eq!(
            server.bearer_token_sending_methods,
            Some(vec!["query".into()])
        );
        body["authorizationMethods"] = json!(["POST"]);
        assert_eq!(
            put(&body).unwrap_err().target(),
            Some("authorizationMethods")
        );
        body["authorizationMethods"] = json!(["GET", "FETCH"]);
        assert_eq!(
            put(&body).unwrap_err().target(),
            Some("authorizationMethods[1]")
        );
        let mut body = minimal();
        body["grantTypes"] = json!([]);
        assert_eq!(put(&body).unwrap_err().target(), Some("grantTypes"));
        body["grantTypes"] = json!(["password"]);
        assert_eq!(put(&body).unwrap_err().target(), Some("grantTypes[0]"));
    }

    #[test]
    fn urls_names_and_required_fields() {
        let mut body = minimal();
        body["tokenEndpoint"] = json!("/token");
        assert_eq!(put(&body).unwrap_err().target(), Some("tokenEndpoint"));
        let mut body = minimal();
        body["name"] = json!("n".repeat(51));
        assert_eq!(put(&body).unwrap_err().target(), Some("name"));
        let legacy =
            AuthorizationServer::from_put(ApiVersion::V2016_07_07, body.to_string().as_bytes());
        assert!(legacy.is_ok(), "up to 100 characters before 2017-03-01");
        let mut body = minimal();
        body.as_object_mut().unwrap().remove("clientId");
        assert_eq!(put(&body).unwrap_err().target(), Some("clientId"));
        let mut body = minimal();
        body["tokenBodyParameters"] = json!([{"name": "resource"}]);
        assert_eq!(
            put(&body).unwrap_err().target(),
            Some("tokenBodyParameters[0].value")
        );
    }

    #[test]
    fn lists_hide_the_secrets() {
        let server = put(&minimal()).unwrap();
        let full = server.render(V17, "/authorizationServers/a");
        assert_eq!(
            (&full["id"], &full["clientSecret"]),
            (&json!("/authorizationServers/a"), &json!("s1"))
        );
        assert_eq!(
            full.as_object().unwrap().keys().next().map(String::as_str),
            Some("id")
        );
        let listed = server.render_in_list(V17, "/authorizationServers/a");
        assert!(
            listed.get("clientSecret").is_none() && listed.get("resourceOwnerPassword").is_none()
        );
        assert_eq!(listed["clientId"], "c1");
    }
}
