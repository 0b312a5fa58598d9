//! The desk's clock-driven work, run by the server once a second (and by
//! tests with a clock they drive): SLA warnings and breaches with their
//! escalations, reassignment of unanswered tickets, tickets of agents
//! gone offline back to the queue, the backlog handed out, automations.

use super::desk::Desk;
use super::{DomainError, assign, automation, escalation, presence};
use crate::store::WriteCtx;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ticked {
    pub alerts: usize,
    pub reassigned: usize,
    pub returned: usize,
    pub assigned: usize,
    pub automations: usize,
}

impl Ticked {
    pub fn any(&self) -> bool {
        *self != Ticked::default()
    }
}

/// One run of every timer, at `ctx.now`. Each step has its own savepoint:
/// one failing (logged) does not hold the others back.
pub fn tick(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<Ticked, DomainError> {
    fn step(
        ctx: &mut WriteCtx<'_>,
        what: &str,
        f: impl FnOnce(&mut WriteCtx<'_>) -> Result<usize, DomainError>,
    ) -> usize {
        match ctx.attempt(f) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("timers: {what} failed: {e}");
                0
            }
        }
    }
    Ok(Ticked {
        alerts: step(ctx, "SLA alerts", |c| escalation::fire_due(c, desk)),
        reassigned: step(ctx, "reassignment", |c| assign::reassign_due(c, desk)),
        returned: step(ctx, "offline agents' tickets", |c| {
            presence::return_offline(c, desk)
        }),
        assigned: step(ctx, "backlog", |c| assign::backlog(c, desk)),
        automations: step(ctx, "automations", |c| automation::run_due(c, desk)),
    })
}
