//! The SQL both engines run. Placeholders are `$N`, which SQLite and PostgreSQL both accept.

use crate::migrate::{CREATE_TABLE, Migration, latest};
use crate::{
    Changes, DELETIONS_KEPT, Deleted, Key, QuotaCounter, Record, Store, StoreError, Tx, Written,
    fold,
};
use async_trait::async_trait;
use sqlx::AnyPool;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

const GET: &str = "SELECT id, revision, body FROM entities
    WHERE instance = $1 AND kind = $2 AND parent = $3 AND id_key = $4";
const LIST: &str = "SELECT id, revision, body FROM entities
    WHERE instance = $1 AND kind = $2 AND parent = $3 ORDER BY created, id_key";
const LIST_KIND: &str = "SELECT id, revision, body FROM entities
    WHERE instance = $1 AND kind = $2 ORDER BY created, id_key";
const REVISION: &str = "SELECT revision FROM instances WHERE name = $1";
const BUMP: &str = "INSERT INTO instances (name, revision) VALUES ($1, 1)
    ON CONFLICT (name) DO UPDATE SET revision = instances.revision + 1 RETURNING revision";
const PUT: &str = "INSERT INTO entities (instance, kind, parent, id_key, id, created, revision, body)
    VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
    ON CONFLICT (instance, kind, parent, id_key) DO UPDATE SET revision = excluded.revision, body = excluded.body";
const DELETE: &str =
    "DELETE FROM entities WHERE instance = $1 AND kind = $2 AND parent = $3 AND id_key = $4";
/// A deletion, kept for the change feed (the latest one per key).
const TOMBSTONE: &str = "INSERT INTO deletions (instance, kind, parent, id_key, revision)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (instance, kind, parent, id_key) DO UPDATE SET revision = excluded.revision";
/// Forgets the deletions at or below a revision …
const PRUNE_DELETIONS: &str = "DELETE FROM deletions WHERE instance = $1 AND revision <= $2";
/// … and says so: the change feed is complete only from there.
const HISTORY_FROM: &str =
    "UPDATE instances SET history_from = $2 WHERE name = $1 AND history_from < $2";
const FEED_START: &str = "SELECT revision, history_from FROM instances WHERE name = $1";
const WRITTEN: &str = "SELECT kind, parent, id_key, id, revision, body FROM entities
    WHERE instance = $1 AND revision > $2 ORDER BY revision, kind, parent, id_key";
const DELETED: &str = "SELECT kind, parent, id_key, revision FROM deletions
    WHERE instance = $1 AND revision > $2 ORDER BY revision, kind, parent, id_key";

const QUOTA_COUNTERS: &str =
    "SELECT counter_key, period_key, period_start, period_end, calls_count,
    kb_transferred FROM quota_counters WHERE instance = $1 AND counter_key = $2
    ORDER BY period_start, period_key";
const PUT_QUOTA_COUNTER: &str = "INSERT INTO quota_counters
    (instance, counter_key, period_key, period_start, period_end, calls_count, kb_transferred)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (instance, counter_key, period_key) DO UPDATE SET period_start = excluded.period_start,
    period_end = excluded.period_end, calls_count = excluded.calls_count,
    kb_transferred = excluded.kb_transferred";
/// Adds usage to a counter, creating it if missing, in one statement: concurrent adds on either
/// engine each see the row as the previous one left it (SQLite takes the write lock for the
/// statement; PostgreSQL's upsert locks the row, or waits for a concurrent insert of it).
/// `RETURNING` needs SQLite 3.35; sqlx bundles a newer one.
const ADD_QUOTA_USAGE: &str = "INSERT INTO quota_counters
    (instance, counter_key, period_key, period_start, period_end, calls_count, kb_transferred)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (instance, counter_key, period_key) DO UPDATE
    SET calls_count = quota_counters.calls_count + excluded.calls_count,
    kb_transferred = quota_counters.kb_transferred + excluded.kb_transferred
    RETURNING counter_key, period_key, period_start, period_end, calls_count, kb_transferred";
