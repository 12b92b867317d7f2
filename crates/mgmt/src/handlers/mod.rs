//! One module per entity: what the generic resource handlers cannot express.

pub mod api;
pub mod backend;
pub mod certificate;
pub mod export;
pub mod fetch;
pub mod group;
pub mod import;
pub mod links;
pub mod operation;
pub mod policy;
pub mod policy_media;
pub mod product;
pub mod property;
pub mod regions;
pub mod schema;
pub mod snippets;
pub mod subscription;
pub mod tenant_access;
pub mod user;
pub mod user_token;
