//! The SQL of retention: which rows are past their time, in bounded
//! batches (each a short write job). The policy is `domain::retention`.

use rusqlite::params;
use shared::*;

use super::{Db, StoreError, WriteCtx};

/// The ticket ids `sql` (with `?1` the cut-off and `?2` the limit) lists.
fn ticket_ids(
    db: &impl Db,
    sql: &str,
    before: Timestamp,
    limit: usize,
) -> Result<Vec<TicketId>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(sql)?
        .query_map(params![before.0, limit as i64], |r| r.get(0).map(TicketId))?
        .collect::<Result<_, _>>()?)
}

/// Closed tickets closed before `before` whose messages still hold text,
/// oldest first, at most `limit`.
pub fn closed_to_anonymize(
    db: &impl Db,
    before: Timestamp,
    limit: usize,
) -> Result<Vec<TicketId>, StoreError> {
    ticket_ids(
        db,
        "SELECT id FROM tickets
         WHERE status = 'closed' AND anonymized_at IS NULL AND closed_at < ?1
         ORDER BY closed_at LIMIT ?2",
        before,
        limit,
    )
}

/// Marks tickets anonymized (their texts were emptied).
pub fn mark_anonymized(ctx: &WriteCtx<'_>, tickets: &[TicketId]) -> Result<(), StoreError> {
    for t in tickets {
        ctx.conn
            .prepare_cached("UPDATE tickets SET anonymized_at = ?2 WHERE id = ?1")?
            .execute(params![t.0, ctx.now.0])?;
    }
    Ok(())
}

/// Customers whose every ticket is anonymized and whose dialogue went
/// quiet before `before`, still named: their name and username are
/// replaced ("Former customer"), and the events that carried them become
/// `withheld`. Returns how many.
pub fn anonymize_customers(
    ctx: &WriteCtx<'_>,
    before: Timestamp,
    limit: usize,
) -> Result<usize, StoreError> {
    let ids: Vec<i64> = ctx
        .conn
        .prepare_cached(
            "SELECT c.id FROM customers c
             WHERE (c.username IS NOT NULL OR c.first_name <> 'Former customer' OR c.last_name IS NOT NULL)
             AND EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id)
             AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id AND t.anonymized_at IS NULL)
             AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.customer_id = c.id AND v.updated_at >= ?1)
             LIMIT ?2",
        )?
        .query_map(params![before.0, limit as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &ids {
        ctx.conn
            .prepare_cached(
                "UPDATE customers SET first_name = 'Former customer', last_name = NULL, username = NULL
                 WHERE id = ?1",
            )?
            .execute([id])?;
        ctx.conn
            .prepare_cached(
                r#"UPDATE events SET body = json_object('seq', seq, 'at', at, 'event', json_object('kind', 'withheld'))
                   WHERE customer_id = ?1 AND instr(body, '"kind":"withheld"') = 0"#,
            )?
            .execute([id])?;
    }
    Ok(ids.len())
}

/// Closed tickets closed before `before`, oldest first, at most `limit`.
pub fn closed_before(
    db: &impl Db,
    before: Timestamp,
    limit: usize,
) -> Result<Vec<TicketId>, StoreError> {
    ticket_ids(
        db,
        "SELECT id FROM tickets WHERE status = 'closed' AND closed_at < ?1
         ORDER BY closed_at LIMIT ?2",
        before,
        limit,
    )
}

/// Customers with no ticket left who were created before `before` and
/// whose dialogue (if any) went quiet before it: (id, Telegram user id).
pub fn idle_customers_without_tickets(
    db: &impl Db,
    before: Timestamp,
    limit: usize,
) -> Result<Vec<(CustomerId, i64)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT c.id, c.telegram_user_id FROM customers c
             WHERE c.created_at < ?1
               AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id)
               AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.customer_id = c.id AND v.updated_at >= ?1)
             LIMIT ?2",
        )?
        .query_map(params![before.0, limit as i64], |r| {
            Ok((CustomerId(r.get(0)?), r.get(1)?))
        })?
        .collect::<Result<_, _>>()?)
}

