//! Certificate: a client certificate with its private key, which the gateway presents to backends
//! (mutual TLS) where a backend's `credentials.certificate` or an `authentication-certificate`
//! policy names it (REFERENCE §11).
//!
//! A `PUT` carries the PKCS#12 file as base64 `data` and its `password`. This module checks the
//! body and decodes `data` into an [`Upload`]; opening the file, deriving `subject`, `thumbprint`
//! and `expirationDate`, and sealing the key material need the server secret and happen in the
//! management layer. The stored record never holds the file, the password or the plain key.

use super::Entity;
use crate::body::decode;
use crate::odata::{FieldKind, FieldSpec, FieldValue};
use crate::validate::Validator;
use crate::{ApiError, ApiVersion, ErrorCode};
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::fmt;

/// The longest password accepted, in characters (the PKCS#12 key derivation hashes it once per
/// iteration, so its length multiplies the work an upload causes).
pub const MAX_PASSWORD_LEN: usize = 256;

/// A stored certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    /// The leaf certificate's subject (`CN=localhost`).
    pub subject: String,
    /// SHA-1 of the leaf certificate, 40 upper-case hexadecimal digits.
    pub thumbprint: String,
    /// The leaf certificate's `notAfter`, `yyyy-MM-ddTHH:mm:ssZ`.
    pub expiration_date: String,
    /// The private key and certificate chain, sealed under the server secret; never rendered.
    pub key_material: String,
    /// The file of this request, until it is opened; never stored.
    #[serde(skip)]
    pub upload: Option<Upload>,
}

/// An uploaded PKCS#12 file and its password. `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    /// The file's bytes (`data`, base64-decoded).
    pub pfx: Vec<u8>,
    /// The file's password.
    pub password: String,
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("pfx", &format!("<{} bytes>", self.pfx.len()))
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The body of `PUT` (every api-version).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CertificateInput {
    /// Read-only; accepted and ignored.
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    data: Option<String>,
    password: Option<String>,
}

/// Standard base64; padding optional, as tools differ.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const FILTER_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "id",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "subject",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "thumbprint",
        kind: FieldKind::String,
    },
    FieldSpec {
        name: "expirationDate",
        kind: FieldKind::DateTime,
    },
];

/// Decodes `data`: base64 with line breaks and other whitespace ignored (as `openssl base64` and
/// .NET write and read it).
fn decode_data(v: &mut Validator, data: &str) -> Option<Vec<u8>> {
    let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        v.fail(
            "data",
            "Required",
            "data must hold the base64 of a PKCS#12 (.pfx) file",
        );
        return None;
    }
    match BASE64.decode(compact.as_bytes()) {
        Ok(bytes) => Some(bytes),
        Err(err) => {
            v.fail(
                "data",
                "Base64",
                format!("data must be the base64 of a PKCS#12 (.pfx) file: {err}"),
            );
            None
        }
    }
}

impl Certificate {
    /// The purpose label the key material is sealed for: it binds the sealed value to this
    /// certificate's thumbprint.
    pub fn sealing_purpose(thumbprint: &str) -> String {
        format!("certificate/{}", thumbprint.to_ascii_uppercase())
    }

