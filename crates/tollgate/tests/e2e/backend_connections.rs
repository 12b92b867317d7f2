//! Backend connections: kept alive between calls, and a connection the backend closed while it
//! was idle never fails a call. The backend here is a small HTTP/1.1 server on raw TCP, so that
//! the test controls when connections close and counts them.

use crate::common::{Engine, Server};
use crate::gateway::{call, shop};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How the backend treats a connection after its first response.
#[derive(Clone, Copy)]
enum After {
    /// Keeps it open for more requests.
    KeepAlive,
    /// Closes it without saying so (no `Connection: close`): the gateway finds out later.
    Close,
}

/// A backend answering `status` with `body`; returns its URL and the connections it accepted.
async fn counting_backend(
    status: &'static str,
    body: &'static str,
    after: After,
) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(read) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    seen.extend_from_slice(&chunk[..read]);
                    // Requests without bodies: one head is one request.
                    while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        seen.drain(..end + 4);
                        let answer = format!(
                            "HTTP/1.1 {status}\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                        if let After::Close = after {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_kept_alive_between_calls() {
    let s = Server::start(Engine::Sqlite).await;
    let (url, accepted) = counting_backend("200 OK", "ok", After::KeepAlive).await;
    let key = shop(&s, &url).await;
    for _ in 0..20 {
        let (status, body) = call(
            &s,
            "GET",
            "/shop/items/1",
            &[("Ocp-Apim-Subscription-Key", &key)],
            None,
        )
        .await;
        assert_eq!((status, body.as_str()), (200, Some("ok")));
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "one connection for 20 calls in a row"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_responses_keep_the_connection_too() {
    let s = Server::start(Engine::Sqlite).await;
    let (url, accepted) = counting_backend("204 No Content", "", After::KeepAlive).await;
    let key = shop(&s, &url).await;
    for _ in 0..10 {
        let (status, _) = call(
            &s,
            "GET",
            "/shop/items/1",
            &[("Ocp-Apim-Subscription-Key", &key)],
            None,
        )
        .await;
        assert_eq!(status, 204);
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_closed_while_idle_does_not_fail_the_next_call() {
    let s = Server::start(Engine::Sqlite).await;
    let (url, accepted) = counting_backend("200 OK", "fresh", After::Close).await;
    let key = shop(&s, &url).await;
    for n in 1..=10 {
        let (status, body) = call(
            &s,
            "GET",
            "/shop/items/1",
            &[("Ocp-Apim-Subscription-Key", &key)],
            None,
        )
        .await;
        assert_eq!((status, body.as_str()), (200, Some("fresh")), "call {n}");
        // Give the close time to arrive, so that the next call finds the idle connection dead.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        10,
        "a new connection per call"
    );
}
