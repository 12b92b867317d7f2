//! Logger: an event sink for `log-to-eventhub` (REFERENCE §12).
//!
//! The type is `type` up to 2016-10-10 and `loggerType` on 2017-03-01; both accept only
//! `azureEventHub` (any case). `credentials` are written by clients in clear, but never stored so:
//! the management layer moves the connection string into a secret property and keeps the
//! reference `{{Logger-Credentials-…}}` here (see [`Logger::connection_string`]). Legacy versions
//! never show credentials; 2017-03-01 shows them with that reference.

use super::Entity;
use crate::body::decode;
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The one logger type of the contract, as responses spell it.
pub const AZURE_EVENT_HUB: &str = "azureEventHub";
/// The credential that holds the secret connection string.
pub const CONNECTION_STRING: &str = "connectionString";
/// The credential that names the event hub.
pub const HUB_NAME: &str = "name";

/// A stored logger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Logger {
    /// `azureEventHub`.
    pub logger_type: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `name` and `connectionString`; the latter a `{{named value}}` reference once stored.
    pub credentials: BTreeMap<String, String>,
    /// Whether records are buffered before publishing.
    pub is_buffered: bool,
}

/// The body of `PUT` and `PATCH`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LoggerInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    /// Legacy spelling of the type.
    #[serde(rename = "type")]
    legacy_type: Option<String>,
    logger_type: Option<String>,
    description: Option<String>,
    credentials: Option<BTreeMap<String, String>>,
    is_buffered: Option<bool>,
}

impl LoggerInput {
    /// Refuses the fields this version does not have, and returns the type given, if any.
    fn logger_type(&self, version: ApiVersion) -> Result<Option<&String>, ApiError> {
        let (given, other, name, other_name) = if version >= ApiVersion::V2017_03_01 {
            (&self.logger_type, &self.legacy_type, "loggerType", "type")
        } else {
            (&self.legacy_type, &self.logger_type, "type", "loggerType")
        };
        if other.is_some() {
            let message =
                format!("api-version {version} names the logger type '{name}', not '{other_name}'");
            return Err(ApiError::invalid_field(other_name, "UnknownField", message));
        }
        if self.is_buffered.is_some() && version < ApiVersion::V2016_07_07 {
            let message = format!(
                "isBuffered is available from api-version 2016-07-07 (this call uses {version})"
            );
            return Err(ApiError::invalid_field(
                "isBuffered",
                "UnknownField",
                message,
            ));
        }
        Ok(given.as_ref())
    }
}

const FILTER_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "id",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "type",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "loggerType",
        kind: FieldKind::String,
    },
];

/// Whether `value` is exactly one `{{name}}` reference; returns the name.
pub fn named_value_reference(value: &str) -> Option<&str> {
    let name = value.strip_prefix("{{")?.strip_suffix("}}")?;
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    valid.then_some(name)
}

impl Logger {
    /// The stored connection string (a `{{reference}}` once written).
    pub fn connection_string(&self) -> Option<&str> {
        self.credentials.get(CONNECTION_STRING).map(String::as_str)
    }

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Validator::new();
        if let Some(description) = &self.description {
            v.length("description", description, 0, 256);
        }
        for key in [HUB_NAME, CONNECTION_STRING] {
            let target = format!("credentials.{key}");
            match self.credentials.get(key) {
                None => v.fail(&target, "Required", format!("{target} is required")),
                Some(value) => {
                    v.length(&target, value, 1, 4096);
                    v.not_blank(&target, value);
                }
            }
        }
        if let Some(unknown) = self
            .credentials
            .keys()
            .find(|k| ![HUB_NAME, CONNECTION_STRING].contains(&k.as_str()))
        {
            let target = format!("credentials.{unknown}");
            v.fail(
                &target,
                "UnknownField",
                format!("an azureEventHub logger has the credentials name and connectionString only, not '{unknown}'"),
            );
        }
        let connection = self.connection_string().unwrap_or_default();
        if connection.starts_with("{{") && named_value_reference(connection).is_none() {
            v.fail(
                "credentials.connectionString",
                "Pattern",
                "a connection string is either given in clear or as one {{named value}} reference",
            );
        }
        v.finish()
    }
}

fn check_type(given: &str, target: &str) -> Result<String, ApiError> {
    if given.eq_ignore_ascii_case(AZURE_EVENT_HUB) {
        return Ok(AZURE_EVENT_HUB.to_owned());
    }
    let message = format!("'{given}' is not a logger type; the only one is azureEventHub");
    Err(ApiError::invalid_field(target, "Enum", message))
}

fn type_name(version: ApiVersion) -> &'static str {
    if version >= ApiVersion::V2017_03_01 {
        "loggerType"
    } else {
        "type"
    }
}

