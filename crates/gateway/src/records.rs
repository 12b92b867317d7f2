//! Request records, off the request path: each call's record goes into a bounded channel
//! (`try_send`, never waiting) and a writer task appends them to the store in batches. When the
//! channel is full (the store is slow) the record is dropped and counted. On shutdown the
//! writer drains the channel and writes what is left.

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tollgate_store::{RequestRecord, Store};

/// Records waiting to be written, at most.
pub const BUFFER: usize = 10_000;
/// Records per write transaction, at most.
pub const BATCH: usize = 500;
/// How long the writer gathers records after the first of a batch.
pub const BATCH_WINDOW: Duration = Duration::from_millis(100);

/// The sending side, kept by the gateway.
#[derive(Debug)]
pub(crate) struct Recorder {
    sender: mpsc::Sender<RequestRecord>,
    dropped: Arc<AtomicU64>,
}

/// The writer task and how to stop it.
#[derive(Debug)]
pub(crate) struct Writer {
    task: JoinHandle<()>,
    stop: Arc<Notify>,
}

impl Recorder {
    /// A recorder and its writer task, appending to `instance` in `store`.
    pub(crate) fn start(store: Arc<dyn Store>, instance: String) -> (Recorder, Writer) {
        let (sender, receiver) = mpsc::channel(BUFFER);
        let dropped = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(Notify::new());
        let task = tokio::spawn(write_batches(
            store,
            instance,
            receiver,
            stop.clone(),
            dropped.clone(),
        ));
        (Recorder { sender, dropped }, Writer { task, stop })
    }

    /// Queues a record; a full buffer drops it (counted), never waits.
    pub(crate) fn record(&self, record: RequestRecord) {
        if self.sender.try_send(record).is_err() {
            let before = self.dropped.fetch_add(1, Ordering::Relaxed);
            if before.is_power_of_two() {
                tracing::warn!(
                    dropped = before + 1,
                    "request record buffer full; records are being dropped"
                );
            }
        }
    }

    /// Records dropped so far (buffer full, or a batch the store refused).
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Writer {
    /// Writes what is queued, then ends the task.
    pub(crate) async fn finish(self) {
        self.stop.notify_one();
        if let Err(err) = self.task.await {
            tracing::error!(%err, "the request record writer failed");
        }
    }
}

async fn write_batches(
    store: Arc<dyn Store>,
    instance: String,
    mut receiver: mpsc::Receiver<RequestRecord>,
    stop: Arc<Notify>,
    dropped: Arc<AtomicU64>,
) {
    let write = |batch: Vec<RequestRecord>| {
        let store = store.clone();
        let instance = instance.clone();
        let dropped = dropped.clone();
        async move {
            if batch.is_empty() {
                return;
            }
            if let Err(err) = store.runtime().append_records(&instance, &batch).await {
                dropped.fetch_add(batch.len() as u64, Ordering::Relaxed);
                tracing::error!(%err, records = batch.len(), "cannot write request records; dropped");
            }
        }
    };
    loop {
        let mut batch = Vec::new();
        let mut stopping = false;
        tokio::select! {
            got = receiver.recv() => match got {
                Some(record) => batch.push(record),
                None => return,
            },
            () = stop.notified() => stopping = true,
        }
        // Let a batch gather for a while, then take it whole: the writer wakes once per batch,
        // not once per call.
        if !stopping {
            tokio::select! {
                () = tokio::time::sleep(BATCH_WINDOW) => {}
                () = stop.notified() => stopping = true,
            }
        }
        while let Ok(record) = receiver.try_recv() {
            batch.push(record);
            if batch.len() == BATCH {
                write(std::mem::take(&mut batch)).await;
            }
        }
        write(batch).await;
        if stopping {
            return;
        }
    }
}

/// A body that counts the bytes passing through it.
pub(crate) struct Counted {
    inner: Body,
    count: Arc<AtomicU64>,
}

impl Counted {
    /// Wraps `inner`, adding its bytes to `count`.
    pub(crate) fn new(inner: Body, count: Arc<AtomicU64>) -> Counted {
        Counted { inner, count }
    }
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.count.fetch_add(data.len() as u64, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that counts its bytes and, when it is finished or dropped (the client went
/// away), calls `done` with the count.
pub(crate) struct Finishing<F: FnOnce(u64) + Send + 'static> {
    inner: Body,
    count: u64,
    done: Option<F>,
}

impl<F: FnOnce(u64) + Send + 'static> Finishing<F> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: Body, done: F) -> Finishing<F> {
        Finishing {
            inner,
            count: 0,
            done: Some(done),
        }
    }
}

impl<F: FnOnce(u64) + Send + Unpin + 'static> http_body::Body for Finishing<F> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.count += data.len() as u64;
                }
            }
            Poll::Ready(None) => self.finish(),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<F: FnOnce(u64) + Send + 'static> Finishing<F> {
    fn finish(&mut self) {
        if let Some(done) = self.done.take() {
            done(self.count);
        }
    }
}

impl<F: FnOnce(u64) + Send + 'static> Drop for Finishing<F> {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A random request id in the UUID v4 text form.
pub(crate) fn request_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut id = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            id.push('-');
        }
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    id
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_uuid_v4_text() {
        let id = super::request_id();
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, vec![8, 4, 4, 4, 12], "{id}");
        assert!(
            id.chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(&id[14..15], "4", "version");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "variant");
        assert_ne!(id, super::request_id());
    }
}
