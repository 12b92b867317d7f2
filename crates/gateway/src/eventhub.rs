//! `log-to-eventhub` delivery: each logger's events wait in a bounded queue in memory, and a task
//! of its own sends them in batches to the event hub's HTTPS send endpoint (Event Hubs' REST
//! "send batch"), off the calls' path. A batch that fails is tried again three times, then
//! dropped with a warning; a full queue drops new events, counted and reported in the log.
//! Keys and tokens are never logged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::transport::Link;
use crate::upstream::Pool;

/// Azure truncates larger messages to this size.
pub(crate) const MAX_MESSAGE: usize = 200 * 1024;
/// Events waiting per logger; further ones are dropped.
const QUEUE: usize = 10_000;
/// The most events in one batch.
const BATCH_EVENTS: usize = 500;
/// The largest batch body (Event Hubs accepts batches up to 1 MB).
const BATCH_BYTES: usize = 900 * 1024;
/// How long a buffered logger's batch waits for more events.
const LINGER: Duration = Duration::from_secs(1);
/// A sender with nothing to send for this long ends; the next event starts another.
const IDLE: Duration = Duration::from_secs(60);
/// The waits before the tries after a failed send; then the batch is dropped.
const RETRIES: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];
/// How long one send may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Seconds the SAS token of a send stays valid.
const TOKEN_LIFETIME: i64 = 3600;
/// How long [`EventHubs::finish`] waits for queued events to go out.
const FINISH_WAIT: Duration = Duration::from_secs(5);

/// Where a logger's events go: an event hub and the shared access key that may send to it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Sink {
    /// `https://namespace.servicebus.windows.net/hub` (an `sb://` endpoint is reached over
    /// HTTPS); an `http://` or `https://` endpoint is used as given.
    hub_url: String,
    key_name: String,
    key: String,
    /// Whether events wait up to [`LINGER`] to go out together (the logger's `isBuffered`).
    buffered: bool,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("hub_url", &self.hub_url)
            .field("key_name", &self.key_name)
            .field("buffered", &self.buffered)
            .finish_non_exhaustive()
    }
}

impl Sink {
    /// Reads a logger's event hub name and connection string
    /// (`Endpoint=sb://…/;SharedAccessKeyName=…;SharedAccessKey=…`). The error says what is
    /// wrong without quoting the key.
    pub fn new(hub: &str, connection_string: &str, buffered: bool) -> Result<Sink, String> {
        let mut endpoint = None;
        let (mut key_name, mut key) = (None, None);
        for part in connection_string
            .split(';')
            .filter(|p| !p.trim().is_empty())
        {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "endpoint" => endpoint = Some(value.trim()),
                "sharedaccesskeyname" => key_name = Some(value.trim()),
                "sharedaccesskey" => key = Some(value.trim()),
                _ => {}
            }
        }
        let endpoint = endpoint.ok_or("the connection string has no Endpoint")?;
        let base = if let Some(rest) = endpoint.strip_prefix("sb://") {
            format!("https://{rest}")
        } else if endpoint.starts_with("https://") || endpoint.starts_with("http://") {
            endpoint.to_owned()
        } else {
            return Err(format!(
                "the connection string's Endpoint '{endpoint}' is not an sb://, https:// or http:// URL"
            ));
        };
        let hub_url = format!("{}/{}", base.trim_end_matches('/'), hub.trim());
        if hub_url.parse::<axum::http::Uri>().is_err() {
            return Err(format!("'{hub_url}' is not a valid event hub URL"));
        }
        Ok(Sink {
            hub_url,
            key_name: key_name
                .filter(|n| !n.is_empty())
                .ok_or("the connection string has no SharedAccessKeyName")?
                .to_owned(),
            key: key
                .filter(|k| !k.is_empty())
                .ok_or("the connection string has no SharedAccessKey")?
                .to_owned(),
            buffered,
        })
    }

    /// The `Authorization` of a send: a shared access signature of the hub's URL valid until
    /// `expiry` (seconds since the epoch).
    fn authorization(&self, expiry: i64) -> String {
        let resource = encode(&self.hub_url);
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.key.as_bytes()).expect("HMAC takes any key");
        mac.update(format!("{resource}\n{expiry}").as_bytes());
        let signature = BASE64.encode(mac.finalize().into_bytes());
        format!(
            "SharedAccessSignature sr={resource}&sig={}&se={expiry}&skn={}",
            encode(&signature),
            encode(&self.key_name)
        )
    }

    /// Where a batch for `partition` is posted.
    fn messages_url(&self, partition: Option<&str>) -> String {
        match partition {
            Some(id) => format!("{}/partitions/{}/messages", self.hub_url, encode(id)),
            None => format!("{}/messages", self.hub_url),
        }
    }
}