/// Deletes at most `limit` rows of one table's kind older than `before`;
/// returns how many went.
pub fn prune(
    ctx: &WriteCtx<'_>,
    what: Prunable,
    before: Timestamp,
    limit: usize,
) -> Result<usize, StoreError> {
    let sql = match what {
        Prunable::Events => return prune_events(ctx, before, limit),
        // Failed ones too: Telegram reuses update ids after a week, and an
        // old row must never make a new update look like one seen before.
        Prunable::TelegramUpdates => {
            "DELETE FROM tg_updates WHERE update_id IN (SELECT update_id FROM tg_updates
                 WHERE state IN ('done', 'ignored', 'failed') AND received_at < ?1 LIMIT ?2)"
        }
        Prunable::AppliedCommands => {
            "DELETE FROM applied_commands WHERE (agent_id, command_id) IN
                 (SELECT agent_id, command_id FROM applied_commands WHERE at < ?1 LIMIT ?2)"
        }
        Prunable::Notices => {
            "DELETE FROM notices WHERE (chat_id, kind) IN
                 (SELECT chat_id, kind FROM notices WHERE at < ?1 LIMIT ?2)"
        }
        Prunable::SelfService => {
            "DELETE FROM self_service WHERE id IN
                 (SELECT id FROM self_service WHERE created_at < ?1 LIMIT ?2)"
        }
        Prunable::AuditLog => {
            "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ?1 LIMIT ?2)"
        }
        // Old group messages, then conversations with nothing left and
        // nothing owed.
        Prunable::GroupMessages => {
            let n = ctx
                .conn
                .prepare_cached(
                    "DELETE FROM group_messages WHERE id IN
                         (SELECT id FROM group_messages WHERE sent_at < ?1 LIMIT ?2)",
                )?
                .execute(params![before.0, limit as i64])?;
            // Held messages staff decided on, and moderation calls made,
            // go with them (one still waiting for staff stays).
            let n = n
                + ctx
                    .conn
                    .prepare_cached(
                        "DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine
                         WHERE caught_at < ?1 AND state <> 'held' LIMIT ?2)",
                    )?
                    .execute(params![before.0, limit as i64])?
                + ctx
                    .conn
                    .prepare_cached(
                        "DELETE FROM moderation WHERE id IN (SELECT id FROM moderation
                             WHERE state <> 'pending' AND done_at < ?1 LIMIT ?2)",
                    )?
                    .execute(params![before.0, limit as i64])?;
            return Ok(n + ctx
                .conn
                .prepare_cached(
                    "DELETE FROM group_conversations WHERE id IN (SELECT id FROM group_conversations c
                         WHERE c.last_at < ?1 AND c.owed_since IS NULL
                           AND NOT EXISTS (SELECT 1 FROM group_messages m WHERE m.conversation_id = c.id)
                         LIMIT ?2)",
                )?
                .execute(params![before.0, limit as i64])?);
        }
        Prunable::ChatSends => {
            "DELETE FROM chat_sends WHERE chat_id IN
                 (SELECT chat_id FROM chat_sends WHERE sent_at < ?1 LIMIT ?2)"
        }
        // What a closed ticket no longer needs: its clocks, read markers and
        // automation marks (the ticket and its thread stay).
        Prunable::ClosedTicketState => {
            return prune_closed_state(ctx, before, limit);
        }
        // Customers' words held while a dialogue ran that never became a
        // ticket, and dialogues abandoned long ago.
        Prunable::StaleDialogue => {
            let n = ctx
                .conn
                .prepare_cached(
                    "DELETE FROM drafts WHERE id IN (SELECT id FROM drafts WHERE created_at < ?1 LIMIT ?2)",
                )?
                .execute(params![before.0, limit as i64])?;
            return Ok(n + ctx
                .conn
                .prepare_cached(
                    "DELETE FROM conversations WHERE chat_id IN
                         (SELECT chat_id FROM conversations WHERE updated_at < ?1 LIMIT ?2)",
                )?
                .execute(params![before.0, limit as i64])?);
        }
    };
    Ok(ctx
        .conn
        .prepare_cached(sql)?
        .execute(params![before.0, limit as i64])?)
}

