//! The configuration store: every entity of every instance, as JSON documents in SQL.
//!
//! One [`Store`] trait, two engines: [`sqlite`] (embedded, the default) and [`postgres`] (for
//! several nodes). Both run the same SQL (the `sql` module, through sqlx's `Any` driver); the
//! engine modules hold only what differs: connection settings, how a write transaction begins,
//! and how concurrent migrations are kept apart. Writes happen inside a [`Tx`], which takes the instance's write lock by
//! bumping its configuration revision first; every row the transaction writes carries that
//! revision, which callers render as the entity's ETag. So writers to one instance are
//! serialized, a read-check-write inside a `Tx` cannot race, and a dropped `Tx` leaves nothing
//! behind. Deletions leave a trace for a while, so [`Store::changes`] tells a reader what changed
//! after a revision (the gateway updates its snapshot with it). The [`conformance`] suite runs the
//! same checks against both engines.

mod audit;
mod cache;
pub mod conformance;
mod migrate;
pub mod postgres;
mod records;
mod sql;
pub mod sqlite;
pub mod testing;
mod values;
pub mod watch;

pub use audit::AuditEntry;
pub use cache::CachedStore;
pub use records::{Grouping, RecordFilter, ReportRow, RequestRecord};
pub use values::Value as RuntimeValue;
pub use watch::Watched;

use async_trait::async_trait;
use std::sync::Arc;

/// Where an entity lives inside an instance: its kind, its parent (empty for top-level
/// entities) and its id. Ids and parents are case-insensitive; the store folds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key<'a> {
    /// The kind of entity (`property`, `backend`, …).
    pub kind: &'a str,
    /// The parent's path (`apis/echo`), or `""`.
    pub parent: &'a str,
    /// The entity's id.
    pub id: &'a str,
}

impl<'a> Key<'a> {
    /// A top-level entity.
    pub const fn top(kind: &'a str, id: &'a str) -> Key<'a> {
        Key {
            kind,
            parent: "",
            id,
        }
    }
}

/// A stored entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The id, spelled as when it was created.
    pub id: String,
    /// The revision that last wrote it (its ETag).
    pub revision: u64,
    /// The JSON document.
    pub body: String,
}

/// The folded form of an id or parent, as the store keys them (`id_key`, `parent`): ids and
/// parents are case-insensitive.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// How many revisions back the change feed reaches: a reader further behind is told to read
/// everything again ([`Store::changes`] answers `None`), and deletions older than that are pruned.
pub const DELETIONS_KEPT: u64 = 1000;

/// An entity written after the revision a change feed was read from, as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The kind of entity.
    pub kind: String,
    /// The parent's path, folded (`apis/echo`), or `""`.
    pub parent: String,
    /// The folded id.
    pub id_key: String,
    /// The entity (its id spelled as when it was created).
    pub record: Record,
}

/// An entity deleted after the revision a change feed was read from. It may have been created
/// again since; then it is also among the [`Written`] ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    /// The kind of entity.
    pub kind: String,
    /// The parent's path, folded, or `""`.
    pub parent: String,
    /// The folded id.
    pub id_key: String,
    /// The revision that deleted it (the latest, if it was deleted more than once).
    pub revision: u64,
}

/// What changed in an instance after a revision, read in one consistent view: applying the
/// deletions, then the writes, to the instance as it was at that revision gives it exactly as it
/// is at [`Changes::revision`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// The revision the instance is at in this view.
    pub revision: u64,
    /// The entities written after the revision asked from, in the order they were written.
    pub written: Vec<Written>,
    /// The entities deleted after it.
    pub deleted: Vec<Deleted>,
}

/// A quota counter: what the `quota-by-key` policy counted for one counter key in one period.
/// Runtime state kept beside the configuration: writing it does not change the revision.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaCounter {
    /// The evaluated `counter-key`.
    pub counter_key: String,
    /// The period (`0_P3Y6M4DT12H30M5S`).
    pub period_key: String,
    /// When the period started (RFC 3339).
    pub period_start: String,
    /// When the period ends (RFC 3339).
    pub period_end: String,
    /// Calls counted.
    pub calls_count: i64,
    /// Kilobytes transferred.
    pub kb_transferred: f64,
}

/// What can go wrong in the store. Messages are for logs, not for API clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is busy; retrying may help.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database holds a schema newer than this binary knows.
    #[error(
        "the database schema is at migration {found}, newer than this Tollgate ({known}); upgrade Tollgate"
    )]
    SchemaTooNew {
        /// The newest migration applied to the database.
        found: i64,
        /// The newest migration this binary has.
        known: i64,
    },
    /// The database URL is not one Tollgate can use.
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> StoreError {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(err.to_string())
            }
            sqlx::Error::Database(db) if is_busy(db.code().as_deref()) => {
                StoreError::Unavailable(db.to_string())
            }
            other => StoreError::Database(other.to_string()),
        }
    }
}

