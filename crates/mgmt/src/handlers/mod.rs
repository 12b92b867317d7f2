//! One module per entity: what the generic resource handlers cannot express.

pub mod api;
pub mod authorization_server;
pub mod backend;
pub mod email_template;
pub mod export;
pub mod fetch;
pub mod group;
pub mod identity_provider;
pub mod import;
pub mod links;
pub mod logger;
pub mod openid_connect_provider;
pub mod operation;
pub mod policy;
pub mod policy_media;
pub mod portal_settings;
pub mod product;
pub mod property;
pub mod quota;
pub mod regions;
pub mod schema;
pub mod snippets;
pub mod subscription;
pub mod tenant_access;
pub mod user;
pub mod user_token;
