//! The embedded engine: one SQLite file in WAL mode with `synchronous=FULL`, so a committed
//! write survives a crash. Write transactions begin with `BEGIN IMMEDIATE`, which takes the
//! write lock up front (a deferred transaction could fail when it upgrades to writing).

use crate::migrate::SQLITE;
use crate::sql::{Dialect, SqlStore};
use crate::{Store, StoreError};
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use std::path::Path;
use std::time::Duration;

static DIALECT: Dialect = Dialect {
    name: "sqlite",
    begin: "BEGIN IMMEDIATE",
    // Deferred: in WAL mode, every read of the transaction sees the snapshot of its first one.
    read: "BEGIN",
    migration_lock: None,
    migrations: SQLITE,
    // One process owns the file: there is nobody to tell.
    notify: None,
    parameters: crate::records::Parameters::Anonymous,
};

/// Per-connection settings; `journal_mode` is stored in the file, the others are per connection.
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                       PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// Opens (creating if missing) the database file and migrates it.
pub async fn open(path: &Path) -> Result<impl Store, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
        })?;
    }
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let pool = AnyPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _| Box::pin(async move { conn.execute(PRAGMAS).await.map(|_| ()) }))
        .connect(&url)
        .await?;
    SqlStore::new(pool, &DIALECT).await
}
