//! SLA clocks. Each ticket has up to four: first reply, next reply,
//! periodic update and resolution. A clock has a budget of business time
//! (its queue's policy for the ticket's priority, on the queue's calendar),
//! runs while its promise is owed, pauses while the ticket waits on the
//! customer, and stops when the promise is kept. Its due time is absolute
//! and stored; clients only subtract now. docs/sla.md tells the rules with
//! worked examples.
//!
//! The arithmetic is pure (`want`, `Clock::step`); `track` applies it to a
//! ticket inside a write job, and `recompute_all` after a calendar or
//! policy change.

use std::time::Duration;

use shared::*;

use super::DomainError;
use super::hours::Calendar;
use super::queues::{Policy, QueueConfig, Queues};
use crate::store::sla::StoredClock;
use crate::store::{self, Db, WriteCtx};

pub use super::queues::SLA_RULES_VERSION as RULES_VERSION;

/// What a ticket's state asks of one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Not owed: stop it if it runs.
    Off,
    /// Owed since the cycle's start: run.
    Run(Timestamp),
    /// Owed since the cycle's start, but the ticket waits on the customer.
    Pause(Timestamp),
}

/// What a ticket's clocks depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub status: TicketStatus,
    pub priority: Priority,
    pub created_at: Timestamp,
    pub first_reply_at: Option<Timestamp>,
    pub waiting_since: Option<Timestamp>,
    /// The last human reply (the update clock's cycle starts there).
    pub last_reply_at: Option<Timestamp>,
}

impl Facts {
    pub fn of(t: &Ticket, last_reply_at: Option<Timestamp>) -> Facts {
        Facts {
            status: t.status,
            priority: t.priority,
            created_at: t.created_at,
            first_reply_at: t.first_reply_at,
            waiting_since: t.waiting_since,
            last_reply_at,
        }
    }
}

/// What `target` should do for a ticket.
pub fn want(t: &Facts, target: SlaTarget, policy: &Policy) -> Want {
    let finished = matches!(t.status, TicketStatus::Resolved | TicketStatus::Closed);
    let pending = t.status == TicketStatus::PendingOnCustomer;
    let owed = |start| {
        if pending {
            Want::Pause(start)
        } else {
            Want::Run(start)
        }
    };
    match target {
        SlaTarget::FirstReply if t.first_reply_at.is_none() && !finished => owed(t.created_at),
        SlaTarget::NextReply => match (t.first_reply_at, t.waiting_since) {
            (Some(_), Some(since)) if !finished && !pending => Want::Run(since),
            _ => Want::Off,
        },
        SlaTarget::Update => match (policy.update, t.first_reply_at) {
            (Some(_), Some(first))
                if t.status == TicketStatus::Open && t.waiting_since.is_none() =>
            {
                Want::Run(t.last_reply_at.unwrap_or(first).max(first))
            }
            _ => Want::Off,
        },
        SlaTarget::Resolution if !finished => owed(t.created_at),
        _ => Want::Off,
    }
}

/// One clock's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    pub target: SlaTarget,
    pub budget: Duration,
    /// Business time used before `running_since`.
    pub used: Duration,
    /// Start of this cycle (a new customer message starts a new next-reply
    /// cycle, a new human reply a new update cycle).
    pub started_at: Timestamp,
    /// Set while it runs.
    pub running_since: Option<Timestamp>,
    /// Set while it runs (the due time); kept in memory as it was once
    /// stopped. Not stored: it follows from the state and the calendar
    /// (`load` derives it).
    pub due: Option<Timestamp>,
    pub stopped_at: Option<Timestamp>,
    /// Set when the due time passed while it ran.
    pub breached_at: Option<Timestamp>,
    /// Warnings raised in this cycle (an index into the lead times used).
    pub warned: u8,
}

impl Clock {
    fn start(target: SlaTarget, budget: Duration, start: Timestamp, cal: &Calendar) -> Clock {
        Clock {
            target,
            budget,
            used: Duration::ZERO,
            started_at: start,
            running_since: Some(start),
            due: Some(cal.add_business(start, budget)),
            stopped_at: None,
            breached_at: None,
            warned: 0,
        }
    }

    pub fn running(&self) -> bool {
        self.running_since.is_some()
    }

    pub fn stopped(&self) -> bool {
        self.stopped_at.is_some()
    }

    /// Business time left before the budget is used up (zero once it is).
    fn left(&self) -> Duration {
        self.budget.saturating_sub(self.used)
    }

