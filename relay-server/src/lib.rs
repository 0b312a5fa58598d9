//! The relay server: keeps the ticket database and streams it to agents.
//!
//! `launch` serves on a bound listener until the shutdown token fires, then
//! stops accepting, closes sessions, finishes queued writes and returns.
//! The binary (`main.rs`) only parses flags, sets up logging and settings.

pub mod audit_log;
pub mod domain;
pub mod export;
pub mod files;
pub mod group_list;
pub mod http;
pub mod metrics;
pub mod report_format;
pub mod seed;
pub mod settings;
pub mod store;
pub mod sync;
pub mod telegram;
pub mod tls;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use domain::desk::Desk;
use settings::{Settings, SettingsError, SyncSettings};
use std::path::{Path, PathBuf};
use store::{Store, StoreError, StoreOptions};

/// Everything a request handler needs.
pub struct App {
    pub store: Store,
    pub desk: Arc<Desk>,
    pub sync: SyncSettings,
    pub shutdown: CancellationToken,
    pub sessions: TaskTracker,
    /// Open workstation connections per agent (presence).
    pub connections: sync::connections::Connections,
    /// A Telegram bot runs (told to workstations in `welcome`).
    pub telegram: bool,
    /// Uploads and the attachment cache.
    pub files: files::FileStore,
    /// The bot's client, to fetch attachments (none without a token).
    pub bot: Option<teloxide::Bot>,
    pub bot_token: Option<String>,
    /// Attachment fetches from Telegram at once.
    pub fetches: tokio::sync::Semaphore,
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("{0}")]
    Settings(#[from] settings::SettingsError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Tls(#[from] tls::TlsError),
}

/// The scheduler runs at most this often (under load, once a second: an
/// alert is at most this late; benches/groups.rs measured 250 ms too) ...
const TIMER_EVERY: Duration = Duration::from_secs(1);
/// ... and at least this often, whatever it expects: a safety net for a
/// wall clock that jumps.
const TIMER_AT_LEAST: Duration = Duration::from_secs(30);

/// Runs retention until nothing is past its time: batch after batch, each
/// one short write job, then deletes the files of what went. Returns what
/// it removed.
pub async fn prune_all(
    store: &Store,
    desk: &Arc<Desk>,
    files: &files::FileStore,
) -> Result<domain::retention::Pruned, domain::DomainError> {
    let mut total = domain::retention::Pruned::default();
    let mut pending = domain::retention::Pending::default();
    while pending.any() {
        let d = desk.clone();
        let (batch, left) = store
            .write(move |ctx| {
                let mut left = pending;
                let batch = domain::retention::prune(
                    ctx,
                    &d.retention,
                    domain::retention::BATCH,
                    &mut left,
                )?;
                Ok::<_, domain::DomainError>((batch, left))
            })
            .await?;
        pending = left;
        files.forget(&batch.files);
        total.add(batch);
        // Let other writes in between batches.
        tokio::task::yield_now().await;
    }
    Ok(total)
}

/// What an erasure left to do outside its transaction (`erasure_followups`):
/// deletes the erased messages' files, then empties the WAL so no page of
/// what went stays on disk (the erasure overwrote it with zeros in the
/// database). A follow-up stays until the WAL could be emptied (a reader
/// holding it for seconds); the next run tries again. Returns how many
/// erasures were finished.
pub async fn finish_erasures(store: &Store, files: &files::FileStore) -> Result<usize, StoreError> {
    let due = store.readers().read(store::erase::followups).await?;
    if due.is_empty() {
        return Ok(0);
    }
    for (_, f) in &due {
        files.forget(f);
    }
    let path = store.path().to_owned();
    let emptied = tokio::task::spawn_blocking(move || store::erase::scrub(&path))
        .await
        .map_err(|e| StoreError::Panicked(e.to_string()))??;
    if !emptied {
        tracing::warn!("erasure: the WAL is held by a reader; emptying it again shortly");
        return Ok(0);
    }
    let ids: Vec<i64> = due.iter().map(|(id, _)| *id).collect();
    let n = ids.len();
    store
        .write(move |ctx| store::erase::followup_done(ctx, &ids))
        .await?;
    Ok(n)
}

