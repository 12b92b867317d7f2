//! WSDL 1.1 documents with SOAP 1.1 and SOAP 1.2 bindings (REFERENCE §4.1 `contentFormat`
//! `wsdl` / `wsdl-link` with `wsdlSelector`, §4.3 `application/wsdl+xml`): [`import_wsdl`] reads
//! one service endpoint (port) as a SOAP pass-through API of type `soap`, [`export_wsdl`] writes
//! such an API back out.
//!
//! # How Tollgate represents a SOAP operation
//!
//! Azure stores a pass-through SOAP operation as `POST /?soapAction=<action>`, a template with a
//! literal query value that Tollgate's URL templates (rightly) refuse. Tollgate instead gives
//! each operation of the binding:
//!
//! * method `POST` and URL template `/` + the operation id: the operation name with every
//!   character outside `[A-Za-z0-9-._]` replaced by `-`, made unique case-insensitively (the
//!   same id the OpenAPI importer derives from an `operationId`), so no two operations clash;
//! * the SOAP action where each SOAP version carries it: for SOAP 1.1 a required request header
//!   parameter `SOAPAction` (type `string`, `values: [action]`, the empty string when the binding
//!   names none) and a `text/xml` request representation; for SOAP 1.2 the request
//!   representation `application/soap+xml; action="…"` (plain `application/soap+xml` without an
//!   action);
//! * `schemaId` and `typeName` on the request representation naming the input message's body
//!   element (its local name) and the `<types>` schema declaring it; the same on a `200`
//!   response for the output message (`text/xml` or `application/soap+xml`); one-way
//!   operations have no response;
//! * the `<documentation>` of the portType operation as description.
//!
//! Each `<xs:schema>` of `<types>` becomes a schema `xsd-1`, `xsd-2`, … of content type
//! `application/vnd.ms-azure-apim.xsd+xml` whose value is the schema element exactly as written
//! in the document, plus the namespace declarations it inherits from its ancestors, copied onto
//! its start tag so that it stands alone (as in Azure's schema example).
//!
//! # Errors
//!
//! The [`ImportError`] pointer of a WSDL error is the XPath-like location of the element
//! concerned (local names, `[@name='…']` for named elements, e.g.
//! `/definitions/service[@name='Weather']/port[@name='WeatherSoap']`; empty for the whole
//! document), and the message begins with the element's line (`line 12: …`). Export errors
//! point at `/type`, `/operations/{id}` or `/schemas/{id}`.
//!
//! ```
//! use tollgate_interchange::{WsdlSelector, import_wsdl};
//! let doc = r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
//!     xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="urn:echo" targetNamespace="urn:echo">
//!   <message name="in"/><message name="out"/>
//!   <portType name="EchoPort"><operation name="Echo"><input message="tns:in"/><output message="tns:out"/></operation></portType>
//!   <binding name="EchoBinding" type="tns:EchoPort">
//!     <soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
//!     <operation name="Echo"><soap:operation soapAction="urn:echo/Echo"/></operation>
//!   </binding>
//!   <service name="Echo"><port name="EchoSoap" binding="tns:EchoBinding">
//!     <soap:address location="https://echo.example/soap"/></port></service>
//! </definitions>"#;
//! let api = import_wsdl(doc, &WsdlSelector::default()).unwrap();
//! assert_eq!(api.api_type.as_deref(), Some("soap"));
//! assert_eq!(api.service_url.as_deref(), Some("https://echo.example/soap"));
//! let (id, op) = &api.operations[0];
//! assert_eq!((id.as_str(), op.method.as_str(), op.url_template.as_str()), ("Echo", "POST", "/Echo"));
//! assert_eq!(op.request.headers[0].values, Some(vec!["urn:echo/Echo".to_owned()]));
//! ```

mod names;
mod read;
mod select;
mod tree;
mod write;

pub use read::import_wsdl;
pub use write::export_wsdl;

#[cfg(doc)]
use crate::ImportError;

/// Which service and endpoint (port) of a WSDL to import; required when the document has
/// several (2017-03-01 `wsdlSelector {wsdlServiceName, wsdlEndpointName}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WsdlSelector {
    /// The `name` of the `<service>`.
    pub service_name: Option<String>,
    /// The `name` of the `<port>` in that service.
    pub endpoint_name: Option<String>,
}

