//! The ticket store: SQLite (WAL) behind one writer thread, a small pool of
//! read connections, and the event log's live fanout.
//!
//! Every write is a job run by the writer thread inside a transaction; the
//! events a job appends are committed with its changes, then published to
//! subscribers in `seq` order. Async code never touches SQLite directly: it
//! queues jobs for the writer or runs reads on the blocking pool.

pub mod access;
pub mod agents;
pub mod audit;
pub mod backup;
pub mod commands;
pub mod consent;
pub mod conversations;
pub mod customers;
pub mod deletions;
pub mod erase;
pub mod events;
pub mod experiments;
pub mod group_view;
pub mod groups;
pub mod kb;
pub mod messages;
mod migrations;
pub mod outbox;
pub mod read;
pub mod report;
pub mod retention;
pub mod rows;
pub mod safety;
pub mod scheduled;
pub mod server_state;
pub mod sla;
pub mod tickets;
pub mod updates;
pub mod view;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use shared::{AgentId, Event, Seq, Timestamp};
use tokio::sync::{broadcast, mpsc, oneshot};

pub use crate::settings::Durability;
pub use migrations::{current as schema_version, latest as latest_schema};
pub use writer::WriteCtx;

/// Where a repository function reads: a write job's transaction or a
/// read connection. Sealed: only the store sees the connection inside.
pub trait Db: sealed::Conn {}

mod sealed {
    pub trait Conn {
        fn conn(&self) -> &rusqlite::Connection;
    }
}

impl sealed::Conn for Connection {
    fn conn(&self) -> &Connection {
        self
    }
}
impl Db for Connection {}

impl sealed::Conn for WriteCtx<'_> {
    fn conn(&self) -> &Connection {
        self.conn
    }
}
impl Db for WriteCtx<'_> {}

/// Failures of the store itself (not of the domain rules).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored data is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the store is shut down")]
    Closed,
    #[error("not found: {0}")]
    NotFound(String),
    #[error(
        "database schema version {found} is newer than this build knows ({known}); upgrade relay-server"
    )]
    SchemaTooNew { found: u32, known: u32 },
    #[error(
        "database schema is at version {found} but {needed} is needed; run `relay-server migrate`"
    )]
    SchemaTooOld { found: u32, needed: u32 },
    #[error("the server is busy: every read connection is in use; try again shortly")]
    Busy,
    #[error("{}: {reason}", path.display())]
    Copy { path: PathBuf, reason: String },
    #[error("a write job panicked: {0}")]
    Panicked(String),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("cannot create the database directory {}: {reason}", dir.display())]
    CreateDir { dir: PathBuf, reason: String },
    #[error("cannot create the database file {}: {reason}", path.display())]
    CreateFile {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("cannot open the database {}: {}", path.display(), sqlite_reason(reason, path))]
    Open {
        path: PathBuf,
        reason: rusqlite::Error,
    },
}

/// SQLite's own words for a failure, without the path rusqlite appends.
fn sqlite_reason(e: &rusqlite::Error, path: &Path) -> String {
    let text = e.to_string();
    let suffix = format!(": {}", path.display());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// Source of the current time, so tests can drive it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(now_millis())
    }
}

/// A clock that moves only when told (tests of timed rules, simulations).
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    pub fn new(at: Timestamp) -> Arc<ManualClock> {
        Arc::new(ManualClock(std::sync::atomic::AtomicI64::new(at.0)))
    }

    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, Ordering::SeqCst);
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// How to open the store.
#[derive(Clone)]
pub struct StoreOptions {
    pub path: PathBuf,
    pub durability: Durability,
    /// Events kept in memory for live subscribers; a subscriber further
    /// behind than this catches up from the database.
    pub fanout_capacity: usize,
    /// Jobs waiting for the writer before callers wait to queue more.
    pub queue_capacity: usize,
    pub clock: Arc<dyn Clock>,
}

impl StoreOptions {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        StoreOptions {
            path: path.into(),
            durability: Durability::Full,
            fanout_capacity: 8192,
            queue_capacity: 4096,
            clock: Arc::new(SystemClock),
        }
    }
}

/// An event as it goes out to subscribers: encoded once, shared by all.
#[derive(Debug)]
pub struct StreamEvent {
    pub seq: Seq,
    pub at: Timestamp,
    /// The envelope as JSON, exactly as stored.
    pub json: Box<str>,
    /// Set when the event changes or removes this agent (sessions recheck
    /// their credentials).
    pub agent: Option<AgentId>,
    /// The event itself, for deciding who may read it; `None` when another
    /// process wrote one this build cannot parse (then nobody is sent it).
    pub event: Option<Event>,
}

