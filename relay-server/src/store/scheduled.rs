//! The scheduled table: bot messages held for a customer's quiet hours and
//! follow-ups, each with the time it is due.

use rusqlite::params;
use shared::{TicketId, Timestamp};

use super::{Db, StoreError, WriteCtx};

/// What a row holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// A bot message (text, encoded buttons) held for quiet hours.
    Message {
        text: String,
        markup: Option<String>,
    },
    /// The "still fixed?" question after a resolution.
    Followup,
    /// The rating request, asked a day after the resolution (a
    /// `csat_timing` experiment's variant B).
    Csat,
}

/// id, ticket, kind, text, markup.
type Row = (i64, i64, String, Option<String>, Option<String>);

/// A row due now.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    pub ticket: TicketId,
    pub held: Held,
}

/// Rows waiting, due or not.
pub fn count(db: &impl Db) -> Result<usize, StoreError> {
    Ok(db
        .conn()
        .query_row("SELECT count(*) FROM scheduled", [], |r| r.get::<_, i64>(0))? as usize)
}

/// Holds a bot message for the ticket until `until`.
pub fn hold_message(
    ctx: &WriteCtx<'_>,
    ticket: TicketId,
    text: &str,
    markup: Option<&str>,
    until: Timestamp,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO scheduled (ticket_id, kind, text, markup, due_at, created_at) VALUES (?1, 'message', ?2, ?3, ?4, ?5)",
        )?
        .execute(params![ticket.0, text, markup, until.0, ctx.now.0])?;
    Ok(())
}

/// Schedules the follow-up question for `at` (replacing an earlier one).
pub fn set_followup(ctx: &WriteCtx<'_>, ticket: TicketId, at: Timestamp) -> Result<(), StoreError> {
    ask_later(ctx, ticket, "followup", at)
}

/// Schedules the rating request for `at` (replacing an earlier one).
pub fn set_csat_ask(ctx: &WriteCtx<'_>, ticket: TicketId, at: Timestamp) -> Result<(), StoreError> {
    ask_later(ctx, ticket, "csat", at)
}

fn ask_later(
    ctx: &WriteCtx<'_>,
    ticket: TicketId,
    kind: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("DELETE FROM scheduled WHERE ticket_id = ?1 AND kind = ?2")?
        .execute(params![ticket.0, kind])?;
    ctx.conn
        .prepare_cached(
            "INSERT INTO scheduled (ticket_id, kind, due_at, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![ticket.0, kind, at.0, ctx.now.0])?;
    Ok(())
}

/// Adds `line` to the ticket's summary of status changes waiting to go
/// out (a `notifications` experiment's variant B), or starts one with
/// `head`, due at `due`; a summary already waiting keeps its time.
pub fn add_to_summary(
    ctx: &WriteCtx<'_>,
    ticket: TicketId,
    head: &str,
    line: &str,
    due: Timestamp,
) -> Result<(), StoreError> {
    let changed = ctx
        .conn
        .prepare_cached(
            "UPDATE scheduled SET text = text || char(10) || ?2 WHERE ticket_id = ?1 AND kind = 'summary'",
        )?
        .execute(params![ticket.0, line])?;
    if changed == 0 {
        ctx.conn
            .prepare_cached(
                "INSERT INTO scheduled (ticket_id, kind, text, due_at, created_at) VALUES (?1, 'summary', ?2, ?3, ?4)",
            )?
            .execute(params![ticket.0, format!("{head}\n{line}"), due.0, ctx.now.0])?;
    }
    Ok(())
}

/// Drops the ticket's waiting summary (its resolution says it all).
pub fn drop_summary(ctx: &WriteCtx<'_>, ticket: TicketId) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("DELETE FROM scheduled WHERE ticket_id = ?1 AND kind = 'summary'")?
        .execute([ticket.0])?;
    Ok(())
}

/// Drops the questions asked after a resolution (the follow-up, a rating
/// request asked later): the ticket moved on.
pub fn drop_followup(ctx: &WriteCtx<'_>, ticket: TicketId) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "DELETE FROM scheduled WHERE ticket_id = ?1 AND kind IN ('followup', 'csat')",
        )?
        .execute([ticket.0])?;
    Ok(())
}

/// Everything held for a ticket is dropped (it was reopened).
pub fn drop_all(ctx: &WriteCtx<'_>, ticket: TicketId) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("DELETE FROM scheduled WHERE ticket_id = ?1")?
        .execute([ticket.0])?;
    Ok(())
}

/// When the next held row falls due.
pub fn next_due(db: &impl Db) -> Result<Option<Timestamp>, StoreError> {
    super::rows::earliest(db, "SELECT min(due_at) FROM scheduled", [])
}

/// Takes (removes and returns) up to `limit` rows due at `now`, oldest first.
pub fn take_due(ctx: &WriteCtx<'_>, now: Timestamp, limit: usize) -> Result<Vec<Due>, StoreError> {
    let rows: Vec<Row> = ctx
        .conn
        .prepare_cached(
            "SELECT id, ticket_id, kind, text, markup FROM scheduled WHERE due_at <= ?1 ORDER BY due_at, id LIMIT ?2",
        )?
        .query_map(params![now.0, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut delete = ctx
        .conn
        .prepare_cached("DELETE FROM scheduled WHERE id = ?1")?;
    let mut due = Vec::with_capacity(rows.len());
    for (id, ticket, kind, text, markup) in rows {
        delete.execute([id])?;
        let held = match (kind.as_str(), text) {
            ("message" | "summary", Some(text)) => Held::Message { text, markup },
            ("followup", _) => Held::Followup,
            ("csat", _) => Held::Csat,
            (other, _) => {
                tracing::warn!(id, "scheduled row of unknown kind {other:?} dropped");
                continue;
            }
        };
        due.push(Due {
            id,
            ticket: TicketId(ticket),
            held,
        });
    }
    Ok(due)
}
