//! End-to-end tests: each starts the real `tollgate` binary on an ephemeral port, against a fresh
//! SQLite file or a fresh PostgreSQL database, and speaks HTTP to it.

mod common;

mod apis;
mod auth;
mod authorization_servers;
mod backend_connections;
mod backend_proxy;
mod backend_tls;
mod certificates;
mod cli;
mod contract;
mod durability;
mod email_templates;
mod entities;
mod gateway;
mod gateway_updates;
mod groups;
mod identity_providers;
mod import;
mod integrity;
mod lists;
mod loggers;
mod openid_connect_providers;
mod operations;
mod pfx;
mod policies;
mod policy_blocks;
mod policy_cache;
mod policy_engine;
mod policy_jwt;
mod policy_scenarios;
mod policy_send;
mod policy_shared_limits;
mod policy_transform;
mod portal_settings;
mod products;
mod quotas;
mod replay;
mod reports;
mod samples;
mod schemas;
mod subscriptions;
mod tenant;
mod user_tokens;
mod users;