/// The `UPDATE` of `set_quota_values` for the values given: only those columns, so that no NULL
/// float is ever bound. (sqlx 0.9's `Any` driver binds a NULL `f64` as PostgreSQL `float4`; a
/// connection that prepared a statement that way then fails every later non-NULL `f64` bound to
/// it with "incorrect binary data format".)
fn set_quota_statement(calls: bool, kb: bool, period: bool) -> String {
    let set = match (calls, kb) {
        (true, true) => "calls_count = $3, kb_transferred = $4",
        (true, false) => "calls_count = $3",
        (false, true) => "kb_transferred = $3",
        (false, false) => "calls_count = calls_count",
    };
    let next = 3 + usize::from(calls) + usize::from(kb);
    let period = if period {
        format!(" AND period_key = ${next}")
    } else {
        String::new()
    };
    format!("UPDATE quota_counters SET {set} WHERE instance = $1 AND counter_key = $2{period}")
}

fn quota_counter(row: &AnyRow) -> Result<QuotaCounter, sqlx::Error> {
    Ok(QuotaCounter {
        counter_key: row.try_get("counter_key")?,
        period_key: row.try_get("period_key")?,
        period_start: row.try_get("period_start")?,
        period_end: row.try_get("period_end")?,
        calls_count: row.try_get("calls_count")?,
        kb_transferred: row.try_get("kb_transferred")?,
    })
}

/// What differs between the engines.
pub(crate) struct Dialect {
    /// The engine's name.
    pub name: &'static str,
    /// The statement that starts a write transaction.
    pub begin: &'static str,
    /// The statement that starts a read-only transaction whose reads all see one snapshot.
    pub read: &'static str,
    /// A statement run first in the migration transaction, to keep concurrent starts apart.
    pub migration_lock: Option<&'static str>,
    /// The engine's migrations.
    pub migrations: &'static [Migration],
    /// A statement run last in every write transaction with the payload `"{instance} {revision}"`,
    /// to tell other nodes (PostgreSQL `NOTIFY`, delivered on commit).
    pub notify: Option<&'static str>,
    /// How the engine numbers parameters: `$1, $2, …` (PostgreSQL), or anonymous `?` (SQLite,
    /// whose named parameters cost a linear search each when bound).
    pub parameters: crate::records::Parameters,
}

/// A store on either engine.
pub(crate) struct SqlStore {
    pool: AnyPool,
    dialect: &'static Dialect,
}

fn record(row: &AnyRow) -> Result<Record, sqlx::Error> {
    let revision: i64 = row.try_get("revision")?;
    Ok(Record {
        id: row.try_get("id")?,
        revision: u64::try_from(revision).unwrap_or(0),
        body: row.try_get("body")?,
    })
}

fn records(rows: &[AnyRow]) -> Result<Vec<Record>, StoreError> {
    Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
}

fn revision_of(row: &AnyRow, column: &str) -> Result<u64, sqlx::Error> {
    let revision: i64 = row.try_get(column)?;
    Ok(u64::try_from(revision).unwrap_or(0))
}

fn written(row: &AnyRow) -> Result<Written, sqlx::Error> {
    Ok(Written {
        kind: row.try_get("kind")?,
        parent: row.try_get("parent")?,
        id_key: row.try_get("id_key")?,
        record: record(row)?,
    })
}

fn deleted(row: &AnyRow) -> Result<Deleted, sqlx::Error> {
    Ok(Deleted {
        kind: row.try_get("kind")?,
        parent: row.try_get("parent")?,
        id_key: row.try_get("id_key")?,
        revision: revision_of(row, "revision")?,
    })
}

/// A revision as the database stores it (`BIGINT`).
fn stored(revision: u64) -> i64 {
    i64::try_from(revision).unwrap_or(i64::MAX)
}

