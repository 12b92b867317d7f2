//! API description documents (REFERENCE §4.3), as pure functions: no I/O.
//!
//! [`import_openapi`] reads a Swagger 2.0 or OpenAPI 3.0/3.1 JSON document into Tollgate's stored
//! operation and schema types, already checked against Tollgate's own operation validation;
//! [`export_swagger`] writes an API, its operations and schemas back out as Swagger 2.0.
//!
//! ```
//! let doc = r#"{"swagger": "2.0", "info": {"title": "Echo", "version": "1"},
//!   "host": "echo.example", "schemes": ["https"],
//!   "paths": {"/echo/{word}": {"get": {"operationId": "echo", "responses": {"200": {"description": "ok"}}}}}}"#;
//! let api = tollgate_interchange::import_openapi(doc).unwrap();
//! assert_eq!(api.service_url.as_deref(), Some("https://echo.example"));
//! let (id, op) = &api.operations[0];
//! assert_eq!((id.as_str(), op.method.as_str(), op.url_template.as_str()), ("echo", "GET", "/echo/{word}"));
//! assert_eq!(op.template_parameters[0].name.as_deref(), Some("word"));
//! ```

mod doc;
mod document;
mod export;
mod ids;
mod import;
mod operation;
mod params;
mod wadl;
mod wsdl;

pub use export::export_swagger;
pub use import::import_openapi;
pub use wadl::{export_wadl, import_wadl};
pub use wsdl::{WsdlSelector, export_wsdl, import_wsdl};

use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::schema::Schema;

/// The id of the schema that holds a Swagger 2.0 document's `definitions`.
pub const SWAGGER_SCHEMA_ID: &str = "swagger-definitions";
/// The content type of the [`SWAGGER_SCHEMA_ID`] schema; its value is `{"definitions": {…}}`.
pub const SWAGGER_SCHEMA_CONTENT_TYPE: &str =
    "application/vnd.ms-azure-apim.swagger.definitions+json";
/// The id of the schema that holds an OpenAPI 3 document's `components.schemas`.
pub const OPENAPI_SCHEMA_ID: &str = "openapi-components";
/// The content type of the [`OPENAPI_SCHEMA_ID`] schema; its value is
/// `{"components": {"schemas": {…}}}`.
pub const OPENAPI_SCHEMA_CONTENT_TYPE: &str = "application/vnd.oai.openapi.components+json";

/// What an imported document describes.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedApi {
    /// `info.title` (at most 300 characters).
    pub name: String,
    /// `info.description`.
    pub description: Option<String>,
    /// The backend URL: Swagger 2.0 `scheme://host/basePath` (https preferred among the
    /// schemes), OpenAPI 3 the first server's URL with its variables' defaults filled in.
    /// `None` when the document names no host or only a relative server URL.
    pub service_url: Option<String>,
    /// `http` and/or `https`, from the Swagger 2.0 schemes or the server URL; `["https"]` when
    /// the document says nothing.
    pub protocols: Vec<String>,
    /// `(operation id, operation)` in document order; ids are unique case-insensitively.
    pub operations: Vec<(String, Operation)>,
    /// `(schema id, schema)`: from OpenAPI at most one, [`SWAGGER_SCHEMA_ID`] or
    /// [`OPENAPI_SCHEMA_ID`]; from WSDL one XSD schema per `<types>` schema.
    pub schemas: Vec<(String, Schema)>,
    /// The API `type`: `None` from OpenAPI, `Some("soap")` from WSDL.
    pub api_type: Option<String>,
}

/// Why a document could not be imported, and where in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at {pointer}: {message}")]
pub struct ImportError {
    /// What is wrong, for a human.
    pub message: String,
    /// The JSON pointer (RFC 6901) of the place that broke, e.g.
    /// `/paths/~1pets/get/parameters/0`; empty for the whole document.
    pub pointer: String,
}

/// Runs Tollgate's own operation validation over an imported operation; the error is a message
/// that the caller places in the document.
pub(crate) fn validate_operation(
    operation: tollgate_contract::entity::operation::Operation,
) -> Result<tollgate_contract::entity::operation::Operation, String> {
    use tollgate_contract::entity::Entity;
    use tollgate_contract::entity::operation::Operation;
    let body = serde_json::to_vec(&operation).map_err(|e| e.to_string())?;
    Operation::from_put(tollgate_contract::ApiVersion::LATEST, &body).map_err(|e| {
        let details: Vec<String> = e
            .details
            .iter()
            .map(|d| match &d.target {
                Some(target) => format!("{target}: {}", d.message),
                None => d.message.clone(),
            })
            .collect();
        let why = if details.is_empty() {
            e.message
        } else {
            details.join("; ")
        };
        format!("the operation fails validation: {why}")
    })
}