/// Finishes erasures in the background: when one is published (from a
/// customer's `/forgetme`, or `customer erase` in another process), and
/// every minute while one is left.
async fn run_erasures(store: Store, files: files::FileStore, token: CancellationToken) {
    let mut events = store.subscribe();
    loop {
        match finish_erasures(&store, &files).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(erasures = n, "erasure: files deleted and WAL emptied"),
            Err(e) => tracing::warn!("erasure: cannot finish: {e}"),
        }
        if !Store::until_erasure(&mut events, Duration::from_secs(60), &token).await {
            return;
        }
    }
}

/// Retention in the background: a minute after start, then every
/// `retention.every`.
async fn run_retention(
    store: Store,
    desk: Arc<Desk>,
    files: files::FileStore,
    token: CancellationToken,
) {
    let mut wait = Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = token.cancelled() => return,
        }
        wait = desk.retention.every;
        match prune_all(&store, &desk, &files).await {
            Ok(p) if p.is_empty() => tracing::debug!("retention: nothing past its time"),
            Ok(p) => tracing::info!(
                anonymized_tickets = p.anonymized_tickets,
                anonymized_customers = p.anonymized_customers,
                deleted_tickets = p.deleted_tickets,
                deleted_customers = p.deleted_customers,
                rows = p.rows,
                files = p.files.len(),
                "retention: pruned"
            ),
            Err(e) => tracing::warn!("retention failed: {e}"),
        }
    }
}