/// `application/x-www-form-urlencoded` escaping, as shared access signatures use it.
fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// One message of `log-to-eventhub`.
#[derive(Debug)]
pub(crate) struct Event {
    /// The message (at most [`MAX_MESSAGE`] bytes).
    pub message: String,
    /// The partition it must go to.
    pub partition_id: Option<String>,
    /// The key Event Hubs chooses the partition by.
    pub partition_key: Option<String>,
}

/// The queues of this node's loggers, one sender task each.
#[derive(Default)]
pub(crate) struct EventHubs {
    queues: Mutex<HashMap<Arc<Sink>, Queue>>,
}

struct Queue {
    events: mpsc::Sender<Event>,
    /// Events dropped because the queue was full, reported by the sender task.
    dropped: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl EventHubs {
    fn queues(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<Sink>, Queue>> {
        self.queues
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues an event for `sink`, starting its sender task if none runs; `pool` and `link` are
    /// how the task reaches the hub. Never waits: a full queue drops the event.
    pub(crate) fn queue(&self, sink: &Arc<Sink>, event: Event, pool: &Arc<Pool>, link: &Link) {
        let mut queues = self.queues();
        let mut event = event;
        for _ in 0..2 {
            let queue = queues.entry(sink.clone()).or_insert_with(|| {
                let (events, receiver) = mpsc::channel(QUEUE);
                let dropped = Arc::new(AtomicU64::new(0));
                let sender = Sender {
                    sink: sink.clone(),
                    pool: pool.clone(),
                    link: link.clone(),
                    dropped: dropped.clone(),
                };
                let task = tokio::spawn(sender.run(receiver));
                Queue {
                    events,
                    dropped,
                    task,
                }
            });
            match queue.events.try_send(event) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    queue.dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                // The task ended (idle): start another.
                Err(mpsc::error::TrySendError::Closed(back)) => {
                    queues.remove(sink);
                    event = back;
                }
            }
        }
    }

    /// Sends what is queued (waiting at most a few seconds) and ends the sender tasks; for a
    /// graceful shutdown.
    pub(crate) async fn finish(&self) {
        let queues: Vec<Queue> = self.queues().drain().map(|(_, q)| q).collect();
        let tasks = queues.into_iter().map(|q| {
            drop(q.events);
            q.task
        });
        let all = async {
            for task in tasks {
                _ = task.await;
            }
        };
        if tokio::time::timeout(FINISH_WAIT, all).await.is_err() {
            tracing::warn!("log-to-eventhub: events still unsent at shutdown were dropped");
        }
    }
}

/// A logger's sender task.
struct Sender {
    sink: Arc<Sink>,
    pool: Arc<Pool>,
    link: Link,
    dropped: Arc<AtomicU64>,
}

impl Sender {
    async fn run(self, mut events: mpsc::Receiver<Event>) {
        loop {
            let first = match tokio::time::timeout(IDLE, events.recv()).await {
                Ok(Some(event)) => event,
                Ok(None) => return,
                Err(_) => {
                    // Idle: refuse new events, send the ones that slipped in, and end.
                    events.close();
                    let mut rest = Vec::new();
                    while let Ok(event) = events.try_recv() {
                        rest.push(event);
                    }
                    self.deliver(rest).await;
                    return;
                }
            };
            let batch = self.gather(first, &mut events).await;
            self.deliver(batch).await;
        }
    }

    /// The batch that starts with `first`: the events already waiting and, for a buffered
    /// logger, those arriving within [`LINGER`], up to the batch limits.
    async fn gather(&self, first: Event, events: &mut mpsc::Receiver<Event>) -> Vec<Event> {
        let mut size = first.message.len();
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < BATCH_EVENTS && size < BATCH_BYTES {
            let next = match events.try_recv() {
                Ok(event) => Some(event),
                Err(_) if self.sink.buffered => tokio::time::timeout_at(deadline, events.recv())
                    .await
                    .ok()
                    .flatten(),
                Err(_) => None,
            };
            let Some(event) = next else { break };
            size += event.message.len();
            batch.push(event);
        }
        batch
    }

    /// Sends a batch: one request per partition named, one for the rest.
    async fn deliver(&self, batch: Vec<Event>) {
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(
                hub = %self.sink.hub_url,
                dropped,
                "log-to-eventhub: the logger's queue was full; events were dropped"
            );
        }
        let mut by_partition: Vec<(Option<String>, Vec<serde_json::Value>)> = Vec::new();
        for event in batch {
            let mut message = serde_json::json!({"Body": event.message});
            if let Some(key) = event.partition_key {
                message["BrokerProperties"] = serde_json::json!({"PartitionKey": key});
            }
            match by_partition
                .iter_mut()
                .find(|(p, _)| *p == event.partition_id)
            {
                Some((_, messages)) => messages.push(message),
                None => by_partition.push((event.partition_id, vec![message])),
            }
        }
        for (partition, messages) in by_partition {
            let count = messages.len();
            let body = serde_json::Value::Array(messages).to_string();
            self.post(partition.as_deref(), body, count).await;
        }
    }

    /// Posts one batch body, trying again after failures that may pass.
    async fn post(&self, partition: Option<&str>, body: String, events: usize) {
        let url = self.sink.messages_url(partition);
        let mut waits = RETRIES.iter();
        loop {
            let outcome = self.post_once(&url, body.clone()).await;
            let message = match outcome {
                Ok(()) => return,
                Err(Refused::Finally(message)) => message,
                Err(Refused::ForNow(message)) => match waits.next() {
                    Some(wait) => {
                        tracing::debug!(url, %message, "log-to-eventhub: send failed; trying again");
                        tokio::time::sleep(*wait).await;
                        continue;
                    }
                    None => message,
                },
            };
            tracing::warn!(url, events, %message, "log-to-eventhub: events dropped");
            return;
        }
    }

    async fn post_once(&self, url: &str, body: String) -> Result<(), Refused> {
        let expiry = chrono::Utc::now().timestamp() + TOKEN_LIFETIME;
        let mut authorization = axum::http::HeaderValue::from_str(&self.sink.authorization(expiry))
            .map_err(|_| Refused::Finally("the signature is not a valid header".into()))?;
        authorization.set_sensitive(true);
        let request = Request::post(url)
            .header(
                header::CONTENT_TYPE,
                "application/vnd.microsoft.servicebus.json",
            )
            .header(header::AUTHORIZATION, authorization)
            .body(Body::from(body))
            .map_err(|e| Refused::Finally(format!("the request cannot be made: {e}")))?;
        let sent = tokio::time::timeout(SEND_TIMEOUT, self.pool.send(&self.link, request)).await;
        let status = match sent {
            Err(_) => return Err(Refused::ForNow("no answer within 30 seconds".into())),
            Ok(Err(e)) => return Err(Refused::ForNow(e.to_string())),
            Ok(Ok(response)) => response.status(),
        };
        match status {
            s if s.is_success() => Ok(()),
            s if s.is_server_error()
                || s == StatusCode::TOO_MANY_REQUESTS
                || s == StatusCode::REQUEST_TIMEOUT =>
            {
                Err(Refused::ForNow(format!("the event hub answered {s}")))
            }
            s => Err(Refused::Finally(format!("the event hub answered {s}"))),
        }
    }
}

/// Why a send failed.
enum Refused {
    /// It may pass later (no connection, a server error, throttling).
    ForNow(String),
    /// It will not (the key or hub refused).
    Finally(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings_name_endpoint_key_name_and_key() {
        let sink = Sink::new(
            "hub",
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0",
            true,
        )
        .unwrap();
        assert_eq!(sink.hub_url, "https://ns.servicebus.windows.net/hub");
        assert_eq!(
            sink.messages_url(None),
            "https://ns.servicebus.windows.net/hub/messages"
        );
        assert_eq!(
            sink.messages_url(Some("2")),
            "https://ns.servicebus.windows.net/hub/partitions/2/messages"
        );
        let local = Sink::new(
            "h",
            "Endpoint=http://127.0.0.1:9/;SharedAccessKeyName=a;SharedAccessKey=b",
            false,
        )
        .unwrap();
        assert_eq!(local.hub_url, "http://127.0.0.1:9/h");
        for (bad, says) in [
            ("SharedAccessKeyName=a;SharedAccessKey=b", "no Endpoint"),
            (
                "Endpoint=ftp://x/;SharedAccessKeyName=a;SharedAccessKey=b",
                "not an sb://",
            ),
            (
                "Endpoint=sb://x/;SharedAccessKey=b",
                "no SharedAccessKeyName",
            ),
            (
                "Endpoint=sb://x/;SharedAccessKeyName=a",
                "no SharedAccessKey",
            ),
        ] {
            let error = Sink::new("h", bad, true).unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
        assert!(!format!("{sink:?}").contains("c2VjcmV0"));
    }

    #[test]
    fn signatures_follow_the_shared_access_signature_scheme() {
        let sink = Sink::new(
            "hub",
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=key",
            true,
        )
        .unwrap();
        // Computed independently with Python's hmac, hashlib and urllib.parse.quote_plus.
        assert_eq!(
            sink.authorization(1_700_000_000),
            "SharedAccessSignature sr=https%3A%2F%2Fns.servicebus.windows.net%2Fhub\
             &sig=HDJR4FlOha06gPGchBDN8Roz6UjKhwXZ6gjPApL2HrY%3D&se=1700000000&skn=send"
        );
    }
}
