//! Quota counters (REFERENCE §16.6): read and reset through the API; written here beside the
//! server, as the gateway's quota policies will write them.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;
use tollgate_store::QuotaCounter;
use tollgate_store::Store;

on_both_engines!(counters_are_read_and_reset);

async fn counted(s: &Server, counters: &[(&str, &str, &str, i64, f64)]) {
    let store = tollgate_store::open(&s.database_url).await.unwrap();
    for (key, period, start, calls, kb) in counters {
        let counter = QuotaCounter {
            counter_key: (*key).into(),
            period_key: (*period).into(),
            period_start: (*start).into(),
            period_end: "2027-01-01T00:00:00Z".into(),
            calls_count: *calls,
            kb_transferred: *kb,
        };
        store
            .runtime()
            .put_quota_counter("default", &counter)
            .await
            .unwrap();
    }
    store.close().await;
}

async fn counters_are_read_and_reset(engine: Engine) {
    let s = Server::start(engine).await;
    assert_eq!(s.get(&format!("/quotas/ba?{V17}")).await.status, 404);
    counted(
        &s,
        &[
            ("ba", "0_P1D", "2026-11-21T00:00:00Z", 5, 2.5),
            ("ba", "1_P1D", "2026-11-22T00:00:00Z", 7, 3.25),
            ("BA", "0_P1D", "2026-11-21T00:00:00Z", 100, 0.0),
        ],
    )
    .await;
    let list = s.get(&format!("/quotas/ba?{V17}")).await.json();
    assert_eq!(list["count"], 2);
    assert_eq!(
        list["value"][0],
        json!({"counterKey": "ba", "periodKey": "0_P1D", "periodStartTime": "2026-11-21T00:00:00Z",
            "periodEndTime": "2027-01-01T00:00:00Z", "Value": {"callsCount": 5, "kbTransferred": 2.5}})
    );
    let legacy = s
        .get("/quotas/ba/1_P1D?api-version=2016-07-07")
        .await
        .json();
    assert_eq!(
        (&legacy["callsCount"], &legacy["kbTransferred"]),
        (&json!(7), &json!(3.25))
    );
    assert_eq!(s.get("/quotas/ba?api-version=2015-09-15").await.status, 404);

    // One period, then every period; the other key is untouched.
    let one = s
        .patch(
            &format!("/quotas/ba/0_P1D?{V17}"),
            &json!({"callsCount": 0}),
            "",
        )
        .await;
    assert_eq!(one.status, 204, "{}", one.text);
    let after = s.get(&format!("/quotas/ba/0_P1D?{V17}")).await.json();
    assert_eq!(
        after["Value"],
        json!({"callsCount": 0, "kbTransferred": 2.5})
    );
    let all = s
        .patch(
            &format!("/quotas/ba?{V17}"),
            &json!({"value": {"callsCount": 1, "kbTransferred": 0.5}}),
            "",
        )
        .await;
    assert_eq!(all.status, 204, "{}", all.text);
    let list = s.get(&format!("/quotas/ba?{V17}")).await.json();
    for counter in list["value"].as_array().unwrap() {
        assert_eq!(
            counter["Value"],
            json!({"callsCount": 1, "kbTransferred": 0.5})
        );
    }
    assert_eq!(
        s.get(&format!("/quotas/BA/0_P1D?{V17}")).await.json()["Value"]["callsCount"],
        100
    );

    let refused = s
        .patch(&format!("/quotas/ba?{V17}"), &json!({"callsCount": -3}), "")
        .await;
    assert_eq!(
        (refused.status, refused.error_targets()),
        (400, vec!["callsCount".to_owned()])
    );
    let missing = s
        .patch(
            &format!("/quotas/none?{V17}"),
            &json!({"callsCount": 0}),
            "",
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(s.get(&format!("/quotas/ba/9_P1D?{V17}")).await.status, 404);
    let head = s
        .send("HEAD", &format!("/quotas/ba/0_P1D?{V17}"), None, &[])
        .await;
    assert_eq!((head.status, head.text.as_str()), (200, ""));
    let missing = s
        .send("HEAD", &format!("/quotas/ba/9_P1D?{V17}"), None, &[])
        .await;
    assert_eq!(missing.status, 404);
}
