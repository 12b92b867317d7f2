//! The conformance suite on SQLite, with and without the read cache, and durability across a
//! reopen.

use tollgate_store::{CachedStore, Key, Store, conformance, sqlite};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite::open(&dir.path().join("store.db")).await.unwrap();
    conformance::run_all(&store).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_sqlite_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let store = CachedStore::new(Box::new(
        sqlite::open(&dir.path().join("store.db")).await.unwrap(),
    ));
    conformance::run_all(&store).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_commits_across_reopen_and_migrates_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("store.db");
    let store = sqlite::open(&path).await.unwrap();
    let mut tx = store.begin("default").await.unwrap();
    tx.put(Key::top("thing", "kept"), r#"{"ok":true}"#)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    let store = sqlite::open(&path).await.unwrap();
    let got = store
        .get("default", Key::top("thing", "kept"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.body, r#"{"ok":true}"#);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_store_gets_a_history_from_its_revision() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let url = format!("sqlite://{}", path.display());
    conformance::history_of_an_older_store_starts_at_its_revision(&url, async || {
        sqlite::open(&path).await.unwrap()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_deletions_are_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let url = format!("sqlite://{}", path.display());
    conformance::old_deletions_are_pruned(&url, async || sqlite::open(&path).await.unwrap()).await;
}
