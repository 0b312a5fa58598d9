//! The desk's one scheduler: every clock-driven rule, run by the server
//! whatever the bot's mode (and by tests with a clock they drive): SLA warnings and breaches with their escalations, reassignment
//! of unanswered tickets, tickets of agents gone offline back to the
//! queue, the backlog handed out, automations, customer groups'
//! unanswered-chat alerts, and the dialogue's timers
//! (messages held for quiet hours, follow-ups, conversations walked away
//! from).
//!
//! `next_due` says when a run next has something to do, so the server
//! sleeps until then (or until a commit changes what is due) instead of
//! waking every second.

use super::desk::Desk;
use super::{DomainError, assign, automation, dialogue, escalation, groups, presence};
use crate::store::{Db, WriteCtx};
use shared::Timestamp;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ticked {
    pub alerts: usize,
    /// Unanswered-chat alerts of customer groups.
    pub group_alerts: usize,
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
        group_alerts: step(ctx, "group alerts", |c| groups::alerts::fire_due(c, desk)),
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

/// When `tick` next has something to do, from what is stored now: the
/// earliest of every rule's own look-ahead. `None`: nothing is waiting on
/// time (only a write can change that). A time in the past means a rule
/// has more due than one run takes. The backlog has no time of its own:
/// it changes only when something is written.
pub fn next_due(db: &impl Db, desk: &Desk) -> Result<Option<Timestamp>, DomainError> {
    Ok(Timestamp::earliest([
        escalation::next_due(db)?,
        groups::alerts::next_due(db, desk)?,
        assign::next_reassign(db)?,
        presence::next_return(db, desk)?,
        automation::next_due(db, desk)?,
        dialogue::next_due(db, desk)?,
    ]))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use shared::*;

    use crate::domain::i18n::Lang;
    use crate::domain::presence;
    use crate::domain::testkit::{Desk0, at, settings};
    use crate::settings::BotMode;
    use crate::store::Clock as _;

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

    /// What a run did that only time can cause (the backlog is handed out
    /// whenever there is room, so it is left out).
    fn timed(t: &super::Ticked) -> [usize; 5] {
        [
            t.alerts,
            t.reassigned,
            t.returned,
            t.automations,
            t.dialogue,
        ]
    }

    /// The server sleeps until `next_due`: walking a desk from one
    /// look-ahead to the next, a run a millisecond before it finds nothing
    /// to do, and a run at it makes progress (the look-ahead moves on). If
    /// a rule's look-ahead were later than its work, the early run would
    /// find that work; if it were earlier, the walk would stand still.
    #[tokio::test]
    async fn the_look_ahead_names_the_first_time_a_run_has_work() {
        let mut s = settings();
        s.bot.mode = BotMode::Direct;
        s.bot.consent = Some(false);
        s.bot.quiet_hours = "22:00-08:00".into();
        s.bot.default_time_zone = "UTC".into();
        // Monday 22:30 UTC: the reminders fall in the customers' night.
        let mut desk = Desk0::new(s, at("2026-11-23T22:30:00Z")).await;
        let lead = desk.lead_id;
        let a = desk
            .customer_writes(CHAT, "en", "The export is empty")
            .await;
        let b = desk.customer_writes(CHAT + 1, "uk", "Не працює вхід").await;
        let c = desk
            .customer_writes(CHAT + 2, "ru", "Где мой платёж?")
            .await;
        // The lead comes online, takes one and leaves; one ticket waits on
        // the customer; the last is resolved.
        desk.write(move |ctx, _| presence::set(ctx, lead, Presence::Online))
            .await
            .unwrap();
        desk.command(Command::Assign {
            ticket_id: a,
            agent_id: Some(lead),
        })
        .await;
        desk.command(Command::SetStatus {
            ticket_id: b,
            status: TicketStatus::PendingOnCustomer,
        })
        .await;
        desk.command(Command::SetStatus {
            ticket_id: c,
            status: TicketStatus::Resolved,
        })
        .await;
        desk.write(move |ctx, _| presence::set(ctx, lead, Presence::Offline))
            .await
            .unwrap();
        desk.tick().await;
        let mut seen = [0; 5];
        let mut walked = 0;
        while let Some(next) = desk.next_due().await {
            walked += 1;
            assert!(walked < 200, "the walk does not end (at {next:?})");
            assert!(next > desk.clock.now(), "{next:?} is already past");
            desk.clock.set(next - Duration::from_millis(1));
            let early = desk.tick().await;
            assert_eq!(timed(&early), [0; 5], "work before {next:?}: {early:?}");
            desk.clock.set(next);
            let ran = desk.tick().await;
            for (s, n) in seen.iter_mut().zip(timed(&ran)) {
                *s += n;
            }
            let after = desk.next_due().await;
            assert!(
                after.is_none_or(|t| t > next),
                "a run at {next:?} moved nothing on: next is {after:?} ({ran:?})"
            );
        }
        let [alerts, reassigned, returned, automations, dialogue] = seen;
        assert!(alerts > 0, "SLA warnings and breaches: {seen:?}");
        assert!(
            reassigned + returned > 0,
            "the offline lead's ticket: {seen:?}"
        );
        assert!(automations > 0, "reminders and closings: {seen:?}");
        assert!(dialogue > 0, "held messages and follow-ups: {seen:?}");
    }
}
