//! Reads: a small pool of read-only connections used from the blocking
//! thread pool. Snapshots and replays run inside one read transaction, so
//! what they send is exactly the state at the seq they report.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};
use shared::digest::Digester;
use shared::*;
use tokio::sync::Semaphore;

use super::rows::{self, AGENT_COLS, CUSTOMER_COLS, MESSAGE_COLS, TICKET_COLS};
use super::{Db, Durability, StoreError, open_conn};

/// A read connection, for the store's read functions (`&impl Db`).
pub struct Reader(Connection);

impl super::sealed::Conn for Reader {
    fn conn(&self) -> &Connection {
        &self.0
    }
}
impl Db for Reader {}

/// Read connections that serve clients (snapshots, replays, history,
/// digests) at once. A client's read waits for one; past
/// [`CLIENT_READ_WAIT`] it gets [`StoreError::Busy`].
pub const CLIENT_READERS: usize = 8;
/// Read connections for the server's own work (Telegram intake, the sender,
/// timers), so a burst of clients never holds them up.
pub const SERVICE_READERS: usize = 4;
/// Read connections for checking a client's token (at the handshake and
/// during a session, one quick row each), so slow snapshots holding the
/// clients' share never cut healthy sessions off.
pub const TOKEN_READERS: usize = 2;
/// How long a client's read waits for a connection before "busy".
pub const CLIENT_READ_WAIT: Duration = Duration::from_secs(10);

/// The read connections: at most `CLIENT_READERS + SERVICE_READERS +
/// TOKEN_READERS` open,
/// each kept for reuse. (Opening one per read is not only slow: SQLite
/// keeps a closed connection's descriptor while other connections of the
/// process hold locks on the file, so a burst of reads leaves descriptors
/// open for good.)
pub struct Readers {
    path: PathBuf,
    durability: Durability,
    pool: Mutex<Vec<Reader>>,
    clients: Arc<Semaphore>,
    service: Arc<Semaphore>,
    tokens: Arc<Semaphore>,
    client_wait: Duration,
}

/// Whose read it is: which share of the connections it waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFor {
    /// A client's: waits at most [`CLIENT_READ_WAIT`].
    Client,
    /// The server's own: waits as long as it takes.
    Service,
    /// A client's token check: its own small share, waits at most
    /// [`CLIENT_READ_WAIT`].
    Token,
}

impl Readers {
    pub(super) fn new(path: PathBuf, durability: Durability) -> Self {
        Readers {
            path,
            durability,
            pool: Mutex::new(Vec::new()),
            clients: Arc::new(Semaphore::new(CLIENT_READERS)),
            service: Arc::new(Semaphore::new(SERVICE_READERS)),
            tokens: Arc::new(Semaphore::new(TOKEN_READERS)),
            client_wait: CLIENT_READ_WAIT,
        }
    }

    fn take(&self) -> Result<Reader, StoreError> {
        if let Some(c) = self.pool.lock().ok().and_then(|mut p| p.pop()) {
            return Ok(c);
        }
        open_conn(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            self.durability,
        )
        .map(Reader)
    }

    fn give_back(&self, conn: Reader) {
        // A connection left inside a transaction would serve stale reads.
        if !conn.0.is_autocommit() {
            return;
        }
        if let Ok(mut p) = self.pool.lock() {
            p.push(conn);
        }
    }

    /// Runs `f` on a read connection on the blocking pool, for the server's
    /// own work.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Reader) -> Result<T, StoreError> + Send + 'static,
    {
        self.read_for(ReadFor::Service, f).await
    }

    /// Runs `f` on a read connection on the blocking pool, once one of
    /// `who`'s share is free.
    pub async fn read_for<T, F>(self: &Arc<Self>, who: ReadFor, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Reader) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = match who {
            ReadFor::Service => self
                .service
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| StoreError::Closed)?,
            ReadFor::Client | ReadFor::Token => {
                let share = if who == ReadFor::Client {
                    &self.clients
                } else {
                    &self.tokens
                };
                let wait = share.clone().acquire_owned();
                match tokio::time::timeout(self.client_wait, wait).await {
                    Ok(p) => p.map_err(|_| StoreError::Closed)?,
                    Err(_) => return Err(StoreError::Busy),
                }
            }
        };
        let this = self.clone();
        // The permit goes with the work: if the caller stops waiting, the
        // connection is still counted until the work ends.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = this.take()?;
            let out = f(&conn);
            this.give_back(conn);
            out
        })
        .await
        .map_err(|e| StoreError::Panicked(e.to_string()))?
    }

    /// Read connections kept for reuse.
    #[cfg(test)]
    fn idle(&self) -> usize {
        self.pool.lock().map_or(0, |p| p.len())
    }
}

