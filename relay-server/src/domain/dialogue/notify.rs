//! What the customer hears as their ticket moves: status changes, the
//! resolution with a rating request, the follow-up a day later; and what
//! the ticket buttons do. Non-critical notifications wait out the
//! customer's quiet hours (critical tickets do not).

use rusqlite::{OptionalExtension, params};
use shared::*;

use super::{keyboard, lang, ticketing};
use crate::domain::commands::save_ticket;
use crate::domain::desk::Desk;
use crate::domain::i18n::Lang;
use crate::domain::{DomainError, outbox};
use crate::store::WriteCtx;
use crate::store::rows;

/// A ticket's status for the customer, with the ETA while a first reply
/// is awaited.
pub fn status_text(
    ctx: &WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    t: &Ticket,
) -> Result<String, DomainError> {
    let lang = lang(customer);
    let mut text = ticketing::status_line(desk, lang, t);
    if t.first_reply_at.is_none() && matches!(t.status, TicketStatus::New | TicketStatus::Open) {
        text.push('\n');
        text.push_str(&desk.bot.t(
            lang,
            "status.eta",
            &[("eta", &ticketing::eta(ctx, desk, customer, t)?)],
        ));
    }
    Ok(text)
}

/// Sends a bot message into the ticket's thread, or holds it until the
/// customer's quiet hours end when it is not critical.
pub fn send(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    ticket: &mut Ticket,
    text: &str,
    markup: Option<&str>,
    critical: bool,
) -> Result<(), DomainError> {
    if !critical
        && ticket.priority != Priority::Critical
        && let Some(q) = desk.bot.quiet
        && let Some(until) = q.ends(ctx.now, &desk.bot.zone_of(customer.time_zone.as_deref()))
    {
        ctx.conn
            .prepare_cached(
                "INSERT INTO scheduled (ticket_id, kind, text, markup, due_at, created_at) VALUES (?1, 'message', ?2, ?3, ?4, ?5)",
            )?
            .execute(params![ticket.id.0, text, markup, until.0, ctx.now.0])?;
        return Ok(());
    }
    outbox::bot_message(ctx, &desk.queues, ticket, text, markup)?;
    Ok(())
}

fn customer_of(ctx: &WriteCtx<'_>, t: &Ticket) -> Result<Customer, DomainError> {
    rows::load_customer(ctx.conn, t.customer_id)?
        .ok_or_else(|| DomainError::not_found(format!("customer {} vanished", t.customer_id)))
}

fn number(t: &Ticket) -> String {
    t.number.to_string()
}

/// An engineer took or was given the ticket.
pub fn assigned(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    ticket: &mut Ticket,
    agent: AgentId,
) -> Result<(), DomainError> {
    if !desk.bot.guided || !matches!(ticket.status, TicketStatus::New | TicketStatus::Open) {
        return Ok(());
    }
    let customer = customer_of(ctx, ticket)?;
    let name = rows::load_agent(ctx.conn, agent)?.map_or_else(String::new, |a| a.display_name);
    let text = desk.bot.t(
        lang(&customer),
        "status.accepted",
        &[("number", &number(ticket)), ("agent", &name)],
    );
    send(ctx, desk, &customer, ticket, &text, None, false)
}

/// An engineer changed the status.
pub fn status_changed(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    ticket: &mut Ticket,
    from: TicketStatus,
    by: AgentId,
) -> Result<(), DomainError> {
    if !desk.bot.guided {
        return Ok(());
    }
    let customer = customer_of(ctx, ticket)?;
    let lang = lang(&customer);
    let n = number(ticket);
    let key = match (from, ticket.status) {
        (_, TicketStatus::Resolved) => return resolved(ctx, desk, &customer, ticket, by),
        (TicketStatus::Resolved, TicketStatus::Closed) => return Ok(()),
        (_, TicketStatus::Closed) => "status.closed",
        (TicketStatus::Resolved | TicketStatus::Closed, _) => "status.reopened",
        (_, TicketStatus::PendingOnCustomer) => "status.needs_info",
        (_, TicketStatus::Open) => "status.in_progress",
        (_, TicketStatus::New) => return Ok(()),
    };
    ctx.conn
        .prepare_cached("DELETE FROM scheduled WHERE ticket_id = ?1 AND kind = 'followup'")?
        .execute([ticket.id.0])?;
    let text = desk.bot.t(lang, key, &[("number", &n)]);
    send(ctx, desk, &customer, ticket, &text, None, false)
}