    /// The clock after the ticket's state asked for `want`, with the
    /// current budget (`None`: the policy has no such clock) and calendar.
    pub fn step(
        clock: Option<Clock>,
        target: SlaTarget,
        want: Want,
        budget: Option<Duration>,
        cal: &Calendar,
        now: Timestamp,
    ) -> Option<Clock> {
        let want = if budget.is_none() { Want::Off } else { want };
        let budget = budget.unwrap_or_default();
        let mut c = match (clock, want) {
            (None, Want::Off) => return None,
            (Some(mut c), Want::Off) => {
                c.stop(cal, now);
                return Some(c);
            }
            (Some(c), Want::Run(start) | Want::Pause(start)) if c.started_at == start => c,
            // A new cycle (or the first).
            (_, Want::Run(start) | Want::Pause(start)) => {
                Clock::start(target, budget, start.min(now), cal)
            }
        };
        c.budget = budget;
        match want {
            Want::Pause(_) => c.pause(cal, now),
            Want::Run(_) => {
                if c.running_since.is_none() {
                    c.stopped_at = None;
                    c.running_since = Some(now);
                }
                c.reschedule(cal);
            }
            Want::Off => unreachable!("handled above"),
        }
        Some(c)
    }

    /// Recomputes the due time of a running clock (budget or calendar may
    /// have changed).
    pub fn reschedule(&mut self, cal: &Calendar) {
        if let Some(since) = self.running_since {
            self.due = Some(cal.add_business(since, self.left()));
        }
    }

    /// Warnings whose time is again ahead (the due time moved later) are
    /// raised again when it comes.
    pub fn rearm(&mut self, warn_before: &[Duration], now: Timestamp) {
        if self.breached_at.is_none() {
            let stage = self.stage(now, self.leads(warn_before));
            self.warned = self.warned.min(stage as u8);
        }
    }

    fn pause(&mut self, cal: &Calendar, now: Timestamp) {
        if self.due.is_none() {
            // Loaded without its derived due time (a recompute).
            self.reschedule(cal);
        }
        if let Some(since) = self.running_since.take() {
            self.used += cal.business_time(since, now);
            self.note_late_breach(now);
            self.due = None;
        }
    }

    fn stop(&mut self, cal: &Calendar, now: Timestamp) {
        if self.stopped() {
            return;
        }
        self.pause(cal, now);
        self.stopped_at = Some(now);
    }

    /// A clock stopped or paused after its due time without the timer
    /// having noticed yet still counts as missed.
    fn note_late_breach(&mut self, now: Timestamp) {
        if self.breached_at.is_none()
            && let Some(due) = self.due
            && due <= now
        {
            self.breached_at = Some(due);
        }
    }

    /// The lead times this clock uses: those shorter than its budget.
    pub fn leads<'a>(&self, warn_before: &'a [Duration]) -> &'a [Duration] {
        let skip = warn_before
            .iter()
            .take_while(|l| **l >= self.budget)
            .count();
        &warn_before[skip..]
    }

    /// How many of `leads` (longest first) have passed at `now`.
    fn stage(&self, now: Timestamp, leads: &[Duration]) -> usize {
        match self.due {
            Some(due) => leads.iter().take_while(|l| due - **l <= now).count(),
            None => 0,
        }
    }

    /// When the timer must look at this clock next: its next warning or
    /// its breach; `None` when it is not running or already breached.
    pub fn next_alert(&self, warn_before: &[Duration]) -> Option<Timestamp> {
        if !self.running() || self.breached_at.is_some() {
            return None;
        }
        let due = self.due?;
        let leads = self.leads(warn_before);
        Some(match leads.get(self.warned as usize) {
            Some(lead) => due - *lead,
            None => due,
        })
    }

    /// What is due at `now`, if anything, and the clock after raising it:
    /// the breach, or the latest warning passed (older ones are skipped).
    pub fn alert_due(
        &mut self,
        warn_before: &[Duration],
        now: Timestamp,
    ) -> Option<(SlaLevel, Option<Duration>)> {
        if !self.running() || self.breached_at.is_some() {
            return None;
        }
        let due = self.due?;
        let leads = self.leads(warn_before);
        if due <= now {
            self.breached_at = Some(due);
            self.warned = leads.len() as u8;
            return Some((SlaLevel::Breach, None));
        }
        let stage = self.stage(now, leads);
        if stage > self.warned as usize {
            self.warned = stage as u8;
            return Some((SlaLevel::Warning, Some(leads[stage - 1])));
        }
        None
    }

    /// Equal in everything stored (all but the derived due time).
    pub fn stored_eq(&self, other: &Clock) -> bool {
        self.stored() == other.stored()
    }

    pub fn status(&self) -> SlaStatus {
        if self.breached_at.is_some() {
            SlaStatus::Missed
        } else if self.stopped() {
            SlaStatus::Met
        } else if self.running() {
            SlaStatus::Active
        } else {
            SlaStatus::Paused
        }
    }

    /// The clock as clients see it.
    pub fn state(&self) -> SlaTargetState {
        let status = self.status();
        SlaTargetState {
            target: self.target,
            status,
            due: self.due.filter(|_| self.running()),
            // Negative for a clock paused after its due time.
            remaining_ms: (!self.running() && !self.stopped())
                .then(|| duration_ms(self.budget) - duration_ms(self.used)),
            at: match status {
                SlaStatus::Missed => self.breached_at,
                SlaStatus::Met => self.stopped_at,
                _ => None,
            },
        }
    }
}

