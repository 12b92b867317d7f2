//! The cluster engine: PostgreSQL. A write transaction's first statement updates the instance's
//! revision row, so PostgreSQL's row lock serializes writers to one instance across every node.

use crate::migrate::POSTGRES;
use crate::sql::{Dialect, SqlStore};
use crate::{Store, StoreError};
use sqlx::any::AnyPoolOptions;
use std::time::Duration;

static DIALECT: Dialect = Dialect {
    name: "postgres",
    begin: "BEGIN",
    // Nodes starting together migrate one at a time (the number is arbitrary but fixed).
    migration_lock: Some("SELECT pg_advisory_xact_lock(7261001)"),
    migrations: POSTGRES,
};

/// Connects and migrates.
pub async fn open(url: &str) -> Result<impl Store, StoreError> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    SqlStore::new(pool, &DIALECT).await
}
