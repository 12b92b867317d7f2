//! Runtime values: small documents by kind and key, each with an expiry (the OAuth2 server's
//! codes, sessions and signing keys). Expired values are never read; pruning deletes them.

use crate::StoreError;
use sqlx::{AnyPool, Row};

/// A stored value and when it expires (milliseconds since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The key, as written.
    pub key: String,
    /// The document.
    pub value: String,
    /// When it expires.
    pub expires: i64,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn value(row: &sqlx::any::AnyRow) -> Result<Value, sqlx::Error> {
    Ok(Value {
        key: row.try_get("key")?,
        value: row.try_get("value")?,
        expires: row.try_get("expires")?,
    })
}

/// Inserts a value unless the key is taken by a live one; whether it was inserted.
pub(crate) async fn insert(
    pool: &AnyPool,
    instance: &str,
    kind: &str,
    key: &str,
    document: &str,
    expires: i64,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    // An expired value under the key is gone already, as far as readers are concerned.
    sqlx::query(
        "DELETE FROM runtime_values WHERE instance = $1 AND kind = $2 AND key = $3 AND expires <= $4",
    )
    .bind(instance)
    .bind(kind)
    .bind(key)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    let done = sqlx::query(
        "INSERT INTO runtime_values (instance, kind, key, value, expires) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (instance, kind, key) DO NOTHING",
    )
    .bind(instance)
    .bind(kind)
    .bind(key)
    .bind(document)
    .bind(expires)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// The live value under a key.
pub(crate) async fn get(
    pool: &AnyPool,
    instance: &str,
    kind: &str,
    key: &str,
) -> Result<Option<Value>, StoreError> {
    let row = sqlx::query(
        "SELECT key, value, expires FROM runtime_values
        WHERE instance = $1 AND kind = $2 AND key = $3 AND expires > $4",
    )
    .bind(instance)
    .bind(kind)
    .bind(key)
    .bind(now())
    .fetch_optional(pool)
    .await?;
    Ok(row.as_ref().map(value).transpose()?)
}

/// Deletes a value and returns it if it was live: of concurrent takers, exactly one gets it.
pub(crate) async fn take(
    pool: &AnyPool,
    instance: &str,
    kind: &str,
    key: &str,
) -> Result<Option<Value>, StoreError> {
    let row = sqlx::query(
        "DELETE FROM runtime_values WHERE instance = $1 AND kind = $2 AND key = $3
        RETURNING key, value, expires",
    )
    .bind(instance)
    .bind(kind)
    .bind(key)
    .fetch_optional(pool)
    .await?;
    let taken = row.as_ref().map(value).transpose()?;
    Ok(taken.filter(|v| v.expires > now()))
}

/// Replaces a live value if it is still `old`; whether it was replaced.
pub(crate) async fn replace(
    pool: &AnyPool,
    instance: &str,
    kind: &str,
    key: &str,
    old: &str,
    new: &str,
    expires: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE runtime_values SET value = $5, expires = $6
        WHERE instance = $1 AND kind = $2 AND key = $3 AND value = $4 AND expires > $7",
    )
    .bind(instance)
    .bind(kind)
    .bind(key)
    .bind(old)
    .bind(new)
    .bind(expires)
    .bind(now())
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a value; whether there was one.
pub(crate) async fn delete(
    pool: &AnyPool,
    instance: &str,
    kind: &str,
    key: &str,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("DELETE FROM runtime_values WHERE instance = $1 AND kind = $2 AND key = $3")
            .bind(instance)
            .bind(kind)
            .bind(key)
            .execute(pool)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The live values of a kind, by key.
pub(crate) async fn list(
    pool: &AnyPool,
    instance: &str,
    kind: &str,
) -> Result<Vec<Value>, StoreError> {
    let rows = sqlx::query(
        "SELECT key, value, expires FROM runtime_values
        WHERE instance = $1 AND kind = $2 AND expires > $3 ORDER BY key",
    )
    .bind(instance)
    .bind(kind)
    .bind(now())
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(value).collect::<Result<_, _>>()?)
}

/// Deletes every expired value; returns how many.
pub(crate) async fn prune(pool: &AnyPool) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM runtime_values WHERE expires <= $1")
        .bind(now())
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