    /// Whether `value` is a thumbprint as Tollgate writes and compares them: 40 hexadecimal
    /// digits (SHA-1), in any case.
    pub fn is_thumbprint(value: &str) -> bool {
        value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

impl Entity for Certificate {
    const KIND: &'static str = "certificate";
    const TYPE_NAME: &'static str = "Certificate";
    const COLLECTION: &'static str = "/certificates";
    const ID_PARAM: &'static str = "certificateId";

    fn filter_fields(_: ApiVersion) -> &'static [FieldSpec] {
        FILTER_FIELDS
    }

    fn field<'a>(&'a self, id: &'a str, name: &str) -> FieldValue<'a> {
        match name {
            "id" => FieldValue::String(Some(Cow::Borrowed(id))),
            "subject" => FieldValue::String(Some(Cow::Borrowed(&self.subject))),
            "thumbprint" => FieldValue::String(Some(Cow::Borrowed(&self.thumbprint))),
            "expirationDate" => FieldValue::DateTime(
                chrono::DateTime::parse_from_rfc3339(&self.expiration_date)
                    .ok()
                    .map(|d| d.with_timezone(&chrono::Utc)),
            ),
            _ => FieldValue::String(None),
        }
    }

    /// Checks the body and decodes `data`; the derived fields stay empty until the file is
    /// opened (`upload` is set).
    fn from_put(_: ApiVersion, body: &[u8]) -> Result<Self, ApiError> {
        let input: CertificateInput = decode(body)?;
        let mut v = Validator::new();
        v.required("data", &input.data);
        v.required("password", &input.password);
        let pfx = input.data.as_deref().and_then(|d| decode_data(&mut v, d));
        if let Some(password) = &input.password {
            v.length("password", password, 0, MAX_PASSWORD_LEN);
        }
        v.finish()?;
        Ok(Certificate {
            subject: String::new(),
            thumbprint: String::new(),
            expiration_date: String::new(),
            key_material: String::new(),
            upload: Some(Upload {
                pfx: pfx.unwrap_or_default(),
                password: input.password.unwrap_or_default(),
            }),
        })
    }

    /// The contract has no PATCH for certificates (and no route leads here): a certificate is
    /// replaced with `PUT`.
    fn patched(self, _: ApiVersion, _: &[u8]) -> Result<Self, ApiError> {
        Err(ApiError::new(
            ErrorCode::MethodNotAllowed,
            "A certificate cannot be patched; PUT a new file to replace it.",
        ))
    }

    /// The same fields in every api-version; `data` and `password` are never rendered.
    fn render(&self, _: ApiVersion, wire_id: &str) -> Value {
        json!({
            "id": wire_id,
            "subject": self.subject,
            "thumbprint": self.thumbprint,
            "expirationDate": self.expiration_date,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(body: &str) -> Result<Certificate, ApiError> {
        Certificate::from_put(ApiVersion::LATEST, body.as_bytes())
    }

    fn targets(err: ApiError) -> Vec<String> {
        err.details.into_iter().filter_map(|d| d.target).collect()
    }

    #[test]
    fn decodes_data_and_keeps_the_upload_out_of_the_record() {
        let c = put(r#"{"data":"AAEC\r\nAw==","password":"pw"}"#).unwrap();
        let upload = c.upload.clone().unwrap();
        assert_eq!(upload.pfx, [0, 1, 2, 3]);
        assert_eq!(upload.password, "pw");
        assert!(!format!("{upload:?}").contains("pw\""));
        let stored = serde_json::to_string(&c).unwrap();
        assert!(
            !stored.contains("upload") && !stored.contains("pw"),
            "{stored}"
        );
        // Padding is optional.
        assert_eq!(
            put(r#"{"data":"AAECAw","password":""}"#)
                .unwrap()
                .upload
                .unwrap()
                .pfx,
            [0, 1, 2, 3]
        );
    }

    #[test]
    fn validates_the_body() {
        assert_eq!(targets(put("{}").unwrap_err()), ["data", "password"]);
        assert_eq!(
            targets(put(r#"{"data":"not base64!","password":"x"}"#).unwrap_err()),
            ["data"]
        );
        assert_eq!(
            targets(put(r#"{"data":"  ","password":"x"}"#).unwrap_err()),
            ["data"]
        );
        let long = "x".repeat(MAX_PASSWORD_LEN + 1);
        assert_eq!(
            targets(put(&format!(r#"{{"data":"AA==","password":"{long}"}}"#)).unwrap_err()),
            ["password"]
        );
        assert_eq!(
            targets(put(r#"{"data":"AA==","password":"x","subject":"CN=x"}"#).unwrap_err()),
            ["subject"]
        );
        assert_eq!(
            targets(put(r#"{"data":1,"password":"x"}"#).unwrap_err()),
            ["data"]
        );
    }

    #[test]
    fn renders_only_the_public_fields() {
        let c = Certificate {
            subject: "CN=localhost".into(),
            thumbprint: "F71A638FEC037AA826A30755DF2732DB5A4CB776".into(),
            expiration_date: "2019-01-12T00:00:00Z".into(),
            key_material: "sealed".into(),
            upload: None,
        };
        for version in ApiVersion::ALL {
            assert_eq!(
                c.render(version, "/certificates/c1"),
                json!({"id": "/certificates/c1", "subject": "CN=localhost",
                       "thumbprint": "F71A638FEC037AA826A30755DF2732DB5A4CB776",
                       "expirationDate": "2019-01-12T00:00:00Z"})
            );
        }
        assert!(matches!(
            c.field("c1", "expirationDate"),
            FieldValue::DateTime(Some(_))
        ));
        assert!(Certificate::is_thumbprint(&c.thumbprint.to_lowercase()));
        assert!(!Certificate::is_thumbprint("F7:1A"));
    }
}
