//! The entities of the contract: each module holds the stored (version-neutral) shape, the
//! request inputs, validation, and the rendering per api-version.

pub mod api;
pub mod authorization_server;
pub mod backend;
pub mod certificate;
pub mod email_template;
pub mod group;
pub mod identity_provider;
pub mod logger;
pub mod openid_connect_provider;
pub mod operation;
pub mod policy;
pub mod portal_settings;
pub mod product;
pub mod property;
pub mod quota;
pub mod schema;
pub mod subscription;
pub mod tenant_access;
pub mod user;

use crate::odata::{FieldSpec, FieldValue};
use crate::{ApiError, ApiVersion};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The entity a child entity lives under (operations under an API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parent {
    /// The parent's store kind.
    pub kind: &'static str,
    /// The parent's contract name, for messages (`Api`).
    pub type_name: &'static str,
    /// The parent's collection path (`/apis`).
    pub collection: &'static str,
    /// The name of the parent's identifier parameter (`apiId`).
    pub id_param: &'static str,
}

impl Parent {
    /// The parent description of an entity type.
    pub const fn of<E: Entity>() -> Parent {
        Parent {
            kind: E::KIND,
            type_name: E::TYPE_NAME,
            collection: E::COLLECTION,
            id_param: E::ID_PARAM,
        }
    }
}

/// An entity addressed as `{parent}{COLLECTION}/{id}` and stored as its serde form.
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
    /// The entity this one lives under, if any.
    const PARENT: Option<Parent> = None;
    /// The first api-version that has this entity.
    const SINCE: ApiVersion = ApiVersion::V2014_02_14Preview;

    /// The fields `$filter` may use in this version.
    fn filter_fields(version: ApiVersion) -> &'static [FieldSpec];
    /// A field's value for `$filter` evaluation.
    fn field<'a>(&'a self, id: &'a str, name: &str) -> FieldValue<'a>;
    /// Builds a new entity from a `PUT` body.
    fn from_put(version: ApiVersion, body: &[u8]) -> Result<Self, ApiError>;
    /// Applies a `PATCH` body to the current entity.
    fn patched(self, version: ApiVersion, body: &[u8]) -> Result<Self, ApiError>;
    /// The wire representation in `version`, with `wire_id` (its relative URL) as `id`.
    fn render(&self, version: ApiVersion, wire_id: &str) -> serde_json::Value;

    /// The representation as an item of a list (the full one unless the contract lists summaries).
    fn render_in_list(&self, version: ApiVersion, wire_id: &str) -> serde_json::Value {
        self.render(version, wire_id)
    }
}

/// The wire form of an entity whose stored shape is its wire shape: `id` first, then every stored
/// field (unset optional fields as the entity serializes them).
pub fn with_id(wire_id: &str, entity: &impl Serialize) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    out.insert("id".into(), serde_json::Value::String(wire_id.to_owned()));
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(entity) {
        out.extend(fields);
    }
    serde_json::Value::Object(out)
}

/// The `id` of an entity on the wire: its relative URL under `parent` (`""` or `/apis/{apiId}`).
pub fn wire_id<E: Entity>(parent: &str, id: &str) -> String {
    format!("{parent}{}/{id}", E::COLLECTION)
}
