//! Acting before and at a breach: the timer finds clocks whose warning or
//! breach is due, streams an `sla_alert` event and runs the queue's
//! actions (staff chat, the leads, priority up, another queue). New VIP
//! and Security tickets are announced to the staff chat.

use shared::*;

use super::assign;
use super::desk::Desk;
use super::outbox::{desk_note, staff_post};
use super::queues::Action;
use super::ticket;
use super::{DomainError, hours, notify, sla};
use crate::store::{self, Db, WriteCtx, rows};

/// Alerts handled per timer run at most (the rest wait a second).
const BATCH: usize = 200;

fn target_words(t: SlaTarget) -> &'static str {
    match t {
        SlaTarget::FirstReply => "first reply",
        SlaTarget::NextReply => "next reply",
        SlaTarget::Update => "progress update",
        SlaTarget::Resolution => "resolution",
    }
}

/// When the next warning or breach falls due (`fire_due`'s look-ahead).
pub fn next_due(db: &impl Db) -> Result<Option<Timestamp>, DomainError> {
    Ok(store::sla::next_alert(db)?)
}

/// Raises every warning and breach now due. Returns how many.
pub fn fire_due(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    let due = store::sla::alerts_due(ctx, ctx.now, BATCH)?;
    let mut fired = 0;
    for id in due {
        // One alert at a time, everything reloaded: an alert's actions may
        // move the ticket to another queue or raise its priority.
        loop {
            let Some(t) = rows::load_ticket(ctx, id)? else {
                break;
            };
            let Some(q) = desk.queues.config(&t.queue) else {
                store::sla::set_alert(ctx, id, None)?;
                break;
            };
            let mut clocks = sla::load(ctx, id, &q.calendar)?;
            let raised = clocks.iter_mut().find_map(|c| {
                let (level, lead) = c.alert_due(&q.warn_before, ctx.now)?;
                Some((c.clone(), level, lead))
            });
            store::sla::set_alert(ctx, id, sla::next_alert(&clocks, &q.warn_before))?;
            let Some((clock, level, lead)) = raised else {
                break;
            };
            store::sla::save_clock(ctx, id, &clock.stored())?;
            let r = Raised {
                target: clock.target,
                level,
                lead,
                due: clock.due.unwrap_or(ctx.now),
                actions: match level {
                    SlaLevel::Warning => q.on_warning.clone(),
                    SlaLevel::Breach => q.on_breach.clone(),
                },
            };
            alert(ctx, desk, t, r)?;
            fired += 1;
        }
    }
    Ok(fired)
}

/// A warning or breach a clock raised, and the actions its queue takes.
struct Raised {
    target: SlaTarget,
    level: SlaLevel,
    /// How long before the due time a warning comes.
    lead: Option<std::time::Duration>,
    due: Timestamp,
    actions: Vec<Action>,
}

/// Streams one warning or breach of ticket `t` and runs its actions.
fn alert(ctx: &mut WriteCtx<'_>, desk: &Desk, mut t: Ticket, r: Raised) -> Result<(), DomainError> {
    if r.level == SlaLevel::Breach {
        // The streamed clock shows it missed at once.
        ticket::save(ctx, &desk.queues, &mut t, None, TicketChange::Sla)?;
    }
    let alert = SlaAlert {
        ticket_id: t.id,
        number: t.number,
        queue: t.queue.clone(),
        target: r.target,
        level: r.level,
        due: r.due,
        lead_ms: r.lead.map(duration_ms),
        assignee: t.assignee,
        actions: r.actions.iter().map(Action::label).collect(),
    };
    let text = alert_text(ctx, &alert)?;
    // The alert streams before its actions: one that moves the ticket out
    // of its assignee's view must still reach them.
    ctx.append(Event::SlaAlert { alert })?;
    for a in &r.actions {
        act(ctx, desk, &mut t, a, &text)?;
    }
    Ok(())
}

/// "SLA warning: #10042 (VIP) first reply due in 5m (14:05 UTC), anna".
fn alert_text(ctx: &WriteCtx<'_>, a: &SlaAlert) -> Result<String, DomainError> {
    let utc = jiff::tz::TimeZone::UTC;
    let when = hours::local(a.due, &utc);
    let who = notify::agent_name(ctx, a.assignee)?;
    let what = target_words(a.target);
    Ok(match a.level {
        SlaLevel::Warning => format!(
            "⚠️ SLA warning: #{} ({}) {what} due in {} ({when} UTC) · {who}",
            a.number,
            a.queue,
            hours::short(a.due.since(ctx.now))
        ),
        SlaLevel::Breach => format!(
            "🔴 SLA breach: #{} ({}) {what} was due {when} UTC · {who}",
            a.number, a.queue
        ),
    })
}

