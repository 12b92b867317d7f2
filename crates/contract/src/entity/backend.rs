//! Backend: a service the gateway forwards to (REFERENCE §10).
//!
//! Stored in the 2017-03-01 shape. The legacy shape (`host`, `skipCertificateChainValidation`,
//! up to 2016-07-07) maps onto it: `host` ↔ the host of `url` (written as `https://{host}`), and
//! `skipCertificateChainValidation` ↔ `!tls.validateCertificateChain`. The 2016-10-10 shape spells
//! the TLS switches `properties.skipCertificate{Chain,Name}Validation`.

use super::Entity;
use super::certificate::Certificate;
use crate::body::decode;
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A stored backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backend {
    /// Runtime URL (`http`, `https`, or `fabric:/…` for Service Fabric).
    pub url: String,
    /// `http` or `soap`.
    pub protocol: String,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Management URI of the resource in an external system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// Service Fabric cluster properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_fabric_cluster: Option<ServiceFabricCluster>,
    /// Credentials sent to the backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    /// Web proxy to reach the backend through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<Proxy>,
    /// TLS certificate validation switches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
}

/// Service Fabric cluster properties (2017-03-01).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceFabricCluster {
    /// Client certificate thumbprint for the management endpoint (required).
    pub client_certificate_thumbprint: Option<String>,
    /// Cluster management endpoints (required).
    pub management_endpoints: Option<Vec<String>>,
    /// Retries when resolving a partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_partition_resolution_retries: Option<i32>,
    /// ISO 8601 duration, e.g. `PT5M`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_resolution_request_timeout: Option<String>,
    /// Server certificate thumbprints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_certificate_thumbprints: Option<Vec<String>>,
    /// Server X509 names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_x509_names: Option<Vec<X509Name>>,
}

/// A server certificate name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct X509Name {
    /// Common name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Issuer thumbprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_certificate_thumbprint: Option<String>,
}

/// Credentials the gateway presents to the backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Credentials {
    /// Client certificate thumbprints (at most 32).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Vec<String>>,
    /// Query parameters to add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<BTreeMap<String, Vec<String>>>,
    /// Headers to add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<BTreeMap<String, Vec<String>>>,
    /// An `Authorization` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
}

/// The `Authorization` header sent to the backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Authorization {
    /// Scheme, 1..100 characters (required).
    pub scheme: Option<String>,
    /// Parameter, 1..300 characters (required).
    pub parameter: Option<String>,
}

/// A web proxy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Proxy {
    /// Proxy URL (required).
    pub url: Option<String>,
    /// User name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// TLS validation switches; absent means `true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tls {
    /// Validate the certificate chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_certificate_chain: Option<bool>,
    /// Validate the certificate name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_certificate_name: Option<bool>,
}

/// The legacy body (up to 2016-07-07).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LegacyInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    host: Option<String>,
    skip_certificate_chain_validation: Option<bool>,
}

/// The body from 2016-10-10 on.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ModernInput {
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    url: Option<String>,
    protocol: Option<String>,
    title: Option<String>,
    description: Option<String>,
    resource_id: Option<String>,
    properties: Option<PropertiesInput>,
    credentials: Option<Credentials>,
    proxy: Option<Proxy>,
    tls: Option<Tls>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PropertiesInput {
    skip_certificate_chain_validation: Option<bool>,
    skip_certificate_name_validation: Option<bool>,
    service_fabric_cluster: Option<ServiceFabricCluster>,
}

const LEGACY_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "id",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "host",
        kind: FieldKind::String,
    },
];
const MODERN_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "id",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "host",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "url",
        kind: FieldKind::String,
    },
];

impl Backend {
    /// The host part of `url` (what the legacy shape calls `host`).
    pub fn host(&self) -> &str {
        let Some((_, rest)) = self.url.split_once("://") else {
            return "";
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit('@').next().unwrap_or("");
        match host_port.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host_port.split(':').next().unwrap_or(""),
        }
    }

    fn skips_chain_validation(&self) -> bool {
        self.tls.as_ref().and_then(|t| t.validate_certificate_chain) == Some(false)
    }

