//! The single writer: one thread owns the write connection and runs jobs in
//! batches (group commit), each job inside its own savepoint so a failing
//! job rolls back alone. Events are published only after their commit.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, params};
use shared::{Event, EventEnvelope, Seq, Timestamp};
use tokio::sync::{Notify, broadcast, mpsc, oneshot, watch};

use super::{Clock, StoreError, StreamEvent, WriterMsg};
use crate::metrics::METRICS;

/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 512;

/// What a job leaves for after the commit: delivers the job's result.
type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// A job: runs in the transaction, says whether it succeeded.
pub(crate) type Job = Box<dyn FnOnce(&mut WriteCtx<'_>) -> (bool, Completion) + Send>;

/// Wraps a typed closure into a job whose result goes to `tx`.
pub(crate) fn job<T, E, F>(f: F, tx: oneshot::Sender<Result<T, E>>) -> Job
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: FnOnce(&mut WriteCtx<'_>) -> Result<T, E> + Send + 'static,
{
    Box::new(move |ctx| {
        let result = f(ctx);
        let ok = result.is_ok();
        let done: Completion = Box::new(move |commit| {
            let _ = tx.send(match commit {
                Ok(()) => result,
                Err(e) => Err(E::from(e)),
            });
        });
        (ok, done)
    })
}

/// What a job sees: the open transaction, the time, and the event log.
pub struct WriteCtx<'c> {
    pub(in crate::store) conn: &'c Connection,
    /// The time this job runs at; use it for every timestamp it writes.
    pub now: Timestamp,
    next_seq: u64,
    events: Vec<Arc<StreamEvent>>,
    /// An outbox row was queued or re-timed: the sender is woken after commit.
    pub(super) outbox_queued: bool,
    /// A moderation call was queued: the moderator is woken after commit
    /// (a spurious wake, after a rollback, is harmless).
    pub(super) moderation_queued: bool,
}

impl WriteCtx<'_> {
    /// Appends an event to the log, in this job's transaction.
    pub fn append(&mut self, event: Event) -> Result<Seq, StoreError> {
        let seq = Seq(self.next_seq);
        let agent = agent_of(&event);
        let ticket = event.ticket_id().map(|t| t.0);
        let customer = match &event {
            Event::CustomerUpserted { customer } => Some(customer.id.0),
            _ => None,
        };
        let person = event.group_person();
        let envelope = EventEnvelope {
            seq,
            at: self.now,
            event,
        };
        let json = serde_json::to_string(&envelope)?;
        self.conn
            .prepare_cached(
                "INSERT INTO events (seq, at, ticket_id, customer_id, body, person) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![seq.0, self.now.0, ticket, customer, json, person])?;
        self.next_seq += 1;
        self.events.push(Arc::new(StreamEvent {
            seq,
            at: self.now,
            json: json.into_boxed_str(),
            agent,
            event: Some(envelope.event),
        }));
        Ok(seq)
    }

    /// Runs `f` inside a nested savepoint: when it fails, only its own
    /// changes and events are undone and the job goes on.
    pub fn attempt<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        run(self.conn, "SAVEPOINT attempt")?;
        let mark = (self.next_seq, self.events.len(), self.outbox_queued);
        match f(self) {
            Ok(v) => {
                run(self.conn, "RELEASE attempt")?;
                Ok(v)
            }
            Err(e) => {
                self.undo_attempt(mark)?;
                Err(e)
            }
        }
    }

    /// Like [`attempt`](Self::attempt), and a panic inside `f` is caught
    /// and undone the same way: `Err` carries what the panic said.
    pub fn attempt_guarded<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<Result<T, E>, String> {
        run(self.conn, "SAVEPOINT attempt").map_err(|e| e.to_string())?;
        let mark = (self.next_seq, self.events.len(), self.outbox_queued);
        match std::panic::catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(Ok(v)) => {
                run(self.conn, "RELEASE attempt").map_err(|e| e.to_string())?;
                Ok(Ok(v))
            }
            Ok(Err(e)) => {
                self.undo_attempt(mark).map_err(|e| e.to_string())?;
                Ok(Err(e))
            }
            Err(panic) => {
                self.undo_attempt(mark).map_err(|e| e.to_string())?;
                Err(panic_text(&panic))
            }
        }
    }

    fn undo_attempt(&mut self, mark: (u64, usize, bool)) -> Result<(), StoreError> {
        run(self.conn, "ROLLBACK TO attempt")?;
        run(self.conn, "RELEASE attempt")?;
        self.next_seq = mark.0;
        self.events.truncate(mark.1);
        self.outbox_queued = mark.2;
        Ok(())
    }

    /// Seq of the last event this job appended, if any since `mark`.
    pub fn last_seq_since(&self, mark: Seq) -> Option<Seq> {
        (self.next_seq > mark.0 + 1).then(|| Seq(self.next_seq - 1))
    }

    /// The seq the next appended event will get, minus one.
    pub fn mark(&self) -> Seq {
        Seq(self.next_seq - 1)
    }
}

