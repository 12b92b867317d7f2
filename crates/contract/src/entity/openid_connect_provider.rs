//! OpenID Connect provider: a sign-in for the developer console, since 2016-07-07
//! (REFERENCE §16.4). Optional fields that are not set are omitted, as in the examples.

use super::{Entity, with_id};
use crate::body::{decode, nullable};
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;

/// A stored OpenID Connect provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenIdConnectProvider {
    /// Display name (at most 50 characters).
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The provider's metadata document (absolute URL).
    pub metadata_endpoint: String,
    /// The developer console's client id.
    pub client_id: String,
    /// The developer console's client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OpenIdConnectProviderInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    metadata_endpoint: Option<String>,
    client_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    client_secret: Option<Option<String>>,
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

impl OpenIdConnectProvider {
    fn apply(mut self, input: OpenIdConnectProviderInput) -> Result<Self, ApiError> {
        if let Some(name) = input.name {
            self.name = name;
        }
        if let Some(description) = input.description {
            self.description = description;
        }
        if let Some(endpoint) = input.metadata_endpoint {
            self.metadata_endpoint = endpoint;
        }
        if let Some(client_id) = input.client_id {
            self.client_id = client_id;
        }
        if let Some(secret) = input.client_secret {
            self.client_secret = secret;
        }
        let mut v = Validator::new();
        v.length("name", &self.name, 1, 50);
        v.not_blank("name", &self.name);
        v.http_url("metadataEndpoint", &self.metadata_endpoint);
        v.length("clientId", &self.client_id, 1, 4096);
        v.not_blank("clientId", &self.client_id);
        v.length_opt("clientSecret", &self.client_secret, 1, 4096);
        v.finish()?;
        Ok(self)
    }
}

impl Entity for OpenIdConnectProvider {
    const KIND: &'static str = "openidConnectProvider";
    const TYPE_NAME: &'static str = "OpenidConnectProvider";
    const COLLECTION: &'static str = "/openidConnectProviders";
    const ID_PARAM: &'static str = "opid";
    const SINCE: ApiVersion = ApiVersion::V2016_07_07;

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

    fn from_put(_: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: OpenIdConnectProviderInput = decode(body)?;
        let mut v = Validator::new();
        v.required("name", &input.name);
        v.required("metadataEndpoint", &input.metadata_endpoint);
        v.required("clientId", &input.client_id);
        v.finish()?;
        let empty = OpenIdConnectProvider {
            name: String::new(),
            description: None,
            metadata_endpoint: String::new(),
            client_id: String::new(),
            client_secret: None,
        };
        empty.apply(input)
    }

    fn patched(self, _: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: OpenIdConnectProviderInput = decode(body)?;
        self.apply(input)
    }

    fn render(&self, _: ApiVersion, wire_id: &str) -> Value {
        with_id(wire_id, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn put(body: Value) -> Result<OpenIdConnectProvider, ApiError> {
        OpenIdConnectProvider::from_put(ApiVersion::V2017_03_01, body.to_string().as_bytes())
    }

    #[test]
    fn checks_the_fields() {
        let ok = json!({"name": "op", "metadataEndpoint": "https://op.example/.well-known/openid-configuration", "clientId": "c"});
        let provider = put(ok.clone()).unwrap();
        assert_eq!(
            provider.render(ApiVersion::V2017_03_01, "/openidConnectProviders/op"),
            json!({"id": "/openidConnectProviders/op", "name": "op",
                "metadataEndpoint": "https://op.example/.well-known/openid-configuration", "clientId": "c"})
        );
        let mut relative = ok.clone();
        relative["metadataEndpoint"] = json!("op.example");
        assert_eq!(
            put(relative).unwrap_err().target(),
            Some("metadataEndpoint")
        );
        let mut long = ok;
        long["name"] = json!("n".repeat(51));
        assert_eq!(put(long).unwrap_err().target(), Some("name"));
        assert_eq!(put(json!({"name": "op"})).unwrap_err().details.len(), 2);
    }
}