/// Runs `f` inside a deferred read transaction (a consistent view).
pub fn in_read_tx<T, D: super::Db>(
    db: &D,
    f: impl FnOnce(&D) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    db.conn().execute_batch("BEGIN DEFERRED")?;
    let out = f(db);
    let _ = db.conn().execute_batch("COMMIT");
    out
}

pub fn head_seq(db: &impl Db) -> Result<Seq, StoreError> {
    let conn = db.conn();
    Ok(Seq(conn.query_row(
        "SELECT coalesce(max(seq), 0) FROM events",
        [],
        |r| r.get(0),
    )?))
}

/// A page of messages older than `before` (or the newest), oldest first,
/// and whether older ones remain.
pub fn older(
    db: &impl Db,
    ticket: TicketId,
    before: Option<MessageId>,
    limit: u32,
) -> Result<(Vec<Message>, bool), StoreError> {
    let conn = db.conn();
    let before = before.map_or(i64::MAX, |m| m.0);
    let mut out = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE ticket_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
        ))?
        .query_map(params![ticket.0, before, limit + 1], rows::message)?
        .collect::<Result<Vec<_>, _>>()?;
    let more = out.len() > limit as usize;
    out.truncate(limit as usize);
    out.reverse();
    Ok((out, more))
}

/// The tickets of `ticket`'s customer, closed ones included, newest first:
/// at most `limit`, and whether there are more.
pub fn history(
    db: &impl Db,
    ticket: TicketId,
    limit: u32,
    may_read: &dyn Fn(&Ticket) -> bool,
) -> Result<(Vec<Ticket>, bool), StoreError> {
    let conn = db.conn();
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TICKET_COLS} FROM tickets
         WHERE customer_id = (SELECT customer_id FROM tickets WHERE id = ?1)
         ORDER BY id DESC"
    ))?;
    let mut rows = stmt.query(params![ticket.0])?;
    while let Some(row) = rows.next()? {
        let t = rows::ticket(row)?;
        if may_read(&t) {
            out.push(t);
            if out.len() > limit as usize {
                break;
            }
        }
    }
    let more = out.len() > limit as usize;
    out.truncate(limit as usize);
    Ok((out, more))
}

/// Open tickets (status not closed) with id > `after`, by id, at most `limit`.
pub fn open_tickets(
    db: &impl Db,
    after: TicketId,
    limit: usize,
) -> Result<Vec<Ticket>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TICKET_COLS} FROM tickets WHERE status <> 'closed' AND id > ?1 ORDER BY id LIMIT ?2"
        ))?
        .query_map(params![after.0, limit as i64], rows::ticket)?
        .collect::<Result<Vec<_>, _>>()?)
}

pub fn agents(db: &impl Db) -> Result<Vec<Agent>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {AGENT_COLS} FROM agents WHERE removed_at IS NULL ORDER BY id"
        ))?
        .query_map([], rows::agent)?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Global macros and those owned by `agent`.
pub fn macros_for(db: &impl Db, agent: AgentId) -> Result<Vec<Macro>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(
            "SELECT id, shortcut, title, body, owner, translations FROM macros
             WHERE owner IS NULL OR owner = ?1 ORDER BY id",
        )?
        .query_map([agent.0], rows::macro_row)?
        .collect::<Result<Vec<_>, _>>()?)
}