/// The deadlines clients see, from a ticket's clocks.
pub fn deadlines(clocks: &[Clock]) -> SlaDeadlines {
    let due = |t: SlaTarget| {
        clocks
            .iter()
            .find(|c| c.target == t && c.running())
            .and_then(|c| c.due)
    };
    SlaDeadlines {
        first_reply_due: due(SlaTarget::FirstReply),
        next_reply_due: due(SlaTarget::NextReply),
        resolution_due: due(SlaTarget::Resolution),
        update_due: due(SlaTarget::Update),
        targets: clocks.iter().map(Clock::state).collect(),
    }
}

/// When the timer must look at a ticket next: the earliest warning or
/// breach of its clocks.
pub fn next_alert(clocks: &[Clock], warn_before: &[Duration]) -> Option<Timestamp> {
    clocks
        .iter()
        .filter_map(|c| c.next_alert(warn_before))
        .min()
}

/// Steps every clock of a ticket; returns the clocks after.
pub fn step_all(t: &Facts, q: &QueueConfig, mut clocks: Vec<Clock>, now: Timestamp) -> Vec<Clock> {
    let policy = q.policy(t.priority);
    let mut out = Vec::with_capacity(4);
    for target in SlaTarget::ALL {
        let i = clocks.iter().position(|c| c.target == target);
        let current = i.map(|i| clocks.swap_remove(i));
        let w = want(t, target, policy);
        if let Some(mut c) =
            Clock::step(current, target, w, policy.budget(target), &q.calendar, now)
        {
            c.rearm(&q.warn_before, now);
            out.push(c);
        }
    }
    out
}

impl Clock {
    /// A stored clock, its due time not yet derived.
    pub fn unscheduled(c: &StoredClock) -> Clock {
        Clock {
            target: c.target,
            budget: ms(c.budget_ms),
            used: ms(c.used_ms),
            started_at: c.started_at,
            running_since: c.running_since,
            due: None,
            stopped_at: c.stopped_at,
            breached_at: c.breached_at,
            warned: c.warned,
        }
    }

    /// A stored clock, its due time on `cal`.
    pub fn restored(c: &StoredClock, cal: &Calendar) -> Clock {
        let mut clock = Clock::unscheduled(c);
        clock.reschedule(cal);
        clock
    }

    /// What is stored of it (everything but its derived due time).
    pub fn stored(&self) -> StoredClock {
        StoredClock {
            target: self.target,
            budget_ms: duration_ms(self.budget),
            used_ms: duration_ms(self.used),
            started_at: self.started_at,
            running_since: self.running_since,
            stopped_at: self.stopped_at,
            breached_at: self.breached_at,
            warned: self.warned,
        }
    }
}

/// The store keeps business time in milliseconds.
fn ms(stored: i64) -> Duration {
    Duration::from_millis(stored.max(0).unsigned_abs())
}

/// A ticket's stored clocks, due times on `cal`.
pub fn load(db: &impl Db, ticket: TicketId, cal: &Calendar) -> Result<Vec<Clock>, DomainError> {
    Ok(store::sla::clocks(db, ticket)?
        .into_iter()
        .map(|c| Clock::restored(&c, cal))
        .collect())
}

/// The clocks of `after` whose stored state differs from `before`.
fn changed<'a>(before: &'a [Clock], after: &'a [Clock]) -> impl Iterator<Item = &'a Clock> {
    after
        .iter()
        .filter(|c| !before.iter().any(|b| b.stored_eq(c)))
}

/// Stores the clocks of `after` that differ from `before`.
pub fn store_changed(
    ctx: &WriteCtx<'_>,
    ticket: TicketId,
    before: &[Clock],
    after: &[Clock],
) -> Result<(), DomainError> {
    for c in changed(before, after) {
        store::sla::save_clock(ctx, ticket, &c.stored())?;
    }
    Ok(())
}

/// Brings a ticket's clocks in line with its state (call after any change
/// of status, queue, priority, replies or waiting), sets `ticket.sla` and
/// stores when the timer must look at it next. The ticket row itself is
/// saved by the caller.
pub fn track(ctx: &WriteCtx<'_>, queues: &Queues, ticket: &mut Ticket) -> Result<(), DomainError> {
    let (last_reply, stored_alert) = store::sla::reply_and_alert(ctx, ticket.id)?;
    let alert = match queues.config(&ticket.queue) {
        // A queue removed from the config: no promises can be computed.
        None => {
            ticket.sla = SlaDeadlines::default();
            None
        }
        Some(q) => {
            let before = load(ctx, ticket.id, &q.calendar)?;
            let facts = Facts::of(ticket, last_reply);
            let after = step_all(&facts, q, before.clone(), ctx.now);
            store_changed(ctx, ticket.id, &before, &after)?;
            ticket.sla = deadlines(&after);
            next_alert(&after, &q.warn_before)
        }
    };
    if alert != stored_alert {
        store::sla::set_alert(ctx, ticket.id, alert)?;
    }
    Ok(())
}

pub mod recompute;
pub use recompute::{recompute_all, recompute_if_changed};

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