/// Runs a parameterless statement through the statement cache (no parsing
/// per call: these run for every job).
fn run(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// What a caught panic said.
fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn agent_of(event: &Event) -> Option<shared::AgentId> {
    match event {
        Event::AgentUpserted { agent } => Some(agent.id),
        Event::AgentRemoved { agent_id } => Some(*agent_id),
        _ => None,
    }
}

pub(crate) fn spawn(
    conn: Connection,
    rx: mpsc::Receiver<WriterMsg>,
    signals: Signals,
    clock: Arc<dyn Clock>,
) -> Result<std::thread::JoinHandle<()>, StoreError> {
    std::thread::Builder::new()
        .name("store-writer".into())
        .spawn(move || {
            Writer {
                conn,
                signals,
                clock,
                data_version: std::cell::Cell::new(-1),
            }
            .run(rx)
        })
        .map_err(|e| StoreError::Panicked(format!("cannot start the writer thread: {e}")))
}

/// What the writer tells the rest of the process after a commit.
pub(super) struct Signals {
    /// The committed events, to every subscriber.
    pub fanout: broadcast::Sender<Arc<StreamEvent>>,
    /// The newest published seq.
    pub head: Arc<AtomicU64>,
    /// An outbox row was queued or re-timed.
    pub outbox: Arc<Notify>,
    /// A moderation call was queued.
    pub moderation: Arc<Notify>,
    /// A row changed (see `Store::changes`).
    pub changed: watch::Sender<u64>,
}

struct Writer {
    conn: Connection,
    signals: Signals,
    clock: Arc<dyn Clock>,
    /// SQLite's `data_version` when last polled.
    data_version: std::cell::Cell<i64>,
}

impl Writer {
    fn run(self, mut rx: mpsc::Receiver<WriterMsg>) {
        let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
        let mut stop = false;
        while !stop {
            let Some(first) = rx.blocking_recv() else {
                break;
            };
            let mut poll = false;
            match first {
                WriterMsg::Job(j) => batch.push(j),
                WriterMsg::Poll => poll = true,
                WriterMsg::Stop => stop = true,
            }
            while !stop && batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(WriterMsg::Job(j)) => batch.push(j),
                    Ok(WriterMsg::Poll) => poll = true,
                    Ok(WriterMsg::Stop) => stop = true,
                    Err(_) => break,
                }
            }
            METRICS.writer_queue.set(rx.len() as i64);
            // A poll with nothing to run costs a transaction only when
            // another process committed since the last look.
            if !batch.is_empty() || (poll && self.others_wrote()) {
                self.run_batch(std::mem::take(&mut batch));
            }
        }
        // PASSIVE: never waits for readers (another process's, say).
        if let Err(e) = self.conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
            tracing::warn!("checkpoint at shutdown failed: {e}");
        }
        tracing::debug!("store writer stopped");
    }

    /// Whether another connection committed since this one last looked
    /// (SQLite's `data_version` moves only for others' commits).
    fn others_wrote(&self) -> bool {
        let version = self
            .conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut st| st.query_row([], |r| r.get::<_, i64>(0)))
            .unwrap_or(-1);
        let seen = self.data_version.replace(version);
        version != seen || version < 0
    }

    fn run_batch(&self, batch: Vec<Job>) {
        let mut done: Vec<Completion> = Vec::with_capacity(batch.len());
        let changes = self.conn.total_changes();
        METRICS.writer_jobs.add(batch.len() as u64);
        let started = std::time::Instant::now();
        let outcome = self.transaction(batch, &mut done);
        METRICS.writer_commit_seconds.observe(started.elapsed());
        match outcome {
            Ok((events, outbox, moderation)) => {
                for e in events.iter().filter_map(|e| e.event.as_ref()) {
                    METRICS.observe(e);
                }
                let signals = &self.signals;
                if outbox {
                    signals.outbox.notify_one();
                }
                if moderation {
                    signals.moderation.notify_one();
                }
                if self.conn.total_changes() != changes || !events.is_empty() {
                    signals.changed.send_modify(|n| *n = n.wrapping_add(1));
                }
                if let Some(last) = events.last() {
                    signals.head.store(last.seq.0, Ordering::Release);
                }
                for e in events {
                    // No subscribers is fine: the log has it.
                    let _ = signals.fanout.send(e);
                }
                for d in done {
                    d(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(
                    "write transaction failed, {} job(s) rolled back: {e}",
                    done.len()
                );
                let _ = self.conn.execute_batch("ROLLBACK");
                let msg = e.to_string();
                for d in done {
                    d(Err(StoreError::Panicked(format!(
                        "transaction failed: {msg}"
                    ))));
                }
            }
        }
    }

    /// Runs the jobs in one transaction; returns the events to publish.
    fn transaction(
        &self,
        batch: Vec<Job>,
        done: &mut Vec<Completion>,
    ) -> Result<(Vec<Arc<StreamEvent>>, bool, bool), StoreError> {
        let conn = &self.conn;
        run(conn, "BEGIN IMMEDIATE")?;
        let db_head: u64 = conn
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM events")?
            .query_row([], |r| r.get(0))?;
        // Events appended by another process since we last looked go out first.
        let mut events = self.external_events(db_head)?;
        let mut ctx = WriteCtx {
            conn,
            now: self.clock.now(),
            next_seq: db_head + 1,
            events: Vec::new(),
            outbox_queued: false,
            moderation_queued: false,
        };
        for job in batch {
            run(conn, "SAVEPOINT job")?;
            let mark = (ctx.next_seq, ctx.events.len());
            ctx.now = self.clock.now();
            let ran = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut ctx)));
            let ok = match ran {
                Ok((ok, completion)) => {
                    done.push(completion);
                    ok
                }
                Err(panic) => {
                    // The job's sender is dropped with it: its caller sees the store's error.
                    let what = panic_text(&panic);
                    tracing::error!("write job panicked, rolled back: {what}");
                    false
                }
            };
            if ok {
                run(conn, "RELEASE job")?;
            } else {
                run(conn, "ROLLBACK TO job")?;
                run(conn, "RELEASE job")?;
                ctx.next_seq = mark.0;
                ctx.events.truncate(mark.1);
            }
        }
        run(conn, "COMMIT")?;
        events.append(&mut ctx.events);
        Ok((events, ctx.outbox_queued, ctx.moderation_queued))
    }

    fn external_events(&self, db_head: u64) -> Result<Vec<Arc<StreamEvent>>, StoreError> {
        let published = self.signals.head.load(Ordering::Acquire);
        if db_head <= published {
            return Ok(Vec::new());
        }
        tracing::info!(
            "publishing {} event(s) written by another process",
            db_head - published
        );
        let mut out = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, at, body FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![published, db_head], |r| {
            Ok((
                r.get::<_, u64>(0)?,
                Timestamp(r.get(1)?),
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (seq, at, json) = row?;
            // Only sniffed: an event this build cannot parse (another
            // version wrote it) is still published, never a reason to fail.
            let event = match serde_json::from_str::<EventEnvelope>(&json) {
                Ok(env) => Some(env.event),
                Err(e) => {
                    tracing::warn!(
                        seq,
                        "event written by another process does not parse here: {e}"
                    );
                    None
                }
            };
            out.push(Arc::new(StreamEvent {
                seq: Seq(seq),
                at,
                agent: event.as_ref().and_then(agent_of),
                json: json.into_boxed_str(),
                event,
            }));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::super::{Durability, Store, StoreError, StoreOptions, outbox};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut opts = StoreOptions::new(dir.path().join("w.db"));
        opts.durability = Durability::Normal;
        (dir, Store::open(opts).unwrap())
    }

    /// The scheduler sleeps on `changes`: a run that found nothing to do
    /// must not wake it again, or an idle desk would tick every second.
    #[tokio::test]
    async fn only_a_commit_that_changed_rows_moves_the_change_counter() {
        let (_dir, store) = store();
        let mut changes = store.changes();
        changes.borrow_and_update();
        store
            .write(|ctx| outbox::due(ctx, ctx.now, 10))
            .await
            .unwrap();
        assert!(!changes.has_changed().unwrap(), "a read-only job");
        store
            .write(|ctx| outbox::enqueue_text(ctx, 5, "hi", None))
            .await
            .unwrap();
        assert!(changes.has_changed().unwrap(), "a queued message");
        changes.borrow_and_update();
        // Seen; quiet again.
        store
            .write(|ctx| outbox::due(ctx, ctx.now, 10))
            .await
            .unwrap();
        assert!(!changes.has_changed().unwrap());
    }

    #[tokio::test]
    async fn a_commit_that_queues_a_message_wakes_the_sender_and_others_do_not() {
        let (_dir, store) = store();
        let queued = store.outbox_changed();
        store
            .write(|ctx| Ok::<_, StoreError>(ctx.now))
            .await
            .unwrap();
        assert!(queued.notified().now_or_never().is_none(), "nothing queued");
        store
            .write(|ctx| outbox::enqueue_text(ctx, 5, "hi", None))
            .await
            .unwrap();
        // Told before the job's caller hears back: no waiting involved.
        assert!(queued.notified().now_or_never().is_some());
        // A job that queued and then failed is rolled back: a wake is
        // harmless (the sender finds nothing), but nothing is sent.
        let failed = store
            .write(|ctx| {
                outbox::enqueue_text(ctx, 5, "never", None)?;
                Err::<(), _>(StoreError::NotFound("on purpose".into()))
            })
            .await;
        assert!(failed.is_err());
        let texts = store
            .readers()
            .read(|c| outbox::texts_for(c, 5))
            .await
            .unwrap();
        assert_eq!(texts, ["hi"]);
    }

    #[tokio::test]
    async fn a_guarded_attempt_undoes_a_panic_and_the_job_goes_on() {
        let (_dir, store) = store();
        let caught = store
            .write(|ctx| {
                let caught = ctx.attempt_guarded(|ctx| -> Result<(), StoreError> {
                    outbox::enqueue_text(ctx, 6, "half done", None)?;
                    panic!("applying went wrong");
                });
                outbox::enqueue_text(ctx, 6, "after", None)?;
                Ok::<_, StoreError>(caught.unwrap_err())
            })
            .await
            .unwrap();
        assert_eq!(caught, "applying went wrong");
        let texts = store
            .readers()
            .read(|c| outbox::texts_for(c, 6))
            .await
            .unwrap();
        assert_eq!(texts, ["after"]);
    }

    #[tokio::test]
    async fn events_another_process_appends_are_published_by_the_poll() {
        let (dir, store) = store();
        let mut live = store.subscribe();
        let head = store.head();
        // Nothing changed: the poll costs no transaction and publishes nothing.
        store.poll_external().await;
        store
            .write(|ctx| Ok::<_, StoreError>(ctx.now))
            .await
            .unwrap();
        assert!(live.try_recv().is_err());
        // Another process (the `agent` CLI) appends an event.
        let other = rusqlite::Connection::open(dir.path().join("w.db")).unwrap();
        other
            .execute(
                "INSERT INTO events (seq, at, ticket_id, body) VALUES (?1, 0, NULL, ?2)",
                rusqlite::params![
                    head.0 + 1,
                    format!(
                        r#"{{"seq":{},"at":0,"event":{{"kind":"agent_removed","agent_id":9}}}}"#,
                        head.0 + 1
                    )
                ],
            )
            .unwrap();
        store.poll_external().await;
        let e = tokio::time::timeout(std::time::Duration::from_secs(10), live.recv())
            .await
            .expect("published")
            .unwrap();
        assert_eq!(e.seq.0, head.0 + 1);
        assert_eq!(store.head().0, head.0 + 1);
    }
}
