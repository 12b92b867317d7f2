//! `tollgate serve`: open the store, make sure the instance exists, serve until SIGTERM/SIGINT,
//! then finish in-flight requests and close the store.

use crate::config::ServeArgs;
use chrono::{Duration, Utc};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tollgate_auth::seal::Sealer;
use tollgate_gateway::Gateway;
use tollgate_mgmt::{
    AppState, DEFAULT_BODY_LIMIT, InitialKeys, bootstrap_instance, router,
    sealed_under_other_secret,
};
use tollgate_store::{Store, Watched};

/// How often a gateway on PostgreSQL reads the revision, besides listening for announcements.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// The instance the direct management API serves.
pub const DEFAULT_INSTANCE: &str = "default";

/// The keys a new store is created with, from `TOLLGATE_PRIMARY_KEY` / `TOLLGATE_SECONDARY_KEY`.
pub fn initial_keys() -> InitialKeys {
    let read = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
    InitialKeys {
        primary: read("TOLLGATE_PRIMARY_KEY"),
        secondary: read("TOLLGATE_SECONDARY_KEY"),
    }
}

/// Opens the store a URL names, with an error message fit for the command line.
pub async fn open_store(url: &str) -> Result<Arc<Watched>, String> {
    tollgate_store::open(url)
        .await
        .map_err(|e| format!("cannot open the store: {e}"))
}

/// Takes the lock that makes this process the only server of a SQLite file (its read cache relies
/// on being the only writer). The lock lives as long as the returned file; the OS drops it when
/// the process ends, however it ends.
fn lock_sqlite_file(database_url: &str) -> Result<Option<std::fs::File>, String> {
    let Some(path) = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
    else {
        return Ok(None);
    };
    let lock_path = format!("{path}.lock");
    if let Some(dir) = std::path::Path::new(&lock_path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let file =
        std::fs::File::create(&lock_path).map_err(|e| format!("cannot create {lock_path}: {e}"))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another `tollgate serve` is using {path} (lock {lock_path}); one server per SQLite file, or use PostgreSQL for several"
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {lock_path}: {e}")),
    }
}

/// Binds a listener, with an error naming the plane.
async fn bind(plane: &str, address: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address} for the {plane}: {e}"))
}

