//! The management REST API: the Azure API Management "direct" contract over HTTP (axum).
//!
//! [`router`] builds the whole API. Requests pass, in order: route match (404 / 405), the guard
//! (`api-version` check, then a SAS or bearer token; the call is audited), then a handler.
//! Handlers only extract, call the contract and the store, and shape the response; entity rules
//! live in `tollgate-contract`. The OAuth2 authorization server that issues the bearer tokens
//! (`oauth`) serves its own endpoints beside the API.

mod audit;
mod auth;
mod bootstrap;
mod collection;
mod error;
mod extract;
mod handlers;
mod oauth;
mod resource;
mod respond;
mod router;
mod samples;
mod state;
mod views;

pub use bootstrap::{InitialKeys, bootstrap_instance};
pub use handlers::certificate::sealed_under_other_secret;
pub use oauth::{OAuthSettings, Redirect};
pub use router::router;
pub use state::{AppState, DEFAULT_BODY_LIMIT};
