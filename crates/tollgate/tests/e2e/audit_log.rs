//! The audit log (`GET /auditLogs`): every management write, key regeneration and failed
//! authentication, with who, what, when, from where and the outcome; never a secret.

use crate::common::{Engine, KEY, SECONDARY_KEY, Server, V17, encode, sas};
use crate::on_both_engines;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

on_both_engines!(
    writes_and_refusals_are_audited_without_secrets,
    the_audit_log_filters_and_pages,
    old_entries_are_pruned_past_retention
);

const SECRET: &str = "very-secret-named-value-1234";

/// The entries `$filter` selects, newest first (waits up to 5 s for at least `at_least`: refusals
/// are written by a background writer).
async fn entries(s: &Server, filter: &str, at_least: usize) -> Vec<Value> {
    let query = if filter.is_empty() {
        String::new()
    } else {
        format!("&$filter={}", encode(filter))
    };
    for _ in 0..50 {
        let r = s.get(&format!("/auditLogs?{V17}{query}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let value = r.json()["value"].as_array().unwrap().clone();
        if value.len() >= at_least {
            return value;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("fewer than {at_least} audit entries for {filter:?}");
}

async fn writes_and_refusals_are_audited_without_secrets(engine: Engine) {
    let s = Server::start(engine).await;
    let p = format!("/properties/p1?{V17}");
    let r = s
        .put(&p, &json!({"name": "p1", "value": SECRET, "secret": true}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s
        .patch(&p, &json!({"value": "another-secret-value"}), "*")
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    // Refused writes: a stale If-Match (412) and a malformed body (400).
    let r = s.delete(&p, "\"999999\"").await;
    assert_eq!(r.status, 412, "{}", r.text);
    let r = s
        .put(&format!("/properties/p2?{V17}"), &json!({"name": 5}))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = s
        .send(
            "POST",
            &format!("/tenant/access/regenerateSecondaryKey?{V17}"),
            None,
            &[],
        )
        .await;
    assert!(r.status < 300, "{}", r.text);
    let r = s.delete(&p, "*").await;
    assert!(r.status < 300, "{}", r.text);
    // A failed authentication, and reads (which are not audited).
    let wrong = sas(
        "integration",
        "not-the-key",
        Utc::now() + Duration::hours(1),
    );
    let r = s
        .send(
            "GET",
            &format!("/properties?{V17}"),
            None,
            &[("Authorization", &wrong)],
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(s.get(&format!("/properties?{V17}")).await.status, 200);

    let all = entries(&s, "", 7).await;
    let row = |e: &Value| {
        (
            e["action"].as_str().unwrap().to_owned(),
            e["entity"].as_str().unwrap().to_owned(),
            e["outcome"].as_str().unwrap().to_owned(),
            e["status"].as_u64(),
        )
    };
    let mut rows: Vec<_> = all.iter().map(row).collect();
    // The refusals' entries are written apart from the requests: compare as a set, in time order.
    rows.sort();
    let mut expected = vec![
        (
            "PUT".to_owned(),
            "/properties/p1".to_owned(),
            "succeeded".to_owned(),
            None,
        ),
        (
            "PATCH".to_owned(),
            "/properties/p1".to_owned(),
            "succeeded".to_owned(),
            None,
        ),
        (
            "DELETE".to_owned(),
            "/properties/p1".to_owned(),
            "failed".to_owned(),
            Some(412),
        ),
        (
            "PUT".to_owned(),
            "/properties/p2".to_owned(),
            "failed".to_owned(),
            Some(400),
        ),
        (
            "POST".to_owned(),
            "/tenant/access".to_owned(),
            "succeeded".to_owned(),
            None,
        ),
        (
            "DELETE".to_owned(),
            "/properties/p1".to_owned(),
            "succeeded".to_owned(),
            None,
        ),
        (
            "GET".to_owned(),
            "/properties".to_owned(),
            "failed".to_owned(),
            Some(401),
        ),
    ];
    expected.sort();
    assert_eq!(rows, expected, "{all:#?}");

    let find = |action: &str, outcome: &str| {
        all.iter()
            .find(|e| e["action"] == action && e["outcome"] == outcome)
            .unwrap()
            .clone()
    };
    let created = find("PUT", "succeeded");
    assert_eq!(created["actor"], "sas:integration");
    assert_eq!(created["clientIp"], "127.0.0.1");
    assert_eq!(created["path"], "/properties/p1");
    assert_eq!(created["summary"], "created property p1");
    assert!(created["id"].as_str().unwrap().starts_with("/auditLogs/"));
    let at = chrono::DateTime::parse_from_rfc3339(created["timestamp"].as_str().unwrap()).unwrap();
    assert!((Utc::now() - at.with_timezone(&Utc)).num_seconds().abs() < 60);
    assert_eq!(
        find("PATCH", "succeeded")["summary"],
        "replaced property p1 (changed: value)"
    );
    let regenerated = find("POST", "succeeded");
    assert_eq!(regenerated["path"], "/tenant/access/regenerateSecondaryKey");
    assert_eq!(
        regenerated["summary"],
        "replaced tenantAccess access (changed: secondaryKey)"
    );
    assert_eq!(
        find("DELETE", "succeeded")["summary"],
        "deleted property p1"
    );
    let refused = find("GET", "failed");
    assert_eq!(refused["actor"], "anonymous");
    assert!(
        refused["summary"]
            .as_str()
            .unwrap()
            .contains("Unauthorized")
    );
    // Newest first.
    let times: Vec<&str> = all
        .iter()
        .map(|e| e["timestamp"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);

    let text = s.get(&format!("/auditLogs?{V17}")).await.text;
    for secret in [
        SECRET,
        "another-secret-value",
        KEY,
        SECONDARY_KEY,
        "not-the-key",
    ] {
        assert!(
            !text.contains(secret),
            "the audit log must not hold {secret}"
        );
    }
    // Read-only.
    let r = s.put(&format!("/auditLogs?{V17}"), &json!({})).await;
    assert_eq!(r.status, 405);
}

async fn the_audit_log_filters_and_pages(engine: Engine) {
    let s = Server::start(engine).await;
    let start = Utc::now() - Duration::seconds(1);
    for id in ["a", "b", "c"] {
        let r = s
            .put(
                &format!("/properties/{id}?{V17}"),
                &json!({"name": id, "value": "v"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = s
        .put(&format!("/groups/g1?{V17}"), &json!({"name": "G1"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    let entities = |v: Vec<Value>| {
        v.iter()
            .map(|e| e["entity"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        entities(entries(&s, "startswith(entity,'/properties/')", 3).await),
        ["/properties/c", "/properties/b", "/properties/a"]
    );
    assert_eq!(
        entities(
            entries(
                &s,
                "entity eq '/groups/g1' and actor eq 'sas:integration'",
                1
            )
            .await
        ),
        ["/groups/g1"]
    );
    let since = start.format("%Y-%m-%dT%H:%M:%S").to_string();
    assert_eq!(
        entries(
            &s,
            &format!("timestamp ge datetime'{since}' and action eq 'PUT'"),
            4
        )
        .await
        .len(),
        4
    );
    let later = (Utc::now() + Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    assert!(
        entries(&s, &format!("timestamp ge datetime'{later}'"), 0)
            .await
            .is_empty()
    );
    assert!(entries(&s, "outcome eq 'failed'", 0).await.is_empty());

    let r = s.get(&format!("/auditLogs?{V17}&$top=2&$skip=1")).await;
    assert_eq!(r.status, 200);
    let page = r.json();
    assert_eq!(page["count"], 4);
    assert_eq!(
        entities(page["value"].as_array().unwrap().clone()),
        ["/properties/c", "/properties/b"]
    );
    assert!(page["nextLink"].as_str().unwrap().contains("%24skip=3"));

    let r = s
        .get(&format!("/auditLogs?{V17}&$filter=secret eq 'x'"))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.error_targets(), ["secret"]);
}

async fn old_entries_are_pruned_past_retention(engine: Engine) {
    let mut s = Server::start_on(engine, &["--audit-retention", "2s"]).await;
    let r = s
        .put(
            &format!("/properties/old?{V17}"),
            &json!({"name": "old", "value": "v"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(entries(&s, "", 1).await.len(), 1);
    assert!(s.terminate(), "stops gracefully");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    s.spawn();
    let r = s
        .put(
            &format!("/properties/new?{V17}"),
            &json!({"name": "new", "value": "v"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Pruning runs at start, in the background.
    for _ in 0..50 {
        let all = entries(&s, "", 1).await;
        if all.len() == 1 {
            assert_eq!(all[0]["entity"], "/properties/new");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the entry past retention was not pruned");
}
