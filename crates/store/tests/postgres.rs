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