/// Runs the server: the planes its role names, until SIGTERM/SIGINT.
pub async fn run(args: ServeArgs) -> Result<(), String> {
    let settings = args.settings()?;
    let _lock = lock_sqlite_file(&settings.database_url)?;
    let watched = open_store(&settings.database_url).await?;
    let store: Arc<dyn Store> = watched.clone();
    let samples = !args.store.no_samples;
    let access = bootstrap_instance(&store, DEFAULT_INSTANCE, &initial_keys(), samples)
        .await
        .map_err(|e| format!("cannot prepare the instance: {e}"))?;
    let role = settings.role;
    // Both planes need the server secret: the management API seals uploaded certificates' keys,
    // the gateway opens them to present client certificates to backends.
    let sealer = server_sealer(&settings.data_dir, store.as_ref()).await?;
    // A gateway-only node still binds the management address, for its operations endpoints.
    let management = match role.management() {
        true => bind("management API", settings.management_listen).await?,
        false => bind("operations endpoints", settings.management_listen).await?,
    };
    let gateway = match role.gateway() {
        true => {
            let listener = bind("gateway", settings.gateway_listen).await?;
            let tls = match &settings.gateway_tls {
                Some((cert, key)) => Some(tollgate_gateway::tls::acceptor(cert, key)?),
                None => None,
            };
            let gateway = Gateway::start(
                store.clone(),
                DEFAULT_INSTANCE,
                watched.subscribe(),
                sealer.clone(),
            )
            .await
            .map_err(|e| format!("cannot load the gateway's configuration: {e}"))?;
            gateway.set_trace_any_subscription(settings.trace_any_subscription);
            if let Some(url) = &settings.redis_url {
                let redis = tollgate_gateway::redis::Redis::from_url(url)
                    .map_err(|e| format!("--redis-url: {e}"))?;
                gateway.share_rate_limits(redis, settings.redis_fail_open);
            }
            if store.engine() == "postgres" {
                // Other nodes write this database: follow their commits.
                tokio::spawn(tollgate_store::postgres::follow_commits(
                    settings.database_url.clone(),
                    store.clone(),
                    DEFAULT_INSTANCE.to_owned(),
                    FOLLOW_EVERY,
                    watched.publisher(),
                ));
            }
            Some((listener, tls, gateway))
        }
        false => None,
    };
    // Signal handlers first, then the banner: a signal sent right after it is not lost.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let signal = shutdown_signal();
    tokio::spawn(async move {
        signal.await;
        let _ = stop.send(true);
    });
    let until_stopped = move || {
        let mut stopping = stopping.clone();
        async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        }
    };
    // The banner goes to stdout; scripts and tests read the URLs from its first lines. A closed
    // stdout is no reason to stop serving, so write errors are ignored.
    let mut out = std::io::stdout().lock();
    let mut servers = tokio::task::JoinSet::new();
    let address = management.local_addr().map_err(|e| e.to_string())?;
    let app = match (&gateway, role.management()) {
        // A gateway-only node: its operations endpoints, unauthenticated (a private address).
        (Some((_, _, gateway)), false) => {
            tracing::info!(%address, "operations endpoints ready");
            let _ = writeln!(
                out,
                "Tollgate operations (health, ready, metrics): http://{address}/"
            );
            gateway.operations_router()
        }
        (gateway, _) => {
            tracing::info!(engine = store.engine(), %address, "management API ready");
            let _ = writeln!(out, "Tollgate management API: http://{address}/");
            let state = AppState::new(
                store.clone(),
                DEFAULT_INSTANCE,
                access.clone(),
                DEFAULT_BODY_LIMIT,
                sealer,
                settings.oauth.clone(),
            );
            match gateway {
                // Prometheus scrapes without credentials; the management listener is private.
                Some((_, _, gateway)) => router(state).merge(gateway.metrics_router()),
                None => router(state),
            }
        }
    };
    // The peer's address is what the audit log records as where a management call came from.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(management, app).with_graceful_shutdown(until_stopped());
    servers.spawn(async move { server.await });
    let recording = gateway.as_ref().map(|(_, _, gateway)| gateway.clone());
    if let Some((listener, tls, gateway)) = gateway {
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(%address, scheme, "gateway ready");
        let _ = writeln!(out, "Tollgate gateway: {scheme}://{address}/");
        let stopped = until_stopped();
        servers.spawn(async move { gateway.serve(listener, tls, stopped).await });
    }
    if role.management() {
        let header = tollgate_auth::sign(
            &access.id,
            &access.primary_key,
            Utc::now() + Duration::hours(1),
        );
        let _ = writeln!(out, "Authorization header (valid for one hour): {header}");
    }
    let _ = out.flush();
    drop(out);
    let pruning = tokio::spawn(prune(
        store.clone(),
        settings.records_retention,
        settings.audit_retention,
    ));
    while let Some(finished) = servers.join_next().await {
        finished
            .map_err(|e| format!("server task failed: {e}"))?
            .map_err(|e| format!("server error: {e}"))?;
    }
    pruning.abort();
    if let Some(gateway) = &recording {
        gateway.finish().await;
        let dropped = gateway.dropped_records();
        if dropped > 0 {
            tracing::warn!(dropped, "request records were dropped while serving");
        }
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// How often request records and audit entries past their retention are deleted.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes request records and audit entries older than their retention, and expired runtime
/// values (sign-in codes and sessions), at start and then hourly.
async fn prune(store: Arc<dyn Store>, records: std::time::Duration, audit: std::time::Duration) {
    let before = |retention: std::time::Duration| {
        let keep = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
        Utc::now()
            .checked_sub_signed(keep)
            .map_or(0, |t| t.timestamp_millis())
    };
    let mut ticks = tokio::time::interval(PRUNE_EVERY);
    loop {
        ticks.tick().await;
        let runtime = store.runtime();
        match runtime.prune_records(before(records)).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "pruned request records past retention"),
            Err(err) => tracing::warn!(%err, "cannot prune request records"),
        }
        match runtime.prune_audit(before(audit)).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "pruned audit entries past retention"),
            Err(err) => tracing::warn!(%err, "cannot prune audit entries"),
        }
        if let Err(err) = runtime.prune_values().await {
            tracing::warn!(%err, "cannot prune expired runtime values");
        }
    }
}

/// The sealer of the server secret (`TOLLGATE_SECRET`, or the data directory's file); says which
/// key it is, and names the stored certificates another secret sealed, which this node cannot
/// open.
async fn server_sealer(data_dir: &std::path::Path, store: &dyn Store) -> Result<Sealer, String> {
    let (secret, source) = crate::secret::load(std::env::var("TOLLGATE_SECRET").ok(), data_dir)?;
    let sealer = Sealer::new(&secret);
    let key_id = sealer.key_id();
    match &source {
        crate::secret::Source::Environment => {
            tracing::info!(%key_id, "server secret from TOLLGATE_SECRET");
        }
        crate::secret::Source::File(path) => {
            tracing::info!(%key_id, path = %path.display(), "server secret read");
        }
        crate::secret::Source::Created(path) => {
            tracing::info!(%key_id, path = %path.display(), "server secret created");
        }
    }
    if store.engine() == "postgres" && source != crate::secret::Source::Environment {
        tracing::warn!(
            "the server secret comes from this node's data directory: nodes sharing a PostgreSQL \
             store must all use the same secret; set TOLLGATE_SECRET identically on each"
        );
    }
    let others = sealed_under_other_secret(store, DEFAULT_INSTANCE, &sealer)
        .await
        .map_err(|e| format!("cannot read the certificates: {e}"))?;
    for (id, sealed_with) in others {
        tracing::error!(
            certificate = %id, %sealed_with, %key_id,
            "this certificate's key was sealed under another server secret and cannot be used \
             here: start with the secret that sealed it (TOLLGATE_SECRET), or upload it again"
        );
    }
    Ok(sealer)
}

/// Resolves on SIGINT or SIGTERM. The handlers are registered when this is called, not when it
/// is first polled, so a signal sent as soon as the banner is printed is not lost.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (interrupt, terminate) = signals;
            tokio::select! {
                _ = received(interrupt) => {},
                _ = received(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing in-flight requests");
    }
}

/// Resolves when `signal` arrives (never, if it could not be registered).
#[cfg(unix)]
async fn received(signal: Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(mut signal) => {
            signal.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