pub(crate) enum WriterMsg {
    Job(writer::Job),
    /// Look for events other processes appended (e.g. the `agent` CLI).
    Poll,
    Stop,
}

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    jobs: mpsc::Sender<WriterMsg>,
    fanout: broadcast::Sender<Arc<StreamEvent>>,
    head: Arc<AtomicU64>,
    readers: Arc<read::Readers>,
    writer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    clock: Arc<dyn Clock>,
    /// Told after a commit that queued or re-timed an outbox row.
    outbox: Arc<tokio::sync::Notify>,
    /// Told after a commit that queued a moderation call.
    moderation: Arc<tokio::sync::Notify>,
    /// Moves after every commit that changed a row (ours or, once
    /// polled, another process's).
    changed: tokio::sync::watch::Receiver<u64>,
    path: PathBuf,
}

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;

/// Opens a connection with the pragmas every connection of ours uses.
fn open_conn(
    path: &Path,
    flags: OpenFlags,
    durability: Durability,
) -> Result<Connection, StoreError> {
    // Page cache: 16 MiB for the writer, 4 MiB for each reader.
    let cache_kib = if flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY) {
        4000
    } else {
        16000
    };
    let opened = |reason| StoreError::Open {
        path: path.to_owned(),
        reason,
    };
    let conn = Connection::open_with_flags(path, flags).map_err(opened)?;
    // The first statement is where SQLite finds out a file is not a database.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        .map_err(opened)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    // rusqlite keeps 16 prepared statements by default; the writer runs
    // many more distinct ones per message (intake, SLA, assignment,
    // outbox), and an overflowing cache re-parses SQL on every call.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    let sync = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    // secure_delete: what a write deletes or overwrites (a sent message's
    // outbox row, held dialogue words, an erased customer's rows) is
    // zeroed in the file, not left in free space: after an erasure and a
    // WAL checkpoint no byte of it stays (docs/privacy.md).
    conn.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA foreign_keys=ON; PRAGMA cache_size=-{cache_kib};
         PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON;"
    ))?;
    // Without the query planner stability guarantee, a cached statement on
    // a table with a partial index is recompiled whenever its parameters
    // change (SQLite weighs the partial index against each new value): that
    // was 13% of the writer's time. Our plans never depend on values.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(conn)
}

/// Opens (creating if needed) the database file and applies migrations.
/// Returns the versions applied.
pub fn migrate(path: &Path) -> Result<Vec<u32>, StoreError> {
    let mut conn = create_conn(path, Durability::Full)?;
    migrations::migrate(&mut conn)
}

/// Why a directory could not be made, in words a person can act on.
fn dir_failure(dir: &Path, e: &std::io::Error) -> String {
    let in_the_way = dir.ancestors().find(|a| a.exists()).filter(|a| !a.is_dir());
    match (in_the_way, e.kind()) {
        (Some(file), _) if file == dir => "a file of that name is in the way".into(),
        (Some(file), _) => format!("{} is a file, not a directory", file.display()),
        (None, std::io::ErrorKind::PermissionDenied) => {
            "permission denied (choose another place with --db or db = \"...\")".into()
        }
        (None, _) => e.to_string(),
    }
}

/// Opens the database for writing, creating the file and its directory
/// when missing: every command that may be the first to run on a fresh
/// machine (`migrate`, `agent add`, `serve`) comes through here.
fn create_conn(path: &Path, durability: Durability) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::CreateDir {
            dir: dir.to_owned(),
            reason: dir_failure(dir, &e),
        })?;
    }
    create_private(path).map_err(|reason| StoreError::CreateFile {
        path: path.to_owned(),
        reason,
    })?;
    open_conn(path, OpenFlags::default(), durability)
}

/// A new database file is created readable by its owner only (0600): it
/// holds customers' private messages. SQLite gives the WAL and shared-memory
/// files the database file's permissions. An existing file keeps its own.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut new = std::fs::OpenOptions::new();
    new.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut new, 0o600);
    match new.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