/// The WSDL 1.1 namespace.
pub(crate) const WSDL_NS: &str = "http://schemas.xmlsoap.org/wsdl/";
/// The WSDL 2.0 namespace (refused, with a message saying so).
pub(crate) const WSDL20_NS: &str = "http://www.w3.org/ns/wsdl";
/// The WSDL 1.1 SOAP 1.1 binding namespace.
pub(crate) const SOAP11_NS: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
/// The WSDL 1.1 SOAP 1.2 binding namespace.
pub(crate) const SOAP12_NS: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
/// The XML Schema namespace.
pub(crate) const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";
/// The content type of a schema taken from `<types>`.
pub(crate) const XSD_CONTENT_TYPE: &str = "application/vnd.ms-azure-apim.xsd+xml";
/// The request header that carries the SOAP 1.1 action.
pub(crate) const SOAP_ACTION_HEADER: &str = "SOAPAction";
/// The SOAP over HTTP transport URI.
pub(crate) const SOAP_HTTP_TRANSPORT: &str = "http://schemas.xmlsoap.org/soap/http";

/// The SOAP version of a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SoapVersion {
    /// SOAP 1.1 (`soap:` binding extensions).
    V11,
    /// SOAP 1.2 (`soap12:` binding extensions).
    V12,
}

impl SoapVersion {
    /// The namespace of the binding's extension elements.
    pub fn ns(self) -> &'static str {
        match self {
            SoapVersion::V11 => SOAP11_NS,
            SoapVersion::V12 => SOAP12_NS,
        }
    }

    /// The media type of the envelope.
    pub fn media_type(self) -> &'static str {
        match self {
            SoapVersion::V11 => "text/xml",
            SoapVersion::V12 => "application/soap+xml",
        }
    }

    /// `SOAP 1.1` or `SOAP 1.2`.
    pub fn label(self) -> &'static str {
        match self {
            SoapVersion::V11 => "SOAP 1.1",
            SoapVersion::V12 => "SOAP 1.2",
        }
    }
}

/// The SOAP 1.2 request media type carrying `action` (plain `application/soap+xml` when empty).
pub(crate) fn soap12_content_type(action: &str) -> String {
    let media = SoapVersion::V12.media_type();
    if action.is_empty() {
        return media.to_owned();
    }
    let quoted = action.replace('\\', "\\\\").replace('"', "\\\"");
    format!("{media}; action=\"{quoted}\"")
}

/// The value of the media type parameter `name` (RFC 9110 §5.6.6, quoted strings unescaped).
pub(crate) fn media_parameter(content_type: &str, name: &str) -> Option<String> {
    let (_, mut rest) = content_type.split_once(';')?;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        let (key, after) = rest.split_once('=')?;
        let after = after.trim_start_matches([' ', '\t']);
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted) => {
                let mut value = String::new();
                let mut chars = quoted.char_indices();
                let mut end = quoted.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => value.extend(chars.next().map(|(_, c)| c)),
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        c => value.push(c),
                    }
                }
                (value, quoted.get(end..).unwrap_or(""))
            }
            None => {
                let (value, next) = after.split_once(';').unwrap_or((after, ""));
                (value.trim_end().to_owned(), next)
            }
        };
        if key.trim().eq_ignore_ascii_case(name) {
            return Some(value);
        }
        rest = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soap12_actions_survive_the_media_type() {
        for action in ["urn:a", "http://x/y?z=1;w", "with \"quotes\" and \\", ""] {
            let ct = soap12_content_type(action);
            let back = media_parameter(&ct, "action");
            assert_eq!(back.unwrap_or_default(), action, "{ct}");
        }
        assert_eq!(
            media_parameter("application/soap+xml;charset=utf-8; ACTION=urn:b", "action")
                .as_deref(),
            Some("urn:b")
        );
        assert_eq!(media_parameter("application/soap+xml", "action"), None);
        assert_eq!(media_parameter("a/b; x", "action"), None);
        assert_eq!(
            media_parameter("a/b; action=\"unterminated", "action").as_deref(),
            Some("unterminated")
        );
    }
}
