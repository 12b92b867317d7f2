//! The contract's error vocabulary and body: `{"error": {"code", "message", "details"}}`.
//!
//! Azure documents the body shape but not the codes (REFERENCE §1.7 [NOT FOUND]); the codes below
//! are Tollgate's vocabulary, listed with their statuses in `docs/COMPATIBILITY.md`. Each code has
//! exactly one HTTP status, decided in [`ErrorCode::status`].

use serde::Serialize;

/// A service-level error code. Adding a variant does not compile until its status is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErrorCode {
    /// The request is malformed or a field is invalid; `details` names each field (400).
    ValidationError,
    /// `api-version` is missing or not supported (400).
    InvalidApiVersion,
    /// No valid credentials were presented (401).
    Unauthorized,
    /// The management API is switched off (`/tenant/access` `enabled: false`) (401).
    ManagementApiDisabled,
    /// The credentials are valid but their role does not allow this call (403; a `reader`'s
    /// bearer token on a write).
    Forbidden,
    /// The entity, or its parent, does not exist; or the path names nothing (404).
    ResourceNotFound,
    /// The path exists but not with this HTTP method (405, with `Allow`).
    MethodNotAllowed,
    /// The entity cannot be deleted or changed because something refers to it (405).
    ResourceInUse,
    /// The entity is built in (the administrator, the system groups) and cannot be changed (405).
    BuiltInEntity,
    /// The entity cannot be deleted because another entity references it (400; schemas,
    /// and later certificates and loggers, as the contract documents).
    ResourceReferenced,
    /// The `Accept` header asks for a representation this operation cannot produce (406).
    NotAcceptable,
    /// An entity with this identifier already exists (409).
    IdentifierAlreadyInUse,
    /// Another entity already uses this unique name (409).
    NameAlreadyInUse,
    /// A subscription key is already used by another subscription (409).
    KeyAlreadyInUse,
    /// The entity's state does not allow the operation (e.g. regenerating the keys of a cancelled
    /// subscription) (409).
    StateConflict,
    /// A product's per-user subscription limit is reached (409).
    LimitReached,
    /// `If-Match` does not match the entity's current ETag (412).
    PreconditionFailed,
    /// The request body exceeds the documented limit (413).
    RequestTooLarge,
    /// The `Content-Type` is not one this operation accepts (415).
    UnsupportedMediaType,
    /// An unexpected failure inside Tollgate; details are in the server log only (500).
    InternalError,
    /// The store is unreachable or busy; retrying may succeed (503).
    ServiceUnavailable,
}

impl ErrorCode {
    /// The HTTP status this code is sent with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::ValidationError
            | ErrorCode::InvalidApiVersion
            | ErrorCode::ResourceReferenced => 400,
            ErrorCode::Unauthorized | ErrorCode::ManagementApiDisabled => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::ResourceNotFound => 404,
            ErrorCode::MethodNotAllowed | ErrorCode::ResourceInUse | ErrorCode::BuiltInEntity => {
                405
            }
            ErrorCode::NotAcceptable => 406,
            ErrorCode::IdentifierAlreadyInUse
            | ErrorCode::NameAlreadyInUse
            | ErrorCode::KeyAlreadyInUse
            | ErrorCode::StateConflict
            | ErrorCode::LimitReached => 409,
            ErrorCode::PreconditionFailed => 412,
            ErrorCode::RequestTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::InternalError => 500,
            ErrorCode::ServiceUnavailable => 503,
        }
    }
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDetail {
    /// A field-level code, e.g. `Required`, `MaxLength`, `Pattern`, `InvalidType`.
    pub code: String,
    /// The field, as a JSON path (`credentials.authorization.scheme`), header or query name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// What is wrong, for a human.
    pub message: String,
}

/// An error as the contract sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// The service-level code.
    pub code: ErrorCode,
    /// What went wrong, for a human.
    pub message: String,
    /// One entry per invalid field (validation errors only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: &'a ApiError,
}

impl ApiError {
    /// An error with a code and message and no field details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// A validation error about a single field.
    pub fn invalid_field(target: &str, detail_code: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError {
            code: ErrorCode::ValidationError,
            message: format!("One or more fields contain incorrect values: {message}"),
            details: vec![ErrorDetail {
                code: detail_code.to_owned(),
                target: Some(target.to_owned()),
                message,
            }],
        }
    }

    /// The field the first detail names, if any.
    pub fn target(&self) -> Option<&str> {
        self.details.first().and_then(|d| d.target.as_deref())
    }

    /// A 404 for an entity that does not exist.
    pub fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(
            ErrorCode::ResourceNotFound,
            format!("{what} '{id}' was not found."),
        )
    }

    /// A 500 with a fixed message; the cause belongs in the server log, never in the body.
    pub fn internal() -> ApiError {
        ApiError::new(
            ErrorCode::InternalError,
            "An unexpected error occurred. The server log has the details.",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The JSON body `{"error": {...}}`.
    pub fn to_body(&self) -> String {
        serde_json::to_string(&Envelope { error: self }).unwrap_or_else(|_| {
            r#"{"error":{"code":"InternalError","message":"An unexpected error occurred."}}"#
                .to_owned()
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_wrapped_and_names_the_field() {
        let err =
            ApiError::invalid_field("name", "MaxLength", "name may have at most 256 characters");
        let body: serde_json::Value = serde_json::from_str(&err.to_body()).unwrap();
        assert_eq!(body["error"]["code"], "ValidationError");
        assert_eq!(body["error"]["details"][0]["target"], "name");
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn details_are_omitted_when_empty() {
        let body = ApiError::not_found("Property", "p1").to_body();
        assert!(!body.contains("details"), "{body}");
        assert!(body.contains("ResourceNotFound"));
    }
}