impl SqlStore {
    /// Wraps a connected pool and brings its schema up to date.
    pub(crate) async fn new(
        pool: AnyPool,
        dialect: &'static Dialect,
    ) -> Result<SqlStore, StoreError> {
        let store = SqlStore { pool, dialect };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with(self.dialect.begin).await?;
        if let Some(lock) = self.dialect.migration_lock {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        sqlx::query(CREATE_TABLE).execute(&mut *tx).await?;
        let applied: i64 =
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
                .fetch_one(&mut *tx)
                .await?
                .try_get("v")?;
        let known = latest(self.dialect.migrations);
        if applied > known {
            return Err(StoreError::SchemaTooNew {
                found: applied,
                known,
            });
        }
        for m in self
            .dialect
            .migrations
            .iter()
            .filter(|m| m.version > applied)
        {
            sqlx::raw_sql(m.sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
                .bind(m.version)
                .bind(m.name)
                .execute(&mut *tx)
                .await?;
            tracing::info!(
                engine = self.dialect.name,
                version = m.version,
                name = m.name,
                "applied migration"
            );
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl Store for SqlStore {
    fn engine(&self) -> &'static str {
        self.dialect.name
    }

    async fn get(&self, instance: &str, key: Key<'_>) -> Result<Option<Record>, StoreError> {
        let row = sqlx::query(GET)
            .bind(instance)
            .bind(key.kind)
            .bind(fold(key.parent))
            .bind(fold(key.id))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(record).transpose()?)
    }

    async fn list(
        &self,
        instance: &str,
        kind: &str,
        parent: &str,
    ) -> Result<Vec<Record>, StoreError> {
        let rows = sqlx::query(LIST)
            .bind(instance)
            .bind(kind)
            .bind(fold(parent))
            .fetch_all(&self.pool)
            .await?;
        records(&rows)
    }

    async fn revision(&self, instance: &str) -> Result<u64, StoreError> {
        let row = sqlx::query(REVISION)
            .bind(instance)
            .fetch_optional(&self.pool)
            .await?;
        let revision: i64 = match row {
            Some(row) => row.try_get("revision")?,
            None => 0,
        };
        Ok(u64::try_from(revision).unwrap_or(0))
    }

    async fn changes(&self, instance: &str, since: u64) -> Result<Option<Changes>, StoreError> {
        // One snapshot for the three reads, so the rows are exactly those of the revision read.
        let mut tx = self.pool.begin_with(self.dialect.read).await?;
        let start = sqlx::query(FEED_START)
            .bind(instance)
            .fetch_optional(&mut *tx)
            .await?;
        let (revision, history_from) = match &start {
            Some(row) => (
                revision_of(row, "revision")?,
                revision_of(row, "history_from")?,
            ),
            None => (0, 0),
        };
        // Beyond the last DELETIONS_KEPT revisions the feed does not reach (deletions there may be
        // pruned, and a reader that far behind is better served by reading what it needs whole).
        if since < history_from || since > revision || revision - since > DELETIONS_KEPT {
            tx.rollback().await?;
            return Ok(None);
        }
        let rows = sqlx::query(WRITTEN)
            .bind(instance)
            .bind(stored(since))
            .fetch_all(&mut *tx)
            .await?;
        let written = rows.iter().map(written).collect::<Result<_, _>>()?;
        let rows = sqlx::query(DELETED)
            .bind(instance)
            .bind(stored(since))
            .fetch_all(&mut *tx)
            .await?;
        let deleted = rows.iter().map(deleted).collect::<Result<_, _>>()?;
        tx.rollback().await?;
        Ok(Some(Changes {
            revision,
            written,
            deleted,
        }))
    }

    fn runtime(&self) -> &dyn crate::RuntimeState {
        self
    }

    async fn begin(&self, instance: &str) -> Result<Box<dyn Tx>, StoreError> {
        let mut tx = self.pool.begin_with(self.dialect.begin).await?;
        let revision: i64 = sqlx::query(BUMP)
            .bind(instance)
            .fetch_one(&mut *tx)
            .await?
            .try_get("revision")?;
        Ok(Box::new(SqlTx {
            tx,
            instance: instance.to_owned(),
            revision,
            notify: self.dialect.notify,
            pruned: false,
        }))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl crate::RuntimeState for SqlStore {
    async fn quota_counters(
        &self,
        instance: &str,
        counter_key: &str,
    ) -> Result<Vec<QuotaCounter>, StoreError> {
        let rows = sqlx::query(QUOTA_COUNTERS)
            .bind(instance)
            .bind(counter_key)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(quota_counter).collect::<Result<_, _>>()?)
    }

    async fn put_quota_counter(
        &self,
        instance: &str,
        counter: &QuotaCounter,
    ) -> Result<(), StoreError> {
        sqlx::query(PUT_QUOTA_COUNTER)
            .bind(instance)
            .bind(&counter.counter_key)
            .bind(&counter.period_key)
            .bind(&counter.period_start)
            .bind(&counter.period_end)
            .bind(counter.calls_count)
            .bind(counter.kb_transferred)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn add_quota_usage(
        &self,
        instance: &str,
        counter: &QuotaCounter,
    ) -> Result<QuotaCounter, StoreError> {
        let row = sqlx::query(ADD_QUOTA_USAGE)
            .bind(instance)
            .bind(&counter.counter_key)
            .bind(&counter.period_key)
            .bind(&counter.period_start)
            .bind(&counter.period_end)
            .bind(counter.calls_count)
            .bind(counter.kb_transferred)
            .fetch_one(&self.pool)
            .await?;
        Ok(quota_counter(&row)?)
    }

    async fn set_quota_values(
        &self,
        instance: &str,
        counter_key: &str,
        period_key: Option<&str>,
        calls_count: Option<i64>,
        kb_transferred: Option<f64>,
    ) -> Result<u64, StoreError> {
        let statement = set_quota_statement(
            calls_count.is_some(),
            kb_transferred.is_some(),
            period_key.is_some(),
        );
        // Assembled from constant text and numbered placeholders only; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(statement))
            .bind(instance)
            .bind(counter_key);
        if let Some(calls_count) = calls_count {
            query = query.bind(calls_count);
        }
        if let Some(kb_transferred) = kb_transferred {
            query = query.bind(kb_transferred);
        }
        if let Some(period_key) = period_key {
            query = query.bind(period_key);
        }
        let done = query.execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    async fn append_records(
        &self,
        instance: &str,
        records: &[crate::RequestRecord],
    ) -> Result<(), StoreError> {
        crate::records::append(&self.pool, self.dialect, instance, records).await
    }

    async fn report(
        &self,
        instance: &str,
        grouping: crate::Grouping,
        filter: &crate::RecordFilter,
    ) -> Result<Vec<crate::ReportRow>, StoreError> {
        crate::records::report(&self.pool, instance, grouping, filter).await
    }

    async fn request_records(
        &self,
        instance: &str,
        filter: &crate::RecordFilter,
        skip: u64,
        top: u64,
    ) -> Result<(Vec<crate::RequestRecord>, u64), StoreError> {
        crate::records::requests(&self.pool, instance, filter, skip, top).await
    }

    async fn prune_records(&self, before: i64) -> Result<u64, StoreError> {
        crate::records::prune(&self.pool, before).await
    }

    async fn append_audit(
        &self,
        instance: &str,
        entries: &[crate::AuditEntry],
    ) -> Result<(), StoreError> {
        crate::audit::append(&self.pool, instance, entries).await
    }

    async fn audit_entries(
        &self,
        instance: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<crate::AuditEntry>, StoreError> {
        crate::audit::range(&self.pool, instance, from, to).await
    }

    async fn prune_audit(&self, before: i64) -> Result<u64, StoreError> {
        crate::audit::prune(&self.pool, before).await
    }

    async fn insert_value(
        &self,
        instance: &str,
        kind: &str,
        key: &str,
        value: &str,
        expires: i64,
    ) -> Result<bool, StoreError> {
        crate::values::insert(&self.pool, instance, kind, key, value, expires).await
    }

    async fn value(
        &self,
        instance: &str,
        kind: &str,
        key: &str,
    ) -> Result<Option<crate::RuntimeValue>, StoreError> {
        crate::values::get(&self.pool, instance, kind, key).await
    }

    async fn take_value(
        &self,
        instance: &str,
        kind: &str,
        key: &str,
    ) -> Result<Option<crate::RuntimeValue>, StoreError> {
        crate::values::take(&self.pool, instance, kind, key).await
    }

    async fn replace_value(
        &self,
        instance: &str,
        kind: &str,
        key: &str,
        old: &str,
        new: &str,
        expires: i64,
    ) -> Result<bool, StoreError> {
        crate::values::replace(&self.pool, instance, kind, key, old, new, expires).await
    }

    async fn delete_value(
        &self,
        instance: &str,
        kind: &str,
        key: &str,
    ) -> Result<bool, StoreError> {
        crate::values::delete(&self.pool, instance, kind, key).await
    }

    async fn values(
        &self,
        instance: &str,
        kind: &str,
    ) -> Result<Vec<crate::RuntimeValue>, StoreError> {
        crate::values::list(&self.pool, instance, kind).await
    }

    async fn prune_values(&self) -> Result<u64, StoreError> {
        crate::values::prune(&self.pool).await
    }
}

/// A write transaction holding the instance's write lock.
struct SqlTx {
    tx: Transaction<'static, Any>,
    instance: String,
    revision: i64,
    notify: Option<&'static str>,
    /// Whether this transaction has pruned the change feed's old deletions (once, at its first
    /// deletion).
    pruned: bool,
}

impl SqlTx {
    /// Forgets the deletions older than the last [`DELETIONS_KEPT`] revisions, and moves the start
    /// of the change feed's history past them if any were forgotten.
    async fn prune_deletions(&mut self) -> Result<(), StoreError> {
        let Some(horizon) = self.revision().checked_sub(DELETIONS_KEPT) else {
            return Ok(());
        };
        let horizon = stored(horizon);
        let done = sqlx::query(PRUNE_DELETIONS)
            .bind(&self.instance)
            .bind(horizon)
            .execute(&mut *self.tx)
            .await?;
        if done.rows_affected() > 0 {
            sqlx::query(HISTORY_FROM)
                .bind(&self.instance)
                .bind(horizon)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Tx for SqlTx {
    fn revision(&self) -> u64 {
        u64::try_from(self.revision).unwrap_or(0)
    }

    async fn get(&mut self, key: Key<'_>) -> Result<Option<Record>, StoreError> {
        let row = sqlx::query(GET)
            .bind(&self.instance)
            .bind(key.kind)
            .bind(fold(key.parent))
            .bind(fold(key.id))
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.as_ref().map(record).transpose()?)
    }

    async fn list(&mut self, kind: &str, parent: &str) -> Result<Vec<Record>, StoreError> {
        let rows = sqlx::query(LIST)
            .bind(&self.instance)
            .bind(kind)
            .bind(fold(parent))
            .fetch_all(&mut *self.tx)
            .await?;
        records(&rows)
    }

    async fn list_kind(&mut self, kind: &str) -> Result<Vec<Record>, StoreError> {
        let rows = sqlx::query(LIST_KIND)
            .bind(&self.instance)
            .bind(kind)
            .fetch_all(&mut *self.tx)
            .await?;
        records(&rows)
    }

    async fn put(&mut self, key: Key<'_>, body: &str) -> Result<(), StoreError> {
        sqlx::query(PUT)
            .bind(&self.instance)
            .bind(key.kind)
            .bind(fold(key.parent))
            .bind(fold(key.id))
            .bind(key.id)
            .bind(self.revision)
            .bind(body)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn delete(&mut self, key: Key<'_>) -> Result<bool, StoreError> {
        let done = sqlx::query(DELETE)
            .bind(&self.instance)
            .bind(key.kind)
            .bind(fold(key.parent))
            .bind(fold(key.id))
            .execute(&mut *self.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(TOMBSTONE)
            .bind(&self.instance)
            .bind(key.kind)
            .bind(fold(key.parent))
            .bind(fold(key.id))
            .bind(self.revision)
            .execute(&mut *self.tx)
            .await?;
        if !self.pruned {
            self.pruned = true;
            self.prune_deletions().await?;
        }
        Ok(true)
    }

    async fn audit(&mut self, entry: &crate::AuditEntry) -> Result<(), StoreError> {
        crate::audit::insert(&mut *self.tx, &self.instance, entry).await
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        if let Some(notify) = self.notify {
            sqlx::query(notify)
                .bind(format!("{} {}", self.instance, self.revision))
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}
