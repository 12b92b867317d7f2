//! The entities of the contract: each module holds the stored (version-neutral) shape, the
//! request inputs, validation, and the rendering per api-version.

pub mod backend;
pub mod policy;
pub mod property;
pub mod tenant_access;

use crate::odata::{FieldSpec, FieldValue};
use crate::{ApiError, ApiVersion};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// An entity addressed as `{COLLECTION}/{id}` and stored as its serde form.
pub trait Entity: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The store's name for this kind of entity.
    const KIND: &'static str;
    /// The contract's name, for messages (`Property`).
    const TYPE_NAME: &'static str;
    /// The collection path (`/properties`).
    const COLLECTION: &'static str;
    /// The name of the identifier parameter in the contract (`propId`).
    const ID_PARAM: &'static str;
    /// The longest identifier allowed.
    const MAX_ID_LEN: usize = 256;

    /// The fields `$filter` may use in this version.
    fn filter_fields(version: ApiVersion) -> &'static [FieldSpec];
    /// A field's value for `$filter` evaluation.
    fn field<'a>(&'a self, id: &'a str, name: &str) -> FieldValue<'a>;
    /// Builds a new entity from a `PUT` body.
    fn from_put(version: ApiVersion, body: &[u8]) -> Result<Self, ApiError>;
    /// Applies a `PATCH` body to the current entity.
    fn patched(self, version: ApiVersion, body: &[u8]) -> Result<Self, ApiError>;
    /// The wire representation in `version`, `id` included.
    fn render(&self, version: ApiVersion, id: &str) -> serde_json::Value;
}

/// The `id` of an entity on the wire: its relative URL.
pub fn wire_id<E: Entity>(id: &str) -> String {
    format!("{}/{id}", E::COLLECTION)
}
