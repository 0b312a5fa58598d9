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

use shared::*;

use super::{Clock, Facts, changed, deadlines, next_alert, step_all, store_changed};
use crate::domain::DomainError;
use crate::domain::desk::Desk;
use crate::domain::queues::Queues;
use crate::store::read::in_read_tx;
use crate::store::sla::{OpenRow, SlaRow};
use crate::store::{self, Db, Store, StoreError, WriteCtx};

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

impl Open {
    /// The ticket and its clocks (due times not derived: the step derives
    /// those it needs).
    fn of(r: OpenRow) -> (Open, Vec<Clock>) {
        let clocks = r.clocks.iter().map(Clock::unscheduled).collect();
        (
            Open {
                id: r.id,
                rev: r.rev,
                queue: r.queue,
                facts: Facts {
                    status: r.status,
                    priority: r.priority,
                    created_at: r.created_at,
                    first_reply_at: r.first_reply_at,
                    waiting_since: r.waiting_since,
                    last_reply_at: r.last_reply_at,
                },
                dues: r.dues,
                alert: r.alert,
                no_targets: r.no_targets,
            },
            clocks,
        )
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

/// Up to `limit` open tickets after id `after`, with their clocks.
fn read_open(
    db: &impl Db,
    after: i64,
    limit: usize,
) -> Result<Vec<(Open, Vec<Clock>)>, StoreError> {
    Ok(store::sla::open_slice(db, after, limit)?
        .into_iter()
        .map(Open::of)
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
pub fn plan(db: &impl Db, queues: &Queues, after: i64, now: Timestamp) -> Result<Plan, StoreError> {
    in_read_tx(db, |db| {
        let slice = read_open(db, after, SLICE)?;
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
        if store::sla::save_deadlines(ctx, &row)? {
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
    let Some((t, before)) = read_open(ctx, id.0 - 1, 1)?
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
            store_changed(ctx, id, &before, &after)?;
            (sla, alert)
        }
    };
    store::sla::save_deadlines(
        ctx,
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
    let stored = store.readers().read(store::sla::config_fingerprint).await?;
    if stored.as_deref() == Some(fingerprint.as_str()) {
        return Ok(None);
    }
    let moved = recompute_all(store, desk).await?;
    // Recorded only once every ticket is done: a crash midway recomputes
    // again at the next start.
    store
        .write(move |ctx| store::sla::set_config_fingerprint(ctx, &fingerprint))
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
