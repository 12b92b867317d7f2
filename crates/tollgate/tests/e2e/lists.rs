//! Lists are served from decoded collections kept between writes: every write, through this
//! node or another one on the same PostgreSQL, must show in the next list.

use crate::common::{Engine, Server, V17};
use crate::on_both_engines;
use serde_json::{Value, json};

on_both_engines!(lists_follow_every_write);

fn names(list: &Value) -> Vec<String> {
    list["value"]
        .as_array()
        .expect("a value array")
        .iter()
        .map(|item| item["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn lists_follow_every_write(engine: Engine) {
    let s = Server::start(engine).await;
    let list = format!("/properties?{V17}");
    assert_eq!(s.get(&list).await.json()["count"], 0);
    let created = s
        .put(
            &format!("/properties/p1?{V17}"),
            &json!({"name": "one", "value": "1"}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(names(&s.get(&list).await.json()), ["one"]);
    let etag = created.etag();
    let patched = s
        .patch(
            &format!("/properties/p1?{V17}"),
            &json!({"name": "uno"}),
            &etag,
        )
        .await;
    assert_eq!(patched.status, 204);
    assert_eq!(names(&s.get(&list).await.json()), ["uno"]);
    let etag = s.get(&format!("/properties/p1?{V17}")).await.etag();
    assert_eq!(
        s.delete(&format!("/properties/p1?{V17}"), &etag)
            .await
            .status,
        204
    );
    assert_eq!(s.get(&list).await.json()["count"], 0);
}

/// Two nodes on one PostgreSQL database: a write through one shows in the other's next list,
/// although the other kept the list from before the write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_follow_writes_through_another_node() {
    let a = Server::start(Engine::Postgres).await;
    let b = a.second_node();
    let list = format!("/properties?{V17}");
    assert_eq!(a.get(&list).await.json()["count"], 0);
    let body = json!({"name": "from-b", "value": "x"});
    assert_eq!(
        b.put(&format!("/properties/pb?{V17}"), &body).await.status,
        201
    );
    assert_eq!(names(&a.get(&list).await.json()), ["from-b"]);
    let etag = b.get(&format!("/properties/pb?{V17}")).await.etag();
    assert_eq!(
        b.delete(&format!("/properties/pb?{V17}"), &etag)
            .await
            .status,
        204
    );
    assert_eq!(a.get(&list).await.json()["count"], 0);
}