/// Runs one escalation action on a ticket.
fn act(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    t: &mut Ticket,
    action: &Action,
    text: &str,
) -> Result<(), DomainError> {
    match action {
        Action::StaffChat => staff_post(ctx, desk, text),
        Action::AlertLead => {
            let leads = store::agents::supervisor_names(ctx)?;
            let to = if leads.is_empty() {
                "no lead is configured".to_owned()
            } else {
                leads
                    .iter()
                    .map(|n| format!("@{n}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            desk_note(ctx, desk, t, &format!("{text}\nLead alerted: {to}"))
        }
        Action::RaisePriority => {
            let from = t.priority;
            let to = match from {
                Priority::Low => Priority::Normal,
                Priority::Normal => Priority::High,
                Priority::High | Priority::Critical => Priority::Critical,
            };
            if to != from {
                t.priority = to;
                ticket::save(
                    ctx,
                    &desk.queues,
                    t,
                    None,
                    TicketChange::Priority { from, to },
                )?;
            }
            Ok(())
        }
        Action::Move(to) => {
            if &t.queue == to {
                return Ok(());
            }
            assign::move_queue(ctx, desk, t, to, &format!("Escalated to {to}: {text}"))?;
            let keeps = match t.assignee {
                Some(a) => rows::load_agent(ctx, a)?
                    .is_some_and(|a| a.role == Role::Supervisor || a.queues.contains(to)),
                None => false,
            };
            if !keeps && t.assignee.is_some() {
                assign::set_assignee(ctx, desk, t, None, None)?;
            }
            assign::auto_assign(ctx, desk, t, None)?;
            Ok(())
        }
    }
}

/// An escalation told to the customer with the `escalate` macro, in the
/// customer's language when it has a body in it, filled in here ({name},
/// {id}, {agent}, {queue}, {eta}: when the ticket's next promise is due,
/// in the customer's time zone, or the desk's, named). A bot message: the
/// expert still owes the customer a reply.
pub fn tell_customer(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    t: &mut Ticket,
    agent: &Agent,
) -> Result<(), DomainError> {
    let Some(m) = rows::global_macro(ctx, "escalate")? else {
        return Err(DomainError::not_found(
            "there is no global macro \"escalate\" to tell the customer with",
        ));
    };
    let customer = rows::load_customer(ctx, t.customer_id)?
        .ok_or_else(|| DomainError::not_found("customer vanished"))?;
    let s = &t.sla;
    let due = s
        .next_reply_due
        .or(s.first_reply_due)
        .or(s.update_due)
        .or(s.resolution_due)
        .unwrap_or(ctx.now)
        .max(ctx.now + std::time::Duration::from_secs(5 * 60));
    let queue = desk
        .queues
        .get(&t.queue)
        .map_or_else(|| t.queue.to_string(), |q| q.name.clone());
    let eta = desk
        .bot
        .customer_time(due, ctx.now, customer.time_zone.as_deref());
    let text = m
        .body_for(customer.language.as_deref())
        .text
        .replace("{name}", &customer.first_name)
        .replace("{id}", &t.number.to_string())
        .replace("{agent}", &agent.display_name)
        .replace("{queue}", &queue)
        .replace("{eta}", &eta);
    super::outbox::bot_message(ctx, &desk.queues, t, &text, None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use shared::*;

    use crate::domain::testkit::{Desk0, at, settings};
    use crate::settings::QueueSettings;

    const CHAT: i64 = 6060;
    const STAFF: i64 = -1_000_000_000_077;

    #[tokio::test]
    async fn a_warning_then_a_breach_each_fire_once_and_run_the_queue_actions() {
        let mut s = settings();
        s.queues = vec![QueueSettings {
            id: "L1".into(),
            name: "Support".into(),
            first_reply: "10m".into(),
            next_reply: "30m".into(),
            resolution: "8h".into(),
            warn_before: Some(vec!["2m".into()]),
            on_warning: vec!["staff_chat".into()],
            on_breach: vec!["staff_chat".into(), "raise_priority".into()],
            ..Default::default()
        }];
        s.bot.topics.clear();
        s.bot.stop_words.clear();
        s.routing.clear();
        s.automations.clear();
        s.staff.chat_id = STAFF;
        let desk = Desk0::new(s, at("2026-11-23T10:00:00Z")).await;
        let ticket = desk.customer_writes(CHAT, "en", "Site down").await;
        let alerts = |events: Vec<Event>| -> Vec<(SlaTarget, SlaLevel)> {
            events
                .into_iter()
                .filter_map(|e| match e {
                    Event::SlaAlert { alert } => Some((alert.target, alert.level)),
                    _ => None,
                })
                .collect()
        };
        desk.advance(Duration::from_secs(7 * 60 + 59));
        desk.tick().await;
        assert!(alerts(desk.events().await).is_empty(), "7m59s: nothing yet");
        desk.advance(Duration::from_secs(1));
        desk.tick().await;
        desk.tick().await;
        assert_eq!(
            alerts(desk.events().await),
            [(SlaTarget::FirstReply, SlaLevel::Warning)]
        );
        desk.advance(Duration::from_secs(2 * 60));
        desk.tick().await;
        desk.tick().await;
        assert_eq!(
            alerts(desk.events().await),
            [
                (SlaTarget::FirstReply, SlaLevel::Warning),
                (SlaTarget::FirstReply, SlaLevel::Breach)
            ]
        );
        let t = desk.ticket(ticket).await;
        assert_eq!(t.priority, Priority::High);
        let posts = desk.sent_to(STAFF).await;
        assert_eq!(posts.len(), 2, "{posts:?}");
        assert!(posts[0].contains("SLA warning") && posts[0].contains(&format!("#{}", t.number)));
        assert!(posts[1].contains("SLA breach"));
    }
}
