//! The Azure API Management direct-management contract, as types and pure functions.
//!
//! Nothing here does I/O: api-versions, the error vocabulary and body, ETags, identifiers,
//! field validation, the OData `$filter` language, and one module per entity with its wire
//! shapes per api-version.

pub mod api_version;
pub mod body;
pub mod entity;
pub mod error;
pub mod etag;
pub mod ident;
pub mod odata;
pub mod report;
pub mod url_template;
pub mod validate;
pub mod xml;

pub use api_version::ApiVersion;
pub use error::{ApiError, ErrorCode, ErrorDetail};
pub use etag::{Etag, IfMatch};
