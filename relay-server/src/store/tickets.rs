//! The tickets table, beyond the row every event carries (`rows`): who
//! holds them, when timed rules look at them, what customers and the
//! scheduler look them up by.

use rusqlite::{OptionalExtension, params};
use shared::{AgentId, CustomerId, QueueId, Ticket, TicketId, TicketStatus, Timestamp};

use super::rows::{self, TICKET_COLS};
use super::{Db, StoreError, WriteCtx};

/// A new ticket's row.
pub struct NewTicket<'a> {
    pub number: u64,
    pub customer: CustomerId,
    pub chat_id: i64,
    pub status: TicketStatus,
    pub queue: &'a QueueId,
    pub priority: shared::Priority,
    pub topic: Option<&'a str>,
}

/// The next ticket number (numbers start at 10001).
pub fn next_number(db: &impl Db) -> Result<u64, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT coalesce(max(number), 10000) + 1 FROM tickets")?
        .query_row([], |r| r.get(0))?)
}

/// Inserts a new ticket; returns its id.
pub fn insert(ctx: &WriteCtx<'_>, t: &NewTicket<'_>) -> Result<TicketId, StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO tickets (number, customer_id, chat_id, status, queue, priority, topic, created_at, updated_at,
                                  waiting_since, status_since)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8, ?8)",
        )?
        .execute(params![
            t.number,
            t.customer.0,
            t.chat_id,
            t.status.as_str(),
            t.queue.as_str(),
            t.priority.as_str(),
            t.topic,
            ctx.now.0,
        ])?;
    Ok(TicketId(ctx.conn.last_insert_rowid()))
}

/// The status changed now (timed rules count from it).
pub fn set_status_since(ctx: &WriteCtx<'_>, id: TicketId) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE tickets SET status_since = ?2 WHERE id = ?1")?
        .execute(params![id.0, ctx.now.0])?;
    Ok(())
}

/// The status changed now, from `from` to `to`, by `by` (`None`: the
/// customer or the desk itself): kept for the figures (docs/metrics.md).
pub fn log_status(
    ctx: &WriteCtx<'_>,
    id: TicketId,
    from: TicketStatus,
    to: TicketStatus,
    by: Option<AgentId>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO ticket_log (ticket_id, at, status_from, status_to, agent_id)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            id.0,
            ctx.now.0,
            from.as_str(),
            to.as_str(),
            by.map(|a| a.0)
        ])?;
    Ok(())
}

/// The customer was asked to rate the ticket now.
pub fn csat_asked(ctx: &WriteCtx<'_>, id: TicketId) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE tickets SET csat_asked_at = ?2 WHERE id = ?1")?
        .execute(params![id.0, ctx.now.0])?;
    Ok(())
}

/// A human replied now.
pub fn set_last_reply(ctx: &WriteCtx<'_>, id: TicketId) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE tickets SET last_reply_at = ?2 WHERE id = ?1")?
        .execute(params![id.0, ctx.now.0])?;
    Ok(())
}

/// When its assignee got it (`None`: nobody holds it).
pub fn set_assigned_at(
    ctx: &WriteCtx<'_>,
    id: TicketId,
    at: Option<Timestamp>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE tickets SET assigned_at = ?2 WHERE id = ?1")?
        .execute(params![id.0, at.map(|t| t.0)])?;
    Ok(())
}

pub fn assigned_at(db: &impl Db, id: TicketId) -> Result<Option<Timestamp>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT assigned_at FROM tickets WHERE id = ?1")?
        .query_row([id.0], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten()
        .map(Timestamp))
}

/// When its assignee loses it for not replying (`None`: never).
pub fn set_reassign_at(
    ctx: &WriteCtx<'_>,
    id: TicketId,
    at: Option<Timestamp>,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "UPDATE tickets SET reassign_at = ?2 WHERE id = ?1 AND reassign_at IS NOT ?2",
        )?
        .execute(params![id.0, at.map(|t| t.0)])?;
    Ok(())
}

