//! Crash safety, graceful shutdown, and concurrent conditional writes.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::json;

on_both_engines!(
    acknowledged_writes_survive_kill_9,
    sigterm_stops_cleanly,
    concurrent_patches_with_one_etag_let_one_win
);

async fn acknowledged_writes_survive_kill_9(engine: Engine) {
    let mut s = Server::start(engine).await;
    for i in 0..20 {
        let r = s
            .put(
                &format!("/properties/p{i}?{V17}"),
                &json!({"name": format!("n{i}"), "value": format!("v{i}")}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let r = s
        .put(
            &format!("/backends/b?{V17}"),
            &json!({"url": "http://b", "protocol": "http"}),
        )
        .await;
    assert_eq!(r.status, 201);
    s.kill9();
    s.spawn();
    let list = s.get(&format!("/properties?{V17}")).await.json();
    assert_eq!(
        list["count"], 20,
        "every acknowledged write is there after kill -9"
    );
    assert_eq!(
        s.get(&format!("/properties/p19?{V17}")).await.json()["value"],
        "v19"
    );
    assert_eq!(s.get(&format!("/backends/b?{V17}")).await.status, 200);
}

async fn sigterm_stops_cleanly(engine: Engine) {
    let mut s = Server::start(engine).await;
    assert_eq!(
        s.put(
            &format!("/properties/p?{V17}"),
            &json!({"name": "n", "value": "v"})
        )
        .await
        .status,
        201
    );
    assert!(
        s.terminate(),
        "exit status 0 after SIGTERM; log:\n{}",
        s.log()
    );
    assert!(s.log().contains("stopped"), "{}", s.log());
    s.spawn();
    assert_eq!(s.get(&format!("/properties/p?{V17}")).await.status, 200);
}

async fn concurrent_patches_with_one_etag_let_one_win(engine: Engine) {
    let s = Server::start(engine).await;
    let path = format!("/properties/contested?{V17}");
    let mut etag = s
        .put(&path, &json!({"name": "n", "value": "v0"}))
        .await
        .etag();
    for round in 0..10 {
        let (body_a, body_b) = (
            json!({"value": format!("a{round}")}),
            json!({"value": format!("b{round}")}),
        );
        let (a, b) = tokio::join!(
            s.patch(&path, &body_a, &etag),
            s.patch(&path, &body_b, &etag)
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [204, 412],
            "round {round}: exactly one PATCH wins"
        );
        etag = if a.status == 204 { a.etag() } else { b.etag() };
        assert_eq!(s.get(&path).await.etag(), etag);
    }
}