fn rating_buttons(desk: &Desk, lang: Lang, ticket: &Ticket, reopen: bool) -> String {
    let stars: Vec<(String, String)> = (1..=5)
        .map(|n| (format!("{n}⭐"), format!("csat:{}:{n}", ticket.id)))
        .collect();
    let mut rows_ = vec![stars];
    if reopen {
        rows_.push(vec![(
            desk.bot.t(lang, "button.not_fixed", &[]),
            format!("reopen:{}", ticket.id),
        )]);
    }
    keyboard::rows(&rows_)
}

/// The resolution: a short summary, what to do if it is not fixed, the
/// 1-5 star buttons; the follow-up is scheduled.
fn resolved(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    ticket: &mut Ticket,
    by: AgentId,
) -> Result<(), DomainError> {
    let lang = lang(customer);
    let agent = ticket
        .assignee
        .or(Some(by))
        .map(|a| rows::load_agent(ctx.conn, a))
        .transpose()?
        .flatten()
        .map_or_else(|| desk.bot.t(lang, "resolve.team", &[]), |a| a.display_name);
    let took = ticketing::duration(desk, lang, ctx.now.0 - ticket.created_at.0);
    let text = desk.bot.t(
        lang,
        "resolve.summary",
        &[
            ("number", &number(ticket)),
            (
                "topic",
                &ticketing::topic_label(desk, lang, ticket.topic.as_deref()),
            ),
            ("agent", &agent),
            ("took", &took),
            (
                "window",
                &(desk.bot.reopen_window_ms / 3_600_000).max(1).to_string(),
            ),
        ],
    );
    let markup = rating_buttons(desk, lang, ticket, true);
    send(ctx, desk, customer, ticket, &text, Some(&markup), false)?;
    ctx.conn
        .prepare_cached("DELETE FROM scheduled WHERE ticket_id = ?1 AND kind = 'followup'")?
        .execute([ticket.id.0])?;
    if let Some(after) = desk.bot.followup_after_ms {
        ctx.conn
            .prepare_cached(
                "INSERT INTO scheduled (ticket_id, kind, due_at, created_at) VALUES (?1, 'followup', ?2, ?3)",
            )?
            .execute(params![ticket.id.0, ctx.now.0 + after, ctx.now.0])?;
    }
    Ok(())
}

/// /end with an open ticket: closed by the customer, rating asked.
pub fn closed_by_customer(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    ticket: &mut Ticket,
) -> Result<(), DomainError> {
    crate::domain::commands::close_ticket(ctx, &desk.queues, ticket)?;
    let lang = lang(customer);
    let text = desk.bot.t(lang, "end.done", &[("number", &number(ticket))]);
    let markup = rating_buttons(desk, lang, ticket, false);
    outbox::bot_message(ctx, &desk.queues, ticket, &text, Some(&markup))?;
    Ok(())
}