/// Tickets whose reassignment is due, most overdue first.
pub fn reassign_due(
    db: &impl Db,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<TicketId>, StoreError> {
    ids(
        db,
        "SELECT id FROM tickets WHERE reassign_at <= ?1 ORDER BY reassign_at LIMIT ?2",
        params![now.0, limit as i64],
    )
}

/// The earliest reassignment deadline.
pub fn next_reassign(db: &impl Db) -> Result<Option<Timestamp>, StoreError> {
    rows::earliest(
        db,
        "SELECT min(reassign_at) FROM tickets WHERE reassign_at IS NOT NULL",
        [],
    )
}

/// The customer's engineer on their latest ticket before `before`.
pub fn previous_assignee(
    db: &impl Db,
    customer: CustomerId,
    before: TicketId,
) -> Result<Option<AgentId>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT assignee FROM tickets WHERE customer_id = ?1 AND id < ?2 AND assignee IS NOT NULL
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![customer.0, before.0], |r| r.get::<_, i64>(0))
        .optional()?
        .map(AgentId))
}

/// Unassigned new or open tickets of a queue in the order they are handed
/// out: critical, VIP, longest waiting, topic.
pub fn unassigned(db: &impl Db, queue: &QueueId, limit: u32) -> Result<Vec<TicketId>, StoreError> {
    ids(
        db,
        "SELECT t.id FROM tickets t JOIN customers c ON c.id = t.customer_id
         WHERE t.queue = ?1 AND t.assignee IS NULL AND t.status IN ('new', 'open')
         ORDER BY t.priority = 'critical' DESC, c.vip DESC,
                  coalesce(t.waiting_since, t.created_at), t.topic, t.id
         LIMIT ?2",
        params![queue.as_str(), limit],
    )
}

/// Unresolved tickets an agent holds, by id.
pub fn held_by(db: &impl Db, agent: AgentId) -> Result<Vec<TicketId>, StoreError> {
    ids(
        db,
        "SELECT id FROM tickets WHERE assignee = ?1
           AND status IN ('new', 'open', 'pending_on_customer') ORDER BY id",
        params![agent.0],
    )
}

/// Tickets an agent holds that are not closed, by id.
pub fn assigned_to(db: &impl Db, agent: AgentId) -> Result<Vec<TicketId>, StoreError> {
    ids(
        db,
        "SELECT id FROM tickets WHERE assignee = ?1 AND status <> 'closed' ORDER BY id",
        params![agent.0],
    )
}

/// The customer's latest unresolved ticket in this chat.
pub fn open_of(
    db: &impl Db,
    customer: CustomerId,
    chat: i64,
) -> Result<Option<Ticket>, StoreError> {
    one(
        db,
        "WHERE customer_id = ?1 AND chat_id = ?2
           AND status IN ('new', 'open', 'pending_on_customer') ORDER BY id DESC LIMIT 1",
        params![customer.0, chat],
    )
}

/// The customer's latest ticket in this chat, whatever its status.
pub fn latest_of(
    db: &impl Db,
    customer: CustomerId,
    chat: i64,
) -> Result<Option<Ticket>, StoreError> {
    one(
        db,
        "WHERE customer_id = ?1 AND chat_id = ?2 ORDER BY id DESC LIMIT 1",
        params![customer.0, chat],
    )
}

/// The customer's ten latest tickets in this chat (unresolved only, or all).
pub fn recent_of(
    db: &impl Db,
    customer: CustomerId,
    chat: i64,
    open_only: bool,
) -> Result<Vec<Ticket>, StoreError> {
    let filter = if open_only {
        "AND status IN ('new', 'open', 'pending_on_customer')"
    } else {
        ""
    };
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "SELECT {TICKET_COLS} FROM tickets WHERE customer_id = ?1 AND chat_id = ?2 {filter} ORDER BY id DESC LIMIT 10"
        ))?
        .query_map(params![customer.0, chat], rows::ticket)?
        .collect::<Result<_, _>>()?)
}

