//! The conformance suite: the behaviour every engine must have, run against each of them by
//! `tests/sqlite.rs` and `tests/postgres.rs`. Each check panics with a message on failure.

use crate::{
    Changes, DELETIONS_KEPT, Grouping, Key, QuotaCounter, RecordFilter, RequestRecord, Store,
    StoreError,
};

const KIND: &str = "thing";

/// Runs every check; each uses its own instance names, so the store may be shared.
pub async fn run_all(store: &dyn Store) {
    put_get_list_delete(store).await;
    ids_are_case_insensitive(store).await;
    revisions_count_commits_only(store).await;
    dropped_transaction_leaves_nothing(store).await;
    instances_and_parents_are_isolated(store).await;
    concurrent_conditional_writes_serialize(store).await;
    reads_see_every_commit(store).await;
    quota_counters_keep_exact_keys(store).await;
    quota_usage_adds_up(store).await;
    concurrent_quota_usage_is_all_counted(store).await;
    request_records_aggregate(store).await;
    request_records_large_batch(store).await;
    missing_floats_then_present_ones(store).await;
    audit_entries_commit_with_their_write(store).await;
    runtime_values_expire_and_are_taken_once(store).await;
    changes_after_a_revision(store).await;
    changes_include_deletions(store).await;
    changes_are_one_consistent_view(store).await;
    changes_history_has_a_horizon(store).await;
}

/// The change feed, in a compact form: `(kind, parent, id_key, revision, body)` written and
/// `(kind, parent, id_key, revision)` deleted.
type Feed = (
    u64,
    Vec<(String, String, String, u64, String)>,
    Vec<(String, String, String, u64)>,
);

fn feed(changes: Changes) -> Feed {
    (
        changes.revision,
        changes
            .written
            .into_iter()
            .map(|w| (w.kind, w.parent, w.id_key, w.record.revision, w.record.body))
            .collect(),
        changes
            .deleted
            .into_iter()
            .map(|d| (d.kind, d.parent, d.id_key, d.revision))
            .collect(),
    )
}

async fn changes_since(store: &dyn Store, instance: &str, since: u64) -> Feed {
    feed(
        store
            .changes(instance, since)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("the history since {since} is complete")),
    )
}

fn row(
    kind: &str,
    parent: &str,
    id_key: &str,
    revision: u64,
    body: &str,
) -> (String, String, String, u64, String) {
    (
        kind.into(),
        parent.into(),
        id_key.into(),
        revision,
        body.into(),
    )
}

