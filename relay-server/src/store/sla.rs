//! SLA clocks (`sla_clocks`) and when the scheduler must look at a ticket
//! next (`tickets.sla_alert_at`).

use rusqlite::{OptionalExtension, params};
use shared::{Priority, QueueId, SlaDeadlines, SlaTarget, TicketId, TicketStatus, Timestamp};

use super::{Db, StoreError, WriteCtx};

/// A clock as stored (its due time is derived from the calendar, not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredClock {
    pub target: SlaTarget,
    pub budget_ms: i64,
    pub used_ms: i64,
    pub started_at: Timestamp,
    pub running_since: Option<Timestamp>,
    pub stopped_at: Option<Timestamp>,
    pub breached_at: Option<Timestamp>,
    pub warned: u8,
}

pub const CLOCK_COLS: &str =
    "target, budget_ms, used_ms, started_at, running_since, stopped_at, breached_at, warned";

/// Reads a clock from `CLOCK_COLS` starting at column `at`.
pub fn clock_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StoredClock> {
    let target: String = r.get(at)?;
    let ts = |i| r.get::<_, Option<i64>>(at + i).map(|v| v.map(Timestamp));
    Ok(StoredClock {
        target: SlaTarget::parse(&target)
            .ok_or_else(|| super::rows::corrupt("SLA target", &target))?,
        budget_ms: r.get(at + 1)?,
        used_ms: r.get(at + 2)?,
        started_at: Timestamp(r.get(at + 3)?),
        running_since: ts(4)?,
        stopped_at: ts(5)?,
        breached_at: ts(6)?,
        warned: r.get(at + 7)?,
    })
}

/// A ticket's stored clocks.
pub fn clocks(db: &impl Db, ticket: TicketId) -> Result<Vec<StoredClock>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "SELECT {CLOCK_COLS} FROM sla_clocks WHERE ticket_id = ?1"
        ))?
        .query_map([ticket.0], |r| clock_row(r, 0))?
        .collect::<Result<_, _>>()?)
}

/// Stores a clock.
pub fn save_clock(ctx: &WriteCtx<'_>, ticket: TicketId, c: &StoredClock) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO sla_clocks (ticket_id, target, budget_ms, used_ms, started_at, running_since,
                                     stopped_at, breached_at, warned)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (ticket_id, target) DO UPDATE SET budget_ms = ?3, used_ms = ?4, started_at = ?5,
                 running_since = ?6, stopped_at = ?7, breached_at = ?8, warned = ?9",
        )?
        .execute(params![
            ticket.0,
            c.target.as_str(),
            c.budget_ms,
            c.used_ms,
            c.started_at.0,
            c.running_since.map(|t| t.0),
            c.stopped_at.map(|t| t.0),
            c.breached_at.map(|t| t.0),
            c.warned,
        ])?;
    Ok(())
}

/// Sets when the scheduler must look at a ticket's clocks next.
pub fn set_alert(
    ctx: &WriteCtx<'_>,
    ticket: TicketId,
    at: Option<Timestamp>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE tickets SET sla_alert_at = ?2 WHERE id = ?1")?
        .execute(params![ticket.0, at.map(|t| t.0)])?;
    Ok(())
}

/// The ticket's last human reply and its stored next alert.
pub fn reply_and_alert(
    db: &impl Db,
    ticket: TicketId,
) -> Result<(Option<Timestamp>, Option<Timestamp>), StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT last_reply_at, sla_alert_at FROM tickets WHERE id = ?1")?
        .query_row([ticket.0], |r| {
            Ok((
                r.get::<_, Option<i64>>(0)?.map(Timestamp),
                r.get::<_, Option<i64>>(1)?.map(Timestamp),
            ))
        })
        .optional()?
        .unwrap_or_default())
}

/// A ticket's deadlines as the recompute writes them.
pub struct SlaRow<'a> {
    pub id: TicketId,
    pub sla: &'a SlaDeadlines,
    /// `sla.targets` as JSON.
    pub targets_json: &'a str,
    /// When the timer must look at its clocks next.
    pub alert_at: Option<Timestamp>,
    /// Write only if the ticket's `sla_rev` is still this one.
    pub if_rev: Option<i64>,
}

/// Writes a ticket's deadlines (the rest of it unchanged). Returns false
/// when `if_rev` no longer matches (or the ticket is gone).
pub fn save_deadlines(ctx: &WriteCtx<'_>, r: &SlaRow<'_>) -> Result<bool, StoreError> {
    let n = ctx
        .conn
        .prepare_cached(
            "UPDATE tickets SET first_reply_due = ?2, next_reply_due = ?3, resolution_due = ?4,
                 update_due = ?5, sla_targets = ?6, sla_alert_at = ?7
             WHERE id = ?1 AND (?8 IS NULL OR sla_rev = ?8)",
        )?
        .execute(params![
            r.id.0,
            r.sla.first_reply_due.map(|v| v.0),
            r.sla.next_reply_due.map(|v| v.0),
            r.sla.resolution_due.map(|v| v.0),
            r.sla.update_due.map(|v| v.0),
            r.targets_json,
            r.alert_at.map(|v| v.0),
            r.if_rev,
        ])?;
    Ok(n == 1)
}