/// The scheduler's loop: runs `timers::tick`, then sleeps until the next
/// deadline the store holds, or until a commit changes what is stored
/// (a new ticket has its own deadlines), whichever comes first; never
/// twice in one `TIMER_EVERY`. An idle desk is not woken every second.
async fn run_timers(store: Store, desk: Arc<Desk>, token: CancellationToken) {
    let mut changes = store.changes();
    let mut last = tokio::time::Instant::now();
    let mut wake = last;
    loop {
        let changed = tokio::select! {
            _ = token.cancelled() => break,
            _ = tokio::time::sleep_until(wake) => false,
            changed = changes.changed() => {
                if changed.is_err() {
                    break;
                }
                true
            }
        };
        if changed {
            // Within TIMER_EVERY; what else is written meanwhile is seen by
            // that run, so the commits in between need not wake us (under
            // load that would be every commit).
            wake = wake.min(last + TIMER_EVERY);
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
        last = tokio::time::Instant::now();
        let d = desk.clone();
        let ran = store
            .write(move |ctx| {
                let ticked = domain::timers::tick(ctx, &d)?;
                Ok::<_, domain::DomainError>((ticked, domain::timers::next_due(ctx, &d)?, ctx.now))
            })
            .await;
        // From when the answer came: `now` was read during the run, so
        // this never wakes before the deadline (which would cost a run
        // that finds nothing and a second's delay).
        let answered = tokio::time::Instant::now();
        wake = match ran {
            Ok((ticked, next, now)) => {
                if ticked.any() {
                    tracing::debug!(?ticked, ?next, "timers");
                }
                next.map_or(last + TIMER_AT_LEAST, |next| answered + next.since(now))
            }
            Err(e) => {
                tracing::warn!("timers failed: {e}");
                last
            }
        }
        .clamp(last + TIMER_EVERY, last + TIMER_AT_LEAST);
    }
}

/// How long sessions get to close after shutdown is asked.
const SESSION_GRACE: Duration = Duration::from_secs(10);

/// The files directory, created if missing.
pub fn file_store(settings: &Settings) -> Result<files::FileStore, SettingsError> {
    let root = if settings.files.dir.is_empty() {
        let db = settings.db_path()?;
        db.parent()
            .map_or_else(|| PathBuf::from("files"), |d| d.join("files"))
    } else {
        PathBuf::from(&settings.files.dir)
    };
    files::FileStore::open(&root, settings.files.cache_mb.saturating_mul(1 << 20))
        .map_err(|e| SettingsError::Invalid(format!("files.dir {}: {e}", root.display())))
}

/// The TLS acceptor, when `tls_cert` and `tls_key` are set.
/// (Checked here, not per setting: the two are set one at a time.)
pub fn tls_acceptor(
    settings: &Settings,
) -> Result<Option<tokio_rustls::TlsAcceptor>, tls::TlsError> {
    match (settings.tls_cert.is_empty(), settings.tls_key.is_empty()) {
        (true, true) => return Ok(None),
        (false, false) => {}
        _ => {
            return Err(tls::TlsError::Config(
                "tls_cert and tls_key go together: set both for TLS, or neither".into(),
            ));
        }
    }
    tls::acceptor(Path::new(&settings.tls_cert), Path::new(&settings.tls_key)).map(Some)
}

/// The desk's rules from the settings (the domain's one bridge). Fails when
/// a value means nothing to the desk, or the knowledge base or the
/// translation files named cannot be read.
pub fn desk(settings: &Settings) -> Result<Desk, SettingsError> {
    Desk::from_settings(settings).map_err(SettingsError::Invalid)
}

/// Opens the store for these settings.
pub fn open_store(settings: &Settings) -> Result<Store, LaunchError> {
    let mut opts = StoreOptions::new(settings.db_path()?);
    opts.durability = settings.durability;
    opts.fanout_capacity = settings.sync.fanout_capacity;
    Ok(Store::open(opts)?)
}

/// Serves until `shutdown` is cancelled, then shuts down gracefully.
pub async fn launch(
    settings: Settings,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), LaunchError> {
    let store = open_store(&settings)?;
    serve(store, &settings, listener, shutdown).await
}

/// Binds `[metrics] listen`, when set (before the server says it
/// listens, so a scrape right after finds it).
pub async fn bind_metrics(settings: &Settings) -> Result<Option<TcpListener>, LaunchError> {
    let addr = settings.metrics.listen.as_str();
    if addr.is_empty() {
        return Ok(None);
    }
    TcpListener::bind(addr).await.map(Some).map_err(|e| {
        LaunchError::Io(std::io::Error::new(
            e.kind(),
            format!("cannot serve metrics on {addr} (metrics.listen): {e}"),
        ))
    })
}

/// Serves `/metrics` on its listener. Unauthenticated, so an address other
/// than loopback is warned about.
fn serve_metrics(
    listener: TcpListener,
    store: &Store,
    shutdown: &CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, LaunchError> {
    let local = listener.local_addr()?;
    if !local.ip().is_loopback() {
        tracing::warn!(
            "metrics: /metrics on {local} has no authentication; keep it on loopback or a private network"
        );
    }
    tracing::info!("metrics: serving http://{local}/metrics");
    let scrape = http::metrics::Scrape {
        store: store.clone(),
        started_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64()),
    };
    let limits = http::accept::Limits {
        total: 32,
        per_address: 8,
        header_timeout: Duration::from_secs(10),
    };
    let token = shutdown.clone();
    Ok(tokio::spawn(async move {
        http::accept::serve(listener, http::metrics::router(scrape), limits, token).await
    }))
}

/// Serves an already open store (used by `launch`, tests and benchmarks):
/// [`serve_bound`], binding `[metrics] listen` first.
pub async fn serve(
    store: Store,
    settings: &Settings,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), LaunchError> {
    let metrics = bind_metrics(settings).await?;
    serve_bound(store, settings, listener, metrics, shutdown).await
}

/// Serves until `shutdown` is cancelled, then shuts down gracefully;
/// `/metrics` on `metrics` (from [`bind_metrics`]) when given.
pub async fn serve_bound(
    store: Store,
    settings: &Settings,
    listener: TcpListener,
    metrics: Option<TcpListener>,
    shutdown: CancellationToken,
) -> Result<(), LaunchError> {
    serve_with(store, settings, listener, metrics, shutdown, None).await
}

/// [`serve_bound`] with more routes beside the server's own (desk-demo's
/// stand-in for Telegram around the mini app, `http::app_demo`).
pub async fn serve_with(
    store: Store,
    settings: &Settings,
    listener: TcpListener,
    metrics: Option<TcpListener>,
    shutdown: CancellationToken,
    extra: Option<axum::Router>,
) -> Result<(), LaunchError> {
    let tls = tls_acceptor(settings)?;
    let files = file_store(settings)?;
    let metrics = metrics
        .map(|l| serve_metrics(l, &store, &shutdown))
        .transpose()?;
    let app = Arc::new(App {
        store: store.clone(),
        desk: Arc::new(desk(settings)?),
        sync: settings.sync.clone(),
        shutdown: shutdown.clone(),
        sessions: TaskTracker::new(),
        connections: Default::default(),
        telegram: settings.telegram.enabled(),
        files: files.clone(),
        bot: if settings.telegram.enabled() {
            Some(
                telegram::bot(&settings.telegram)
                    .map_err(|e| LaunchError::Io(std::io::Error::other(e)))?,
            )
        } else {
            None
        },
        bot_token: settings
            .telegram
            .enabled()
            .then(|| settings.telegram.token.clone()),
        fetches: tokio::sync::Semaphore::new(4),
    });
    // What agents may read follows the restricted queues as configured:
    // clients that synced before a change get a snapshot (before any
    // session can resume).
    let fingerprint = app.desk.access().fingerprint();
    match store
        .write(move |ctx| store::access::record_fingerprint(ctx, &fingerprint))
        .await
    {
        Ok(true) => tracing::info!("restricted queues changed: clients resync with a snapshot"),
        Ok(false) => {}
        Err(e) => return Err(LaunchError::Store(e)),
    }
    // The classifier learns staff's verdicts again (they are kept, the
    // model is not).
    match store.readers().read(store::safety::verdicts).await {
        Ok(verdicts) => {
            for (text, spam) in &verdicts {
                app.desk.safety.learn(text, *spam);
            }
            if !verdicts.is_empty() {
                tracing::info!(
                    "safety: the classifier learned {} staff verdicts",
                    verdicts.len()
                );
            }
        }
        Err(e) => tracing::error!("safety: cannot read staff verdicts: {e}"),
    }
    // Nobody is connected yet (before any session can say otherwise).
    if let Err(e) = store.write(domain::presence::all_offline).await {
        tracing::error!("presence: cannot reset at start: {e}");
    }
    let timers = {
        let (store, desk, token) = (store.clone(), app.desk.clone(), shutdown.clone());
        tokio::spawn(async move {
            // Deadlines follow the current calendars and policies; in the
            // background, so agents can connect meanwhile.
            match domain::sla::recompute_if_changed(&store, desk.clone()).await {
                Ok(None) => tracing::debug!("SLA: config unchanged, deadlines stand"),
                Ok(Some(n)) => {
                    tracing::info!("SLA: config changed, {n} tickets' deadlines moved")
                }
                Err(e) => tracing::error!("SLA: cannot recompute deadlines at start: {e}"),
            }
            run_timers(store, desk, token).await
        })
    };
    let retention = tokio::spawn(run_retention(
        store.clone(),
        app.desk.clone(),
        app.files.clone(),
        shutdown.clone(),
    ));
    let erasures = tokio::spawn(run_erasures(
        store.clone(),
        app.files.clone(),
        shutdown.clone(),
    ));
    // Events other processes (the `agent` CLI) append are published within a second.
    // The bot: durable intake, update processing, the paced outbox.
    let bot_tasks = TaskTracker::new();
    if settings.telegram.enabled() {
        telegram::start(
            store.clone(),
            settings.telegram.clone(),
            app.desk.clone(),
            files,
            shutdown.clone(),
            &bot_tasks,
        )
        .map_err(|e| LaunchError::Io(std::io::Error::other(e)))?;
    } else {
        tracing::warn!("no TELEGRAM_BOT_TOKEN: serving agents without a Telegram bot");
    }
    let poller = {
        let (store, token) = (store.clone(), shutdown.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = tick.tick() => store.poll_external().await,
                }
            }
        })
    };
    let limits = http::accept::Limits {
        total: settings.limits.max_connections,
        per_address: settings.limits.connections_per_address,
        header_timeout: Duration::from_secs(settings.limits.header_timeout_secs),
    }
    .within(http::accept::open_files_limit());
    let mut router = http::router(app.clone());
    if let Some(extra) = extra {
        router = router.merge(extra);
    }
    match tls {
        Some(acceptor) => {
            let listener = tls::TlsListener::new(listener, acceptor, shutdown.clone())?;
            http::accept::serve(listener, router, limits, shutdown.clone()).await
        }
        None => {
            // Small frames both ways: do not let Nagle hold them back.
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::debug!("cannot set TCP_NODELAY: {e}");
                }
            });
            http::accept::serve(listener, router, limits, shutdown.clone()).await
        }
    }
    tracing::info!("no longer accepting connections; closing sessions");
    app.sessions.close();
    if tokio::time::timeout(SESSION_GRACE, app.sessions.wait())
        .await
        .is_err()
    {
        tracing::warn!("some sessions did not close within {SESSION_GRACE:?}");
    }
    poller.abort();
    if let Some(m) = metrics {
        m.abort();
    }
    timers.abort();
    retention.abort();
    erasures.abort();
    bot_tasks.close();
    if tokio::time::timeout(SESSION_GRACE, bot_tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!("the Telegram tasks did not stop within {SESSION_GRACE:?}");
    }
    store.close().await;
    tracing::info!("store closed; bye");
    Ok(())
}