    fn apply_legacy(&mut self, input: LegacyInput) -> Result<(), ApiError> {
        if let Some(host) = input.host {
            let mut v = Validator::new();
            validate_host(&mut v, &host);
            v.finish()?;
            self.url = format!("https://{host}");
        }
        if let Some(skip) = input.skip_certificate_chain_validation {
            self.tls
                .get_or_insert(Tls {
                    validate_certificate_chain: None,
                    validate_certificate_name: None,
                })
                .validate_certificate_chain = Some(!skip);
        }
        Ok(())
    }

    fn apply_modern(&mut self, version: ApiVersion, input: ModernInput) -> Result<(), ApiError> {
        let ModernInput {
            _id,
            url,
            protocol,
            title,
            description,
            resource_id,
            properties,
            credentials,
            proxy,
            tls,
        } = input;
        replace(&mut self.url, url);
        replace(&mut self.protocol, protocol.map(|p| p.to_ascii_lowercase()));
        replace_opt(&mut self.title, title);
        replace_opt(&mut self.description, description);
        replace_opt(&mut self.resource_id, resource_id);
        replace_opt(&mut self.credentials, credentials);
        replace_opt(&mut self.proxy, proxy);
        replace_opt(&mut self.tls, tls);
        if let Some(props) = properties {
            if props.service_fabric_cluster.is_some() && version < ApiVersion::V2017_03_01 {
                return Err(ApiError::invalid_field(
                    "properties.serviceFabricCluster",
                    "UnknownField",
                    "properties.serviceFabricCluster is available from api-version 2017-03-01",
                ));
            }
            replace_opt(
                &mut self.service_fabric_cluster,
                props.service_fabric_cluster,
            );
            let skips = [
                props.skip_certificate_chain_validation,
                props.skip_certificate_name_validation,
            ];
            if skips.iter().any(Option::is_some) {
                let tls = self.tls.get_or_insert(Tls {
                    validate_certificate_chain: None,
                    validate_certificate_name: None,
                });
                if let Some(skip) = skips[0] {
                    tls.validate_certificate_chain = Some(!skip);
                }
                if let Some(skip) = skips[1] {
                    tls.validate_certificate_name = Some(!skip);
                }
            }
        }
        Ok(())
    }

    fn validate(&self, version: ApiVersion) -> Result<(), ApiError> {
        if version < ApiVersion::V2016_10_10 {
            // The legacy fields were checked as given, in `apply_legacy`.
            return Ok(());
        }
        let mut v = Validator::new();
        v.length("url", &self.url, 1, 2000);
        let fabric = self.url.starts_with("fabric:/");
        if fabric && self.service_fabric_cluster.is_none() {
            v.fail(
                "url",
                "Url",
                "a fabric:/ url needs properties.serviceFabricCluster",
            );
        } else if !fabric && !self.url.is_empty() {
            v.http_url("url", &self.url);
        }
        if !matches!(self.protocol.as_str(), "http" | "soap") {
            v.fail(
                "protocol",
                "Enum",
                format!("protocol must be 'http' or 'soap', got '{}'", self.protocol),
            );
        }
        v.length_opt("title", &self.title, 1, 300);
        v.length_opt("description", &self.description, 1, 2000);
        v.length_opt("resourceId", &self.resource_id, 1, 2000);
        if let Some(sf) = &self.service_fabric_cluster {
            let at = "properties.serviceFabricCluster";
            v.required(
                &format!("{at}.clientCertificateThumbprint"),
                &sf.client_certificate_thumbprint,
            );
            if let Some(thumbprint) = &sf.client_certificate_thumbprint {
                check_thumbprint(
                    &mut v,
                    &format!("{at}.clientCertificateThumbprint"),
                    thumbprint,
                );
            }
            v.required(
                &format!("{at}.managementEndpoints"),
                &sf.management_endpoints,
            );
            if let Some(timeout) = &sf.partition_resolution_request_timeout
                && !is_iso_duration(timeout)
            {
                v.fail(
                    &format!("{at}.partitionResolutionRequestTimeout"),
                    "Duration",
                    "must be an ISO 8601 duration such as PT5M",
                );
            }
        }
        if let Some(c) = &self.credentials {
            if let Some(certs) = &c.certificate {
                v.max_items("credentials.certificate", certs, 32);
                for (i, thumbprint) in certs.iter().enumerate() {
                    check_thumbprint(&mut v, &format!("credentials.certificate[{i}]"), thumbprint);
                }
            }
            if let Some(auth) = &c.authorization {
                v.required("credentials.authorization.scheme", &auth.scheme);
                v.required("credentials.authorization.parameter", &auth.parameter);
                v.length_opt("credentials.authorization.scheme", &auth.scheme, 1, 100);
                v.length_opt(
                    "credentials.authorization.parameter",
                    &auth.parameter,
                    1,
                    300,
                );
            }
        }
        if let Some(proxy) = &self.proxy {
            v.required("proxy.url", &proxy.url);
            if let Some(url) = &proxy.url {
                v.length("proxy.url", url, 1, 2000);
                v.http_url("proxy.url", url);
            }
        }
        v.finish()
    }