/// An open ticket as a recompute of its deadlines reads it.
#[derive(Debug, Clone)]
pub struct OpenRow {
    pub id: TicketId,
    /// Bumped by the schema's triggers on every change of what its
    /// deadlines depend on.
    pub rev: i64,
    pub queue: QueueId,
    pub status: TicketStatus,
    pub priority: Priority,
    pub created_at: Timestamp,
    pub first_reply_at: Option<Timestamp>,
    pub waiting_since: Option<Timestamp>,
    pub last_reply_at: Option<Timestamp>,
    /// Stored due times (first reply, next reply, resolution, update).
    pub dues: [Option<Timestamp>; 4],
    pub alert: Option<Timestamp>,
    /// It streams no target at all.
    pub no_targets: bool,
    pub clocks: Vec<StoredClock>,
}

const OPEN_COLS: &str = "id, sla_rev, queue, status, priority, created_at, first_reply_at, \
     waiting_since, last_reply_at, first_reply_due, next_reply_due, resolution_due, update_due, \
     sla_alert_at, sla_targets = '[]'";

fn open_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OpenRow> {
    let status: String = r.get(3)?;
    let priority: String = r.get(4)?;
    let ts = |i| r.get::<_, Option<i64>>(i).map(|v| v.map(Timestamp));
    Ok(OpenRow {
        id: TicketId(r.get(0)?),
        rev: r.get(1)?,
        queue: QueueId(r.get(2)?),
        status: TicketStatus::parse(&status)
            .ok_or_else(|| super::rows::corrupt("status", &status))?,
        priority: Priority::parse(&priority)
            .ok_or_else(|| super::rows::corrupt("priority", &priority))?,
        created_at: Timestamp(r.get(5)?),
        first_reply_at: ts(6)?,
        waiting_since: ts(7)?,
        last_reply_at: ts(8)?,
        dues: [ts(9)?, ts(10)?, ts(11)?, ts(12)?],
        alert: ts(13)?,
        no_targets: r.get(14)?,
        clocks: Vec::new(),
    })
}

/// Up to `limit` open tickets after id `after`, in id order, with their
/// clocks.
pub fn open_slice(db: &impl Db, after: i64, limit: usize) -> Result<Vec<OpenRow>, StoreError> {
    let conn = db.conn();
    let mut open: Vec<OpenRow> = conn
        .prepare_cached(&format!(
            "SELECT {OPEN_COLS} FROM tickets WHERE status <> 'closed' AND id > ?1 ORDER BY id LIMIT ?2"
        ))?
        .query_map(params![after, limit as i64], open_row)?
        .collect::<Result<_, _>>()?;
    let Some(last) = open.last().map(|t| t.id.0) else {
        return Ok(Vec::new());
    };
    // One scan of the key range (closed tickets' clocks too, skipped).
    let clocks: Vec<(i64, StoredClock)> = conn
        .prepare_cached(&format!(
            "SELECT {CLOCK_COLS}, ticket_id FROM sla_clocks
             WHERE ticket_id > ?1 AND ticket_id <= ?2 ORDER BY ticket_id"
        ))?
        .query_map(params![after, last], |r| Ok((r.get(8)?, clock_row(r, 0)?)))?
        .collect::<Result<_, _>>()?;
    let mut clocks = clocks.into_iter().peekable();
    for t in &mut open {
        while clocks.next_if(|(id, _)| *id < t.id.0).is_some() {}
        while let Some((_, c)) = clocks.next_if(|(id, _)| *id == t.id.0) {
            t.clocks.push(c);
        }
    }
    Ok(open)
}

/// The SLA configuration the stored deadlines were computed with.
pub fn config_fingerprint(db: &impl Db) -> Result<Option<String>, StoreError> {
    Ok(db
        .conn()
        .query_row("SELECT fingerprint FROM sla_config WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn set_config_fingerprint(ctx: &WriteCtx<'_>, fingerprint: &str) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO sla_config (id, fingerprint, applied_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET fingerprint = ?1, applied_at = ?2",
        )?
        .execute(params![fingerprint, ctx.now.0])?;
    Ok(())
}

/// Tickets whose clocks the scheduler must look at now, most overdue first.
pub fn alerts_due(db: &impl Db, now: Timestamp, limit: usize) -> Result<Vec<TicketId>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT id FROM tickets WHERE sla_alert_at <= ?1 ORDER BY sla_alert_at LIMIT ?2",
        )?
        .query_map(params![now.0, limit as i64], |r| r.get(0).map(TicketId))?
        .collect::<Result<_, _>>()?)
}

/// The earliest time any ticket's clocks want looking at.
pub fn next_alert(db: &impl Db) -> Result<Option<Timestamp>, StoreError> {
    super::rows::earliest(
        db,
        "SELECT min(sla_alert_at) FROM tickets WHERE sla_alert_at IS NOT NULL",
        [],
    )
}

/// When the scheduler looks at the ticket's clocks next, as stored.
pub fn alert_at(db: &impl Db, ticket: TicketId) -> Result<Option<Timestamp>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT sla_alert_at FROM tickets WHERE id = ?1")?
        .query_row([ticket.0], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten()
        .map(Timestamp))
}
