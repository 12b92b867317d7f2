//! The data plane: serves API calls from an immutable [`Snapshot`] of one instance's
//! configuration, swapped atomically when the configuration changes.
//!
//! The request path never queries the database. It reads the latest committed revision that the
//! store has published (a watch channel, see `tollgate_store::watch`) and, when the snapshot is
//! older, waits for one update (shared by every request that notices it) before routing; requests
//! already in flight keep the snapshot they started with. So a management write is visible to the
//! next gateway call on the same node. An update applies the store's change feed to the current
//! snapshot, so it costs what the writes changed, not the size of the configuration; it reads
//! everything again only when the store no longer has the history since the current snapshot.

pub mod cache;
mod connector;
mod echo;
mod eventhub;
mod keys;
pub mod limits;
mod listener;
mod metrics;
mod openid;
mod pipeline;
pub mod policies;
mod proxy;
pub mod quotas;
mod records;
pub mod redis;
pub mod snapshot;
mod template;
pub mod tls;
pub mod traces;
pub mod transport;
mod upstream;
mod users;

pub use proxy::{REGION, REQUEST_ID_HEADER};
pub use records::{BATCH, BATCH_WINDOW, BUFFER};
pub use snapshot::Snapshot;

use arc_swap::ArcSwap;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, watch};
use tollgate_auth::seal::Sealer;
use tollgate_store::watch::Revisions;
use tollgate_store::{Store, StoreError};

/// How long the gateway waits to connect to a backend.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the gateway waits for a backend's response headers.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(300);

/// The gateway of one instance. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    instance: String,
    snapshot: ArcSwap<Snapshot>,
    revisions: watch::Receiver<Revisions>,
    /// Held while a snapshot is rebuilt, so that one rebuild serves every waiting request.
    rebuild: Mutex<()>,
    /// The ways of reaching backends, kept across snapshots.
    transports: Arc<transport::Transports>,
    /// Idle backend connections.
    upstreams: Arc<upstream::Pool>,
    /// Where request records go.
    recorder: records::Recorder,
    /// Counters for `/metrics`.
    metrics: metrics::Metrics,
    /// Rate-limit counters of this node.
    limiter: ArcSwap<limits::RateCounters>,
    /// `limit-concurrency` places of this node.
    concurrency: limits::Concurrency,
    /// Quota counters (kept in the store).
    quotas: Arc<quotas::Quotas>,
    /// The built-in cache of this node.
    cache: cache::Cache,
    /// Traces of traced calls.
    traces: traces::Traces,
    /// Whether every subscription may trace its calls (else only the administrator's).
    trace_any_subscription: std::sync::atomic::AtomicBool,
    /// Signing keys fetched from OpenID configurations (`validate-jwt`).
    openid: openid::OpenIdKeys,
    /// The queues of `log-to-eventhub` events.
    event_hubs: eventhub::EventHubs,
    /// The task that writes them, until [`Gateway::finish`] takes it.
    writer: std::sync::Mutex<Option<records::Writer>>,
}

impl Gateway {
    /// Builds the first snapshot of `instance`; `revisions` publishes later commits; `sealer`
    /// opens the key material of the client certificates that backends present.
    pub async fn start(
        store: Arc<dyn Store>,
        instance: &str,
        revisions: watch::Receiver<Revisions>,
        sealer: Sealer,
    ) -> Result<Gateway, StoreError> {
        let transports = Arc::new(transport::Transports::new(sealer));
        let snapshot = Snapshot::build(store.as_ref(), instance, &transports).await?;
        tracing::info!(
            instance,
            revision = snapshot.revision,
            "gateway snapshot loaded"
        );
        let (recorder, writer) = records::Recorder::start(store.clone(), instance.to_owned());
        let upstreams = Arc::new(upstream::Pool::default());
        tokio::spawn(sweep(Arc::downgrade(&upstreams)));
        let quotas = Arc::new(quotas::Quotas::new(store.clone(), instance));
        tokio::spawn(quotas::keep_flushing(Arc::downgrade(&quotas)));
        Ok(Gateway {
            inner: Arc::new(Inner {
                recorder,
                metrics: metrics::Metrics::default(),
                limiter: ArcSwap::from_pointee(limits::RateCounters::Local(
                    limits::Limiter::default(),
                )),
                concurrency: limits::Concurrency::default(),
                quotas,
                cache: cache::Cache::default(),
                traces: traces::Traces::default(),
                trace_any_subscription: std::sync::atomic::AtomicBool::new(false),
                openid: openid::OpenIdKeys::default(),
                event_hubs: eventhub::EventHubs::default(),
                writer: std::sync::Mutex::new(Some(writer)),
                store,
                instance: instance.to_owned(),
                snapshot: ArcSwap::from_pointee(snapshot),
                revisions,
                rebuild: Mutex::new(()),
                transports,
                upstreams,
            }),
        })
    }