    fn render_legacy(&self, wire_id: &str) -> Value {
        json!({
            "id": wire_id,
            "host": self.host(),
            "skipCertificateChainValidation": self.skips_chain_validation(),
        })
    }

    fn render_modern(&self, version: ApiVersion, wire_id: &str) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(wire_id));
        insert_opt(&mut out, "title", &self.title);
        insert_opt(&mut out, "description", &self.description);
        out.insert("url".into(), json!(self.url));
        out.insert("protocol".into(), json!(self.protocol));
        insert_opt(&mut out, "resourceId", &self.resource_id);
        let mut props = Map::new();
        if version >= ApiVersion::V2017_03_01 {
            insert_opt(
                &mut props,
                "serviceFabricCluster",
                &self.service_fabric_cluster,
            );
        } else if let Some(tls) = &self.tls {
            if let Some(chain) = tls.validate_certificate_chain {
                props.insert("skipCertificateChainValidation".into(), json!(!chain));
            }
            if let Some(name) = tls.validate_certificate_name {
                props.insert("skipCertificateNameValidation".into(), json!(!name));
            }
        }
        if !props.is_empty() {
            out.insert("properties".into(), Value::Object(props));
        }
        insert_opt(&mut out, "credentials", &self.credentials);
        insert_opt(&mut out, "proxy", &self.proxy);
        if version >= ApiVersion::V2017_03_01 {
            insert_opt(&mut out, "tls", &self.tls);
        }
        Value::Object(out)
    }
}

fn replace<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

fn replace_opt<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

fn insert_opt<T: Serialize>(out: &mut Map<String, Value>, name: &str, value: &Option<T>) {
    if let Some(value) = value {
        out.insert(name.into(), json!(value));
    }
}

fn validate_host(v: &mut Validator, host: &str) {
    v.length("host", host, 1, 255);
    if host
        .chars()
        .any(|c| c.is_whitespace() || "/:?#@[]\\".contains(c))
    {
        v.fail(
            "host",
            "Pattern",
            "host must be a bare host name without scheme, port or path, e.g. backend.contoso.com",
        );
    }
}

/// A reference to a certificate of the service by its thumbprint: 40 hexadecimal digits. (Whether
/// such a certificate exists is not checked; deleting one that is referenced is refused.)
fn check_thumbprint(v: &mut Validator, target: &str, thumbprint: &str) {
    if !Certificate::is_thumbprint(thumbprint) {
        v.fail(
            target,
            "Thumbprint",
            format!(
                "{target} must be a certificate thumbprint (SHA-1, 40 hexadecimal digits), got '{thumbprint}'"
            ),
        );
    }
}

/// Accepts `P[nY][nM][nD][T[nH][nM][n[.n]S]]` with at least one component.
fn is_iso_duration(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('P') else {
        return false;
    };
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    if rest.ends_with('T') || (date.is_empty() && time.is_empty()) {
        return false;
    }
    components(date, "YMWD", false) && components(time, "HMS", true)
}

