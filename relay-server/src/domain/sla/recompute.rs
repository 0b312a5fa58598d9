//! Every open ticket's deadlines recomputed with the current calendars and
//! SLA policies (the server does it at start when they changed). Due times
//! are derived from the clocks' stored state and the calendar, so a
//! calendar change rewrites each ticket's streamed deadlines and next
//! alert, not its clocks.
//!
//! The work goes in slices of `SLICE` tickets in id order, over both
//! cores: a reader *plans* slice k+1 (reads what the clocks depend on and
//! computes the new deadlines) while the writer *applies* slice k. A plan
//! carries each ticket's `sla_rev` as read; the schema's triggers bump it
//! on every change of the ticket's facts or clocks, so the writer applies a
//! planned ticket only if it is unchanged, and recomputes the others
//! itself, as it does tickets whose clocks must change too.

use rusqlite::{Connection, OptionalExtension, params};
use shared::*;

use super::{
    CLOCK_COLS, Clock, Facts, changed, clock_row, deadlines, next_alert, step_all, store_changed,
};
use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::domain::queues::Queues;
use crate::store::read::in_read_tx;
use crate::store::rows::{self, SlaRow};
use crate::store::{Store, StoreError, WriteCtx};

/// Tickets per slice: one write job each, so other writes wait at most one
/// slice (SQLite's statement savepoints also slow down as one
/// transaction grows).
pub const SLICE: usize = 2000;

/// An open ticket as the recompute reads it.
struct Open {
    id: TicketId,
    rev: i64,
    queue: QueueId,
    facts: Facts,
    /// Stored due times (first reply, next reply, resolution, update).
    dues: [Option<Timestamp>; 4],
    alert: Option<Timestamp>,
    /// It streams no target at all.
    no_targets: bool,
}

const OPEN_COLS: &str = "id, sla_rev, queue, status, priority, created_at, first_reply_at, \
     waiting_since, last_reply_at, first_reply_due, next_reply_due, resolution_due, update_due, \
     sla_alert_at, sla_targets = '[]'";

impl Open {
    fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Open> {
        let status: String = r.get(3)?;
        let priority: String = r.get(4)?;
        let ts = |i| r.get::<_, Option<i64>>(i).map(|v| v.map(Timestamp));
        Ok(Open {
            id: TicketId(r.get(0)?),
            rev: r.get(1)?,
            queue: QueueId(r.get(2)?),
            facts: Facts {
                status: TicketStatus::parse(&status)
                    .ok_or_else(|| rows::corrupt("status", &status))?,
                priority: Priority::parse(&priority)
                    .ok_or_else(|| rows::corrupt("priority", &priority))?,
                created_at: Timestamp(r.get(5)?),
                first_reply_at: ts(6)?,
                waiting_since: ts(7)?,
                last_reply_at: ts(8)?,
            },
            dues: [ts(9)?, ts(10)?, ts(11)?, ts(12)?],
            alert: ts(13)?,
            no_targets: r.get(14)?,
        })
    }

    /// Whether these are its stored due times and alert. With the clocks'
    /// stored state unchanged that is all that can differ: a target's
    /// streamed state follows from that state and its due time, which the
    /// four due columns hold for every running clock.
    fn stored(&self, sla: &SlaDeadlines, alert: Option<Timestamp>) -> bool {
        self.alert == alert
            && self.dues
                == [
                    sla.first_reply_due,
                    sla.next_reply_due,
                    sla.resolution_due,
                    sla.update_due,
                ]
    }
}