/// This agent's read positions in the open tickets `may_read` lets through.
pub(super) fn read_markers(
    db: &impl Db,
    agent: AgentId,
    may_read: impl Fn(&Ticket) -> bool,
) -> Result<Vec<ReadMarker>, StoreError> {
    let conn = db.conn();
    let cols = TICKET_COLS
        .split(',')
        .map(|c| format!("t.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {cols}, r.last_read FROM read_markers r JOIN tickets t ON t.id = r.ticket_id
             WHERE r.agent_id = ?1 AND t.status <> 'closed'"
        ))?
        .query_map([agent.0], |r| Ok((rows::ticket(r)?, MessageId(r.get(24)?))))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter(|(t, _)| may_read(t))
        .map(|(t, last_read)| ReadMarker {
            agent_id: agent,
            ticket_id: t.id,
            last_read,
        })
        .collect())
}

/// This agent's read position in one ticket.
pub(super) fn read_marker(
    db: &impl Db,
    agent: AgentId,
    ticket: TicketId,
) -> Result<Option<MessageId>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT last_read FROM read_markers WHERE agent_id = ?1 AND ticket_id = ?2",
        )?
        .query_row(params![agent.0, ticket.0], |r| r.get(0).map(MessageId))
        .optional()?)
}

/// The last `tail` messages of one ticket, oldest first.
pub(super) fn tail_of(
    db: &impl Db,
    ticket: TicketId,
    tail: u32,
) -> Result<Vec<Message>, StoreError> {
    if tail == 0 {
        return Ok(Vec::new());
    }
    Ok(older(db, ticket, None, tail)?.0)
}

/// Customers of the open tickets with ids in `from..=to`.
pub(super) fn customers_of_open(
    db: &impl Db,
    from: TicketId,
    to: TicketId,
) -> Result<Vec<Customer>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CUSTOMER_COLS} FROM customers WHERE id IN (
                 SELECT customer_id FROM tickets WHERE status <> 'closed' AND id BETWEEN ?1 AND ?2)
             ORDER BY id"
        ))?
        .query_map(params![from.0, to.0], rows::customer)?
        .collect::<Result<Vec<_>, _>>()?)
}

/// The last `tail` messages of each open ticket with id in `from..=to`, by
/// ticket then id. Each ticket's tail is found through `messages_ticket`
/// (its `tail`-th newest id, then the range from there), so what is read is
/// what is sent: a ticket's older history is never loaded or sorted.
fn tails_of_open_sql() -> String {
    format!(
        "SELECT {MESSAGE_COLS} FROM (
             SELECT m.* FROM tickets t CROSS JOIN messages m ON m.ticket_id = t.id AND m.id >= coalesce(
                 (SELECT x.id FROM messages x WHERE x.ticket_id = t.id
                  ORDER BY x.id DESC LIMIT 1 OFFSET ?3 - 1), 0)
             WHERE t.status <> 'closed' AND t.id BETWEEN ?1 AND ?2)
         ORDER BY ticket_id, id"
    )
}

pub(super) fn tails_of_open(
    db: &impl Db,
    from: TicketId,
    to: TicketId,
    tail: u32,
) -> Result<Vec<Message>, StoreError> {
    if tail == 0 {
        return Ok(Vec::new());
    }
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&tails_of_open_sql())?
        .query_map(params![from.0, to.0, tail], rows::message)?
        .collect::<Result<Vec<_>, _>>()?)
}

/// The state digest (see `shared::digest`) at the current seq, over the
/// open tickets `may_read` lets through.
pub fn digest(
    db: &impl Db,
    tail_len: u32,
    may_read: impl Fn(&Ticket) -> bool,
) -> Result<(Seq, String, u32), StoreError> {
    let conn = db.conn();
    in_read_tx(conn, |conn| {
        let seq = head_seq(conn)?;
        let mut d = Digester::new();
        let mut after = TicketId(0);
        loop {
            let tickets = open_tickets(conn, after, 1000)?;
            if let (Some(first), Some(last)) = (tickets.first(), tickets.last()) {
                let messages = tails_of_open(conn, first.id, last.id, tail_len)?;
                let mut messages = messages.iter().peekable();
                for t in &tickets {
                    let readable = may_read(t);
                    if readable {
                        d.ticket(t);
                    }
                    while let Some(m) = messages.next_if(|m| m.ticket_id == t.id) {
                        if readable {
                            d.message(m);
                        }
                    }
                }
            }
            match tickets.last() {
                Some(t) if tickets.len() == 1000 => after = t.id,
                _ => break,
            }
        }
        let n = d.tickets();
        Ok((seq, d.finish(), n))
    })
}