fn components(part: &str, units: &str, fraction_ok: bool) -> bool {
    let mut number = String::new();
    let mut last_unit = None;
    for c in part.chars() {
        if c.is_ascii_digit() || (fraction_ok && c == '.' && !number.is_empty()) {
            number.push(c);
        } else {
            let Some(pos) = units.find(c) else {
                return false;
            };
            if number.is_empty() || last_unit.is_some_and(|last| pos <= last) {
                return false;
            }
            last_unit = Some(pos);
            number.clear();
        }
    }
    number.is_empty()
}

impl Entity for Backend {
    const KIND: &'static str = "backend";
    const TYPE_NAME: &'static str = "Backend";
    const COLLECTION: &'static str = "/backends";
    const ID_PARAM: &'static str = "backendid";
    const MAX_ID_LEN: usize = 255;

    fn filter_fields(version: ApiVersion) -> &'static [FieldSpec] {
        if version < ApiVersion::V2016_10_10 {
            LEGACY_FIELDS
        } else {
            MODERN_FIELDS
        }
    }

    fn field<'a>(&'a self, id: &'a str, name: &str) -> FieldValue<'a> {
        match name {
            "id" => FieldValue::String(Some(Cow::Borrowed(id))),
            "host" => FieldValue::String(Some(Cow::Borrowed(self.host()))),
            "url" => FieldValue::String(Some(Cow::Borrowed(&self.url))),
            _ => FieldValue::String(None),
        }
    }

    fn from_put(version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let mut backend = Backend {
            url: String::new(),
            protocol: "http".to_owned(),
            title: None,
            description: None,
            resource_id: None,
            service_fabric_cluster: None,
            credentials: None,
            proxy: None,
            tls: None,
        };
        if version < ApiVersion::V2016_10_10 {
            let input: LegacyInput = decode(body)?;
            let mut v = Validator::new();
            v.required("host", &input.host);
            v.finish()?;
            backend.apply_legacy(input)?;
        } else {
            let input: ModernInput = decode(body)?;
            let mut v = Validator::new();
            v.required("url", &input.url);
            v.required("protocol", &input.protocol);
            v.finish()?;
            backend.apply_modern(version, input)?;
        }
        backend.validate(version)?;
        Ok(backend)
    }

    fn patched(mut self, version: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        if version < ApiVersion::V2016_10_10 {
            self.apply_legacy(decode(body)?)?;
        } else {
            self.apply_modern(version, decode(body)?)?;
        }
        self.validate(version)?;
        Ok(self)
    }

    fn render(&self, version: ApiVersion, wire_id: &str) -> Value {
        if version < ApiVersion::V2016_10_10 {
            self.render_legacy(wire_id)
        } else {
            self.render_modern(version, wire_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2014: ApiVersion = ApiVersion::V2014_02_14;
    const V2016: ApiVersion = ApiVersion::V2016_10_10;
    const V2017: ApiVersion = ApiVersion::V2017_03_01;

    fn targets(err: ApiError) -> Vec<String> {
        err.details.into_iter().filter_map(|d| d.target).collect()
    }

    #[test]
    fn legacy_shape_maps_onto_url_and_tls() {
        let b = Backend::from_put(
            V2014,
            br#"{"host":"backend.contoso.com","skipCertificateChainValidation":true}"#,
        )
        .unwrap();
        assert_eq!(b.url, "https://backend.contoso.com");
        assert_eq!(
            b.render(V2014, "/backends/b1"),
            json!({"id":"/backends/b1","host":"backend.contoso.com","skipCertificateChainValidation":true})
        );
        assert_eq!(
            b.render(V2017, "/backends/b1"),
            json!({"id":"/backends/b1","url":"https://backend.contoso.com","protocol":"http","tls":{"validateCertificateChain":false}})
        );
        assert_eq!(
            b.render(V2016, "/backends/b1")["properties"],
            json!({"skipCertificateChainValidation": true})
        );
    }

    #[test]
    fn modern_backend_reads_as_legacy_host() {
        let b = Backend::from_put(
            V2017,
            br#"{"url":"http://api.example.com:8080/v1","protocol":"http"}"#,
        )
        .unwrap();
        assert_eq!(b.render(V2014, "/backends/x")["host"], "api.example.com");
        assert_eq!(
            b.render(V2014, "/backends/x")["skipCertificateChainValidation"],
            false
        );
    }

    #[test]
    fn legacy_host_rules() {
        assert_eq!(
            targets(Backend::from_put(V2014, br#"{}"#).unwrap_err()),
            ["host"]
        );
        assert_eq!(
            targets(Backend::from_put(V2014, br#"{"host":"a.com:443"}"#).unwrap_err()),
            ["host"]
        );
        assert_eq!(
            targets(Backend::from_put(V2014, br#"{"url":"http://a"}"#).unwrap_err()),
            ["url"]
        );
    }

    #[test]
    fn modern_rules() {
        assert_eq!(
            targets(Backend::from_put(V2017, br#"{}"#).unwrap_err()),
            ["url", "protocol"]
        );
        assert_eq!(
            targets(Backend::from_put(V2017, br#"{"url":"nope","protocol":"ftp"}"#).unwrap_err()),
            ["url", "protocol"]
        );
        let auth = br#"{"url":"http://a","protocol":"http","credentials":{"authorization":{"scheme":"Basic"}}}"#;
        assert_eq!(
            targets(Backend::from_put(V2017, auth).unwrap_err()),
            ["credentials.authorization.parameter"]
        );
        let sf = br#"{"url":"fabric:/app/svc","protocol":"http","properties":{"serviceFabricCluster":{"managementEndpoints":["https://c"],"clientCertificateThumbprint":"C0F0AE5B3D8E1DF7A32FCB0BB1B43C8A704C54FF","partitionResolutionRequestTimeout":"PT5M"}}}"#;
        assert!(Backend::from_put(V2017, sf).is_ok());
        assert_eq!(
            targets(Backend::from_put(V2016, sf).unwrap_err()),
            ["properties.serviceFabricCluster"]
        );
        assert_eq!(
            targets(
                Backend::from_put(V2017, br#"{"url":"fabric:/a","protocol":"http"}"#).unwrap_err()
            ),
            ["url"]
        );
        let certs = br#"{"url":"http://a","protocol":"http","credentials":{"certificate":["fb085f34a60c2ad8eed59c58b961bd5fbefc38be","FB:08","FB085F34A60C2AD8EED59C58B961BD5FBEFC38BEAA"]}}"#;
        assert_eq!(
            targets(Backend::from_put(V2017, certs).unwrap_err()),
            ["credentials.certificate[1]", "credentials.certificate[2]"]
        );
        let sf_bad = br#"{"url":"fabric:/app/svc","protocol":"http","properties":{"serviceFabricCluster":{"managementEndpoints":["https://c"],"clientCertificateThumbprint":"AB"}}}"#;
        assert_eq!(
            targets(Backend::from_put(V2017, sf_bad).unwrap_err()),
            ["properties.serviceFabricCluster.clientCertificateThumbprint"]
        );
    }

    #[test]
    fn iso_durations() {
        for ok in ["PT5M", "PT1H30M", "P1D", "P1DT2H", "PT0.5S"] {
            assert!(is_iso_duration(ok), "{ok}");
        }
        for bad in ["", "P", "PT", "5M", "PT5", "PTM", "PT5M5H", "00:02:00"] {
            assert!(!is_iso_duration(bad), "{bad}");
        }
    }

    #[test]
    fn host_of_urls() {
        let with = |url: &str| Backend {
            url: url.into(),
            ..Backend::from_put(V2017, br#"{"url":"http://a","protocol":"http"}"#).unwrap()
        };
        assert_eq!(with("https://user:pw@h.example:1/p").host(), "h.example");
        assert_eq!(with("http://[::1]:8080/").host(), "::1");
        assert_eq!(with("fabric:/app/svc").host(), "");
    }
}