    /// Idle backend connections.
    fn upstreams(&self) -> &Arc<upstream::Pool> {
        &self.inner.upstreams
    }

    /// Rate-limit counters of this node.
    fn limiter(&self) -> Arc<limits::RateCounters> {
        self.inner.limiter.load_full()
    }

    /// Keeps rate-limit counters in Redis, shared by every node using it (`--redis-url`); when
    /// Redis cannot be reached, calls go through (`fail_open`) or fail.
    pub fn share_rate_limits(&self, redis: redis::Redis, fail_open: bool) {
        let shared = limits::RateCounters::Shared { redis, fail_open };
        self.inner.limiter.store(Arc::new(shared));
    }

    /// Traces of traced calls.
    fn traces(&self) -> &traces::Traces {
        &self.inner.traces
    }

    /// Lets every subscription's calls be traced (`Ocp-Apim-Trace: true`), not only the
    /// administrator's (`--trace-any-subscription`).
    pub fn set_trace_any_subscription(&self, allowed: bool) {
        self.inner
            .trace_any_subscription
            .store(allowed, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a call with this grant may be traced: the administrator's subscriptions, or
    /// any subscription when allowed. Calls without a key are never traced.
    fn may_trace(&self, grant: Option<&snapshot::Grant>) -> bool {
        let any = self
            .inner
            .trace_any_subscription
            .load(std::sync::atomic::Ordering::Relaxed);
        grant.is_some_and(|g| any || g.user_id == tollgate_contract::entity::user::ADMINISTRATOR)
    }

    /// `limit-concurrency` places.
    fn concurrency(&self) -> &limits::Concurrency {
        &self.inner.concurrency
    }

    /// The built-in cache.
    fn cache(&self) -> &cache::Cache {
        &self.inner.cache
    }

    /// Quota counters.
    fn quotas(&self) -> &quotas::Quotas {
        &self.inner.quotas
    }

    /// The ways of reaching backends (links built for policy statements come from here).
    fn transports(&self) -> &transport::Transports {
        &self.inner.transports
    }

    /// Signing keys fetched from OpenID configurations.
    /// Queues a `log-to-eventhub` event for `sink`.
    fn log_event(&self, sink: &Arc<eventhub::Sink>, event: eventhub::Event) {
        let link = self.transports().default_link();
        self.inner
            .event_hubs
            .queue(sink, event, self.upstreams(), link);
    }

    fn openid(&self) -> &openid::OpenIdKeys {
        &self.inner.openid
    }

    /// How calls without a backend entity reach their backend.
    fn default_link(&self) -> &transport::Link {
        self.inner.transports.default_link()
    }

    /// Serves the gateway on `listener` (over TLS when given an acceptor) until `stopped`
    /// resolves: every path is an API call, but the probes `/health`, `/ready` and Azure's
    /// `/status-0123456789abcdef`, which no API can take.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        tls: Option<tokio_rustls::TlsAcceptor>,
        stopped: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        listener::serve(self.clone(), listener, tls, stopped).await
    }

    /// `GET /metrics`: the Prometheus text exposition, for a private listener (no credentials).
    pub fn metrics_router(&self) -> Router {
        Router::new()
            .route("/metrics", get(metrics))
            .with_state(self.clone())
    }

    /// The operations listener of a node that runs only the gateway: `/health`, `/ready` and
    /// `/metrics`, and nothing else (404).
    pub fn operations_router(&self) -> Router {
        Router::new()
            .route("/health", get(health))
            .route("/ready", get(ready))
            .with_state(self.clone())
            .merge(self.metrics_router())
    }

    /// The snapshot to serve the next call from: the current one, or a fresh one when a newer
    /// revision has been committed: the current one updated with the changes since its revision,
    /// or, when the store no longer has them (or they cannot be applied), built whole. If the
    /// store cannot be read, the last snapshot is served.
    pub async fn snapshot(&self) -> Arc<Snapshot> {
        let inner = &self.inner;
        let current = inner.snapshot.load_full();
        if self.latest() <= current.revision {
            return current;
        }
        let _rebuilding = inner.rebuild.lock().await;
        let current = inner.snapshot.load_full();
        let latest = self.latest();
        if latest <= current.revision {
            return current;
        }
        let started = std::time::Instant::now();
        let store = inner.store.as_ref();
        let (next, how) = match current
            .update(store, &inner.instance, &inner.transports)
            .await
        {
            Ok(Some(next)) => (Ok(next), "updated"),
            Ok(None) => (
                Snapshot::build(store, &inner.instance, &inner.transports).await,
                "rebuilt: the change history is gone",
            ),
            Err(err) => {
                tracing::warn!(%err, "cannot apply the configuration changes; reading it whole");
                (
                    Snapshot::build(store, &inner.instance, &inner.transports).await,
                    "rebuilt",
                )
            }
        };
        match next {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                inner.snapshot.store(fresh.clone());
                let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                inner
                    .metrics
                    .last_rebuild_micros
                    .store(micros, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!(
                    revision = fresh.revision,
                    keys = fresh.key_count(),
                    elapsed_us = micros,
                    "gateway snapshot {how}"
                );
                fresh
            }
            Err(err) => {
                tracing::error!(%err, latest, "cannot rebuild the gateway snapshot; serving the previous one");
                current
            }
        }
    }

    /// Queues a call's request record (dropped and counted when the buffer is full).
    fn record(&self, record: tollgate_store::RequestRecord) {
        self.inner.recorder.record(record);
    }

    /// The Prometheus text exposition of the gateway's metrics.
    pub fn metrics_text(&self) -> String {
        let revision = self.inner.snapshot.load().revision;
        self.inner.metrics.render(revision, self.dropped_records())
    }

    /// Counts a finished call and writes its access-log line (no query, no headers: they may
    /// carry keys).
    fn observe(&self, record: &tollgate_store::RequestRecord, path: &str) {
        let status = u16::try_from(record.response_code).unwrap_or(0);
        self.inner
            .metrics
            .observe(&record.api_id, status, record.api_time / 1000.0);
        tracing::info!(
            target: "tollgate::access",
            method = %record.method,
            path,
            status,
            api = %record.api_id,
            ms = record.api_time,
            request_id = %record.request_id,
            "call"
        );
    }

    /// Request records dropped so far because the buffer was full or the store refused them.
    pub fn dropped_records(&self) -> u64 {
        self.inner.recorder.dropped()
    }

    /// Writes the request records still buffered and sends the `log-to-eventhub` events still
    /// queued (waiting a few seconds at most); call after the gateway's listener has stopped.
    /// Records and events of calls that end later are dropped.
    pub async fn finish(&self) {
        self.inner.event_hubs.finish().await;
        let writer = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(writer) = writer {
            writer.finish().await;
        }
    }

    /// The newest committed revision of this instance that was published.
    fn latest(&self) -> u64 {
        let inner = &self.inner;
        inner
            .revisions
            .borrow()
            .get(&inner.instance)
            .copied()
            .unwrap_or(0)
    }
}

/// Closes idle backend connections past their time, twice a minute, while the pool exists.
async fn sweep(pool: std::sync::Weak<upstream::Pool>) {
    let mut ticks = tokio::time::interval(upstream::IDLE_TIMEOUT / 3);
    loop {
        ticks.tick().await;
        match pool.upgrade() {
            Some(pool) => pool.sweep(),
            None => return,
        }
    }
}

/// `GET /metrics`.
async fn metrics(State(gateway): State<Gateway>) -> Response {
    let text = gateway.metrics_text();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// `GET /health`: 200 while the process serves.
async fn health() -> Response {
    probe(StatusCode::OK, "ok")
}

/// `GET /ready`: 200 when the store answers (the snapshot is loaded before the gateway listens),
/// 503 otherwise.
async fn ready(State(gateway): State<Gateway>) -> Response {
    let inner = &gateway.inner;
    match inner.store.revision(&inner.instance).await {
        Ok(_) => probe(StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(%err, "not ready: the store does not answer");
            probe(StatusCode::SERVICE_UNAVAILABLE, "the store does not answer")
        }
    }
}

fn probe(code: StatusCode, text: &str) -> Response {
    let body = serde_json::json!({"status": text});
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
