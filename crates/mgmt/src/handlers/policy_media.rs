//! Policy representations: what `Accept` asks for, and reading a document from a PUT body of
//! any accepted media type.

use crate::extract::Body;
use crate::extract::body::is_json;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT;
use tollgate_contract::entity::policy::{self, RAW_XML_MEDIA_TYPE, XML_MEDIA_TYPE};
use tollgate_contract::{ApiError, ErrorCode};
use tollgate_policy::{PolicyDocument, PolicyFormat};

/// How a policy is represented in a request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// `application/vnd.ms-azure-apim.policy+xml`.
    Xml,
    /// `application/vnd.ms-azure-apim.policy.raw+xml`.
    RawXml,
    /// The JSON `PolicyContract`.
    Json,
}

/// The representation `Accept` asks for: XML when absent; 406 when nothing acceptable is listed.
pub fn negotiate(headers: &HeaderMap) -> Result<Representation, ApiError> {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(Representation::Xml);
    };
    for range in accept.split(',') {
        let essence = range
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            RAW_XML_MEDIA_TYPE => return Ok(Representation::RawXml),
            XML_MEDIA_TYPE | "application/xml" | "text/xml" | "*/*" | "application/*" | "" => {
                return Ok(Representation::Xml);
            }
            t if is_json(t) => return Ok(Representation::Json),
            _ => {}
        }
    }
    Err(ApiError::new(
        ErrorCode::NotAcceptable,
        format!(
            "Accept '{accept}' lists no supported type: application/json, {XML_MEDIA_TYPE}, {RAW_XML_MEDIA_TYPE}."
        ),
    ))
}

/// A policy read from a request, with the field that errors about it should name.
pub struct Submitted {
    /// The parsed document.
    pub document: PolicyDocument,
    /// `policyContent` for the JSON form, `body` for XML.
    pub target: &'static str,
}

/// Reads the document from a PUT body of any accepted media type.
pub fn document_from(body: &Body) -> Result<Submitted, ApiError> {
    let text = std::str::from_utf8(&body.bytes).map_err(|_| {
        ApiError::invalid_field("body", "Encoding", "the policy must be UTF-8 text")
    })?;
    let looks_json = text.trim_start().starts_with('{');
    let (content, format, target) = match body.media_type.as_deref() {
        Some(t) if is_json(t) => (
            policy::content_from_json(&body.bytes)?,
            PolicyFormat::Xml,
            "policyContent",
        ),
        None if looks_json => (
            policy::content_from_json(&body.bytes)?,
            PolicyFormat::Xml,
            "policyContent",
        ),
        Some(RAW_XML_MEDIA_TYPE) => (text.to_owned(), PolicyFormat::Raw, "body"),
        Some(XML_MEDIA_TYPE | "application/xml" | "text/xml") | None => {
            (text.to_owned(), PolicyFormat::Xml, "body")
        }
        Some(other) => {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!(
                    "Content-Type '{other}' is not supported: use {XML_MEDIA_TYPE}, {RAW_XML_MEDIA_TYPE} or application/json."
                ),
            ));
        }
    };
    let document = PolicyDocument::parse(&content, format).map_err(|err| {
        ApiError::invalid_field(
            target,
            "InvalidPolicy",
            format!("the policy document is not valid: {err}"),
        )
    })?;
    Ok(Submitted { document, target })
}