/// The customer's latest `limit` tickets in this chat, newest first (the
/// mini app's list).
pub fn newest_of(
    db: &impl Db,
    customer: CustomerId,
    chat: i64,
    limit: usize,
) -> Result<Vec<Ticket>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "SELECT {TICKET_COLS} FROM tickets WHERE customer_id = ?1 AND chat_id = ?2 ORDER BY id DESC LIMIT ?3"
        ))?
        .query_map(
            params![customer.0, chat, i64::try_from(limit).unwrap_or(i64::MAX)],
            rows::ticket,
        )?
        .collect::<Result<_, _>>()?)
}

/// The latest `limit` tickets made from a group's conversations, newest
/// first (the mini app's "Company" list).
pub fn newest_in_group(db: &impl Db, chat: i64, limit: usize) -> Result<Vec<Ticket>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "SELECT {TICKET_COLS} FROM tickets
             WHERE chat_id = ?1 AND group_conversation IS NOT NULL ORDER BY id DESC LIMIT ?2"
        ))?
        .query_map(
            params![chat, i64::try_from(limit).unwrap_or(i64::MAX)],
            rows::ticket,
        )?
        .collect::<Result<_, _>>()?)
}

/// Ticket `id` if it was made from a conversation of this group.
pub fn in_group(db: &impl Db, chat: i64, id: TicketId) -> Result<Option<Ticket>, StoreError> {
    one(
        db,
        "WHERE id = ?1 AND chat_id = ?2 AND group_conversation IS NOT NULL",
        params![id.0, chat],
    )
}

/// Ticket `id` if it is this customer's, in this chat.
pub fn own(
    db: &impl Db,
    customer: CustomerId,
    chat: i64,
    id: TicketId,
) -> Result<Option<Ticket>, StoreError> {
    one(
        db,
        "WHERE id = ?1 AND customer_id = ?2 AND chat_id = ?3",
        params![id.0, customer.0, chat],
    )
}

/// The customer rated it now.
pub fn set_csat_at(ctx: &WriteCtx<'_>, id: TicketId) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE tickets SET csat_at = ?2 WHERE id = ?1")?
        .execute(params![id.0, ctx.now.0])?;
    Ok(())
}

/// The NPS question was sent now.
pub fn nps_asked(ctx: &WriteCtx<'_>, id: TicketId) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE tickets SET nps_asked_at = ?2 WHERE id = ?1")?
        .execute(params![id.0, ctx.now.0])?;
    Ok(())
}

/// Records the NPS answer (0-10) unless one was given: whether it was.
pub fn set_nps(ctx: &WriteCtx<'_>, id: TicketId, score: u8) -> Result<bool, StoreError> {
    Ok(ctx
        .conn
        .prepare_cached(
            "UPDATE tickets SET nps = ?2 WHERE id = ?1 AND nps IS NULL AND nps_asked_at IS NOT NULL",
        )?
        .execute(params![id.0, score])?
        == 1)
}

/// The follow-up's answer, once given.
pub fn followup_answer(db: &impl Db, id: TicketId) -> Result<Option<bool>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT followup_ok FROM tickets WHERE id = ?1")?
        .query_row([id.0], |r| r.get::<_, Option<bool>>(0))
        .optional()?
        .flatten())
}

pub fn set_followup_answer(ctx: &WriteCtx<'_>, id: TicketId, ok: bool) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE tickets SET followup_ok = ?2 WHERE id = ?1")?
        .execute(params![id.0, ok])?;
    Ok(())
}

/// Tickets in `status` since at least `since`, oldest first, that rule
/// `rule` has not yet run for in this episode: (id, status since).
pub fn automation_due(
    db: &impl Db,
    status: TicketStatus,
    since: Timestamp,
    rule: &str,
    limit: usize,
) -> Result<Vec<(TicketId, Timestamp)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(AUTOMATION_DUE)?
        .query_map(params![status.as_str(), since.0, rule, limit as i64], |r| {
            Ok((TicketId(r.get(0)?), Timestamp(r.get(1)?)))
        })?
        .collect::<Result<_, _>>()?)
}

