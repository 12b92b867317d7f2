//! The conformance suite on PostgreSQL (needs `TOLLGATE_TEST_POSTGRES_URL`; `scripts/test` sets it).

use tollgate_store::{Store, conformance, postgres, testing};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms() {
    let url = testing::fresh_postgres_database().await;
    let store = postgres::open(&url).await.unwrap();
    conformance::run_all(&store).await;
    // A second node opening the same database finds it migrated.
    let again = postgres::open(&url).await.unwrap();
    again.close().await;
    store.close().await;
}

/// A commit through one node is announced to a node that follows the database, by `NOTIFY` alone
/// (the fallback reading of the revision is set to an hour here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_are_announced_to_other_nodes() {
    let url = testing::fresh_postgres_database().await;
    let follower = tollgate_store::open(&url).await.unwrap();
    let writer = tollgate_store::open(&url).await.unwrap();
    let mut seen = follower.subscribe();
    tokio::spawn(postgres::follow_commits(
        url.clone(),
        follower.clone(),
        "default".into(),
        std::time::Duration::from_secs(3600),
        follower.publisher(),
    ));
    // Let the first reading of the revision and the LISTEN settle.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mut tx = writer.begin("default").await.unwrap();
    tx.put(tollgate_store::Key::top("thing", "a"), "{}")
        .await
        .unwrap();
    let revision = tx.revision();
    tx.commit().await.unwrap();
    let announced = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        seen.wait_for(|known| known.get("default") == Some(&revision)),
    )
    .await;
    assert!(announced.is_ok(), "revision {revision} was not announced");
    writer.close().await;
    follower.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_store_gets_a_history_from_its_revision() {
    let url = testing::fresh_postgres_database().await;
    conformance::history_of_an_older_store_starts_at_its_revision(&url, async || {
        postgres::open(&url).await.unwrap()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_deletions_are_pruned() {
    let url = testing::fresh_postgres_database().await;
    conformance::old_deletions_are_pruned(&url, async || postgres::open(&url).await.unwrap()).await;
}
