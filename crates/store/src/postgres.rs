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
    // One snapshot for every read of the change feed.
    read: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    // Nodes starting together migrate one at a time (the number is arbitrary but fixed).
    migration_lock: Some("SELECT pg_advisory_xact_lock(7261001)"),
    migrations: POSTGRES,
    notify: Some("SELECT pg_notify('tollgate_revisions', $1)"),
    parameters: crate::records::Parameters::Numbered,
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

/// The channel on which commits are announced.
pub const CHANNEL: &str = "tollgate_revisions";

/// Publishes the revisions that other nodes commit to the database at `url`, as they announce
/// them (`LISTEN`), and by reading the revision of `instance` every `every` as a fallback for
/// announcements lost while the listening connection was down. Runs until the task is dropped.
pub async fn follow_commits(
    url: String,
    store: std::sync::Arc<dyn Store>,
    instance: String,
    every: Duration,
    publisher: tokio::sync::watch::Sender<crate::watch::Revisions>,
) {
    let listening = listen(url, publisher.clone());
    let polling = async {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            match store.revision(&instance).await {
                Ok(revision) => crate::watch::publish(&publisher, &instance, revision),
                Err(err) => tracing::warn!(%err, "cannot read the configuration revision"),
            }
        }
    };
    tokio::join!(listening, polling);
}

async fn listen(url: String, publisher: tokio::sync::watch::Sender<crate::watch::Revisions>) {
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(err) = listener.listen(CHANNEL).await {
                    tracing::warn!(%err, "cannot LISTEN for commits; retrying");
                } else {
                    loop {
                        match listener.recv().await {
                            Ok(note) => {
                                if let Some((instance, revision)) = note.payload().split_once(' ')
                                    && let Ok(revision) = revision.parse()
                                {
                                    crate::watch::publish(&publisher, instance, revision);
                                }
                            }
                            Err(err) => {
                                tracing::warn!(%err, "lost the commit notifications; reconnecting");
                                break;
                            }
                        }
                    }
                }
            }
            Err(err) => tracing::warn!(%err, "cannot connect to LISTEN for commits; retrying"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
