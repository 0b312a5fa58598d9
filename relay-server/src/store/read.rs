//! Reads: a small pool of read-only connections used from the blocking
//! thread pool. Snapshots and replays run inside one read transaction, so
//! what they send is exactly the state at the seq they report.

use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, params};
use shared::digest::Digester;
use shared::*;
use tokio::sync::mpsc;

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

/// Idle read connections kept open.
const POOL_SIZE: usize = 4;

pub struct Readers {
    path: PathBuf,
    durability: Durability,
    pool: Mutex<Vec<Reader>>,
}

impl Readers {
    pub(super) fn new(path: PathBuf, durability: Durability) -> Self {
        Readers {
            path,
            durability,
            pool: Mutex::new(Vec::new()),
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
        if let Ok(mut p) = self.pool.lock()
            && p.len() < POOL_SIZE
        {
            p.push(conn);
        }
    }

    /// Runs `f` on a read connection on the blocking pool.
    pub async fn read<T, F>(self: &std::sync::Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Reader) -> Result<T, StoreError> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = this.take()?;
            let out = f(&conn);
            this.give_back(conn);
            out
        })
        .await
        .map_err(|e| StoreError::Panicked(e.to_string()))?
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
) -> Result<(Vec<Ticket>, bool), StoreError> {
    let conn = db.conn();
    let mut out = conn
        .prepare_cached(&format!(
            "SELECT {TICKET_COLS} FROM tickets
             WHERE customer_id = (SELECT customer_id FROM tickets WHERE id = ?1)
             ORDER BY id DESC LIMIT ?2"
        ))?
        .query_map(params![ticket.0, limit + 1], rows::ticket)?
        .collect::<Result<Vec<_>, _>>()?;
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

fn read_markers(db: &impl Db, agent: AgentId) -> Result<Vec<ReadMarker>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(
            "SELECT r.ticket_id, r.last_read FROM read_markers r JOIN tickets t ON t.id = r.ticket_id
             WHERE r.agent_id = ?1 AND t.status <> 'closed'",
        )?
        .query_map([agent.0], |r| {
            Ok(ReadMarker {
                agent_id: agent,
                ticket_id: TicketId(r.get(0)?),
                last_read: MessageId(r.get(1)?),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Customers of the open tickets with ids in `from..=to`.
fn customers_of_open(
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

/// The last `tail` messages of each open ticket with id in `from..=to`,
/// by ticket then id.
fn tails_of_open(
    db: &impl Db,
    from: TicketId,
    to: TicketId,
    tail: u32,
) -> Result<Vec<Message>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLS} FROM (
                 SELECT m.*, row_number() OVER (PARTITION BY m.ticket_id ORDER BY m.id DESC) AS rn
                 FROM messages m JOIN tickets t ON t.id = m.ticket_id
                 WHERE t.status <> 'closed' AND t.id BETWEEN ?1 AND ?2)
             WHERE rn <= ?3 ORDER BY ticket_id, id"
        ))?
        .query_map(params![from.0, to.0, tail], rows::message)?
        .collect::<Result<Vec<_>, _>>()?)
}

/// What a snapshot is built for.
pub struct SnapshotSpec {
    pub agent: AgentId,
    pub queues: Vec<Queue>,
    /// Messages per ticket.
    pub tail: u32,
    /// Tickets per part, at most.
    pub chunk: usize,
    /// A part stops taking tickets once it holds about this many bytes.
    pub budget: usize,
}

/// Rough encoded size of a message, for splitting snapshots.
fn approx_size(m: &Message) -> usize {
    300 + m.text.len() + m.attachments.len() * 200
}

/// Builds a snapshot in one read transaction and hands each part, encoded
/// as a `snapshot` frame, to `out` as it is made (so memory stays at one
/// part). Parts hold at most `chunk` tickets and about `budget` bytes.
/// Returns the seq the snapshot is at. Blocking: call on the blocking pool.
pub fn stream_snapshot(
    db: &impl Db,
    spec: SnapshotSpec,
    out: &mpsc::Sender<String>,
) -> Result<Seq, StoreError> {
    let conn = db.conn();
    in_read_tx(conn, |conn| {
        let seq = head_seq(conn)?;
        let mut part = SnapshotPart {
            seq,
            part: 0,
            queues: spec.queues,
            agents: agents(conn)?,
            macros: macros_for(conn, spec.agent)?,
            read_markers: read_markers(conn, spec.agent)?,
            ..Default::default()
        };
        let chunk = spec.chunk.max(1);
        let emit = |part: &mut SnapshotPart, last: bool| -> Result<(), StoreError> {
            part.last = last;
            let next = part.part + 1;
            let frame =
                serde_json::to_string(&ServerMessage::Snapshot(Box::new(std::mem::take(part))))?;
            out.blocking_send(frame).map_err(|_| StoreError::Closed)?;
            part.seq = seq;
            part.part = next;
            Ok(())
        };
        let mut after = TicketId(0);
        loop {
            let tickets = open_tickets(conn, after, chunk)?;
            let done = tickets.len() < chunk;
            let (Some(first), Some(last)) = (tickets.first(), tickets.last()) else {
                emit(&mut part, true)?;
                return Ok(seq);
            };
            after = last.id;
            let mut customers: std::collections::HashMap<CustomerId, Customer> =
                customers_of_open(conn, first.id, last.id)?
                    .into_iter()
                    .map(|c| (c.id, c))
                    .collect();
            let mut messages = tails_of_open(conn, first.id, last.id, spec.tail)?
                .into_iter()
                .peekable();
            let mut bytes = 0;
            let count = tickets.len();
            for (i, t) in tickets.into_iter().enumerate() {
                bytes += 600;
                if let Some(c) = customers.remove(&t.customer_id) {
                    bytes += 300;
                    part.customers.push(c);
                }
                while let Some(m) = messages.next_if(|m| m.ticket_id == t.id) {
                    bytes += approx_size(&m);
                    part.messages.push(m);
                }
                part.tickets.push(t);
                let end_of_batch = i + 1 == count;
                if bytes >= spec.budget && !(end_of_batch && done) {
                    emit(&mut part, false)?;
                    bytes = 0;
                }
            }
            if done {
                emit(&mut part, true)?;
                return Ok(seq);
            }
            if !part.tickets.is_empty() {
                emit(&mut part, false)?;
            }
        }
    })
}

/// Sends the events in (`after`, `upto`] as `events` frames of at most
/// `chunk` events and about `budget` bytes each, built from the stored JSON
/// without re-encoding. Blocking: call on the blocking pool.
pub fn stream_events(
    db: &impl Db,
    after: Seq,
    upto: Seq,
    chunk: usize,
    budget: usize,
    out: &mpsc::Sender<String>,
) -> Result<(), StoreError> {
    let conn = db.conn();
    let mut stmt = conn
        .prepare_cached("SELECT seq, body FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq")?;
    let mut rows = stmt.query(params![after.0, upto.0])?;
    let mut frame = String::new();
    let mut n = 0usize;
    let mut expected = after.0 + 1;
    while let Some(row) = rows.next()? {
        let seq: u64 = row.get(0)?;
        if seq != expected {
            return Err(StoreError::Corrupt(format!(
                "event log has a gap: expected {expected}, found {seq}"
            )));
        }
        expected += 1;
        let body = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        if n == 0 {
            frame.push_str(r#"{"type":"events","events":["#);
        } else {
            frame.push(',');
        }
        frame.push_str(body);
        n += 1;
        if n == chunk || frame.len() >= budget {
            frame.push_str("]}");
            if out.blocking_send(std::mem::take(&mut frame)).is_err() {
                return Err(StoreError::Closed);
            }
            n = 0;
        }
    }
    if expected != upto.0 + 1 {
        return Err(StoreError::Corrupt(format!(
            "event log ends at {} before {}",
            expected - 1,
            upto
        )));
    }
    if n > 0 {
        frame.push_str("]}");
        if out.blocking_send(frame).is_err() {
            return Err(StoreError::Closed);
        }
    }
    Ok(())
}

/// The state digest (see `shared::digest`) at the current seq.
pub fn digest(db: &impl Db, tail_len: u32) -> Result<(Seq, String, u32), StoreError> {
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
                    d.ticket(t);
                    while let Some(m) = messages.next_if(|m| m.ticket_id == t.id) {
                        d.message(m);
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
