//! Timed rules (`[[automations]]`): once a ticket has waited on the
//! customer, or been resolved, for a configured time, remind the customer,
//! close it, or tell the staff chat. Each rule fires once per episode (a
//! ticket that goes pending again starts a new one). Customer messages
//! respect quiet hours unless the ticket is critical. Time is the store's
//! clock, so tests drive it.

use std::time::Duration;

use shared::*;

use super::desk::Desk;
use super::dialogue::{lang, notify};
use super::{DomainError, hours, outbox};
use crate::settings::AutomationSettings;
use crate::store::{self, WriteCtx, rows};

/// The state a rule waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Pending,
    Resolved,
}

impl When {
    fn status(self) -> TicketStatus {
        match self {
            When::Pending => TicketStatus::PendingOnCustomer,
            When::Resolved => TicketStatus::Resolved,
        }
    }
}

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Do {
    Remind,
    Close,
    StaffChat,
}

#[derive(Debug, Clone)]
pub struct Automation {
    pub name: String,
    pub when: When,
    pub after: Duration,
    pub action: Do,
}

impl Automation {
    pub fn build(s: &AutomationSettings) -> Result<Automation, String> {
        let at = format!("automations {:?}", s.name);
        if s.name.trim().is_empty() || s.name.chars().count() > 64 {
            return Err("automations: every rule needs a name of 1-64 characters".into());
        }
        let when = match s.when.as_str() {
            "pending" => When::Pending,
            "resolved" => When::Resolved,
            w => {
                return Err(format!(
                    "{at}: when {w:?} is not \"pending\" or \"resolved\""
                ));
            }
        };
        let action = match s.action.as_str() {
            "remind" if when == When::Pending => Do::Remind,
            "remind" => return Err(format!("{at}: only a pending ticket can be reminded")),
            "close" => Do::Close,
            "staff_chat" => Do::StaffChat,
            a => {
                return Err(format!(
                    "{at}: action {a:?} is not \"remind\", \"close\" or \"staff_chat\""
                ));
            }
        };
        let after = hours::duration(&s.after).map_err(|e| format!("{at}: after: {e}"))?;
        if after < Duration::from_secs(1) {
            return Err(format!("{at}: after must be at least 1s"));
        }
        Ok(Automation {
            name: s.name.clone(),
            when,
            after,
            action,
        })
    }
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
    let waited = hours::short_duration(rule.after);
    match rule.action {
        Do::Remind => {
            let customer = rows::load_customer(ctx, t.customer_id)?
                .ok_or_else(|| DomainError::not_found("customer vanished"))?;
            let text = desk.bot.t(
                lang(&customer),
                "automation.remind",
                &[("number", &t.number.to_string())],
            );
            notify::send(ctx, desk, &customer, t, &text, None, false)?;
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
                    lang(&customer),
                    "automation.closed",
                    &[("number", &t.number.to_string())],
                );
                notify::send(ctx, desk, &customer, t, &text, None, false)?;
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