/// Rule `rule` ran for the episode that began at `since`.
pub fn automation_ran(
    ctx: &WriteCtx<'_>,
    id: TicketId,
    rule: &str,
    since: Timestamp,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO automation_runs (ticket_id, rule, since, at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![id.0, rule, since.0, ctx.now.0])?;
    Ok(())
}

/// Since when the longest-waiting ticket in `status` has waited for
/// automation `rule` (`automation_due`'s look-ahead).
pub fn next_automation(
    db: &impl Db,
    status: TicketStatus,
    rule: &str,
) -> Result<Option<Timestamp>, StoreError> {
    rows::earliest(db, NEXT_AUTOMATION, params![rule, status.as_str()])
}

/// The statuses automations run on, spelled as the partial index
/// `tickets_status_since` spells them: SQLite uses a partial index only
/// when the query repeats its condition (`status = ?` alone does not
/// imply it), and without it both queries below read every ticket.
const AUTOMATION_DUE: &str = "SELECT t.id, t.status_since FROM tickets t
     WHERE t.status = ?1 AND t.status IN ('pending_on_customer', 'resolved')
       AND t.status_since <= ?2
       AND NOT EXISTS (SELECT 1 FROM automation_runs r
                       WHERE r.ticket_id = t.id AND r.rule = ?3 AND r.since = t.status_since)
     ORDER BY t.status_since LIMIT ?4";
const NEXT_AUTOMATION: &str = "SELECT t.status_since FROM tickets t
     WHERE t.status = ?2 AND t.status IN ('pending_on_customer', 'resolved')
       AND NOT EXISTS (SELECT 1 FROM automation_runs r
                       WHERE r.ticket_id = t.id AND r.rule = ?1 AND r.since = t.status_since)
     ORDER BY t.status_since LIMIT 1";

fn ids(
    db: &impl Db,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<TicketId>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(sql)?
        .query_map(params, |r| r.get(0).map(TicketId))?
        .collect::<Result<_, _>>()?)
}

/// Times to first reply (ms) of the queue's latest tickets answered after
/// `since`, newest first.
pub fn first_reply_times(
    db: &impl Db,
    queue: &QueueId,
    since: Timestamp,
    limit: usize,
) -> Result<Vec<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT first_reply_at - created_at FROM tickets
             WHERE queue = ?1 AND first_reply_at IS NOT NULL AND first_reply_at > ?2
             ORDER BY id DESC LIMIT ?3",
        )?
        .query_map(params![queue.as_str(), since.0, limit as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// New or open tickets of the queue, older than `before`, still without a
/// first reply.
pub fn unanswered_before(
    db: &impl Db,
    queue: &QueueId,
    before: TicketId,
) -> Result<u64, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT count(*) FROM tickets WHERE queue = ?1 AND first_reply_at IS NULL
               AND status IN ('new', 'open') AND id < ?2",
        )?
        .query_row(params![queue.as_str(), before.0], |r| r.get(0))?)
}

/// The ticket a `WHERE ...` clause finds first, if any.
fn one(
    db: &impl Db,
    clause: &str,
    params: impl rusqlite::Params,
) -> Result<Option<Ticket>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!("SELECT {TICKET_COLS} FROM tickets {clause}"))?
        .query_row(params, rows::ticket)
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scheduler asks these every time it runs: they read the partial
    /// index on (status, status_since), not every ticket.
    #[test]
    fn the_automation_queries_read_the_status_index() {
        for sql in [AUTOMATION_DUE, NEXT_AUTOMATION] {
            let plan = crate::store::query_plan(sql);
            assert!(
                plan[0].contains("USING COVERING INDEX tickets_status_since (status=?"),
                "{plan:?}"
            );
            assert!(
                plan.iter().all(|step| !step.contains("TEMP B-TREE")),
                "{plan:?}"
            );
        }
    }
}
