//! Timed rules (`[[automations]]`): once a ticket has waited on the
//! customer, or been resolved, for a configured time, remind the customer,
//! close it, or tell the staff chat. Each rule fires once per episode (a
//! ticket that goes pending again starts a new one). Customer messages
//! respect quiet hours unless the ticket is critical. Time is the store's
//! clock, so tests drive it.

use rusqlite::params;
use shared::*;

use super::desk::Desk;
use super::dialogue::{lang, notify};
use super::{DomainError, assign, hours};
use crate::settings::AutomationSettings;
use crate::store::WriteCtx;
use crate::store::rows;

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
    pub after_ms: i64,
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
        let after_ms = hours::duration_ms(&s.after).map_err(|e| format!("{at}: after: {e}"))?;
        if after_ms < 1000 {
            return Err(format!("{at}: after must be at least 1s"));
        }
        Ok(Automation {
            name: s.name.clone(),
            when,
            after_ms,
            action,
        })
    }
}

/// Runs every rule on the tickets it is due for. Returns how many fired.
pub fn run_due(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    let mut fired = 0;
    for rule in &desk.rules.automations {
        let due: Vec<(i64, i64)> = ctx
            .conn
            .prepare_cached(
                "SELECT t.id, t.status_since FROM tickets t
                 WHERE t.status = ?1 AND t.status_since <= ?2
                   AND NOT EXISTS (SELECT 1 FROM automation_runs r
                                   WHERE r.ticket_id = t.id AND r.rule = ?3 AND r.since = t.status_since)
                 ORDER BY t.status_since LIMIT 100",
            )?
            .query_map(
                params![rule.when.status().as_str(), ctx.now.0 - rule.after_ms, rule.name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect::<Result<_, _>>()?;
        for (id, since) in due {
            ctx.conn
                .prepare_cached(
                    "INSERT INTO automation_runs (ticket_id, rule, since, at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![id, rule.name, since, ctx.now.0])?;
            let Some(mut t) = rows::load_ticket(ctx, TicketId(id))? else {
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
    let waited = hours::short(rule.after_ms);
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
            assign::desk_note(
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
            super::commands::close_ticket(ctx, &desk.queues, t)?;
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
        Do::StaffChat => assign::staff_post(
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