/// A button about one of the customer's tickets: status, details, a
/// rating, "not fixed", the follow-up's answer.
pub fn ticket_button(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    customer: &Customer,
    chat: i64,
    mut ticket: Ticket,
    kind: &str,
    arg: &str,
) -> Result<(), DomainError> {
    let lang = lang(customer);
    let n = number(&ticket);
    let finished = matches!(ticket.status, TicketStatus::Resolved | TicketStatus::Closed);
    let value = arg.split(':').nth(1).unwrap_or_default();
    match kind {
        "status" => {
            let text = status_text(ctx, desk, customer, &ticket)?;
            outbox::to_chat(ctx, chat, &text, None)
        }
        "details" if !finished => outbox::to_chat(
            ctx,
            chat,
            &desk.bot.t(lang, "details.ask", &[("number", &n)]),
            None,
        ),
        "details" => outbox::to_chat(
            ctx,
            chat,
            &desk.bot.t(lang, "details.closed", &[("number", &n)]),
            None,
        ),
        "csat" if finished => {
            let Some(rating) = value.parse::<u8>().ok().filter(|r| (1..=5).contains(r)) else {
                return Ok(());
            };
            if ticket.csat != Some(rating) {
                ticket.csat = Some(rating);
                ctx.conn
                    .prepare_cached("UPDATE tickets SET csat_at = ?2 WHERE id = ?1")?
                    .execute(params![ticket.id.0, ctx.now.0])?;
                save_ticket(
                    ctx,
                    &desk.queues,
                    &mut ticket,
                    None,
                    TicketChange::Csat { rating },
                )?;
            }
            outbox::to_chat(ctx, chat, &desk.bot.t(lang, "csat.thanks", &[]), None)
        }
        "reopen" if finished => {
            if ticket
                .resolved_at
                .is_some_and(|at| ctx.now.0 - at.0 <= desk.bot.reopen_window_ms)
            {
                ticketing::reopen(ctx, desk, customer, &mut ticket)
            } else {
                outbox::to_chat(
                    ctx,
                    chat,
                    &desk.bot.t(lang, "reopen.too_late", &[("number", &n)]),
                    None,
                )
            }
        }
        "followup" if finished => {
            let ok = value == "yes";
            let answered: Option<i64> = ctx
                .conn
                .prepare_cached("SELECT followup_ok FROM tickets WHERE id = ?1")?
                .query_row([ticket.id.0], |r| r.get(0))
                .optional()?
                .flatten();
            if answered.is_some() {
                return Ok(());
            }
            ctx.conn
                .prepare_cached("UPDATE tickets SET followup_ok = ?2 WHERE id = ?1")?
                .execute(params![ticket.id.0, ok])?;
            if ok {
                outbox::to_chat(ctx, chat, &desk.bot.t(lang, "followup.thanks", &[]), None)
            } else {
                ticketing::reopen(ctx, desk, customer, &mut ticket)
            }
        }
        _ => Ok(()),
    }
}

/// A scheduled row: id, ticket, kind, text, markup.
type Held = (i64, i64, String, Option<String>, Option<String>);

/// Sends what was held for quiet hours and the follow-ups now due.
pub fn release_due(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    let due: Vec<Held> = ctx
        .conn
        .prepare_cached("SELECT id, ticket_id, kind, text, markup FROM scheduled WHERE due_at <= ?1 ORDER BY due_at, id LIMIT 100")?
        .query_map([ctx.now.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<Result<_, _>>()?;
    let n = due.len();
    for (id, ticket_id, kind, text, markup) in due {
        ctx.conn
            .prepare_cached("DELETE FROM scheduled WHERE id = ?1")?
            .execute([id])?;
        let Some(mut ticket) = rows::load_ticket(ctx.conn, TicketId(ticket_id))? else {
            continue;
        };
        let customer = customer_of(ctx, &ticket)?;
        match (kind.as_str(), text) {
            ("message", Some(text)) => {
                send(
                    ctx,
                    desk,
                    &customer,
                    &mut ticket,
                    &text,
                    markup.as_deref(),
                    false,
                )?;
            }
            ("followup", _)
                if matches!(ticket.status, TicketStatus::Resolved | TicketStatus::Closed) =>
            {
                let lang = lang(&customer);
                let text = desk.bot.t(
                    lang,
                    "followup.ask",
                    &[
                        ("number", &number(&ticket)),
                        (
                            "topic",
                            &ticketing::topic_label(desk, lang, ticket.topic.as_deref()),
                        ),
                    ],
                );
                let markup = keyboard::rows(&[vec![
                    (
                        desk.bot.t(lang, "button.followup_yes", &[]),
                        format!("followup:{}:yes", ticket.id),
                    ),
                    (
                        desk.bot.t(lang, "button.followup_no", &[]),
                        format!("followup:{}:no", ticket.id),
                    ),
                ]]);
                send(
                    ctx,
                    desk,
                    &customer,
                    &mut ticket,
                    &text,
                    Some(&markup),
                    false,
                )?;
            }
            _ => {}
        }
    }
    Ok(n)
}
