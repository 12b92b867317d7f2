//! Request extractors: the parts of the contract every endpoint shares.

pub mod body;
mod client_ip;
pub mod if_match;
mod list_query;
pub mod version;

pub use body::{Body, JsonBody};
pub use client_ip::ClientIp;
pub use if_match::{IfMatchHeader, RequiredIfMatch};
pub use list_query::ListQuery;
pub use version::Version;