/// SQLite `SQLITE_BUSY`/`SQLITE_LOCKED` (5, 6) and PostgreSQL serialization/lock failures.
fn is_busy(code: Option<&str>) -> bool {
    matches!(code, Some("5" | "6" | "40001" | "40P01" | "55P03"))
}

/// The store of configuration entities.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The engine's name (`sqlite`, `postgres`), for logs.
    fn engine(&self) -> &'static str;

    /// Reads one entity.
    async fn get(&self, instance: &str, key: Key<'_>) -> Result<Option<Record>, StoreError>;

    /// Reads the entities of one kind under one parent, in creation order.
    async fn list(
        &self,
        instance: &str,
        kind: &str,
        parent: &str,
    ) -> Result<Vec<Record>, StoreError>;

    /// The instance's configuration revision (0 if it has never been written).
    async fn revision(&self, instance: &str) -> Result<u64, StoreError>;

    /// What changed in the instance after revision `since` (see [`Changes`]), or `None` when
    /// the feed does not reach that far: `since` is more than [`DELETIONS_KEPT`] revisions old,
    /// or older than the store's history (deletions made before the store kept them), or newer
    /// than the instance (doubtful). The reader then reads everything again.
    async fn changes(&self, instance: &str, since: u64) -> Result<Option<Changes>, StoreError>;

    /// The runtime data kept beside the configuration (see [`RuntimeState`]).
    fn runtime(&self) -> &dyn RuntimeState;

    /// Starts a write transaction on `instance` (creating the instance if needed). It holds the
    /// instance's write lock until committed or dropped; dropping it rolls everything back.
    async fn begin(&self, instance: &str) -> Result<Box<dyn Tx>, StoreError>;

    /// Closes every connection; in-flight transactions finish first.
    async fn close(&self);
}

/// Runtime data kept beside the configuration: quota counters and request records. Writing it
/// changes no revision, so the wrappers of a store (its read cache, the publishing of commits)
/// hand it through untouched: [`Store::runtime`].
#[async_trait]
pub trait RuntimeState: Send + Sync {
    /// The quota counters of `counter_key` (compared exactly), by period start.
    async fn quota_counters(
        &self,
        instance: &str,
        counter_key: &str,
    ) -> Result<Vec<QuotaCounter>, StoreError>;

    /// Creates or replaces a quota counter.
    async fn put_quota_counter(
        &self,
        instance: &str,
        counter: &QuotaCounter,
    ) -> Result<(), StoreError>;

    /// Adds usage to a counter's period, creating the counter (with the given period bounds) if it
    /// does not exist, atomically (concurrent adds from several nodes are all counted); returns the
    /// counter after the addition.
    ///
    /// `counter.calls_count` and `counter.kb_transferred` are the deltas to add, not totals. The
    /// counter is the one of `(counter.counter_key, counter.period_key)`, keys compared exactly;
    /// `counter.period_start` and `counter.period_end` are stored only when it is created (an
    /// existing counter keeps its bounds, and they are what is returned). Adding zero reads the
    /// totals (creating the counter with zero counts if missing). One statement, outside any
    /// configuration transaction: the revision does not change, and an add concurrent with a
    /// [`RuntimeState::set_quota_values`] lands either before it (and is overwritten) or after it
    /// (and counts on top of the new values).
    async fn add_quota_usage(
        &self,
        instance: &str,
        counter: &QuotaCounter,
    ) -> Result<QuotaCounter, StoreError>;

    /// Sets the given values of the counters of `counter_key` (one period, or all of them);
    /// returns how many counters changed.
    async fn set_quota_values(
        &self,
        instance: &str,
        counter_key: &str,
        period_key: Option<&str>,
        calls_count: Option<i64>,
        kb_transferred: Option<f64>,
    ) -> Result<u64, StoreError>;

    /// Appends request records in one transaction. Runtime data: the revision does not change.
    async fn append_records(
        &self,
        instance: &str,
        records: &[RequestRecord],
    ) -> Result<(), StoreError>;

    /// Aggregates the records `filter` selects by `grouping`, in SQL; groups ordered by key.
    async fn report(
        &self,
        instance: &str,
        grouping: Grouping,
        filter: &RecordFilter,
    ) -> Result<Vec<ReportRow>, StoreError>;

