//! The audit log: one row per management write, sign-in, token grant and failed authentication.
//! Runtime data beside the configuration: appending an entry changes no revision. A write's entry
//! goes into the write's own transaction ([`crate::Tx::audit`]), so the two commit together.

use crate::StoreError;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Executor, Row};

/// One audited event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The store's sequence number (ignored when appending).
    pub seq: i64,
    /// When it happened, in milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// Who: `sas:{identifier}`, `user:{id}`, `client:{id}`, or `anonymous`.
    pub actor: String,
    /// What: the HTTP method of a management call, or an event (`sign-in`, `token`, …).
    pub action: String,
    /// The request path, without the query.
    pub path: String,
    /// The entity addressed (`/properties/p1`), or empty.
    pub entity: String,
    /// What changed, without any value: entities created, replaced or deleted and the names of
    /// the fields that changed.
    pub summary: String,
    /// The client's IP address.
    pub client_ip: String,
    /// `succeeded` or `failed`.
    pub outcome: String,
    /// The HTTP status answered.
    pub status: i64,
}

const RANGE: &str =
    "SELECT seq, ts, actor, action, path, entity, summary, client_ip, outcome, status
    FROM audit_log WHERE instance = $1 AND ts >= $2 AND ts <= $3 ORDER BY ts DESC, seq DESC";

const INSERT: &str = "INSERT INTO audit_log
    (instance, ts, actor, action, path, entity, summary, client_ip, outcome, status)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Inserts one entry through `executor` (a pool, or a write transaction's connection).
pub(crate) async fn insert<'c, E>(
    executor: E,
    instance: &str,
    entry: &AuditEntry,
) -> Result<(), StoreError>
where
    E: Executor<'c, Database = Any>,
{
    sqlx::query(INSERT)
        .bind(instance)
        .bind(entry.timestamp)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.path)
        .bind(&entry.entity)
        .bind(&entry.summary)
        .bind(&entry.client_ip)
        .bind(&entry.outcome)
        .bind(entry.status)
        .execute(executor)
        .await?;
    Ok(())
}

/// Appends entries in one transaction.
pub(crate) async fn append(
    pool: &AnyPool,
    instance: &str,
    entries: &[AuditEntry],
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    for entry in entries {
        insert(&mut *tx, instance, entry).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn entry(row: &AnyRow) -> Result<AuditEntry, sqlx::Error> {
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        timestamp: row.try_get("ts")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        path: row.try_get("path")?,
        entity: row.try_get("entity")?,
        summary: row.try_get("summary")?,
        client_ip: row.try_get("client_ip")?,
        outcome: row.try_get("outcome")?,
        status: row.try_get("status")?,
    })
}

/// The entries of `instance` from `from` to `to` (milliseconds, inclusive), newest first.
pub(crate) async fn range(
    pool: &AnyPool,
    instance: &str,
    from: i64,
    to: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = sqlx::query(RANGE)
        .bind(instance)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(entry).collect::<Result<_, _>>()?)
}

/// Deletes every instance's entries older than `before` (milliseconds); returns how many.
pub(crate) async fn prune(pool: &AnyPool, before: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM audit_log WHERE ts < $1")
        .bind(before)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
