//! End-to-end tests: each starts the real `tollgate` binary on an ephemeral port, against a fresh
//! SQLite file or a fresh PostgreSQL database, and speaks HTTP to it.

mod common;

mod apis;
mod auth;
mod certificates;
mod cli;
mod contract;
mod durability;
mod entities;
mod groups;
mod import;
mod integrity;
mod lists;
mod operations;
mod pfx;
mod policies;
mod products;
mod replay;
mod samples;
mod schemas;
mod subscriptions;
mod user_tokens;
mod users;