/// Entities written after a revision are returned as they are now (folded parent and id, the
/// creation spelling in the record); nothing written at or before it is.
async fn changes_after_a_revision(store: &dyn Store) {
    let i = "conf-changes";
    assert_eq!(
        changes_since(store, i, 0).await,
        (0, vec![], vec![]),
        "an instance never written has no changes"
    );
    let r1 = write(store, i, Key::top(KIND, "A"), r#"{"v":1}"#).await;
    let child = Key {
        kind: "child",
        parent: "Things/A",
        id: "Op",
    };
    let r2 = write(store, i, child, r#"{"c":1}"#).await;
    let r3 = write(store, i, Key::top(KIND, "b"), r#"{"v":1}"#).await;
    assert_eq!(
        changes_since(store, i, r1).await,
        (
            r3,
            vec![
                row("child", "things/a", "op", r2, r#"{"c":1}"#),
                row(KIND, "", "b", r3, r#"{"v":1}"#)
            ],
            vec![]
        )
    );
    let all = store.changes(i, 0).await.unwrap().unwrap();
    assert_eq!(all.written.len(), 3);
    assert_eq!(
        (
            all.written[0].record.id.as_str(),
            all.written[1].record.id.as_str()
        ),
        ("A", "Op"),
        "records keep the creation spelling"
    );
    // Rewriting an entity moves it after the revision of the rewrite.
    let r4 = write(store, i, Key::top(KIND, "a"), r#"{"v":2}"#).await;
    assert_eq!(
        changes_since(store, i, r3).await,
        (r4, vec![row(KIND, "", "a", r4, r#"{"v":2}"#)], vec![])
    );
    assert_eq!(
        changes_since(store, i, r4).await,
        (r4, vec![], vec![]),
        "nothing after the current revision"
    );
    // A dropped transaction, and one that deletes nothing, leave no trace.
    let mut tx = store.begin(i).await.unwrap();
    tx.put(Key::top(KIND, "dropped"), "{}").await.unwrap();
    tx.delete(Key::top(KIND, "b")).await.unwrap();
    drop(tx);
    let mut tx = store.begin(i).await.unwrap();
    assert!(!tx.delete(Key::top(KIND, "never")).await.unwrap());
    let r5 = tx.revision();
    tx.commit().await.unwrap();
    assert_eq!(changes_since(store, i, r4).await, (r5, vec![], vec![]));
    assert!(
        store.changes(i, r5 + 1).await.unwrap().is_none(),
        "a revision newer than the instance is doubtful"
    );
    assert!(
        store
            .changes("conf-changes-none", 1)
            .await
            .unwrap()
            .is_none(),
        "so is any revision of an instance never written"
    );
}

/// Deletions after a revision are returned with the revision that made them; an entity deleted
/// and created again is in both lists; deleting in the same transaction as writing is seen.
async fn changes_include_deletions(store: &dyn Store) {
    let i = "conf-changes-deleted";
    write(store, i, Key::top(KIND, "gone"), "{}").await;
    write(store, i, Key::top(KIND, "back"), r#"{"v":1}"#).await;
    let r = write(store, i, Key::top(KIND, "kept"), "{}").await;
    let mut tx = store.begin(i).await.unwrap();
    assert!(tx.delete(Key::top(KIND, "GONE")).await.unwrap());
    assert!(tx.delete(Key::top(KIND, "back")).await.unwrap());
    let d = tx.revision();
    tx.commit().await.unwrap();
    assert_eq!(
        changes_since(store, i, r).await,
        (
            d,
            vec![],
            vec![
                (KIND.into(), "".into(), "back".into(), d),
                (KIND.into(), "".into(), "gone".into(), d)
            ]
        )
    );
    let again = write(store, i, Key::top(KIND, "Back"), r#"{"v":2}"#).await;
    assert_eq!(
        changes_since(store, i, r).await,
        (
            again,
            vec![row(KIND, "", "back", again, r#"{"v":2}"#)],
            vec![
                (KIND.into(), "".into(), "back".into(), d),
                (KIND.into(), "".into(), "gone".into(), d)
            ]
        ),
        "created again: deleted, then written"
    );
    assert_eq!(
        changes_since(store, i, d).await,
        (
            again,
            vec![row(KIND, "", "back", again, r#"{"v":2}"#)],
            vec![]
        ),
        "deletions at or before `since` are not returned"
    );
    // Written and deleted in one transaction: only the deletion remains.
    let mut tx = store.begin(i).await.unwrap();
    tx.put(Key::top(KIND, "brief"), "{}").await.unwrap();
    tx.delete(Key::top(KIND, "brief")).await.unwrap();
    tx.delete(Key::top(KIND, "back")).await.unwrap();
    let both = tx.revision();
    tx.commit().await.unwrap();
    assert_eq!(
        changes_since(store, i, again).await,
        (
            both,
            vec![],
            vec![
                (KIND.into(), "".into(), "back".into(), both),
                (KIND.into(), "".into(), "brief".into(), both)
            ]
        ),
        "the latest deletion of a key is the one kept"
    );
}

/// While another task commits, every feed holds only rows of the revision it reports, and applying
/// feeds one after another gives exactly what a full read gives.
async fn changes_are_one_consistent_view(store: &dyn Store) {
    let i = "conf-changes-consistent";
    write(store, i, Key::top(KIND, "seed"), "{}").await;
    let writer = async {
        for n in 0..40 {
            let mut tx = store.begin(i).await.unwrap();
            tx.put(
                Key::top(KIND, &format!("k{}", n % 7)),
                &format!(r#"{{"n":{n}}}"#),
            )
            .await
            .unwrap();
            if n % 3 == 0 {
                tx.delete(Key::top(KIND, &format!("k{}", (n + 2) % 7)))
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
            tokio::task::yield_now().await;
        }
    };
    let reader = async {
        let mut seen = std::collections::BTreeMap::new();
        let mut since = 0;
        let mut reads = 0;
        loop {
            let changes = store.changes(i, since).await.unwrap().unwrap();
            for w in &changes.written {
                assert!(
                    w.record.revision <= changes.revision,
                    "{w:?} is newer than {}",
                    changes.revision
                );
            }
            for d in &changes.deleted {
                assert!(
                    d.revision <= changes.revision,
                    "{d:?} is newer than {}",
                    changes.revision
                );
                seen.remove(&d.id_key);
            }
            for w in changes.written {
                seen.insert(w.id_key, w.record.body);
            }
            since = changes.revision;
            reads += 1;
            if since >= 41 || reads > 10_000 {
                return seen;
            }
            tokio::task::yield_now().await;
        }
    };
    let ((), applied) = tokio::join!(writer, reader);
    let listed: std::collections::BTreeMap<String, String> = store
        .list(i, KIND, "")
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id.to_lowercase(), r.body))
        .collect();
    assert_eq!(
        applied, listed,
        "feeds applied in turn give the instance as it is"
    );
}

/// The feed reaches `DELETIONS_KEPT` revisions back: a reader further behind is told to read
/// everything again, one within them gets every change, deletions included.
async fn changes_history_has_a_horizon(store: &dyn Store) {
    let i = "conf-changes-horizon";
    let first = write(store, i, Key::top(KIND, "a"), "{}").await;
    let mut tx = store.begin(i).await.unwrap();
    tx.delete(Key::top(KIND, "a")).await.unwrap();
    let deleted = tx.revision();
    tx.commit().await.unwrap();
    let mut last = deleted;
    while last < first + DELETIONS_KEPT {
        last = write(
            store,
            i,
            Key::top(KIND, "filler"),
            &format!(r#"{{"n":{last}}}"#),
        )
        .await;
    }
    assert_eq!(last, first + DELETIONS_KEPT);
    let (revision, written, removed) = changes_since(store, i, first).await;
    assert_eq!((revision, written.len()), (last, 1), "the filler");
    assert_eq!(removed, vec![(KIND.into(), "".into(), "a".into(), deleted)]);
    // One revision more, and the reader at `first` is too far behind.
    write(store, i, Key::top(KIND, "b"), "{}").await;
    assert!(
        store.changes(i, first).await.unwrap().is_none(),
        "a reader more than DELETIONS_KEPT revisions behind must read everything again"
    );
    assert!(store.changes(i, deleted).await.unwrap().is_some());
    // A deletion prunes the deletions the feed no longer reaches; the ones it reaches stay.
    let mut tx = store.begin(i).await.unwrap();
    tx.delete(Key::top(KIND, "b")).await.unwrap();
    let now = tx.revision();
    tx.commit().await.unwrap();
    assert!(store.changes(i, deleted).await.unwrap().is_none());
    let (revision, written, removed) = changes_since(store, i, now - DELETIONS_KEPT).await;
    assert_eq!((revision, written.len()), (now, 1), "the filler");
    assert_eq!(removed, vec![(KIND.into(), "".into(), "b".into(), now)]);
}

/// Deletions the feed no longer reaches are pruned by the next deleting transaction, on the store
/// at `url` (`open` opens it); counted with SQL beside the store.
pub async fn old_deletions_are_pruned<F, S>(url: &str, open: F)
where
    F: AsyncFnOnce() -> S,
    S: Store,
{
    let store = open().await;
    let i = "prune";
    for n in 0..3 {
        write(&store, i, Key::top(KIND, &format!("old{n}")), "{}").await;
        let mut tx = store.begin(i).await.unwrap();
        tx.delete(Key::top(KIND, &format!("old{n}"))).await.unwrap();
        tx.commit().await.unwrap();
    }
    for n in 0..DELETIONS_KEPT {
        write(
            &store,
            i,
            Key::top(KIND, "filler"),
            &format!(r#"{{"n":{n}}}"#),
        )
        .await;
    }
    assert_eq!(count_deletions(url).await, 3);
    write(&store, i, Key::top(KIND, "new"), "{}").await;
    let mut tx = store.begin(i).await.unwrap();
    tx.delete(Key::top(KIND, "new")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        count_deletions(url).await,
        1,
        "only the newest deletion is left"
    );
    store.close().await;
}

async fn count_deletions(url: &str) -> i64 {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM deletions")
        .fetch_one(&pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    pool.close().await;
    count
}

/// Quota counters: upserted, listed by period, set per period or for all periods, keys compared
/// exactly, and no effect on the configuration revision.
async fn quota_counters_keep_exact_keys(store: &dyn Store) {
    let i = "conf-quota";
    let counter = |key: &str, period: &str, start: &str, calls: i64| QuotaCounter {
        counter_key: key.into(),
        period_key: period.into(),
        period_start: start.into(),
        period_end: "2030-01-01T00:00:00Z".into(),
        calls_count: calls,
        kb_transferred: 1.5,
    };
    let before = store.revision(i).await.unwrap();
    store
        .runtime()
        .put_quota_counter(i, &counter("ba", "p2", "2026-02-01T00:00:00Z", 2))
        .await
        .unwrap();
    store
        .runtime()
        .put_quota_counter(i, &counter("ba", "p1", "2026-01-01T00:00:00Z", 1))
        .await
        .unwrap();
    store
        .runtime()
        .put_quota_counter(i, &counter("BA", "p1", "2026-01-01T00:00:00Z", 9))
        .await
        .unwrap();
    store
        .runtime()
        .put_quota_counter(i, &counter("ba", "p1", "2026-01-01T00:00:00Z", 3))
        .await
        .unwrap();
    let listed = store.runtime().quota_counters(i, "ba").await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|c| (c.period_key.as_str(), c.calls_count))
            .collect::<Vec<_>>(),
        [("p1", 3), ("p2", 2)]
    );
    assert_eq!(
        store.runtime().quota_counters(i, "BA").await.unwrap().len(),
        1,
        "counter keys are exact"
    );
    let changed = store
        .runtime()
        .set_quota_values(i, "ba", Some("p2"), Some(0), None)
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let changed = store
        .runtime()
        .set_quota_values(i, "ba", None, None, Some(0.25))
        .await
        .unwrap();
    assert_eq!(changed, 2);
    let listed = store.runtime().quota_counters(i, "ba").await.unwrap();
    assert_eq!(
        listed[1],
        QuotaCounter {
            calls_count: 0,
            kb_transferred: 0.25,
            ..counter("ba", "p2", "2026-02-01T00:00:00Z", 0)
        }
    );
    assert_eq!(listed[0].calls_count, 3);
    assert_eq!(
        store
            .runtime()
            .set_quota_values(i, "none", None, Some(1), None)
            .await
            .unwrap(),
        0
    );
    let both = store
        .runtime()
        .set_quota_values(i, "ba", None, Some(4), Some(2.0))
        .await
        .unwrap();
    assert_eq!(both, 2);
    let listed = store.runtime().quota_counters(i, "ba").await.unwrap();
    assert!(
        listed
            .iter()
            .all(|c| (c.calls_count, c.kb_transferred) == (4, 2.0))
    );
    assert_eq!(
        store.revision(i).await.unwrap(),
        before,
        "counters are not configuration"
    );
}

/// A quota counter holding `calls` and `kb` (the usage to add, or the totals expected).
fn usage(key: &str, period: &str, start: &str, end: &str, calls: i64, kb: f64) -> QuotaCounter {
    QuotaCounter {
        counter_key: key.into(),
        period_key: period.into(),
        period_start: start.into(),
        period_end: end.into(),
        calls_count: calls,
        kb_transferred: kb,
    }
}

/// Adding usage creates the counter with the given bounds, then accumulates calls and kilobytes
/// on it (keeping its bounds), returns the totals, and touches no other counter key, period,
/// instance, or the configuration revision. Keys are exact, and resets are added on top of.
async fn quota_usage_adds_up(store: &dyn Store) {
    let i = "conf-quota-add";
    let rt = store.runtime();
    let (jan, feb, mar) = (
        "2026-01-01T00:00:00Z",
        "2026-02-01T00:00:00Z",
        "2026-03-01T00:00:00Z",
    );
    let before = store.revision(i).await.unwrap();

    // Created with the given bounds and the deltas as its totals.
    let created = rt
        .add_quota_usage(i, &usage("k", "p1", jan, feb, 2, 1.5))
        .await
        .unwrap();
    assert_eq!(created, usage("k", "p1", jan, feb, 2, 1.5));
    // Accumulated; the bounds given again are ignored, the stored ones returned.
    let added = rt
        .add_quota_usage(i, &usage("k", "p1", feb, mar, 3, 0.25))
        .await
        .unwrap();
    assert_eq!(added, usage("k", "p1", jan, feb, 5, 1.75), "the totals");
    // Kilobytes alone, then calls alone.
    let added = rt
        .add_quota_usage(i, &usage("k", "p1", jan, feb, 0, 10.5))
        .await
        .unwrap();
    assert_eq!((added.calls_count, added.kb_transferred), (5, 12.25));
    let added = rt
        .add_quota_usage(i, &usage("k", "p1", jan, feb, 1, 0.0))
        .await
        .unwrap();
    assert_eq!((added.calls_count, added.kb_transferred), (6, 12.25));

    // Another period of the key, another key differing only in case, another instance: each
    // its own counter.
    let other_period = rt
        .add_quota_usage(i, &usage("k", "p2", feb, mar, 7, 0.5))
        .await
        .unwrap();
    assert_eq!(other_period, usage("k", "p2", feb, mar, 7, 0.5));
    let upper = rt
        .add_quota_usage(i, &usage("K", "p1", jan, feb, 100, 100.0))
        .await
        .unwrap();
    assert_eq!(
        upper,
        usage("K", "p1", jan, feb, 100, 100.0),
        "keys are exact"
    );
    let elsewhere = rt
        .add_quota_usage(
            "conf-quota-add-other",
            &usage("k", "p1", jan, feb, 1000, 0.0),
        )
        .await
        .unwrap();
    assert_eq!(elsewhere.calls_count, 1000);

    // What is listed is what the adds returned.
    assert_eq!(
        rt.quota_counters(i, "k").await.unwrap(),
        [
            usage("k", "p1", jan, feb, 6, 12.25),
            usage("k", "p2", feb, mar, 7, 0.5)
        ]
    );
    assert_eq!(
        rt.quota_counters(i, "K").await.unwrap(),
        [usage("K", "p1", jan, feb, 100, 100.0)]
    );

    // Adding nothing reads the totals (and creates a missing counter at zero).
    assert_eq!(
        rt.add_quota_usage(i, &usage("k", "p1", feb, mar, 0, 0.0))
            .await
            .unwrap(),
        usage("k", "p1", jan, feb, 6, 12.25)
    );
    assert_eq!(
        rt.add_quota_usage(i, &usage("new", "p1", jan, feb, 0, 0.0))
            .await
            .unwrap(),
        usage("new", "p1", jan, feb, 0, 0.0)
    );

    // A reset through set_quota_values is what the next add counts from.
    rt.set_quota_values(i, "k", Some("p1"), Some(0), Some(0.0))
        .await
        .unwrap();
    let after_reset = rt
        .add_quota_usage(i, &usage("k", "p1", jan, feb, 1, 0.5))
        .await
        .unwrap();
    assert_eq!(after_reset, usage("k", "p1", jan, feb, 1, 0.5));
    assert_eq!(
        rt.quota_counters(i, "k").await.unwrap()[1],
        usage("k", "p2", feb, mar, 7, 0.5),
        "the other period is not reset"
    );

    assert_eq!(
        store.revision(i).await.unwrap(),
        before,
        "usage is not configuration"
    );
}

/// Eight writers adding one call fifty times each, at once, on one counter that does not exist
/// yet (so they also race to create it): every add is counted, and each writer sees the total
/// grow.
async fn concurrent_quota_usage_is_all_counted(store: &dyn Store) {
    const WRITERS: i64 = 8;
    const ADDS: i64 = 50;
    let i = "conf-quota-race";
    let one = usage(
        "shared",
        "p",
        "2026-01-01T00:00:00Z",
        "2026-02-01T00:00:00Z",
        1,
        0.5,
    );
    let writer = || async {
        let mut last = 0;
        for _ in 0..ADDS {
            let total = store.runtime().add_quota_usage(i, &one).await?;
            assert!(
                total.calls_count > last,
                "a writer's totals grow: {} after {last}",
                total.calls_count
            );
            last = total.calls_count;
        }
        Ok::<i64, StoreError>(last)
    };
    let results = tokio::join!(
        writer(),
        writer(),
        writer(),
        writer(),
        writer(),
        writer(),
        writer(),
        writer()
    );
    let lasts = [
        results.0, results.1, results.2, results.3, results.4, results.5, results.6, results.7,
    ]
    .map(|r| r.expect("every add succeeds"));
    assert_eq!(lasts.len() as i64, WRITERS);
    assert!(
        lasts.contains(&(WRITERS * ADDS)),
        "the last add returns the whole total: {lasts:?}"
    );
    let counters = store.runtime().quota_counters(i, "shared").await.unwrap();
    assert_eq!(
        counters,
        [QuotaCounter {
            calls_count: WRITERS * ADDS,
            kb_transferred: 0.5 * (WRITERS * ADDS) as f64,
            ..one.clone()
        }],
        "every concurrent add is counted"
    );
}

/// A read, then a commit, then the same read: the second sees the commit (a cache must not hide it).
async fn reads_see_every_commit(store: &dyn Store) {
    let i = "conf-fresh";
    for round in 0..3 {
        let before = store
            .get(i, Key::top(KIND, "x"))
            .await
            .unwrap()
            .map(|r| r.body);
        let listed = store.list(i, KIND, "").await.unwrap().len();
        let body = format!(r#"{{"round":{round}}}"#);
        write(store, i, Key::top(KIND, "x"), &body).await;
        write(store, i, Key::top(KIND, &format!("other{round}")), "{}").await;
        let after = store
            .get(i, Key::top(KIND, "x"))
            .await
            .unwrap()
            .map(|r| r.body);
        assert_ne!(
            before, after,
            "round {round}: a read after a commit sees it"
        );
        assert_eq!(after.as_deref(), Some(body.as_str()));
        assert_eq!(
            store.list(i, KIND, "").await.unwrap().len(),
            listed + 1 + usize::from(round == 0)
        );
    }
    let mut tx = store.begin(i).await.unwrap();
    tx.delete(Key::top(KIND, "x")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.get(i, Key::top(KIND, "x")).await.unwrap(),
        None,
        "a read after a delete sees it"
    );
}

async fn write(store: &dyn Store, instance: &str, key: Key<'_>, body: &str) -> u64 {
    let mut tx = store.begin(instance).await.expect("begin");
    tx.put(key, body).await.expect("put");
    let revision = tx.revision();
    tx.commit().await.expect("commit");
    revision
}

async fn put_get_list_delete(store: &dyn Store) {
    let i = "conf-crud";
    assert_eq!(
        store.get(i, Key::top(KIND, "a")).await.unwrap(),
        None,
        "missing entity reads as None"
    );
    let ra = write(store, i, Key::top(KIND, "b-second-by-name"), r#"{"n":1}"#).await;
    let rb = write(store, i, Key::top(KIND, "a-first-by-name"), r#"{"n":2}"#).await;
    assert!(rb > ra, "each commit gets a higher revision");
    let got = store
        .get(i, Key::top(KIND, "b-second-by-name"))
        .await
        .unwrap()
        .expect("written entity");
    assert_eq!((got.revision, got.body.as_str()), (ra, r#"{"n":1}"#));
    let ids: Vec<String> = store
        .list(i, KIND, "")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        ids,
        ["b-second-by-name", "a-first-by-name"],
        "lists are in creation order"
    );
    let rc = write(store, i, Key::top(KIND, "b-second-by-name"), r#"{"n":3}"#).await;
    let list = store.list(i, KIND, "").await.unwrap();
    assert_eq!(
        list[0].id, "b-second-by-name",
        "a replaced entity keeps its place"
    );
    assert_eq!(
        (list[0].revision, list[0].body.as_str()),
        (rc, r#"{"n":3}"#)
    );
    let mut tx = store.begin(i).await.unwrap();
    assert!(tx.delete(Key::top(KIND, "a-first-by-name")).await.unwrap());
    assert!(!tx.delete(Key::top(KIND, "nothing")).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(store.list(i, KIND, "").await.unwrap().len(), 1);
}

async fn ids_are_case_insensitive(store: &dyn Store) {
    let i = "conf-case";
    write(store, i, Key::top(KIND, "MyId"), "{}").await;
    let got = store
        .get(i, Key::top(KIND, "myid"))
        .await
        .unwrap()
        .expect("found by folded id");
    assert_eq!(got.id, "MyId", "the creation spelling is kept");
    write(store, i, Key::top(KIND, "MYID"), r#"{"v":2}"#).await;
    let list = store.list(i, KIND, "").await.unwrap();
    assert_eq!(list.len(), 1, "differently cased ids are the same entity");
    assert_eq!(
        (list[0].id.as_str(), list[0].body.as_str()),
        ("MyId", r#"{"v":2}"#)
    );
}

async fn revisions_count_commits_only(store: &dyn Store) {
    let i = "conf-revision";
    assert_eq!(
        store.revision(i).await.unwrap(),
        0,
        "an unknown instance is at revision 0"
    );
    let r1 = write(store, i, Key::top(KIND, "x"), "{}").await;
    assert_eq!(store.revision(i).await.unwrap(), r1);
    let tx = store.begin(i).await.unwrap();
    assert_eq!(tx.revision(), r1 + 1);
    drop(tx);
    assert_eq!(
        store.revision(i).await.unwrap(),
        r1,
        "a dropped transaction does not advance the revision"
    );
}

async fn dropped_transaction_leaves_nothing(store: &dyn Store) {
    let i = "conf-rollback";
    write(store, i, Key::top(KIND, "kept"), r#"{"v":1}"#).await;
    let mut tx = store.begin(i).await.unwrap();
    tx.put(Key::top(KIND, "new"), "{}").await.unwrap();
    tx.put(Key::top(KIND, "kept"), r#"{"v":2}"#).await.unwrap();
    assert!(
        tx.get(Key::top(KIND, "new")).await.unwrap().is_some(),
        "a transaction sees its own writes"
    );
    assert_eq!(tx.list(KIND, "").await.unwrap().len(), 2);
    drop(tx);
    assert_eq!(store.get(i, Key::top(KIND, "new")).await.unwrap(), None);
    assert_eq!(
        store
            .get(i, Key::top(KIND, "kept"))
            .await
            .unwrap()
            .unwrap()
            .body,
        r#"{"v":1}"#
    );
}

async fn instances_and_parents_are_isolated(store: &dyn Store) {
    write(store, "conf-iso-a", Key::top(KIND, "x"), "{}").await;
    assert_eq!(
        store.get("conf-iso-b", Key::top(KIND, "x")).await.unwrap(),
        None
    );
    let i = "conf-parents";
    write(
        store,
        i,
        Key {
            kind: KIND,
            parent: "apis/One",
            id: "op",
        },
        r#"{"p":1}"#,
    )
    .await;
    write(
        store,
        i,
        Key {
            kind: KIND,
            parent: "apis/two",
            id: "op",
        },
        r#"{"p":2}"#,
    )
    .await;
    let under_one = store.list(i, KIND, "apis/one").await.unwrap();
    assert_eq!(under_one.len(), 1, "parents are folded and separate");
    assert_eq!(under_one[0].body, r#"{"p":1}"#);
    let mut tx = store.begin(i).await.unwrap();
    assert_eq!(tx.list_kind(KIND).await.unwrap().len(), 2);
    assert!(tx.list(KIND, "").await.unwrap().is_empty());
}

/// Two writers read the same revision, then each tries "write if unchanged" in a transaction:
/// exactly one may win, whatever the interleaving.
async fn concurrent_conditional_writes_serialize(store: &dyn Store) {
    let i = "conf-race";
    let seen = write(store, i, Key::top(KIND, "contested"), r#"{"v":0}"#).await;
    let attempt = |body: &'static str| async move {
        let mut tx = store.begin(i).await?;
        let current = tx
            .get(Key::top(KIND, "contested"))
            .await?
            .map(|r| r.revision);
        if current != Some(seen) {
            return Ok::<bool, StoreError>(false);
        }
        tokio::task::yield_now().await;
        tx.put(Key::top(KIND, "contested"), body).await?;
        tx.commit().await?;
        Ok(true)
    };
    for _ in 0..5 {
        let (a, b) = tokio::join!(attempt(r#"{"v":"a"}"#), attempt(r#"{"v":"b"}"#));
        let wins = [a.expect("writer a"), b.expect("writer b")]
            .iter()
            .filter(|w| **w)
            .count();
        assert!(
            wins <= 1,
            "two conditional writes on the same revision both succeeded"
        );
    }
    let final_body = store
        .get(i, Key::top(KIND, "contested"))
        .await
        .unwrap()
        .unwrap()
        .body;
    assert_ne!(final_body, r#"{"v":0}"#, "one writer won the first round");
}

fn request(ts: i64, api: &str, code: i64, backend: Option<(i64, f64)>) -> RequestRecord {
    RequestRecord {
        timestamp: ts,
        request_id: format!("r{ts}"),
        method: "GET".into(),
        url: format!("http://gw/{api}"),
        ip_address: "127.0.0.1".into(),
        api_id: api.into(),
        operation_id: "Op".into(),
        product_id: "P".into(),
        subscription_id: "S".into(),
        user_id: "U".into(),
        request_size: 10,
        response_size: 100,
        response_code: code,
        backend_code: backend.map(|(code, _)| code),
        api_time: ts as f64,
        service_time: backend.map(|(_, time)| time),
        cache: "none".into(),
        api_region: "local".into(),
        country: String::new(),
        region: String::new(),
        zip: String::new(),
    }
}

/// Request records: appended without a revision, aggregated per group and per time bucket with
/// every count and time, filtered by case-insensitive ids and the time range, listed and pruned.
async fn request_records_aggregate(store: &dyn Store) {
    let i = "conf-records";
    let records = [
        request(1_000, "A", 200, Some((200, 4.0))),
        request(2_000, "a", 500, Some((500, 2.0))),
        request(3_000, "A", 401, None),
        request(900_000, "B", 304, Some((304, 1.0))),
        request(901_000, "B", 404, None),
    ];
    store.runtime().append_records(i, &records).await.unwrap();
    assert_eq!(
        store.revision(i).await.unwrap(),
        0,
        "records bump no revision"
    );
    let all = RecordFilter {
        from: 0,
        to: i64::MAX,
        ..RecordFilter::default()
    };
    let by_api = store
        .runtime()
        .report(i, Grouping::Api, &all)
        .await
        .unwrap();
    assert_eq!(by_api.len(), 2, "{by_api:?}");
    let a = &by_api[0];
    assert_eq!(a.key, vec!["a".to_owned()]);
    assert_eq!(
        (
            a.success,
            a.blocked,
            a.failed,
            a.other,
            a.total,
            a.bandwidth
        ),
        (1, 1, 1, 0, 3, 330)
    );
    assert_eq!(a.api_time, (2000.0, 1000.0, 3000.0));
    assert_eq!(a.service_time, (3.0, 2.0, 4.0));
    let b = &by_api[1];
    assert_eq!((b.success, b.other, b.total), (1, 1, 2));
    let by_time = store
        .runtime()
        .report(i, Grouping::Time(900_000), &all)
        .await
        .unwrap();
    let buckets: Vec<(Option<i64>, i64)> = by_time.iter().map(|r| (r.bucket, r.total)).collect();
    assert_eq!(buckets, vec![(Some(0), 3), (Some(900_000), 2)]);
    let only_a = RecordFilter {
        api_id: Some("A".into()),
        from: 1_500,
        to: 3_000,
        ..RecordFilter::default()
    };
    let by_op = store
        .runtime()
        .report(i, Grouping::Operation, &only_a)
        .await
        .unwrap();
    assert_eq!(by_op.len(), 1);
    assert_eq!(by_op[0].key, vec!["a".to_owned(), "op".to_owned()]);
    assert_eq!(by_op[0].total, 2);
    let (page, count) = store
        .runtime()
        .request_records(i, &all, 1, 2)
        .await
        .unwrap();
    assert_eq!(count, 5);
    let ids: Vec<&str> = page.iter().map(|r| r.request_id.as_str()).collect();
    assert_eq!(ids, vec!["r2000", "r3000"]);
    assert_eq!(page[1].backend_code, None);
    assert_eq!(page[0].service_time, Some(2.0));
    assert!(store.runtime().prune_records(900_000).await.unwrap() >= 3);
    let (_, left) = store
        .runtime()
        .request_records(i, &all, 0, 10)
        .await
        .unwrap();
    assert_eq!(left, 2);
}

/// A batch larger than one `INSERT` statement holds is written whole, every field intact.
async fn request_records_large_batch(store: &dyn Store) {
    let i = "conf-records-batch";
    let records: Vec<RequestRecord> = (0..103)
        .map(|n| {
            let mut record = request(10_000 + n, "Batch", 200, Some((201, n as f64 / 2.0)));
            record.zip = format!("z{n}");
            record
        })
        .collect();
    store.runtime().append_records(i, &records).await.unwrap();
    let all = RecordFilter {
        from: 0,
        to: i64::MAX,
        ..RecordFilter::default()
    };
    let (page, count) = store
        .runtime()
        .request_records(i, &all, 0, 200)
        .await
        .unwrap();
    assert_eq!(count, 103);
    for (n, (read, written)) in page.iter().zip(&records).enumerate() {
        let mut expected = written.clone();
        expected.api_id = expected.api_id.to_lowercase();
        expected.operation_id = expected.operation_id.to_lowercase();
        expected.product_id = expected.product_id.to_lowercase();
        expected.subscription_id = expected.subscription_id.to_lowercase();
        expected.user_id = expected.user_id.to_lowercase();
        assert_eq!(read, &expected, "record {n}");
    }
}

/// A store that an older Tollgate wrote (schema before the change feed) deleted entities without a
/// trace: once migrated, its history starts at the revision it had, and grows from there.
/// `open` opens the store at `url`, migrating it.
pub async fn history_of_an_older_store_starts_at_its_revision<F, S>(url: &str, open: F)
where
    F: AsyncFnOnce() -> S,
    S: Store,
{
    crate::testing::migrate_to(url, 4).await;
    {
        sqlx::any::install_default_drivers();
        let raw = match url.strip_prefix("sqlite://") {
            Some(path) => format!("sqlite://{path}"),
            None => url.to_owned(),
        };
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&raw)
            .await
            .unwrap();
        sqlx::raw_sql(
            "INSERT INTO instances (name, revision) VALUES ('old', 7);
             INSERT INTO entities (instance, kind, parent, id_key, id, created, revision, body)
                 VALUES ('old', 'thing', '', 'a', 'A', 3, 7, '{}');",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let store = open().await;
    assert!(
        store.changes("old", 3).await.unwrap().is_none(),
        "deletions before the migration are unknown"
    );
    assert_eq!(changes_since(&store, "old", 7).await, (7, vec![], vec![]));
    let mut tx = store.begin("old").await.unwrap();
    assert!(tx.delete(Key::top(KIND, "a")).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(
        changes_since(&store, "old", 7).await,
        (8, vec![], vec![(KIND.into(), "".into(), "a".into(), 8)])
    );
    assert_eq!(
        changes_since(&store, "new", 0).await,
        (0, vec![], vec![]),
        "a new instance has its whole history"
    );
    store.close().await;
}

fn audit_entry(timestamp: i64, action: &str, path: &str) -> crate::AuditEntry {
    crate::AuditEntry {
        seq: 0,
        timestamp,
        actor: "sas:integration".to_owned(),
        action: action.to_owned(),
        path: path.to_owned(),
        entity: path.to_owned(),
        summary: "created property p".to_owned(),
        client_ip: "127.0.0.1".to_owned(),
        outcome: "succeeded".to_owned(),
        status: 201,
    }
}

/// An audit entry written in a transaction exists only if the transaction commits; entries
/// appended on their own need none; reads are newest first within the range; pruning is by time.
async fn audit_entries_commit_with_their_write(store: &dyn Store) {
    let i = "conf-audit";
    let runtime = store.runtime();
    let mut tx = store.begin(i).await.unwrap();
    tx.put(Key::top(KIND, "dropped"), "{}").await.unwrap();
    tx.audit(&audit_entry(1_000, "PUT", "/properties/dropped"))
        .await
        .unwrap();
    drop(tx);
    let mut tx = store.begin(i).await.unwrap();
    let revision = tx.revision();
    tx.put(Key::top(KIND, "kept"), "{}").await.unwrap();
    tx.audit(&audit_entry(2_000, "PUT", "/properties/kept"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.revision(i).await.unwrap(),
        revision,
        "the audit entry adds no revision"
    );
    runtime
        .append_audit(
            i,
            &[
                audit_entry(2_000, "GET", "/later-same-ms"),
                audit_entry(3_000, "authentication", "/x"),
            ],
        )
        .await
        .unwrap();
    runtime
        .append_audit("conf-audit-other", &[audit_entry(2_500, "PUT", "/other")])
        .await
        .unwrap();
    let paths =
        |entries: Vec<crate::AuditEntry>| entries.into_iter().map(|e| e.path).collect::<Vec<_>>();
    let all = runtime.audit_entries(i, 0, i64::MAX).await.unwrap();
    assert_eq!(all[1].status, 201);
    assert_eq!(all[1].actor, "sas:integration");
    assert!(all[0].seq > all[1].seq && all[1].seq > all[2].seq);
    assert_eq!(
        paths(all),
        ["/x", "/later-same-ms", "/properties/kept"],
        "newest first, the dropped write's entry absent, other instances apart"
    );
    assert_eq!(
        paths(runtime.audit_entries(i, 1_500, 2_000).await.unwrap()),
        ["/later-same-ms", "/properties/kept"]
    );
    assert!(runtime.prune_audit(2_001).await.unwrap() >= 2);
    assert_eq!(
        paths(runtime.audit_entries(i, 0, i64::MAX).await.unwrap()),
        ["/x"]
    );
}

/// Runtime values: inserted once per live key, read until they expire, taken by exactly one of
/// concurrent takers, replaced only from the expected value.
async fn runtime_values_expire_and_are_taken_once(store: &dyn Store) {
    let (i, kind) = ("conf-values", "code");
    let runtime = store.runtime();
    let later = crate::values::now() + 60_000;
    let past = crate::values::now() - 1;
    assert!(
        runtime
            .insert_value(i, kind, "a", "1", later)
            .await
            .unwrap()
    );
    assert!(
        !runtime
            .insert_value(i, kind, "a", "2", later)
            .await
            .unwrap(),
        "a live key is not overwritten"
    );
    assert!(
        runtime
            .insert_value(i, kind, "old", "x", past)
            .await
            .unwrap()
    );
    assert_eq!(
        runtime.value(i, kind, "old").await.unwrap(),
        None,
        "expired"
    );
    assert!(
        runtime
            .insert_value(i, kind, "old", "y", later)
            .await
            .unwrap(),
        "an expired key is free"
    );
    assert_eq!(
        runtime.value(i, kind, "a").await.unwrap().unwrap().value,
        "1"
    );
    assert_eq!(
        runtime.value("conf-values-other", kind, "a").await.unwrap(),
        None
    );
    assert_eq!(
        runtime
            .values(i, kind)
            .await
            .unwrap()
            .into_iter()
            .map(|v| (v.key, v.value))
            .collect::<Vec<_>>(),
        [
            ("a".to_owned(), "1".to_owned()),
            ("old".to_owned(), "y".to_owned())
        ]
    );
    assert!(
        !runtime
            .replace_value(i, kind, "a", "9", "2", later)
            .await
            .unwrap()
    );
    assert!(
        runtime
            .replace_value(i, kind, "a", "1", "2", later)
            .await
            .unwrap()
    );
    let (first, second) = tokio::join!(
        runtime.take_value(i, kind, "a"),
        runtime.take_value(i, kind, "a")
    );
    let taken: Vec<_> = [first.unwrap(), second.unwrap()]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(taken.len(), 1, "taken once");
    assert_eq!(taken[0].value, "2");
    assert!(runtime.delete_value(i, kind, "old").await.unwrap());
    assert!(!runtime.delete_value(i, kind, "old").await.unwrap());
    assert!(
        runtime
            .insert_value(i, kind, "gone", "z", past)
            .await
            .unwrap()
    );
    assert!(runtime.prune_values().await.unwrap() >= 1);
}

/// A missing float (a call that reached no backend, a quota reset of calls only) and then a
/// present one, many times: every connection of the pool sees both orders. (sqlx's `Any` driver
/// binds a NULL `f64` as PostgreSQL `float4`, which broke the statements a connection had
/// prepared that way for every later value.)
async fn missing_floats_then_present_ones(store: &dyn Store) {
    let i = "conf-null-floats";
    let runtime = store.runtime();
    for n in 0..12 {
        let none = request(20_000 + 2 * n, "Nulls", 404, None);
        let some = request(20_001 + 2 * n, "Nulls", 200, Some((200, 1.5)));
        runtime
            .append_records(i, std::slice::from_ref(&none))
            .await
            .unwrap();
        runtime
            .append_records(i, std::slice::from_ref(&some))
            .await
            .unwrap();
        runtime.append_records(i, &[none, some]).await.unwrap();
        runtime
            .put_quota_counter(i, &usage("nulls", "p", "a", "b", 1, 1.0))
            .await
            .unwrap();
        runtime
            .set_quota_values(i, "nulls", None, Some(0), None)
            .await
            .unwrap();
        runtime
            .set_quota_values(i, "nulls", Some("p"), None, Some(2.5))
            .await
            .unwrap();
    }
    let all = RecordFilter {
        from: 0,
        to: i64::MAX,
        ..RecordFilter::default()
    };
    let (page, count) = runtime.request_records(i, &all, 0, 100).await.unwrap();
    assert_eq!(count, 48);
    let times: Vec<Option<f64>> = page[..4].iter().map(|r| r.service_time).collect();
    assert_eq!(times, [None, None, Some(1.5), Some(1.5)]);
    let counters = runtime.quota_counters(i, "nulls").await.unwrap();
    assert_eq!(
        (counters[0].calls_count, counters[0].kb_transferred),
        (0, 2.5)
    );
}