impl Store {
    /// Opens the store, applying pending migrations first, and starts the
    /// writer thread. Must be called inside a tokio runtime.
    pub fn open(opts: StoreOptions) -> Result<Store, StoreError> {
        let mut conn = create_conn(&opts.path, opts.durability)?;
        migrations::migrate(&mut conn)?;
        let head_seq: u64 =
            conn.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))?;
        let head = Arc::new(AtomicU64::new(head_seq));
        let (fanout, _) = broadcast::channel(opts.fanout_capacity.max(16));
        let (jobs, rx) = mpsc::channel(opts.queue_capacity.max(1));
        let outbox = Arc::new(tokio::sync::Notify::new());
        let moderation = Arc::new(tokio::sync::Notify::new());
        let (changes, changed) = tokio::sync::watch::channel(0);
        let writer = writer::spawn(
            conn,
            rx,
            writer::Signals {
                fanout: fanout.clone(),
                head: head.clone(),
                outbox: outbox.clone(),
                moderation: moderation.clone(),
                changed: changes,
            },
            opts.clock.clone(),
        )?;
        let readers = Arc::new(read::Readers::new(opts.path.clone(), opts.durability));
        Ok(Store {
            inner: Arc::new(Inner {
                jobs,
                fanout,
                head,
                readers,
                writer: std::sync::Mutex::new(Some(writer)),
                clock: opts.clock,
                outbox,
                moderation,
                changed,
                path: opts.path,
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The newest committed and published seq.
    pub fn head(&self) -> Seq {
        Seq(self.inner.head.load(Ordering::Acquire))
    }

    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// Subscribes to live events. Subscribe *before* reading a snapshot or
    /// replaying, then skip events at or below what was read.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StreamEvent>> {
        self.inner.fanout.subscribe()
    }

    /// Waits until `wait` passes or an erasure (`customer_erased`) is
    /// published on `events` (or missed in a lag): true; false when `stop`
    /// fires or the store closes. The workers that finish erasures sleep on it.
    pub async fn until_erasure(
        events: &mut broadcast::Receiver<Arc<StreamEvent>>,
        wait: Duration,
        stop: &tokio_util::sync::CancellationToken,
    ) -> bool {
        Self::until_event(events, wait, stop, |e| {
            matches!(e, Event::CustomerErased { .. })
        })
        .await
    }

    /// Waits until `wait` passes or an event `wanted` picks is published on
    /// `events` (or missed in a lag): true; false when `stop` fires or the
    /// store closes.
    pub async fn until_event(
        events: &mut broadcast::Receiver<Arc<StreamEvent>>,
        wait: Duration,
        stop: &tokio_util::sync::CancellationToken,
        wanted: impl Fn(&Event) -> bool,
    ) -> bool {
        let sleep = tokio::time::sleep(wait);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return true,
                _ = stop.cancelled() => return false,
                e = events.recv() => match e {
                    Ok(e) if e.event.as_ref().is_some_and(&wanted) => return true,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => return true,
                    Err(broadcast::error::RecvError::Closed) => return false,
                },
            }
        }
    }

    /// Notified after each commit that queued an outbox row or moved one's
    /// next try (the sender waits on it instead of polling).
    pub fn outbox_changed(&self) -> Arc<tokio::sync::Notify> {
        self.inner.outbox.clone()
    }

    /// Notified after each commit that queued a moderation call.
    pub fn moderation_queued(&self) -> Arc<tokio::sync::Notify> {
        self.inner.moderation.clone()
    }

    /// A counter that moves after every commit that changed a row: this
    /// process's, or another's once `poll_external` saw it. Commits that
    /// changed nothing (a scheduler run with nothing due) leave it. The
    /// scheduler sleeps on it between deadlines.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changed.clone()
    }

    pub fn readers(&self) -> &Arc<read::Readers> {
        &self.inner.readers
    }

    /// Queues a write job and returns at once with a receiver for its result,
    /// so a caller can pipeline jobs while keeping their order. Waits only
    /// when the writer's queue is full.
    pub async fn enqueue<T, E, F>(
        &self,
        f: F,
    ) -> Result<oneshot::Receiver<Result<T, E>>, StoreError>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut WriteCtx<'_>) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job = writer::job(f, tx);
        self.inner
            .jobs
            .send(WriterMsg::Job(job))
            .await
            .map_err(|_| StoreError::Closed)?;
        Ok(rx)
    }

    /// Runs a write job and waits for it to be committed (or rolled back).
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut WriteCtx<'_>) -> Result<T, E> + Send + 'static,
    {
        let rx = self.enqueue(f).await?;
        rx.await.map_err(|_| E::from(StoreError::Closed))?
    }

    /// Asks the writer to look for events appended by other processes.
    pub async fn poll_external(&self) {
        let _ = self.inner.jobs.send(WriterMsg::Poll).await;
    }

    /// Finishes queued writes and stops the writer thread.
    pub async fn close(&self) {
        let _ = self.inner.jobs.send(WriterMsg::Stop).await;
        let handle = self.inner.writer.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }
}

/// A store on a fresh database in a temporary directory, for tests.
#[cfg(test)]
pub(crate) mod testing {
    pub fn store() -> (tempfile::TempDir, super::Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut opts = super::StoreOptions::new(dir.path().join("t.db"));
        opts.durability = super::Durability::Normal;
        (dir, super::Store::open(opts).unwrap())
    }
}

/// How SQLite means to run `sql` (EXPLAIN QUERY PLAN), on the schema and
/// connection settings the server uses; parameters bound to NULL.
#[cfg(test)]
pub(crate) fn query_plan(sql: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.db");
    let mut conn = create_conn(&path, Durability::Normal).unwrap();
    migrations::migrate(&mut conn).unwrap();
    let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let unbound = vec![rusqlite::types::Value::Null; st.parameter_count()];
    st.query_map(rusqlite::params_from_iter(unbound), |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[cfg(test)]
mod tests {
    /// It holds customers' private messages: other users of the machine
    /// may not read it (whatever the umask).
    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_database_and_its_wal_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store =
            super::Store::open(super::StoreOptions::new(dir.path().join("desk.db"))).unwrap();
        store
            .write(|ctx| super::outbox::enqueue_text(ctx, 5, "hi", None))
            .await
            .unwrap();
        for file in ["desk.db", "desk.db-wal", "desk.db-shm"] {
            let meta = std::fs::metadata(dir.path().join(file)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{file}");
        }
        store.close().await;
    }
}