    /// The records `filter` selects, oldest first (`skip`, then at most `top`), and their count.
    async fn request_records(
        &self,
        instance: &str,
        filter: &RecordFilter,
        skip: u64,
        top: u64,
    ) -> Result<(Vec<RequestRecord>, u64), StoreError>;

    /// Deletes the records of every instance older than `before` (ms since the epoch).
    async fn prune_records(&self, before: i64) -> Result<u64, StoreError>;

    /// Appends audit entries in one transaction of their own (events that change nothing: failed
    /// authentications, refused writes). A write's entry goes into the write: [`Tx::audit`].
    async fn append_audit(&self, instance: &str, entries: &[AuditEntry]) -> Result<(), StoreError>;

    /// The audit entries from `from` to `to` (ms since the epoch, inclusive), newest first.
    async fn audit_entries(
        &self,
        instance: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// Deletes the audit entries of every instance older than `before` (ms since the epoch).
    async fn prune_audit(&self, before: i64) -> Result<u64, StoreError>;

    /// Stores a small value under `(kind, key)` until `expires` (ms since the epoch), unless a
    /// live value holds the key; whether it was stored. Expired values are never read.
    async fn insert_value(
        &self,
        instance: &str,
        kind: &str,
        key: &str,
        value: &str,
        expires: i64,
    ) -> Result<bool, StoreError>;

    /// The live value under `(kind, key)`.
    async fn value(
        &self,
        instance: &str,
        kind: &str,
        key: &str,
    ) -> Result<Option<RuntimeValue>, StoreError>;

    /// Deletes the value under `(kind, key)` and returns it if it was live: of concurrent takers
    /// (on any node), exactly one gets it.
    async fn take_value(
        &self,
        instance: &str,
        kind: &str,
        key: &str,
    ) -> Result<Option<RuntimeValue>, StoreError>;

    /// Replaces the live value under `(kind, key)` if it is still `old` (compare and swap);
    /// whether it was replaced.
    #[allow(clippy::too_many_arguments)]
    async fn replace_value(
        &self,
        instance: &str,
        kind: &str,
        key: &str,
        old: &str,
        new: &str,
        expires: i64,
    ) -> Result<bool, StoreError>;

    /// Deletes the value under `(kind, key)`; whether there was one.
    async fn delete_value(&self, instance: &str, kind: &str, key: &str)
    -> Result<bool, StoreError>;

    /// The live values of a kind, by key.
    async fn values(&self, instance: &str, kind: &str) -> Result<Vec<RuntimeValue>, StoreError>;

    /// Deletes the expired values of every instance; returns how many.
    async fn prune_values(&self) -> Result<u64, StoreError>;
}

/// A write transaction on one instance.
#[async_trait]
pub trait Tx: Send {
    /// The revision this transaction commits as; every row it writes carries it.
    fn revision(&self) -> u64;

    /// Reads one entity, seeing this transaction's own writes.
    async fn get(&mut self, key: Key<'_>) -> Result<Option<Record>, StoreError>;

    /// Reads the entities of one kind under one parent, in creation order.
    async fn list(&mut self, kind: &str, parent: &str) -> Result<Vec<Record>, StoreError>;

    /// Reads every entity of one kind, under any parent, in creation order.
    async fn list_kind(&mut self, kind: &str) -> Result<Vec<Record>, StoreError>;

    /// Creates or replaces an entity; a replaced entity keeps its creation order and spelling.
    async fn put(&mut self, key: Key<'_>, body: &str) -> Result<(), StoreError>;

    /// Deletes an entity; `false` if it did not exist.
    async fn delete(&mut self, key: Key<'_>) -> Result<bool, StoreError>;

    /// Records an audit entry in this transaction: it commits with the writes, or not at all.
    async fn audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// Makes every write durable (SQLite `synchronous=FULL`; PostgreSQL commit).
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Opens the store a URL names, running migrations: `sqlite://PATH` (created if missing; with
/// the read cache, since one process owns the file) or `postgres://…` / `postgresql://…`
/// (uncached: other nodes may write it). Commits through it are published ([`Watched`]).
pub async fn open(url: &str) -> Result<Arc<Watched>, StoreError> {
    let store: Box<dyn Store> = if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        // This process is the SQLite file's only writer, so reads may be served from memory.
        let store = sqlite::open(std::path::Path::new(path)).await?;
        Box::new(CachedStore::new(Box::new(store)))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Box::new(postgres::open(url).await?)
    } else {
        return Err(StoreError::UnsupportedUrl(url.to_owned()));
    };
    Ok(Arc::new(Watched::new(store)))
}