/// Up to `limit` open tickets after id `after`, with their clocks (due
/// times not derived: the step derives those it needs).
fn read_open(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> Result<Vec<(Open, Vec<Clock>)>, StoreError> {
    let open: Vec<Open> = conn
        .prepare_cached(&format!(
            "SELECT {OPEN_COLS} FROM tickets WHERE status <> 'closed' AND id > ?1 ORDER BY id LIMIT ?2"
        ))?
        .query_map(params![after, limit as i64], Open::row)?
        .collect::<Result<_, _>>()?;
    let Some(last) = open.last().map(|t| t.id.0) else {
        return Ok(Vec::new());
    };
    // One scan of the key range (closed tickets' clocks too, skipped).
    let clocks: Vec<(i64, Clock)> = conn
        .prepare_cached(&format!(
            "SELECT {CLOCK_COLS}, ticket_id FROM sla_clocks
             WHERE ticket_id > ?1 AND ticket_id <= ?2 ORDER BY ticket_id"
        ))?
        .query_map(params![after, last], |r| Ok((r.get(8)?, clock_row(r)?)))?
        .collect::<Result<_, _>>()?;
    let mut clocks = clocks.into_iter().peekable();
    Ok(open
        .into_iter()
        .map(|t| {
            while clocks.next_if(|(id, _)| *id < t.id.0).is_some() {}
            let mut mine = Vec::new();
            while let Some((_, c)) = clocks.next_if(|(id, _)| *id == t.id.0) {
                mine.push(c);
            }
            (t, mine)
        })
        .collect())
}

/// What a ticket's deadlines come to with the current config.
enum Outcome {
    /// As stored.
    Same,
    /// New deadlines or next alert; its clocks' stored state is unchanged
    /// (so this does not depend on the time it was computed at).
    Moved {
        sla: SlaDeadlines,
        alert: Option<Timestamp>,
    },
    /// Its clocks change too: a clock starts or stops, a budget changed, a
    /// warning is re-armed.
    Clocks {
        before: Vec<Clock>,
        after: Vec<Clock>,
        sla: SlaDeadlines,
        alert: Option<Timestamp>,
    },
}

fn examine(t: &Open, before: Vec<Clock>, queues: &Queues, now: Timestamp) -> Outcome {
    let Some(q) = queues.config(&t.queue) else {
        // A queue removed from the config: no promises can be computed.
        let sla = SlaDeadlines::default();
        return if t.no_targets && t.stored(&sla, None) {
            Outcome::Same
        } else {
            Outcome::Moved { sla, alert: None }
        };
    };
    let after = step_all(&t.facts, q, before.clone(), now);
    let sla = deadlines(&after);
    let alert = next_alert(&after, &q.warn_before);
    if changed(&before, &after).next().is_some() {
        Outcome::Clocks {
            before,
            after,
            sla,
            alert,
        }
    } else if t.stored(&sla, alert) {
        Outcome::Same
    } else {
        Outcome::Moved { sla, alert }
    }
}

/// New deadlines for one ticket, as planned.
struct Move {
    id: TicketId,
    rev: i64,
    sla: SlaDeadlines,
    targets_json: String,
    alert: Option<Timestamp>,
}

/// One slice, planned on a read snapshot.
pub struct Plan {
    /// The last ticket id of the slice; `None`: no open tickets were left.
    last: Option<i64>,
    moves: Vec<Move>,
    /// Tickets whose clocks change: the writer recomputes them.
    recheck: Vec<TicketId>,
}

/// Plans the slice of open tickets after id `after` (on a reader).
pub fn plan(
    conn: &Connection,
    queues: &Queues,
    after: i64,
    now: Timestamp,
) -> Result<Plan, StoreError> {
    in_read_tx(conn, |conn| {
        let slice = read_open(conn, after, SLICE)?;
        let mut plan = Plan {
            last: slice.last().map(|(t, _)| t.id.0),
            moves: Vec::new(),
            recheck: Vec::new(),
        };
        for (t, before) in slice {
            match examine(&t, before, queues, now) {
                Outcome::Same => {}
                Outcome::Moved { sla, alert } => plan.moves.push(Move {
                    id: t.id,
                    rev: t.rev,
                    targets_json: serde_json::to_string(&sla.targets)?,
                    sla,
                    alert,
                }),
                Outcome::Clocks { .. } => plan.recheck.push(t.id),
            }
        }
        Ok(plan)
    })
}

/// Applies a plan (in a write job): the planned deadlines of tickets that
/// did not change since, a fresh recompute of the others. Streams the moved
/// deadlines as one `sla_recomputed` event; returns how many moved.
pub fn apply(ctx: &mut WriteCtx<'_>, queues: &Queues, plan: Plan) -> Result<usize, DomainError> {
    let mut moved = Vec::with_capacity(plan.moves.len());
    let mut recheck = plan.recheck;
    for m in plan.moves {
        let row = SlaRow {
            id: m.id,
            sla: &m.sla,
            targets_json: &m.targets_json,
            alert_at: m.alert,
            if_rev: Some(m.rev),
        };
        if rows::save_sla(ctx.conn, &row)? {
            moved.push(TicketSla {
                ticket_id: m.id,
                sla: m.sla,
            });
        } else {
            recheck.push(m.id);
        }
    }
    for id in recheck {
        if let Some(sla) = recompute_one(ctx, queues, id)? {
            moved.push(TicketSla { ticket_id: id, sla });
        }
    }
    let n = moved.len();
    if n > 0 {
        moved.sort_by_key(|m| m.ticket_id);
        ctx.append(Event::SlaRecomputed { tickets: moved })?;
    }
    Ok(n)
}

/// Recomputes one ticket in the writer; returns its deadlines if they
/// moved (`None` too when it is closed or gone).
fn recompute_one(
    ctx: &WriteCtx<'_>,
    queues: &Queues,
    id: TicketId,
) -> Result<Option<SlaDeadlines>, DomainError> {
    let Some((t, before)) = read_open(ctx.conn, id.0 - 1, 1)?
        .pop()
        .filter(|(t, _)| t.id == id)
    else {
        return Ok(None);
    };
    let (sla, alert) = match examine(&t, before, queues, ctx.now) {
        Outcome::Same => return Ok(None),
        Outcome::Moved { sla, alert } => (sla, alert),
        Outcome::Clocks {
            before,
            after,
            sla,
            alert,
        } => {
            store_changed(ctx.conn, id, &before, &after)?;
            (sla, alert)
        }
    };
    rows::save_sla(
        ctx.conn,
        &SlaRow {
            id,
            sla: &sla,
            targets_json: &serde_json::to_string(&sla.targets).map_err(StoreError::from)?,
            alert_at: alert,
            if_rev: None,
        },
    )?;
    Ok(Some(sla))
}

/// At start: recomputes every open ticket's deadlines unless the SLA
/// configuration is the one they were computed with (`sla_config`), then
/// records it. Returns how many moved (`None`: skipped, unchanged).
pub async fn recompute_if_changed(
    store: &Store,
    desk: std::sync::Arc<Desk>,
) -> Result<Option<usize>, DomainError> {
    let fingerprint = desk.queues.sla_fingerprint();
    let stored: Option<String> = store
        .readers()
        .read(|c| {
            Ok(
                c.query_row("SELECT fingerprint FROM sla_config WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
        .await?;
    if stored.as_deref() == Some(fingerprint.as_str()) {
        return Ok(None);
    }
    let moved = recompute_all(store, desk).await?;
    // Recorded only once every ticket is done: a crash midway recomputes
    // again at the next start.
    store
        .write(move |ctx| {
            ctx.conn
                .prepare_cached(
                    "INSERT INTO sla_config (id, fingerprint, applied_at) VALUES (1, ?1, ?2)
                     ON CONFLICT (id) DO UPDATE SET fingerprint = ?1, applied_at = ?2",
                )?
                .execute(params![fingerprint, ctx.now.0])?;
            Ok::<_, DomainError>(())
        })
        .await?;
    Ok(Some(moved))
}

/// Every open ticket's deadlines recomputed, slice by slice, the next
/// slice planned while the writer applies the last. Returns how many moved.
pub async fn recompute_all(
    store: &Store,
    desk: std::sync::Arc<Desk>,
) -> Result<usize, DomainError> {
    let plan_after = |after: i64| {
        let (d, now) = (desk.clone(), store.now());
        store
            .readers()
            .read(move |c| plan(c, &d.queues, after, now))
    };
    let mut next = plan_after(0).await?;
    let mut moved = 0;
    while let Some(last) = next.last {
        let d = desk.clone();
        let (applied, planned) = tokio::join!(
            store.write(move |ctx| apply(ctx, &d.queues, next)),
            plan_after(last)
        );
        moved += applied?;
        next = planned?;
    }
    Ok(moved)
}