/// Deletes the oldest events, up to `limit`, committed before `before`. The
/// log's times rise with its seqs, so the last seq before `before` is found
/// by bisection (point lookups, never a scan) and a seq range goes. The
/// newest event always stays (the head).
fn prune_events(ctx: &WriteCtx<'_>, before: Timestamp, limit: usize) -> Result<usize, StoreError> {
    let conn = ctx.conn;
    let (first, last): (Option<i64>, Option<i64>) =
        conn.query_row("SELECT min(seq), max(seq) FROM events", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(0);
    };
    let at = |seq: i64| -> Result<i64, StoreError> {
        Ok(conn
            .prepare_cached("SELECT at FROM events WHERE seq = ?1")?
            .query_row([seq], |r| r.get(0))?)
    };
    let (mut lo, mut hi) = (first, (first + limit as i64 - 1).min(last - 1));
    if hi < lo || at(lo)? >= before.0 {
        return Ok(0);
    }
    // Invariant: at(lo) < before; find the last such seq up to `hi`.
    if at(hi)? >= before.0 {
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if at(mid)? < before.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi = lo;
    }
    Ok(conn
        .prepare_cached("DELETE FROM events WHERE seq >= ?1 AND seq <= ?2")?
        .execute(params![first, hi])?)
}

fn prune_closed_state(
    ctx: &WriteCtx<'_>,
    before: Timestamp,
    limit: usize,
) -> Result<usize, StoreError> {
    let mut n = 0;
    // SLA clocks stay as long as their ticket: they are its SLA attainment
    // in `relay-server report` (docs/metrics.md).
    for table in ["read_markers", "automation_runs", "scheduled"] {
        n += ctx
            .conn
            .prepare_cached(&format!(
                "DELETE FROM {table} WHERE ticket_id IN (SELECT t.id FROM tickets t
                     WHERE t.status = 'closed' AND t.closed_at < ?1
                       AND EXISTS (SELECT 1 FROM {table} x WHERE x.ticket_id = t.id) LIMIT ?2)"
            ))?
            .execute(params![before.0, limit as i64])?;
    }
    Ok(n)
}

/// The tables (or kinds of rows) retention prunes by age alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prunable {
    Events,
    TelegramUpdates,
    AppliedCommands,
    Notices,
    SelfService,
    AuditLog,
    GroupMessages,
    ChatSends,
    ClosedTicketState,
    StaleDialogue,
}

/// Rows per table, for the retention report and the soak.
pub fn row_counts(db: &impl Db) -> Result<Vec<(&'static str, u64)>, StoreError> {
    let mut out = Vec::new();
    for table in [
        "events",
        "tickets",
        "messages",
        "customers",
        "tg_updates",
        "applied_commands",
        "notices",
        "scheduled",
        "self_service",
        "automation_runs",
        "sla_clocks",
        "ticket_log",
        "read_markers",
        "conversations",
        "drafts",
        "chat_sends",
        "audit_log",
        "outbox",
        "consent_log",
        "tg_recent",
        "tg_deletions",
        "erasure_followups",
        "group_messages",
        "group_conversations",
        "quarantine",
        "moderation",
        "text_prints",
        "experiment_assignments",
    ] {
        let n: u64 = db
            .conn()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        out.push((table, n));
    }
    Ok(out)
}

/// The oldest event the log still holds (a client resuming from before it
/// needs a snapshot).
pub fn first_event(db: &impl Db) -> Result<Seq, StoreError> {
    Ok(Seq(db.conn().query_row(
        "SELECT coalesce(min(seq), 0) FROM events",
        [],
        |r| r.get(0),
    )?))
}
