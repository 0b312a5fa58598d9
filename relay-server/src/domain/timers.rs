//! The desk's one scheduler: every clock-driven rule, run by the server
//! once a second whatever the bot's mode (and by tests with a clock they
//! drive): SLA warnings and breaches with their escalations, reassignment
//! of unanswered tickets, tickets of agents gone offline back to the
//! queue, the backlog handed out, automations, and the dialogue's timers
//! (messages held for quiet hours, follow-ups, conversations walked away
//! from).

use super::desk::Desk;
use super::{DomainError, assign, automation, dialogue, escalation, presence};
use crate::store::WriteCtx;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ticked {
    pub alerts: usize,
    pub reassigned: usize,
    pub returned: usize,
    pub assigned: usize,
    pub automations: usize,
    /// Held messages released, follow-ups sent, conversations closed.
    pub dialogue: usize,
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
        // After the automations: what they held for quiet hours and is
        // already due goes out in the same run.
        dialogue: step(ctx, "dialogue", |c| dialogue::tick(c, desk)),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use shared::*;

    use crate::domain::i18n::Lang;
    use crate::domain::testkit::{Desk0, at, settings};
    use crate::settings::BotMode;

    const CHAT: i64 = 501;

    /// A reminder due in the customer's quiet hours waits for the morning,
    /// whatever the bot's mode: here direct, with no consent step, where
    /// the dialogue's own timers never ran.
    #[tokio::test]
    async fn a_reminder_held_for_quiet_hours_goes_out_in_the_morning_in_direct_mode() {
        let mut s = settings();
        s.bot.mode = BotMode::Direct;
        s.bot.consent = Some(false);
        s.bot.quiet_hours = "22:00-08:00".into();
        s.bot.default_time_zone = "UTC".into();
        // Monday 10:00 UTC.
        let mut desk = Desk0::new(s, at("2026-11-23T10:00:00Z")).await;
        let ticket = desk
            .customer_writes(CHAT, "en", "The export is empty")
            .await;
        desk.command(Command::SetStatus {
            ticket_id: ticket,
            status: TicketStatus::PendingOnCustomer,
        })
        .await;
        let before = desk.sent_to(CHAT).await;
        // Tuesday 23:00: the 24 h reminder is overdue, but it is night.
        desk.clock.set(at("2026-11-24T23:00:00Z"));
        assert_eq!(desk.tick().await.automations, 1);
        assert_eq!(desk.held().await, 1);
        assert_eq!(desk.sent_to(CHAT).await, before, "nothing at night");
        // Wednesday 08:00:30: released by the same scheduler.
        desk.clock.set(at("2026-11-25T08:00:30Z"));
        desk.tick().await;
        assert_eq!(desk.held().await, 0);
        let after = desk.sent_to(CHAT).await;
        let number = desk.ticket(ticket).await.number.to_string();
        let remind = desk
            .desk
            .bot
            .t(Lang::En, "automation.remind", &[("number", &number)]);
        assert_eq!(after[..before.len()], before[..]);
        assert_eq!(after[before.len()..], [remind]);
        desk.advance(Duration::from_secs(60));
        desk.tick().await;
        assert_eq!(desk.sent_to(CHAT).await.len(), after.len(), "sent once");
    }
}
