//! Test support: fresh PostgreSQL databases for tests that need one.
//!
//! Tests read the server from `TOLLGATE_TEST_POSTGRES_URL` (set by `scripts/test`, which starts
//! a throwaway PostgreSQL) and fail with an explanation when it is not set: a PostgreSQL test
//! never passes without having run.

use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable naming the test server (an admin URL, e.g. `postgres://postgres@127.0.0.1:5433/postgres`).
pub const POSTGRES_URL_VAR: &str = "TOLLGATE_TEST_POSTGRES_URL";

/// Creates an empty database on the test server and returns its URL.
pub async fn fresh_postgres_database() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
        panic!("{POSTGRES_URL_VAR} is not set: run the tests with scripts/test, which starts a PostgreSQL server")
    });
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "tollgate_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&admin)
        .await
        .expect("connect to the test PostgreSQL");
    pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create a test database");
    pool.close().await;
    let (base, _) = admin
        .rsplit_once('/')
        .expect("the admin URL names a database");
    format!("{base}/{name}")
}

/// One stored entity, as the table holds it (`parent` and `id_key` case-folded).
#[derive(Debug, Clone)]
pub struct StoredRow {
    /// The entity kind.
    pub kind: String,
    /// The parent path, case-folded (`apis/echo`), or `""`.
    pub parent: String,
    /// The case-folded id.
    pub id_key: String,
    /// The JSON document.
    pub body: String,
}

/// Every entity of `instance` in the store at `url` (`sqlite://…` or `postgres://…`), read with
/// SQL beside whatever server uses it, for tests that inspect what is stored.
pub async fn dump(url: &str, instance: &str) -> Vec<StoredRow> {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let url = match url.strip_prefix("sqlite://") {
        Some(path) => format!("sqlite://{path}?mode=ro"),
        None => url.to_owned(),
    };
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    let rows = sqlx::query("SELECT kind, parent, id_key, body FROM entities WHERE instance = $1")
        .bind(instance)
        .fetch_all(&pool)
        .await
        .expect("read the entities");
    pool.close().await;
    rows.iter()
        .map(|row| StoredRow {
            kind: row.get("kind"),
            parent: row.get("parent"),
            id_key: row.get("id_key"),
            body: row.get("body"),
        })
        .collect()
}

/// Brings the database at `url` (`sqlite://…` or `postgres://…`) to the schema of migration
/// `version` only, as an older Tollgate left it, for tests of what a newer migration does to it.
pub async fn migrate_to(url: &str, version: i64) {
    let migrations = if url.starts_with("sqlite:") {
        crate::migrate::SQLITE
    } else {
        crate::migrate::POSTGRES
    };
    let url = match url.strip_prefix("sqlite://") {
        Some(path) => format!("sqlite://{path}?mode=rwc"),
        None => url.to_owned(),
    };
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    sqlx::query(crate::migrate::CREATE_TABLE)
        .execute(&pool)
        .await
        .expect("the migrations table");
    for m in migrations.iter().filter(|m| m.version <= version) {
        sqlx::raw_sql(m.sql).execute(&pool).await.expect(m.name);
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(m.version)
            .bind(m.name)
            .execute(&pool)
            .await
            .expect("record the migration");
    }
    pool.close().await;
}