impl Entity for Logger {
    const KIND: &'static str = "logger";
    const TYPE_NAME: &'static str = "Logger";
    const COLLECTION: &'static str = "/loggers";
    const ID_PARAM: &'static str = "loggerid";

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        FILTER_FIELDS
    }

    fn field<'a>(&'a self, id: &'a str, name: &str) -> FieldValue<'a> {
        match name {
            "id" => FieldValue::String(Some(Cow::Borrowed(id))),
            "type" | "loggerType" => FieldValue::String(Some(Cow::Borrowed(&self.logger_type))),
            _ => FieldValue::String(None),
        }
    }

    fn from_put(version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: LoggerInput = decode(body)?;
        let given = input.logger_type(version)?;
        let mut v = Validator::new();
        v.required(type_name(version), &given);
        v.required("credentials", &input.credentials);
        v.finish()?;
        let logger = Logger {
            logger_type: check_type(given.map_or("", String::as_str), type_name(version))?,
            description: input.description,
            credentials: input.credentials.unwrap_or_default(),
            is_buffered: input.is_buffered.unwrap_or(true),
        };
        logger.validate()?;
        Ok(logger)
    }

    fn patched(mut self, version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: LoggerInput = decode(body)?;
        if let Some(given) = input.logger_type(version)? {
            self.logger_type = check_type(given, type_name(version))?;
        }
        if let Some(description) = input.description {
            self.description = Some(description);
        }
        if let Some(credentials) = input.credentials {
            self.credentials = credentials;
        }
        if let Some(is_buffered) = input.is_buffered {
            self.is_buffered = is_buffered;
        }
        self.validate()?;
        Ok(self)
    }

    fn render(&self, version: ApiVersion, wire_id: &str) -> Value {
        let mut out = json!({ "id": wire_id });
        out[type_name(version)] = json!(self.logger_type);
        if let Some(description) = &self.description {
            out["description"] = json!(description);
        }
        if version >= ApiVersion::V2017_03_01 {
            out["credentials"] = json!(self.credentials);
        }
        if version >= ApiVersion::V2016_07_07 {
            out["isBuffered"] = json!(self.is_buffered);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(version: ApiVersion, body: Value) -> Result<Logger, ApiError> {
        Logger::from_put(version, body.to_string().as_bytes())
    }

    fn hub() -> Value {
        json!({"name": "hub", "connectionString": "Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b"})
    }

    #[test]
    fn the_type_field_follows_the_version() {
        let v17 = ApiVersion::V2017_03_01;
        let legacy = ApiVersion::V2016_07_07;
        let logger = put(
            v17,
            json!({"loggerType": "AzureEventHub", "credentials": hub()}),
        )
        .unwrap();
        assert_eq!(
            (logger.logger_type.as_str(), logger.is_buffered),
            (AZURE_EVENT_HUB, true)
        );
        let wrong = put(v17, json!({"type": "azureEventHub", "credentials": hub()})).unwrap_err();
        assert_eq!(wrong.target(), Some("type"));
        let legacy_logger = put(
            legacy,
            json!({"type": "AzureEventHub", "credentials": hub()}),
        )
        .unwrap();
        let shown = legacy_logger.render(legacy, "/loggers/l");
        assert_eq!(
            shown,
            json!({"id": "/loggers/l", "type": "azureEventHub", "isBuffered": true})
        );
        let old = ApiVersion::V2015_09_15;
        let refused = put(
            old,
            json!({"type": "azureEventHub", "credentials": hub(), "isBuffered": false}),
        );
        assert_eq!(refused.unwrap_err().target(), Some("isBuffered"));
        let unknown = put(v17, json!({"loggerType": "splunk", "credentials": hub()})).unwrap_err();
        assert_eq!(unknown.target(), Some("loggerType"));
    }

    #[test]
    fn credentials_need_a_hub_and_a_connection_string() {
        let v17 = ApiVersion::V2017_03_01;
        let missing = put(
            v17,
            json!({"loggerType": "azureEventHub", "credentials": {"name": "h"}}),
        );
        assert_eq!(
            missing.unwrap_err().target(),
            Some("credentials.connectionString")
        );
        let mut extra = hub();
        extra["sasKey"] = json!("x");
        let refused = put(
            v17,
            json!({"loggerType": "azureEventHub", "credentials": extra}),
        );
        assert_eq!(refused.unwrap_err().target(), Some("credentials.sasKey"));
        let broken = json!({"name": "h", "connectionString": "{{not closed"});
        let refused = put(
            v17,
            json!({"loggerType": "azureEventHub", "credentials": broken}),
        );
        assert_eq!(
            refused.unwrap_err().target(),
            Some("credentials.connectionString")
        );
        assert_eq!(
            named_value_reference("{{Logger-Credentials-1}}"),
            Some("Logger-Credentials-1")
        );
        assert_eq!(named_value_reference("Endpoint=sb://x"), None);
    }
}
