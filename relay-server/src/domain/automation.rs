//! Timed rules (`[[automations]]`): once a ticket has waited on the
//! customer, or been resolved, for a configured time, remind the customer,
//! close it, or tell the staff chat. Each rule fires once per episode (a
//! ticket that goes pending again starts a new one). Customer messages
//! respect quiet hours unless the ticket is critical. Time is the store's
//! clock, so tests drive it.

use shared::*;

use super::desk::Desk;
use super::i18n::Lang;
use super::notify;
use super::rules::{Automation, Do};
use super::talk::Talk;
use super::{DomainError, hours, outbox};
use crate::store::{self, Db, WriteCtx, rows};

/// When the next rule falls due on some ticket (`run_due`'s look-ahead).
pub fn next_due(db: &impl Db, desk: &Desk) -> Result<Option<Timestamp>, DomainError> {
    let mut next = None;
    for rule in &desk.rules.automations {
        let since = store::tickets::next_automation(db, rule.when.status(), &rule.name)?;
        next = Timestamp::earliest([next, since.map(|s| s + rule.after)]);
    }
    Ok(next)
}

/// Runs every rule on the tickets it is due for. Returns how many fired.
pub fn run_due(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    let mut fired = 0;
    for rule in &desk.rules.automations {
        let since = ctx.now - rule.after;
        let due = store::tickets::automation_due(ctx, rule.when.status(), since, &rule.name, 100)?;
        for (id, since) in due {
            store::tickets::automation_ran(ctx, id, &rule.name, since)?;
            let Some(mut t) = rows::load_ticket(ctx, id)? else {
                continue;
            };
            apply(ctx, desk, rule, &mut t)?;
            fired += 1;
        }
    }
    Ok(fired)
}

fn apply(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    rule: &Automation,
    t: &mut Ticket,
) -> Result<(), DomainError> {
    let waited = hours::short(rule.after);
    match rule.action {
        Do::Remind => {
            let customer = rows::load_customer(ctx, t.customer_id)?
                .ok_or_else(|| DomainError::not_found("customer vanished"))?;
            let text = desk.bot.t(
                Lang::of(&customer),
                "automation.remind",
                &[("number", &t.number.to_string())],
            );
            notify::send(ctx, &Talk::about(desk, &customer), t, &text, None, false)?;
            outbox::desk_note(
                ctx,
                desk,
                t,
                &format!(
                    "Automation \"{}\": reminded the customer after {waited}.",
                    rule.name
                ),
            )
        }
        Do::Close => {
            let from = t.status;
            super::ticket::close(ctx, &desk.queues, t)?;
            if from == TicketStatus::PendingOnCustomer {
                let customer = rows::load_customer(ctx, t.customer_id)?
                    .ok_or_else(|| DomainError::not_found("customer vanished"))?;
                let text = desk.bot.t(
                    Lang::of(&customer),
                    "automation.closed",
                    &[("number", &t.number.to_string())],
                );
                notify::send(ctx, &Talk::about(desk, &customer), t, &text, None, false)?;
            }
            Ok(())
        }
        Do::StaffChat => outbox::staff_post(
            ctx,
            desk,
            &format!(
                "⏳ #{} ({}) has been {} for {waited}.",
                t.number,
                t.queue,
                t.status.as_str().replace('_', " ")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use shared::*;

    use crate::domain::i18n::Lang;
    use crate::domain::testkit::{Desk0, at, settings};

    const CHAT: i64 = 7070;

    #[tokio::test]
    async fn an_unanswered_question_is_reminded_then_closed_each_once_in_the_customers_language() {
        let mut s = settings();
        s.bot.quiet_hours = String::new();
        let mut desk = Desk0::new(s, at("2026-11-23T10:00:00Z")).await;
        let ticket = desk.customer_writes(CHAT, "ru", "Ошибка при оплате").await;
        desk.command(Command::SetStatus {
            ticket_id: ticket,
            status: TicketStatus::PendingOnCustomer,
        })
        .await;
        let number = desk.ticket(ticket).await.number.to_string();
        let text = |key: &str| desk.desk.bot.t(Lang::Ru, key, &[("number", &number)]);
        let (remind, closed) = (text("automation.remind"), text("automation.closed"));
        let count = |sent: &[String], t: &str| sent.iter().filter(|s| *s == t).count();
        desk.advance(Duration::from_secs(24 * 3600));
        assert_eq!(desk.tick().await.automations, 1);
        assert_eq!(desk.tick().await.automations, 0, "once per episode");
        let sent = desk.sent_to(CHAT).await;
        assert_eq!((count(&sent, &remind), count(&sent, &closed)), (1, 0));
        desk.advance(Duration::from_secs(48 * 3600));
        desk.tick().await;
        desk.tick().await;
        let sent = desk.sent_to(CHAT).await;
        assert_eq!((count(&sent, &remind), count(&sent, &closed)), (1, 1));
        assert_eq!(desk.ticket(ticket).await.status, TicketStatus::Closed);
    }
}