/// The customer with this Telegram user id, if any.
pub fn customers_by_telegram(
    db: &impl Db,
    telegram_user_id: i64,
) -> Result<Option<Customer>, StoreError> {
    let conn = db.conn();
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CUSTOMER_COLS} FROM customers WHERE telegram_user_id = ?1"
        ))?
        .query_row([telegram_user_id], rows::customer)
        .optional()?)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Condvar, Mutex};

    use super::*;
    use crate::store::{Store, StoreOptions};

    /// A gate the blocking reads wait at until it opens.
    #[derive(Default)]
    struct Gate {
        open: Mutex<bool>,
        turn: Condvar,
        waiting: AtomicUsize,
    }

    impl Gate {
        fn wait(&self) {
            self.waiting.fetch_add(1, Ordering::SeqCst);
            let mut open = self.open.lock().unwrap();
            while !*open {
                open = self.turn.wait(open).unwrap();
            }
        }
        fn open(&self) {
            *self.open.lock().unwrap() = true;
            self.turn.notify_all();
        }
    }

    /// Reads by clients share a bounded set of connections: one past them
    /// waits, and past `CLIENT_READ_WAIT` is told "busy" while the server's
    /// own reads still go through. However many reads came at once, at
    /// most `CLIENT_READERS + SERVICE_READERS` connections stay open.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn client_reads_share_a_bounded_pool_and_are_told_busy_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.db");
        let store = Store::open(StoreOptions::new(path.clone())).unwrap();
        let readers = Arc::new(Readers {
            client_wait: std::time::Duration::from_millis(300),
            ..Readers::new(path, Durability::Normal)
        });
        let gate = Arc::new(Gate::default());
        let held: Vec<_> = (0..CLIENT_READERS)
            .map(|_| {
                let (readers, gate) = (readers.clone(), gate.clone());
                tokio::spawn(async move {
                    readers
                        .read_for(ReadFor::Client, move |c| {
                            gate.wait();
                            head_seq(c)
                        })
                        .await
                })
            })
            .collect();
        while gate.waiting.load(Ordering::SeqCst) < CLIENT_READERS {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let late = readers.read_for(ReadFor::Client, head_seq).await;
        assert!(matches!(late, Err(StoreError::Busy)), "{late:?}");
        // Token checks have a share of their own: sessions stay up.
        readers
            .read_for(ReadFor::Token, head_seq)
            .await
            .expect("a token check while snapshots hold the clients' share");
        readers.read(head_seq).await.expect("the server's own read");
        gate.open();
        for h in held {
            h.await.unwrap().expect("a held read ends well");
        }
        let burst: Vec<_> = (0..300)
            .map(|i| {
                let readers = readers.clone();
                let who = if i % 3 == 0 {
                    ReadFor::Service
                } else {
                    ReadFor::Client
                };
                tokio::spawn(async move {
                    readers
                        .read_for(who, |c| {
                            std::thread::sleep(std::time::Duration::from_millis(2));
                            head_seq(c)
                        })
                        .await
                })
            })
            .collect();
        for h in burst {
            h.await.unwrap().expect("every read of the burst is served");
        }
        assert!(
            readers.idle() <= CLIENT_READERS + SERVICE_READERS + TOKEN_READERS,
            "{}",
            readers.idle()
        );
        store.close().await;
    }

    /// A snapshot reads each ticket's tail through the index, ticket by
    /// ticket: a long ticket's history is never read, or gathered for a
    /// window function (what used to hold it all in memory). The only sort
    /// is of the rows sent.
    #[test]
    fn a_snapshot_reads_only_each_tickets_tail() {
        let plan = crate::store::query_plan(&super::tails_of_open_sql());
        assert!(plan[0].starts_with("SEARCH t "), "{plan:?}");
        assert_eq!(
            plan[1], "SEARCH m USING INDEX messages_ticket (ticket_id=? AND id>?)",
            "{plan:?}"
        );
        assert!(
            plan.iter()
                .all(|s| !s.contains("SCAN") && !s.contains("CO-ROUTINE")),
            "{plan:?}"
        );
    }
}
